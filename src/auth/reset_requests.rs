//! Requests for a password-reset mail (SPEC §9): at most 3 mails per account and 20
//! requests per client address an hour. A request does the same database work
//! whether or not its email names an account, so neither its answer nor its timing
//! tells which: one row per request, kept in the outbox (`outbox::PASSWORD_RESET`).

use diesel::{Connection, QueryResult, RunQueryDsl};
use time::Duration;

use crate::db::models::{login_failure, now, outbox, user::User};
use crate::db::DbConnection;

pub const WINDOW: Duration = Duration::hours(1);
const ACCOUNT_LIMIT: i64 = 3;
const IP_LIMIT: i64 = 20;

/// Records a well-formed request from `ip` for `email`; `Err(seconds to wait)` when
/// `ip` is at its limit (nothing is recorded then). When `email` is an account's
/// (ignoring case) and it has had fewer than 3 mails this hour, the row is due for
/// the sender, which makes the link; otherwise it only counts.
///
/// Requests are counted one at a time per address and per email: PostgreSQL takes
/// advisory locks (always the address first); on SQLite the first statement writes,
/// which takes the database's single write lock until the commit.
pub fn record(conn: &mut DbConnection, email: &str, ip: &str) -> QueryResult<Result<(), u64>> {
    conn.transaction(|conn| {
        let now = now();
        let since = now - WINDOW;
        lock(conn, &format!("reset-ip:{ip}"))?;
        if let Some(at) = outbox::nth_reset_from_ip_since(conn, ip, since, IP_LIMIT)? {
            let wait = (at + WINDOW - now).whole_seconds().clamp(1, 3600);
            return Ok(Err(wait as u64));
        }
        let user = User::find_by_email(conn, email)?;
        lock(
            conn,
            &format!("reset-email:{}", email.trim().to_lowercase()),
        )?;
        let account = user.map(|u| u.id);
        let mailed = outbox::resets_for_account_since(conn, account, since)?;
        let due = account.filter(|_| mailed < ACCOUNT_LIMIT);
        outbox::insert_reset_request(conn, due, ip, now)?;
        Ok(Ok(()))
    })
}

fn lock(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(_) => login_failure::lock_key(conn, key),
        // A write that changes nothing, to take the write lock before reading: a read
        // transaction that writes later may fail with SQLITE_BUSY under concurrency.
        DbConnection::Sqlite(_) => {
            diesel::sql_query("UPDATE mail_outbox SET attempts = attempts WHERE id = -1")
                .execute(conn)
                .map(drop)
        }
    }
}
