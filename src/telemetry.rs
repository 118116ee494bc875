//! Logging and request telemetry: tracing to stderr as text or JSON (`LOG_FORMAT`),
//! and for every request an id, one log line and its metrics (SPEC §11).

use std::io::IsTerminal;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, TrustedProxies};
use crate::monitoring::{Metrics, UNMATCHED};
use crate::server::HideClientMistakes;
use crate::web::client::ClientInfo;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `RUST_LOG` (default `info`) filters; output goes to stderr, one event a line.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // A second init (tests start many apps in one process) is harmless.
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .finish()
            .with(HideClientMistakes)
            .try_init(),
        LogFormat::Json => {
            // A panic's message would otherwise be the one line that is not JSON.
            std::panic::set_hook(Box::new(|info| tracing::error!(panic = %info, "panic")));
            // Event fields at the top level; the request's span (its `request_id`)
            // under "span" on every line written while the request runs.
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .finish()
                .with(HideClientMistakes)
                .try_init()
        }
    };
}

/// A command's failure, as the last line: plain, or JSON like every other line.
pub fn report_failure(format: LogFormat, error: &anyhow::Error) {
    match format {
        LogFormat::Text => eprintln!("tickbox: {error:#}"),
        LogFormat::Json => tracing::error!(error = format!("{error:#}"), "tickbox failed"),
    }
}

/// The request's id: a trusted proxy's `X-Request-Id` when well-formed, else a new
/// UUID. It is not a secret, so it may go into logs and the response.
#[derive(Clone, Debug)]
pub struct RequestId(HeaderValue);

impl RequestId {
    pub fn choose(
        peer: Option<IpAddr>,
        given: Option<&HeaderValue>,
        trusted: &TrustedProxies,
    ) -> Self {
        let from_proxy = peer.is_some_and(|p| trusted.contains(p));
        match given {
            Some(id) if from_proxy && well_formed(id.as_bytes()) => Self(id.clone()),
            _ => Self::new(),
        }
    }

    /// A random (version 4) UUID from the thread's RNG: no system call per request,
    /// unlike `Uuid::new_v4`.
    fn new() -> Self {
        let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut buf = uuid::Uuid::encode_buffer();
        let text = uuid.hyphenated().encode_lower(&mut buf);
        Self(HeaderValue::from_str(text).expect("a UUID is a valid header value"))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII gets in (`well_formed`, or a UUID).
        self.0.to_str().unwrap_or_default()
    }
}

/// 1–128 characters of `[A-Za-z0-9._:-]` (SPEC §11).
fn well_formed(id: &[u8]) -> bool {
    (1..=128).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Outer middleware: gives the request its id (a tracing span around the request, so
/// every line it causes carries it, and `X-Request-Id` on the response), then writes
/// its one line and counts it.
///
/// The line shows the route pattern, never the path: a path can carry a token (a
/// password-reset link), the query a search, and neither belongs in a log.
pub async fn observe(
    trusted: Arc<TrustedProxies>,
    metrics: Metrics,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let peer = req.peer_addr().map(|a| a.ip());
    let id = RequestId::choose(peer, req.headers().get(X_REQUEST_ID), &trusted);
    let method = req.method().clone();
    // At ERROR level, so the span is on whenever anything is logged (RUST_LOG=warn
    // too): the id must reach every line the request causes. `%`: text lines show
    // the value bare (`request_id=…`), JSON as a string either way.
    let span = tracing::error_span!("request", request_id = %id.as_str());
    let res = next.call(req).instrument(span).await;
    let took = start.elapsed();
    let duration_ms = (took.as_secs_f64() * 10_000.0).round() / 10.0;
    match res {
        Ok(mut res) => {
            res.headers_mut().insert(X_REQUEST_ID, id.0.clone());
            let status = res.status();
            // The pattern of the resource that answered; an actix default service
            // (unknown path) has none.
            let pattern = res.request().match_pattern();
            let route = pattern.as_deref().unwrap_or(UNMATCHED);
            let client = ClientInfo::of(res.request()).ip_text();
            tracing::info!(
                request_id = %id.as_str(),
                method = %method,
                route = %route,
                status = status.as_u16(),
                duration_ms,
                client = %client,
                "request"
            );
            metrics.request(route, &method, status, took);
            Ok(res)
        }
        Err(e) => {
            // A layer failed before or after routing (the session store, say): the
            // request is gone with it, and so is its route.
            let mut response = e.error_response();
            response.headers_mut().insert(X_REQUEST_ID, id.0.clone());
            let status = response.status();
            tracing::warn!(
                request_id = %id.as_str(),
                method = %method,
                route = %UNMATCHED,
                status = status.as_u16(),
                duration_ms,
                error = %e,
                "request failed"
            );
            metrics.request(UNMATCHED, &method, status, took);
            Err(InternalError::from_response(e, response).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trusted_proxys_well_formed_id_is_kept_and_anything_else_replaced() {
        let trusted = TrustedProxies::parse("10.0.0.1").unwrap();
        let proxy = Some("10.0.0.1".parse().unwrap());
        let stranger = Some("203.0.113.5".parse().unwrap());
        let id = |peer, v: &str| {
            RequestId::choose(peer, Some(&HeaderValue::from_str(v).unwrap()), &trusted)
                .as_str()
                .to_owned()
        };
        assert_eq!(id(proxy, "req-1.a_b:c"), "req-1.a_b:c");
        let longest = "x".repeat(128);
        assert_eq!(id(proxy, &longest), longest);
        for bad in ["", "has space", "semi;colon", &"x".repeat(129), "é"] {
            let Ok(value) = HeaderValue::from_str(bad) else {
                continue;
            };
            let chosen = RequestId::choose(proxy, Some(&value), &trusted);
            assert_ne!(chosen.as_str(), bad);
            let uuid = uuid::Uuid::parse_str(chosen.as_str()).unwrap();
            assert_eq!(uuid.get_version_num(), 4, "{bad:?}");
        }
        assert!(uuid::Uuid::parse_str(&id(stranger, "req-1")).is_ok());
        let fresh = RequestId::choose(proxy, None, &trusted);
        assert!(uuid::Uuid::parse_str(fresh.as_str()).is_ok());
    }
}
