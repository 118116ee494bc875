//! Password-reset links: a SHA-256 of each token, the account, and what makes it live.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::schema::{password_resets, users};
use crate::db::DbConnection;

/// A link the sender is about to mail.
pub struct NewReset<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub password_version: i64,
    pub created_at: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
}

/// Stores a new link; returns its id.
pub fn insert(conn: &mut DbConnection, reset: &NewReset<'_>) -> QueryResult<i64> {
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::token_hash.eq(reset.token_hash),
            password_resets::user_id.eq(reset.user_id),
            password_resets::password_version.eq(reset.password_version),
            password_resets::created_at.eq(reset.created_at),
            password_resets::expires_at.eq(reset.expires_at),
        ))
        .returning(password_resets::id)
        .get_result(conn)
}

/// Takes back a link whose mail could not be sent (it must not supersede the links
/// that did arrive).
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::delete(password_resets::table.find(id))
        .execute(conn)
        .map(drop)
}

/// A live link: its id and account.
#[derive(Debug, Clone, Copy)]
pub struct LiveReset {
    pub id: i64,
    pub user_id: i64,
    pub password_version: i64,
}

/// The link with this hash if it still works: not used, not expired, the account's
/// newest, and made for the account's current password.
pub fn find_live(
    conn: &mut DbConnection,
    token_hash: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Option<LiveReset>> {
    let found = password_resets::table
        .inner_join(users::table)
        .filter(password_resets::token_hash.eq(token_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now))
        .filter(password_resets::password_version.eq(users::password_version))
        .select((
            password_resets::id,
            password_resets::user_id,
            password_resets::password_version,
        ))
        .first::<(i64, i64, i64)>(conn)
        .optional()?;
    let Some((id, user_id, password_version)) = found else {
        return Ok(None);
    };
    let newest: Option<i64> = password_resets::table
        .filter(password_resets::user_id.eq(user_id))
        .select(diesel::dsl::max(password_resets::id))
        .first(conn)?;
    Ok((newest == Some(id)).then_some(LiveReset {
        id,
        user_id,
        password_version,
    }))
}

/// Spends a link, once: `false` when it was spent meanwhile.
pub fn spend(conn: &mut DbConnection, id: i64, now: PrimitiveDateTime) -> QueryResult<bool> {
    diesel::update(
        password_resets::table
            .find(id)
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
}

/// Forgets links that expired before `before` (used or not: dead either way).
pub fn purge_expired(conn: &mut DbConnection, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(password_resets::table.filter(password_resets::expires_at.le(before)))
        .execute(conn)
}
