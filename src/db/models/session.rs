//! Server-side sessions: one row per browser session, keyed by a hash of its cookie,
//! and known to the account page by a random public handle of its own.

use diesel::prelude::*;
use rand::RngCore;
use time::PrimitiveDateTime;

use crate::db::models::todo::Counts;
use crate::db::schema::{sessions, users};
use crate::db::DbConnection;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub public_id: String,
    pub state: String,
    pub remember: bool,
    pub created_at: PrimitiveDateTime,
    pub last_seen_at: PrimitiveDateTime,
}

/// The columns written whenever the state changes.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = sessions)]
pub struct SessionWrite<'a> {
    pub user_id: Option<i64>,
    pub state: &'a str,
    pub remember: bool,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub last_seen_at: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
}

/// A logged-in session as the account page lists it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct ActiveSession {
    pub public_id: String,
    pub ip: String,
    pub user_agent: String,
    pub created_at: PrimitiveDateTime,
    pub last_seen_at: PrimitiveDateTime,
}

/// Bytes of randomness in a public handle: as many as a UUID's, so it cannot be guessed.
const PUBLIC_ID_BYTES: usize = 16;

/// A new public handle: 32 lower-case hex digits, unrelated to the session key.
pub fn new_public_id() -> String {
    let mut bytes = [0u8; PUBLIC_ID_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `text` has the shape of a public handle (anything else cannot name a
/// session, and PostgreSQL text could not even hold some of it, such as a NUL).
pub fn is_public_id(text: &str) -> bool {
    text.len() == 2 * PUBLIC_ID_BYTES
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn find_live(
    conn: &mut DbConnection,
    id: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// The session's user as the session load can read it in the same statement: what a
/// page's reads (`db::request::read_with_session`) start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveUser {
    pub id: i64,
    /// Kept on the users row by triggers.
    pub counts: Counts,
}

/// [`find_live`] with the session's user row joined: one statement for both. `None`
/// for the user when the session is anonymous or its account is gone.
pub fn find_live_with_user(
    conn: &mut DbConnection,
    id: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Option<(SessionRow, Option<LiveUser>)>> {
    let found = sessions::table
        .left_join(users::table)
        .filter(sessions::id.eq(id))
        .filter(sessions::expires_at.gt(now))
        .select((
            SessionRow::as_select(),
            (users::id, users::todos_active, users::todos_completed).nullable(),
        ))
        .first::<(SessionRow, Option<(i64, i64, i64)>)>(conn)
        .optional()?;
    Ok(found.map(|(row, user)| {
        let user = user.map(|(id, active, completed)| LiveUser {
            id,
            counts: Counts { active, completed },
        });
        (row, user)
    }))
}

pub fn insert(
    conn: &mut DbConnection,
    id: &str,
    created_at: PrimitiveDateTime,
    row: &SessionWrite<'_>,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::public_id.eq(new_public_id()),
            sessions::created_at.eq(created_at),
            row,
        ))
        .execute(conn)
}

/// Rewrites a live session (and moves it to `new_id` when given, keeping its public
/// handle); 0 when it has expired or been revoked meanwhile, so an ended session is
/// never written again.
pub fn update_live(
    conn: &mut DbConnection,
    id: &str,
    new_id: Option<&str>,
    row: &SessionWrite<'_>,
) -> QueryResult<usize> {
    let live = sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(row.last_seen_at));
    match new_id {
        Some(new_id) => diesel::update(live)
            .set((sessions::id.eq(new_id), row))
            .execute(conn),
        None => diesel::update(live).set(row).execute(conn),
    }
}

/// Creates the session of a log-in, in one statement and only while the account's
/// password still has the version that was checked: a password change committed while
/// the hash was being checked makes it a no-op (`false`). On PostgreSQL the account row
/// is share-locked, so a change in flight is waited for and then seen; SQLite runs one
/// writer at a time. Raw SQL because Diesel cannot express `INSERT … SELECT` of bound
/// values with `FOR SHARE`; `$n` placeholders, each once and in order, work in both.
pub fn insert_for_login(
    conn: &mut DbConnection,
    id: &str,
    row: &SessionWrite<'_>,
    user_id: i64,
    password_version: i64,
) -> QueryResult<bool> {
    use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
    let public_id = new_public_id();
    const SQL: &str = "INSERT INTO sessions \
        (id, user_id, state, remember, ip, user_agent, created_at, last_seen_at, expires_at, \
         public_id) \
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
        WHERE EXISTS (SELECT 1 FROM users WHERE id = $11 AND password_version = $12";
    macro_rules! insert {
        ($conn:expr, $sql:expr) => {
            diesel::sql_query($sql)
                .bind::<Text, _>(id)
                .bind::<Nullable<BigInt>, _>(Some(user_id))
                .bind::<Text, _>(row.state)
                .bind::<Bool, _>(row.remember)
                .bind::<Text, _>(row.ip)
                .bind::<Text, _>(row.user_agent)
                .bind::<Timestamp, _>(row.last_seen_at)
                .bind::<Timestamp, _>(row.last_seen_at)
                .bind::<Timestamp, _>(row.expires_at)
                .bind::<Text, _>(&public_id)
                .bind::<BigInt, _>(user_id)
                .bind::<BigInt, _>(password_version)
                .execute($conn)
        };
    }
    let inserted = match conn {
        DbConnection::Pg(c) => insert!(c, format!("{SQL} FOR SHARE)"))?,
        DbConnection::Sqlite(c) => insert!(c, format!("{SQL})"))?,
    };
    Ok(inserted == 1)
}

pub fn touch(
    conn: &mut DbConnection,
    id: &str,
    now: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
}

/// Ends every session of `user_id` except the one whose public handle is `keep` (the
/// caller's own, if any).
pub fn delete_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    keep: Option<&str>,
) -> QueryResult<usize> {
    let mine = sessions::table.filter(sessions::user_id.eq(user_id));
    match keep {
        Some(keep) => diesel::delete(mine.filter(sessions::public_id.ne(keep))).execute(conn),
        None => diesel::delete(mine).execute(conn),
    }
}

/// Ends the session of `user_id` whose public handle is `public_id`, unless it is
/// `current` (the caller's own); 0 when there is no such session of this user.
pub fn revoke(
    conn: &mut DbConnection,
    user_id: i64,
    public_id: &str,
    current: &str,
) -> QueryResult<usize> {
    if public_id == current {
        return Ok(0);
    }
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::public_id.eq(public_id)),
    )
    .execute(conn)
}

/// The user's live sessions, most recently used first.
pub fn list_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<Vec<ActiveSession>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .order((
            sessions::last_seen_at.desc(),
            sessions::created_at.desc(),
            sessions::public_id,
        ))
        .select(ActiveSession::as_select())
        .load(conn)
}

pub fn purge_expired(conn: &mut DbConnection, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_handles_are_random_hex_and_nothing_else_passes_for_one() {
        let (a, b) = (new_public_id(), new_public_id());
        assert_ne!(a, b);
        assert!(is_public_id(&a) && is_public_id(&b));
        for bad in [
            "",
            "nope",
            &a.to_uppercase(),
            &format!("{a}0"),
            &a[1..],
            "\0",
        ] {
            assert!(!is_public_id(bad), "{bad:?}");
        }
    }
}
