//! actix-session's `SessionStore` on our own database, so a session is a row: logging
//! out deletes it and a copied cookie stops working at once.
//!
//! The row id is the SHA-256 of the session key, so the cookie value never reaches the
//! database and the hash doubles as a "revoke this session" handle. Lifetimes are the
//! store's own (actix-session has one global TTL): a remembered session lasts 30 days
//! from log-in; any other ends after 12 idle hours, and after 7 days in any case.

use std::collections::HashMap;

use actix_session::storage::{
    generate_session_key, LoadError, SaveError, SessionKey, SessionStore, UpdateError,
};
use actix_web::cookie::time::Duration as CookieDuration;
use sha2::{Digest, Sha256};
use time::{Duration, PrimitiveDateTime};

use crate::db::models::{now, session};
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::session_state::StoredFields;

pub const REMEMBER_FOR: Duration = Duration::days(30);
const IDLE_TIMEOUT: Duration = Duration::hours(12);
const ABSOLUTE_TIMEOUT: Duration = Duration::days(7);
/// `last_seen_at` is written at most this often, so reading a page costs no write.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

type State = HashMap<String, String>;

#[derive(Clone)]
pub struct DbSessionStore {
    pool: DbPool,
}

impl DbSessionStore {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }
}

/// The id a session is stored under.
fn row_id(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn expires_at(
    remember: bool,
    created_at: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> PrimitiveDateTime {
    if remember {
        created_at + REMEMBER_FOR
    } else {
        (now + IDLE_TIMEOUT).min(created_at + ABSOLUTE_TIMEOUT)
    }
}

/// What a row stores of a session's state: all of it as JSON, some entries also in
/// columns of their own.
struct Derived {
    json: String,
    fields: StoredFields,
}

impl Derived {
    fn from_state(state: &State) -> serde_json::Result<Self> {
        Ok(Self {
            json: serde_json::to_string(state)?,
            fields: StoredFields::from_state(state),
        })
    }

    fn write(
        &self,
        created_at: PrimitiveDateTime,
        now: PrimitiveDateTime,
    ) -> session::SessionWrite<'_> {
        let fields = &self.fields;
        session::SessionWrite {
            user_id: fields.user_id,
            state: &self.json,
            remember: fields.remember,
            ip: &fields.client_ip,
            user_agent: &fields.user_agent,
            last_seen_at: now,
            expires_at: expires_at(fields.remember, created_at, now),
        }
    }
}

fn other(e: AppError) -> anyhow::Error {
    anyhow::Error::new(e)
}

impl DbSessionStore {
    async fn insert_new(&self, derived: Derived) -> Result<SessionKey, AppError> {
        let key = generate_session_key();
        let id = row_id(key.as_ref());
        db::run(&self.pool, move |conn| {
            let now = now();
            session::insert(conn, &id, now, &derived.write(now, now))?;
            Ok(())
        })
        .await?;
        Ok(key)
    }
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id = row_id(session_key.as_ref());
        let row = db::run(&self.pool, move |conn| {
            let now = now();
            let Some(row) = session::find_live(conn, &id, now)? else {
                return Ok(None);
            };
            if now - row.last_seen_at >= TOUCH_INTERVAL {
                session::touch(
                    conn,
                    &id,
                    now,
                    expires_at(row.remember, row.created_at, now),
                )?;
            }
            Ok(Some(row))
        })
        .await
        .map_err(|e| LoadError::Other(other(e)))?;
        match row {
            None => Ok(None),
            Some(row) => serde_json::from_str(&row.state)
                .map(Some)
                .map_err(|e| LoadError::Deserialization(e.into())),
        }
    }

    async fn save(&self, state: State, _ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let derived =
            Derived::from_state(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        self.insert_new(derived)
            .await
            .map_err(|e| SaveError::Other(other(e)))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let derived =
            Derived::from_state(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let id = row_id(session_key.as_ref());
        let derived = db::run(&self.pool, move |conn| {
            let now = now();
            let Some(row) = session::find_live(conn, &id, now)? else {
                return Ok(Some(derived));
            };
            let updated = session::update(conn, &id, &derived.write(row.created_at, now))?;
            Ok((updated == 0).then_some(derived))
        })
        .await
        .map_err(|e| UpdateError::Other(other(e)))?;
        match derived {
            None => Ok(session_key),
            // Revoked or expired meanwhile: never resurrect it, start a new one.
            Some(derived) => self
                .insert_new(derived)
                .await
                .map_err(|e| UpdateError::Other(other(e))),
        }
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        _ttl: &CookieDuration,
    ) -> anyhow::Result<()> {
        // Lifetimes are extended by `load`, rate-limited; nothing to do per request.
        let _ = session_key;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let id = row_id(session_key.as_ref());
        db::run(&self.pool, move |conn| Ok(session::delete(conn, &id)?))
            .await
            .map_err(other)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sessions_end_idle_absolute_or_thirty_days_after_login() {
        let created = datetime!(2026-01-01 00:00);
        assert_eq!(
            expires_at(true, created, created + Duration::days(3)),
            created + REMEMBER_FOR
        );
        let now = created + Duration::hours(1);
        assert_eq!(expires_at(false, created, now), now + IDLE_TIMEOUT);
        let late = created + Duration::days(6) + Duration::hours(20);
        assert_eq!(expires_at(false, created, late), created + ABSOLUTE_TIMEOUT);
    }

    #[test]
    fn the_stored_id_is_a_hash_not_the_key() {
        let id = row_id("abc");
        assert_eq!(id.len(), 64);
        assert_ne!(id, "abc");
    }
}
