//! The light/dark theme: a cookie for every visitor, saved on the account when logged in.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::HttpRequest;
use serde::Serialize;

const COOKIE: &str = "tickbox_theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl Theme {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    /// The visitor's theme, from its cookie.
    pub fn of(req: &HttpRequest) -> Self {
        req.cookie(COOKIE)
            .and_then(|c| Self::parse(c.value()))
            .unwrap_or_default()
    }

    /// The cookie that remembers it for a year (Secure is added by the cookie policy).
    pub fn cookie(self) -> Cookie<'static> {
        Cookie::build(COOKIE, self.as_str())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::days(365))
            .finish()
    }
}
