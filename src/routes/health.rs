//! Liveness and readiness probes.

use actix_web::HttpResponse;

use crate::db;
use crate::state::State;

/// 200 while the process runs.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// 200 when the database answers, else 503.
pub async fn readyz(state: State) -> HttpResponse {
    match db::request::ping(&state.pool).await {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready"),
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("unavailable"),
    }
}
