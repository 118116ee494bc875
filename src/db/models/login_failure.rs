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

pub fn record(conn: &mut DbConnection, keys: &[&str], at: PrimitiveDateTime) -> QueryResult<()> {
    // One row per statement: MultiConnection has no multi-row insert.
    for key in keys {
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::key.eq(*key),
                login_failures::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::key.eq(key))).execute(conn)
}

pub fn purge_before(conn: &mut DbConnection, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::created_at.le(before)))
        .execute(conn)
}
