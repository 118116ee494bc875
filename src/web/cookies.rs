//! The cookie policy, applied to every `Set-Cookie` on the way out:
//! `Secure` per `COOKIE_SECURE` (with `auto`, when the browser used https), and a
//! 30-day lifetime for a remembered session cookie.
//!
//! actix-session 0.11 has one global cookie lifetime and a fixed `Secure` flag, so a
//! per-request decision has to rewrite the header it wrote.

use actix_web::body::MessageBody;
use actix_web::cookie::{time::Duration, Cookie};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;

use crate::auth::guard::Remembered;
use crate::auth::session_store::REMEMBER_FOR;
use crate::config::CookieSecure;
use crate::state::State;
use crate::web::client::ClientInfo;

/// The session cookie's name for a given setting (SPEC §3).
pub fn session_cookie_name(secure: CookieSecure) -> &'static str {
    match secure {
        CookieSecure::Always => "__Host-tickbox_session",
        _ => "tickbox_session",
    }
}

/// Outer middleware: resolves the client, then rewrites the response's cookies.
pub async fn policy(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<State>().cloned();
    let Some(state) = state else {
        return next.call(req).await;
    };
    let client = ClientInfo::attach(&req, &state.config.trusted_proxies);
    let mut res = next.call(req).await?;
    let secure = match state.config.cookie_secure {
        CookieSecure::Auto => client.https,
        CookieSecure::Always => true,
        CookieSecure::Never => false,
    };
    let remembered = res.response().extensions().get::<Remembered>().is_some();
    let session_name = session_cookie_name(state.config.cookie_secure);
    let headers = res.headers_mut();
    let rewritten: Vec<HeaderValue> = headers
        .get_all(SET_COOKIE)
        .filter_map(|value| {
            let mut cookie = Cookie::parse(value.to_str().ok()?.to_owned()).ok()?;
            cookie.set_secure(secure);
            let removal = cookie.max_age() == Some(Duration::ZERO);
            if cookie.name() == session_name && !removal && remembered {
                cookie.set_max_age(REMEMBER_FOR);
            }
            // `parse` keeps the value as written, so it is written back unchanged.
            HeaderValue::from_str(&cookie.to_string()).ok()
        })
        .collect();
    if !rewritten.is_empty() {
        headers.remove(SET_COOKIE);
        for value in rewritten {
            headers.append(SET_COOKIE, value);
        }
    }
    Ok(res)
}
