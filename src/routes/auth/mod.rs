//! Sign-up, log-in and log-out pages.

pub mod login;
pub mod logout;
pub mod register;

use actix_identity::Identity;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::session_state::{LoginDetails, TypedSession};
use crate::web::client::ClientInfo;
use crate::web::theme::Theme;

/// Who is logging in: the account, and the version of the password that was checked.
pub struct Account<'a> {
    pub id: i64,
    pub username: &'a str,
    pub password_version: i64,
}

/// Flask-Login's `login_user`: attach the user to a fresh session (the id changes, so a
/// planted session id is useless), with a new CSRF token and the account's theme.
pub fn login_user(req: &HttpRequest, user: Account<'_>, remember: bool) -> Result<(), AppError> {
    Identity::login(&req.extensions(), user.id.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    TypedSession::of(req).record_login(&LoginDetails {
        username: user.username,
        password_version: user.password_version,
        remember,
        client_ip: ClientInfo::of(req).ip_text(),
        user_agent,
    })
}

/// 303 See Other to `location`, setting the theme cookie when given.
pub fn see_other(location: &str, theme: Option<Theme>) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, location));
    if let Some(theme) = theme {
        res.cookie(theme.cookie());
    }
    res.finish()
}

/// `?next=…` for links between the log-in and sign-up pages, so `next` survives.
pub fn next_query(next: &str) -> String {
    if next.is_empty() {
        return String::new();
    }
    let encoded = percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
    format!("?next={encoded}")
}
