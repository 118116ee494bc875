//! actix-session's `SessionStore` on our own database, so a logged-in session is a row:
//! logging out deletes it and a copied cookie stops working at once.
//!
//! - **Anonymous sessions are not rows.** Their few entries (the CSRF token, a log-in's
//!   password step) travel in the session cookie itself, which actix-session encrypts and
//!   authenticates with the server's key, so a visitor who only reads pages causes no
//!   database write (SPEC §2). A session becomes a row when it logs in.
//! - **An ended session never comes back.** A row is created only for a fresh log-in,
//!   and only while the account's password is still the one that was checked; a row
//!   is only ever rewritten while it is live. A request whose session ended while it
//!   was under way (log-out elsewhere, revocation, expiry, a password change) ends
//!   up anonymous, never with a new logged-in session.
//!
//! The row id is the SHA-256 of the session key, so the cookie value never reaches the
//! database; the account page knows a row by its random public handle instead, which
//! stays when the session gets a new id. Lifetimes are the store's own (actix-session
//! has one global TTL): a remembered session lasts 30 days from log-in; any other ends
//! after 12 idle hours, and 7 days after log-in in any case.

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
use crate::session_state::{self, StoreNotes, StoredFields};

pub const REMEMBER_FOR: Duration = Duration::days(30);
const IDLE_TIMEOUT: Duration = Duration::hours(12);
const ABSOLUTE_TIMEOUT: Duration = Duration::days(7);
/// `last_seen_at` is written at most this often, so reading a page costs no write.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);
/// Keys of anonymous sessions start with this; generated keys are alphanumeric.
const IN_COOKIE: char = '~';
/// Anonymous state larger than this is kept in a row instead:
/// the cookie must stay under the browsers' 4 KiB once encrypted.
const MAX_IN_COOKIE: usize = 2048;

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

/// The state an anonymous session key carries, or `None` for a row's key.
fn in_cookie(key: &SessionKey) -> Option<serde_json::Result<State>> {
    let json = key.as_ref().strip_prefix(IN_COOKIE)?;
    Some(serde_json::from_str(json))
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

/// What became of a state.
enum Written {
    /// Kept under this new key (a new row's, or one carrying the state).
    New(SessionKey),
    /// Kept in the session's row, under its key.
    Same,
    /// Not kept: the session had ended, or the password changed before a log-in's
    /// session could be made.
    Ended,
}

impl DbSessionStore {
    /// Writes `state` for the session whose row is `row` (`None`: no row yet); `None`
    /// back means the key stays as it is.
    async fn write(
        &self,
        row: Option<String>,
        mut state: State,
    ) -> Result<Option<SessionKey>, AppError> {
        let notes = StoreNotes::take(&mut state);
        let user = StoredFields::from_state(&state).user_id;
        let written = match (row, user, notes.fresh_login) {
            (_, Some(user), Some(version)) => self.insert_login(&state, user, version).await?,
            (Some(row), _, _) => self.update_live(row, &state, notes.new_id).await?,
            (None, None, _) => Written::New(self.anonymous(&state).await?),
            // Account state with neither a live row nor a fresh log-in: it has ended.
            (None, Some(_), _) => Written::Ended,
        };
        match written {
            Written::New(key) => Ok(Some(key)),
            Written::Same => Ok(None),
            Written::Ended => Ok(Some(self.anonymous(&session_state::ended(state)).await?)),
        }
    }

    /// A fresh log-in: a new row, created only if the password is still the one checked.
    async fn insert_login(
        &self,
        state: &State,
        user: i64,
        version: i64,
    ) -> Result<Written, AppError> {
        let derived = Derived::from_state(state).map_err(AppError::internal)?;
        let key = generate_session_key();
        let id = row_id(key.as_ref());
        let inserted = db::run(&self.pool, move |conn| {
            let now = now();
            let write = derived.write(now, now);
            Ok(session::insert_for_login(conn, &id, &write, user, version)?)
        })
        .await?;
        Ok(if inserted {
            Written::New(key)
        } else {
            Written::Ended
        })
    }

    /// A live row gets the new state (and a new key, when asked); an ended one stays
    /// ended.
    async fn update_live(
        &self,
        row: String,
        state: &State,
        new_id: bool,
    ) -> Result<Written, AppError> {
        let derived = Derived::from_state(state).map_err(AppError::internal)?;
        let key = new_id.then(generate_session_key);
        let new_row = key.as_ref().map(|k| row_id(k.as_ref()));
        let updated = db::run(&self.pool, move |conn| {
            let now = now();
            let Some(live) = session::find_live(conn, &row, now)? else {
                return Ok(false);
            };
            let write = derived.write(live.created_at, now);
            Ok(session::update_live(conn, &row, new_row.as_deref(), &write)? > 0)
        })
        .await?;
        Ok(match (updated, key) {
            (false, _) => Written::Ended,
            (true, Some(key)) => Written::New(key),
            (true, None) => Written::Same,
        })
    }

    /// Anonymous state goes into the cookie; only an unusually large one needs a row.
    async fn anonymous(&self, state: &State) -> Result<SessionKey, AppError> {
        let json = serde_json::to_string(state).map_err(AppError::internal)?;
        if json.len() <= MAX_IN_COOKIE {
            return SessionKey::try_from(format!("{IN_COOKIE}{json}")).map_err(AppError::internal);
        }
        let derived = Derived::from_state(state).map_err(AppError::internal)?;
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

fn other(e: AppError) -> anyhow::Error {
    anyhow::Error::new(e)
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        if let Some(state) = in_cookie(session_key) {
            return state
                .map(Some)
                .map_err(|e| LoadError::Deserialization(e.into()));
        }
        let id = row_id(session_key.as_ref());
        // A page's reads ride along in this trip (db::request::read_with_session).
        let row = db::request::run_loading_session(&self.pool, move |conn, with_user| {
            let now = now();
            let found = if with_user {
                session::find_live_with_user(conn, &id, now)?
            } else {
                session::find_live(conn, &id, now)?.map(|row| (row, None))
            };
            let Some((row, user)) = found else {
                return Ok((None, None));
            };
            if now - row.last_seen_at >= TOUCH_INTERVAL {
                session::touch(
                    conn,
                    &id,
                    now,
                    expires_at(row.remember, row.created_at, now),
                )?;
            }
            Ok((Some(row), user))
        })
        .await
        .map_err(|e| LoadError::Other(other(e)))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut state: State =
            serde_json::from_str(&row.state).map_err(|e| LoadError::Deserialization(e.into()))?;
        session_state::note_public_id(&mut state, &row.public_id);
        Ok(Some(state))
    }

    async fn save(&self, state: State, _ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        match self.write(None, state).await {
            Ok(Some(key)) => Ok(key),
            Ok(None) => Err(SaveError::Other(anyhow::anyhow!(
                "no key for a new session"
            ))),
            Err(e) => Err(SaveError::Other(other(e))),
        }
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let row = in_cookie(&session_key)
            .is_none()
            .then(|| row_id(session_key.as_ref()));
        match self.write(row, state).await {
            Ok(new_key) => Ok(new_key.unwrap_or(session_key)),
            Err(e) => Err(UpdateError::Other(other(e))),
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
        if in_cookie(session_key).is_some() {
            return Ok(());
        }
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
