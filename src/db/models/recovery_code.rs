//! Recovery codes, stored as hashes (`auth::two_factor::recovery`).

use diesel::prelude::*;

use crate::db::models::now;
use crate::db::schema::recovery_codes;
use crate::db::DbConnection;

/// Replaces all of the account's codes with these hashes.
pub fn replace(conn: &mut DbConnection, user_id: i64, hashes: &[String]) -> QueryResult<()> {
    delete_all(conn, user_id)?;
    // One row per statement: MultiConnection has no multi-row insert.
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete_all(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)
}

fn unused(
    user_id: i64,
) -> diesel::dsl::Filter<
    diesel::dsl::Filter<recovery_codes::table, diesel::dsl::Eq<recovery_codes::user_id, i64>>,
    diesel::dsl::IsNull<recovery_codes::used_at>,
> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
}

/// Spends the unused code with this hash, in one conditional statement: `true` for
/// exactly one of any number of requests using it.
pub fn spend(conn: &mut DbConnection, user_id: i64, hash: &str) -> QueryResult<bool> {
    diesel::update(unused(user_id).filter(recovery_codes::code_hash.eq(hash)))
        .set(recovery_codes::used_at.eq(now()))
        .execute(conn)
        .map(|n| n > 0)
}

/// Whether an unused code has this hash (nothing is spent).
pub fn exists(conn: &mut DbConnection, user_id: i64, hash: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        unused(user_id).filter(recovery_codes::code_hash.eq(hash)),
    ))
    .get_result(conn)
}

/// How many unused codes the account has.
pub fn count_unused(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
    unused(user_id).count().get_result(conn)
}
