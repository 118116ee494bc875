//! Request bodies are read whole, within limits, before anything else looks at the
//! request: before the session is loaded, so a session that ends while a slow body
//! is still arriving is seen as ended (SPEC §2), and before the CSRF check, which
//! reads the token from it.

use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, HttpRequest};
use futures_util::StreamExt;

use crate::error::AppError;

/// Largest request body accepted (SPEC §2).
pub const MAX_BODY_BYTES: usize = 65_536;
/// A body must arrive whole within this, counted from the end of its head.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The request's body, as read (the payload is set again for the extractors).
#[derive(Clone)]
pub struct Body(pub Bytes);

impl Body {
    pub fn of(req: &HttpRequest) -> Bytes {
        req.extensions()
            .get::<Body>()
            .map(|b| b.0.clone())
            .unwrap_or_default()
    }
}

/// Middleware: every request with a body has it read whole (413 over the limit, 408
/// when it takes too long) before it is passed on.
pub async fn read_whole(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let read = match actix_web::rt::time::timeout(BODY_TIMEOUT, read(&mut req)).await {
        Ok(read) => read,
        Err(_) => Err(AppError::RequestTimeout),
    };
    match read {
        Ok(body) => {
            req.extensions_mut().insert(Body(body.clone()));
            req.set_payload(body.into());
            Ok(next.call(req).await?.map_into_left_body())
        }
        // A response (not `Err`), so the layers outside still see the request.
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

async fn read(req: &mut ServiceRequest) -> Result<Bytes, AppError> {
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
