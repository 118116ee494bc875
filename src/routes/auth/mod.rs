//! Sign-up, log-in and log-out pages.

pub mod login;
pub mod logout;
pub mod register;

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::error::AppError;
use crate::session_state::{LoginDetails, TypedSession};
use crate::web::client::ClientInfo;

/// Who is logging in: the account, and the version of the password that was checked.
pub struct Account<'a> {
    pub id: i64,
    pub username: &'a str,
    pub password_version: i64,
}

/// Logs the user in on a fresh session, noting the client it logged in from.
pub fn login_user(req: &HttpRequest, user: Account<'_>, remember: bool) -> Result<(), AppError> {
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let details = LoginDetails {
        username: user.username,
        password_version: user.password_version,
        remember,
        client_ip: ClientInfo::of(req).ip_text(),
        user_agent,
    };
    TypedSession::log_in(req, user.id, &details)
}

/// `?next=…` on the log-in and sign-up forms.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: Option<String>,
}

/// `?next=…` for links between the log-in and sign-up pages, so `next` survives.
pub fn next_query(next: &str) -> String {
    if next.is_empty() {
        return String::new();
    }
    let encoded = percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
    format!("?next={encoded}")
}
