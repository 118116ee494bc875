//! Two-factor authentication pages (SPEC §10): setting it up from `/account`, the
//! recovery codes, renewing them, turning it off, and the second log-in step.
//!
//! The account page shows [`summary`] through templates/account/two_factor.html.

pub mod confirm;
pub mod disable;
pub mod login_step;
pub mod recovery;
pub mod setup;
pub mod show;

use serde::Serialize;

use crate::db::models::{recovery_code, two_factor};
use crate::db::DbConnection;

/// What the account page says about two-factor authentication.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub enabled: bool,
    /// Unused recovery codes (0 while it is off).
    pub codes_left: i64,
}

/// The account's two-factor state, for the account page.
pub fn summary(conn: &mut DbConnection, user_id: i64) -> diesel::QueryResult<Summary> {
    let enabled = two_factor::find(conn, user_id)?.is_some_and(|s| s.is_on());
    let codes_left = if enabled {
        recovery_code::count_unused(conn, user_id)?
    } else {
        0
    };
    Ok(Summary {
        enabled,
        codes_left,
    })
}
