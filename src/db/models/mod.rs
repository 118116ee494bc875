//! One file per table: the row structs and the queries on that table.

pub mod login_failure;
pub mod outbox;
pub mod password_reset;
pub mod recovery_code;
pub mod session;
pub mod todo;
pub mod two_factor;
pub mod user;

use time::{OffsetDateTime, PrimitiveDateTime};

/// The current time in UTC, as every `Timestamp` column stores it.
pub fn now() -> PrimitiveDateTime {
    let now = OffsetDateTime::now_utc();
    PrimitiveDateTime::new(now.date(), now.time())
}
