//! CSRF protection: a token tied to the session, checked on every POST route before
//! its handler runs, and after the method has been matched (SPEC §2: method, then
//! CSRF, then log-in). The body has already been read whole by [`super::body`].

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use super::body::Body;
use crate::error::{AppError, CsrfFailure};
use crate::session_state::TypedSession;

/// The form field.
pub const FIELD: &str = "csrf_token";

/// Route middleware: the submitted token must be the session's.
pub async fn protect(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let submitted = form_token(&Body::of(req.request()));
    let expected = TypedSession::of(&req).current_csrf_token();
    match check(submitted.as_deref(), expected.as_deref()) {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        // A response (not `Err`), so the layers outside still see the request.
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

fn check(submitted: Option<&str>, expected: Option<&str>) -> Result<(), AppError> {
    match (submitted, expected) {
        (Some(s), Some(e)) if constant_time_eq(s.as_bytes(), e.as_bytes()) => Ok(()),
        // A token from a session that no longer exists: the form went stale.
        (Some(s), None) if !s.is_empty() => Err(AppError::Csrf(CsrfFailure::StaleForm)),
        _ => Err(AppError::Csrf(CsrfFailure::Invalid)),
    }
}

fn form_token(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sessions_own_token_passes() {
        assert!(check(Some("abc"), Some("abc")).is_ok());
        assert!(matches!(
            check(Some("abd"), Some("abc")),
            Err(AppError::Csrf(CsrfFailure::Invalid))
        ));
        assert!(matches!(
            check(None, Some("abc")),
            Err(AppError::Csrf(CsrfFailure::Invalid))
        ));
        assert!(matches!(
            check(Some(""), None),
            Err(AppError::Csrf(CsrfFailure::Invalid))
        ));
        assert!(matches!(
            check(Some("abc"), None),
            Err(AppError::Csrf(CsrfFailure::StaleForm))
        ));
    }

    #[test]
    fn the_token_is_found_in_a_urlencoded_form() {
        assert_eq!(
            form_token(b"title=x&csrf_token=a%2Bb").as_deref(),
            Some("a+b")
        );
        assert_eq!(form_token(b"title=x"), None);
    }
}
