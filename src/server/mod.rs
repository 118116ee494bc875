//! The HTTP/1 server: actix-server and actix-http assembled here instead of through
//! actix-web's `HttpServer`, so that every connection passes through
//! [`connection::Guarded`] (a head deadline on every request, a stop that answers
//! what was already sent) and `Expect: 100-continue` is judged before `100 Continue`.
//!
//! TLS, HTTP/2 and compression are the reverse proxy's job (README, Deploying).

mod client_mistakes;
pub mod connection;

pub use client_mistakes::HideClientMistakes;

use std::fmt;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_http::body::BoxBody;
use actix_http::{body::MessageBody, HttpService, KeepAlive, Request, Response, StatusCode};
use actix_service::{map_config, IntoServiceFactory, ServiceFactory, ServiceFactoryExt};
use actix_web::dev::{fn_service, AppConfig, Server, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::rt::net::TcpStream;

use connection::{Guarded, Phase, Stopping};

/// Idle keep-alive connections close after this (SPEC §2: within 15 s).
const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Every request head must arrive whole within this, counted from its first byte.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing connection may take to say goodbye (e.g. after a 413).
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Requests in flight at a stop get this long to finish.
const SHUTDOWN_TIMEOUT_SECS: u64 = 30;

/// What the server needs besides the application.
pub struct Options {
    /// Bodies larger than this are refused (413), before `100 Continue` is sent.
    pub max_body_bytes: usize,
}

/// Serves `app` on `listener` until SIGTERM or SIGINT (both graceful, SPEC §2).
pub fn serve<F, I, S, B>(listener: TcpListener, options: Options, app: F) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error>,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>>,
    B: MessageBody + 'static,
{
    let stopping = Arc::new(Stopping::default());
    let signal = {
        let stopping = Arc::clone(&stopping);
        async move {
            wait_for_stop_signal().await;
            tracing::info!("stopping: finishing requests in flight");
            stopping.begin();
        }
    };
    let local = listener.local_addr()?;
    let max_body = options.max_body_bytes;
    Ok(Server::build()
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .shutdown_signal(signal)
        .listen("tickbox", listener, move || {
            let stopping = Arc::clone(&stopping);
            let accept = fn_service(move |io: TcpStream| {
                let peer = io.peer_addr().ok();
                let _ = io.set_nodelay(true);
                let guarded = Guarded::new(io, Arc::clone(&stopping), HEAD_TIMEOUT);
                std::future::ready(Ok::<_, actix_http::error::DispatchError>((guarded, peer)))
            });
            let app = app().into_factory().map_err(|e| e.into().error_response());
            let http = HttpService::build()
                .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
                .client_request_timeout(HEAD_TIMEOUT)
                .client_disconnect_timeout(DISCONNECT_TIMEOUT)
                .local_addr(local)
                .expect(fn_service(move |req: Request| {
                    std::future::ready(refuse_large_bodies(req, max_body))
                }))
                .on_connect_ext(|io: &Guarded<TcpStream>, data| {
                    data.insert(io.phase());
                })
                .h1(map_config(app, |_| AppConfig::default()));
            accept.and_then(http)
        })?
        .run())
}

/// SIGTERM and SIGINT alike start the graceful stop.
async fn wait_for_stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            tracing::error!("cannot listen for SIGTERM/SIGINT; stop the server with SIGKILL");
            std::future::pending::<()>().await;
        }
    }
}

/// The `Expect: 100-continue` check: an announced body over the limit gets its 413
/// at once instead of `100 Continue` followed by the 413.
fn refuse_large_bodies(req: Request, max: usize) -> Result<Request, Response<BoxBody>> {
    let declared = req
        .head()
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        let res = Response::build(StatusCode::PAYLOAD_TOO_LARGE)
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .insert_header((header::CONNECTION, "close"))
            .body("Request body too large.\n");
        return Err(res.map_into_boxed_body());
    }
    Ok(req)
}

/// Outermost middleware: tells the connection guard where its request is, and closes
/// the connection after the response once the server is stopping.
pub async fn track_request(
    req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let phase = req.conn_data::<Arc<Phase>>().cloned();
    if let Some(phase) = &phase {
        phase.begin_request();
    }
    let mut res = next.call(req).await;
    if let Some(phase) = phase {
        phase.end_request();
        if let (true, Ok(res)) = (phase.stopping(), res.as_mut()) {
            res.response_mut()
                .head_mut()
                .set_connection_type(actix_http::ConnectionType::Close);
        }
    }
    res
}
