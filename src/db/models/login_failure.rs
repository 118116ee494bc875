//! Failed log-ins, kept in the database so that several server processes share the count.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::schema::login_failures;
use crate::db::DbConnection;

/// The `n`-th newest failure under `key` since `since` (1 = newest), if there are that many.
pub fn nth_newest_since(
    conn: &mut DbConnection,
    key: &str,
    since: PrimitiveDateTime,
    n: i64,
) -> QueryResult<Option<PrimitiveDateTime>> {
    login_failures::table
        .filter(login_failures::key.eq(key))
        .filter(login_failures::created_at.gt(since))
        .order(login_failures::created_at.desc())
        .offset(n - 1)
        .select(login_failures::created_at)
        .first(conn)
        .optional()
}

/// One row per key; returns their ids.
pub fn record(
    conn: &mut DbConnection,
    keys: &[&str],
    at: PrimitiveDateTime,
) -> QueryResult<Vec<i64>> {
    // One row per statement: MultiConnection has no multi-row insert.
    keys.iter()
        .map(|key| {
            diesel::insert_into(login_failures::table)
                .values((
                    login_failures::key.eq(*key),
                    login_failures::created_at.eq(at),
                ))
                .returning(login_failures::id)
                .get_result(conn)
        })
        .collect()
}

pub fn purge_key_before(
    conn: &mut DbConnection,
    key: &str,
    before: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::key.eq(key))
            .filter(login_failures::created_at.le(before)),
    )
    .execute(conn)
}

pub fn delete_rows(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids))).execute(conn)
}

/// PostgreSQL: waits for other transactions counting under `key`, until this one ends.
pub fn lock_key(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(key)
        .execute(conn)
        .map(drop)
}

pub fn clear(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::key.eq(key))).execute(conn)
}

pub fn purge_before(conn: &mut DbConnection, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::created_at.le(before)))
        .execute(conn)
}
