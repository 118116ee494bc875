//! Authentication: passwords, server-side sessions, `login_required`, CSRF, throttling.

pub mod csrf;
pub mod guard;
pub mod next_url;
pub mod password;
pub mod reset_requests;
pub mod reset_token;
pub mod session_store;
pub mod throttle;
pub mod validation;
