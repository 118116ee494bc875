//! Logging: tracing to stderr, one line per request.

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

use crate::web::client::ClientInfo;

/// `RUST_LOG` (default `info`) filters; output goes to stderr.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests start many apps in one process) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// The path as logged: a reset link's token is secret (SPEC §11), so its segment
/// is replaced by the route's placeholder.
pub fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/password/reset/") {
        Some(_) => "/password/reset/{token}".to_owned(),
        None => path.to_owned(),
    }
}

/// One line per request: method, path (never the query, cookies or body), status,
/// latency and client address. Written by hand because tracing-actix-web's spans log
/// more than we want and need a second crate to print one line.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = req.method().clone();
    let path = loggable_path(req.path());
    let res = next.call(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    match &res {
        Ok(res) => {
            let client = ClientInfo::of(res.request()).ip_text();
            tracing::info!(%method, %path, status = res.status().as_u16(), ms = format!("{ms:.1}"), %client, "request");
        }
        Err(e) => {
            tracing::warn!(%method, %path, error = %e, ms = format!("{ms:.1}"), "request failed")
        }
    }
    res
}
