//! Throttling of failed log-ins (SPEC §3): five failures in 15 minutes for one account,
//! or twenty from one client address, lock `POST /login` until the window frees up.
//! Counters live in the database so that several server processes share them.

use diesel::QueryResult;
use time::Duration;

use crate::db::models::{login_failure, now};
use crate::db::DbConnection;

pub const WINDOW: Duration = Duration::minutes(15);
const ACCOUNT_LIMIT: i64 = 5;
const IP_LIMIT: i64 = 20;

/// The two counters one log-in attempt touches.
#[derive(Debug, Clone)]
pub struct Keys {
    pub account: String,
    pub ip: String,
}

impl Keys {
    /// `login` is keyed by its lower-cased text; a known account by its id, so the
    /// username and the email of one account share a counter.
    pub fn new(login: &str, account_id: Option<i64>, ip: &str) -> Self {
        let account = match account_id {
            Some(id) => format!("user:{id}"),
            None => format!("login:{}", login.trim().to_lowercase()),
        };
        Self {
            account,
            ip: format!("ip:{ip}"),
        }
    }
}

/// `Some(seconds)` to wait when either counter is at its limit.
pub fn retry_after(conn: &mut DbConnection, keys: &Keys) -> QueryResult<Option<u64>> {
    let now = now();
    let since = now - WINDOW;
    let mut wait = Duration::ZERO;
    for (key, limit) in [(&keys.account, ACCOUNT_LIMIT), (&keys.ip, IP_LIMIT)] {
        // Locked until the limit-th newest failure leaves the window.
        if let Some(at) = login_failure::nth_newest_since(conn, key, since, limit)? {
            wait = wait.max(at + WINDOW - now);
        }
    }
    Ok((wait > Duration::ZERO).then(|| wait.whole_seconds().clamp(1, 900) as u64))
}

pub fn record_failure(conn: &mut DbConnection, keys: &Keys) -> QueryResult<()> {
    login_failure::record(conn, &[&keys.account, &keys.ip], now())
}

/// A success clears only that account's counter.
pub fn clear_account(conn: &mut DbConnection, keys: &Keys) -> QueryResult<()> {
    login_failure::clear(conn, &keys.account).map(drop)
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
        assert_eq!(Keys::new("a", None, "1.2.3.4").ip, "ip:1.2.3.4");
    }

    #[test]
    fn waits_are_told_in_whole_minutes_rounded_up() {
        assert_eq!(
            (minutes(1), minutes(60), minutes(61), minutes(900)),
            (1, 1, 2, 15)
        );
    }
}
