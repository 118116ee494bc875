//! Security headers for every response, `no-store` for logged-in users' pages, and the
//! 405 answer with its `Allow` header.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::HttpResponse;

use crate::auth::guard::CurrentUser;

/// CSP without inline script or style; the pages need nothing from elsewhere.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub fn security_pairs() -> [(header::HeaderName, &'static str); 4] {
    [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ]
}

pub fn security() -> DefaultHeaders {
    security_pairs()
        .into_iter()
        .fold(DefaultHeaders::new(), |headers, pair| headers.add(pair))
}

/// A resource's default service: 405 naming the methods it does answer.
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    actix_web::web::to(move || async move {
        HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, allow))
            .finish()
    })
}

/// Middleware outside the user resolution: keeps what a logged-in user is shown out of
/// caches (SPEC §3), unless the response chose its own `Cache-Control`.
pub async fn no_store_for_users(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let logged_in = CurrentUser::of(res.request()).is_some();
    if logged_in && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}
