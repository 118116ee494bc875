//! The cookie policy, applied to every `Set-Cookie` on the way out: `Secure` per
//! `COOKIE_SECURE` (with `auto`, when the browser used https), and a 30-day lifetime
//! for a remembered session cookie. This is the one place that decides `Secure`:
//! actix-session is told never to set it.
//!
//! actix-session 0.11 has one global cookie lifetime and a fixed `Secure` flag, so a
//! per-request decision has to rewrite the header it wrote.

use actix_web::body::MessageBody;
use actix_web::cookie::{time::Duration, Cookie};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderMap, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE, VARY,
};
use actix_web::middleware::Next;

use crate::auth::session_store::REMEMBER_FOR;
use crate::config::CookieSecure;
use crate::session_state::TypedSession;
use crate::web::client::ClientInfo;

/// The session cookie's name for a given setting (SPEC §3).
pub fn session_cookie_name(secure: CookieSecure) -> &'static str {
    match secure {
        CookieSecure::Always => "__Host-tickbox_session",
        _ => "tickbox_session",
    }
}

/// The flash messages' cookie (`web::flash`), named like the session's.
pub fn flash_cookie_name(secure: CookieSecure) -> &'static str {
    match secure {
        CookieSecure::Always => "__Host-tickbox_flash",
        _ => "tickbox_flash",
    }
}

/// Marks a response whose session is remembered. Set inside the session layer, which
/// empties the session's state when it saves it, and read outside it by [`policy`].
#[derive(Debug, Clone, Copy)]
struct Remembered;

/// Middleware inside the session layer: notes whether the session is remembered.
pub async fn note_remembered(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if TypedSession::of(res.request()).is_remembered() {
        res.response_mut().extensions_mut().insert(Remembered);
    }
    Ok(res)
}

/// Outer middleware (inside the client resolution): rewrites the response's cookies.
/// `setting` is the configuration's, given when the server is built.
pub async fn policy(
    setting: CookieSecure,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = ClientInfo::of(req.request()).https;
    let mut res = next.call(req).await?;
    let secure = match setting {
        CookieSecure::Auto => https,
        CookieSecure::Always => true,
        CookieSecure::Never => false,
    };
    let remembered = res.response().extensions().get::<Remembered>().is_some();
    let session_name = session_cookie_name(setting);
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
    let sets_cookies = !rewritten.is_empty();
    if sets_cookies {
        headers.remove(SET_COOKIE);
        for value in rewritten {
            headers.append(SET_COOKIE, value);
        }
    }
    keep_out_of_shared_caches(headers, sets_cookies);
    Ok(res)
}

/// A page depends on its visitor's cookies (session, CSRF token, theme): no shared
/// cache may keep it or hand one visitor's copy (or cookie) to another. Pages of a
/// logged-in user say `no-store` already; the others say `private`.
fn keep_out_of_shared_caches(headers: &mut HeaderMap, sets_cookies: bool) {
    let html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !(html || sets_cookies) {
        return;
    }
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private"));
    }
    let varies = headers
        .get_all(VARY)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("cookie"));
    if !varies {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
}
