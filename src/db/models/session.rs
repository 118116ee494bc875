//! Server-side sessions: one row per browser session, keyed by a hash of its cookie.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::schema::sessions;
use crate::db::DbConnection;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
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

pub fn insert(
    conn: &mut DbConnection,
    id: &str,
    created_at: PrimitiveDateTime,
    row: &SessionWrite<'_>,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::created_at.eq(created_at),
            row,
        ))
        .execute(conn)
}

/// Rewrites a live session; 0 when it has expired or been revoked meanwhile.
pub fn update(conn: &mut DbConnection, id: &str, row: &SessionWrite<'_>) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .filter(sessions::expires_at.gt(row.last_seen_at))
        .set(row)
        .execute(conn)
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

/// Ends every session of `user_id` except `keep` (the caller's own, if any).
pub fn delete_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    keep: Option<&str>,
) -> QueryResult<usize> {
    let mine = sessions::table.filter(sessions::user_id.eq(user_id));
    match keep {
        Some(keep) => diesel::delete(mine.filter(sessions::id.ne(keep))).execute(conn),
        None => diesel::delete(mine).execute(conn),
    }
}

pub fn purge_expired(conn: &mut DbConnection, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}
