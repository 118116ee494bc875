//! CSRF protection: every POST form carries the session's token (kept by
//! [`TypedSession`]), checked before any handler runs.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::HttpMessage;
use futures_util::StreamExt;

use crate::error::{AppError, CsrfFailure};
use crate::session_state::TypedSession;

/// The form field.
const FIELD: &str = "csrf_token";

/// Middleware: the CSRF check for every unsafe method, inside the body limit.
pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let verified = match read_body(&mut req).await {
        Ok(body) => {
            let submitted = form_token(&body);
            let expected = TypedSession::of(&req).current_csrf_token();
            check(submitted.as_deref(), expected.as_deref()).map(|()| body)
        }
        Err(e) => Err(e),
    };
    match verified {
        Ok(body) => {
            req.set_payload(body.into());
            Ok(next.call(req).await?.map_into_left_body())
        }
        // An error response (not `Err`), so the layers outside still see the request.
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

/// The body as the body limit (`web::body`, outside this layer) buffered it.
async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, AppError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
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
