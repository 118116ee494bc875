//! Security headers for every response, and the 405 answer with its `Allow` header.

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::HttpResponse;

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
