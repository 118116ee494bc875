//! Authentication: passwords, server-side sessions, `login_required`, throttling.

pub mod guard;
pub mod next_url;
pub mod password;
pub mod reset_requests;
pub mod reset_token;
pub mod session_store;
pub mod throttle;
pub mod two_factor;
pub mod validation;
