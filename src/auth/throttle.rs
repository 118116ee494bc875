//! Throttling of failed log-ins (SPEC §3): five failures in 15 minutes for one account,
//! or twenty from one client address, lock `POST /login` until the window frees up.
//! Counters live in the database so that several server processes share them.
//!
//! An attempt is counted *before* its password is checked ([`reserve`]): its row
//! stands as a failure unless the check succeeds, so however many attempts arrive at
//! once, at most the limit are ever checked, and the rest answer 429 without hashing.

use diesel::{Connection, QueryResult};
use time::Duration;

use crate::db::models::{login_failure, now};
use crate::db::DbConnection;

pub const WINDOW: Duration = Duration::minutes(15);
const ACCOUNT_LIMIT: i64 = 5;
const IP_LIMIT: i64 = 20;

/// The counters one log-in attempt touches: the account's, and the client address's
/// (none for a second log-in step, which counts toward the account only: SPEC §10).
#[derive(Debug, Clone)]
pub struct Keys {
    pub account: String,
    pub ip: Option<String>,
}

impl Keys {
    /// `login` is keyed by its lower-cased text; a known account by its id, so the
    /// username and the email of one account share a counter.
    pub fn new(login: &str, account_id: Option<i64>, ip: &str) -> Self {
        let account = match account_id {
            Some(id) => format!("user:{id}"),
            // PostgreSQL text cannot hold NUL; no account name contains one anyway.
            None => format!(
                "login:{}",
                login.trim().to_lowercase().replace('\0', "\u{fffd}")
            ),
        };
        Self {
            account,
            ip: Some(format!("ip:{ip}")),
        }
    }

    /// The account's counter only: a code (or password) asked of a known account.
    pub fn account_only(account_id: i64) -> Self {
        Self {
            account: format!("user:{account_id}"),
            ip: None,
        }
    }

    /// Each counter with its limit.
    fn counters(&self) -> impl Iterator<Item = (&str, i64)> {
        let ip = self.ip.as_deref().map(|ip| (ip, IP_LIMIT));
        std::iter::once((self.account.as_str(), ACCOUNT_LIMIT)).chain(ip)
    }
}

/// `Some(seconds)` to wait when either counter is at its limit.
pub fn retry_after(conn: &mut DbConnection, keys: &Keys) -> QueryResult<Option<u64>> {
    let now = now();
    let since = now - WINDOW;
    let mut wait = Duration::ZERO;
    for (key, limit) in keys.counters() {
        // Locked until the limit-th newest failure leaves the window.
        if let Some(at) = login_failure::nth_newest_since(conn, key, since, limit)? {
            wait = wait.max(at + WINDOW - now);
        }
    }
    Ok((wait > Duration::ZERO).then(|| wait.whole_seconds().clamp(1, 900) as u64))
}

/// An attempt allowed to check its password: counted as a failure until [`succeeded`].
#[derive(Debug)]
#[must_use = "an attempt that succeeds must say so, or it counts as a failure"]
pub struct Reservation {
    rows: Vec<i64>,
}

/// Counts an attempt against both counters, unless either is at its limit already:
/// then `Err(seconds to wait)` and nothing is counted. Attempts are counted one at a
/// time per counter, so a burst cannot get past the limit by checking all at once:
/// PostgreSQL takes an advisory lock per counter; on SQLite the first statement
/// writes (it drops the counters' expired rows), which takes the database's single
/// write lock until the commit.
pub fn reserve(conn: &mut DbConnection, keys: &Keys) -> QueryResult<Result<Reservation, u64>> {
    conn.transaction(|conn| {
        let mut counters: Vec<&str> = keys.counters().map(|(key, _)| key).collect();
        counters.sort_unstable(); // one order for every attempt: no deadlock
        let now = now();
        for &key in &counters {
            if matches!(conn, DbConnection::Pg(_)) {
                login_failure::lock_key(conn, key)?;
            }
            login_failure::purge_key_before(conn, key, now - WINDOW)?;
        }
        if let Some(wait) = retry_after(conn, keys)? {
            return Ok(Err(wait));
        }
        let rows = login_failure::record(conn, &counters, now)?;
        Ok(Ok(Reservation { rows }))
    })
}

/// The attempt succeeded: it is not a failure, and the account's counter is cleared
/// (only the account's: SPEC §3).
pub fn succeeded(
    conn: &mut DbConnection,
    keys: &Keys,
    reservation: Reservation,
) -> QueryResult<()> {
    login_failure::delete_rows(conn, &reservation.rows)?;
    login_failure::clear(conn, &keys.account).map(drop)
}

/// The attempt was no failure, but clears nothing either: a password step passed
/// before the second step (SPEC §10), or a password confirmed on an account form.
pub fn passed(conn: &mut DbConnection, reservation: Reservation) -> QueryResult<()> {
    login_failure::delete_rows(conn, &reservation.rows).map(drop)
}

/// The attempt failed: its reservation stands as the failure.
pub fn failed(reservation: Reservation) {
    drop(reservation.rows);
}

/// Minutes to tell the person, rounded up.
pub fn minutes(seconds: u64) -> u64 {
    seconds.div_ceil(60).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_keyed_by_id_and_an_unknown_login_by_its_text() {
        assert_eq!(Keys::new("Alice", Some(7), "1.2.3.4").account, "user:7");
        assert_eq!(
            Keys::new(" Nobody@X.io ", None, "1.2.3.4").account,
            "login:nobody@x.io"
        );
        assert_eq!(
            Keys::new("a", None, "1.2.3.4").ip.as_deref(),
            Some("ip:1.2.3.4")
        );
        assert_eq!(Keys::account_only(7).account, "user:7");
        assert_eq!(Keys::account_only(7).ip, None);
    }

    #[test]
    fn waits_are_told_in_whole_minutes_rounded_up() {
        assert_eq!(
            (minutes(1), minutes(60), minutes(61), minutes(900)),
            (1, 1, 2, 15)
        );
    }
}
