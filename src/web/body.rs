//! The body limit (SPEC §2): a body over 65,536 bytes, by `Content-Length` or as it
//! arrives (chunked), answers 413 before anything reads it.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::HttpMessage;
use futures_util::StreamExt;

use crate::error::AppError;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 65_536;

/// Middleware: reads the body of every unsafe method whole, within the limit, and
/// hands it on buffered (the CSRF check reads it next, then the handler).
pub async fn limit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    match read_bounded(&mut req).await {
        Ok(body) => {
            req.set_payload(body.into());
            Ok(next.call(req).await?.map_into_left_body())
        }
        // An error response (not `Err`), so the layers outside still see the request.
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

async fn read_bounded(req: &mut ServiceRequest) -> Result<Bytes, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(AppError::PayloadTooLarge);
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
