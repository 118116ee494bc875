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
    /// Threads in each worker's blocking pool, where the database queries run: about
    /// the connection pool's size over the workers ([`blocking_threads`]).
    pub blocking_threads: usize,
    /// A second listener that answers only `GET /metrics` (`METRICS_BIND`), started
    /// and stopped with the application's.
    pub metrics: Option<(TcpListener, Scrape)>,
}

/// One actix worker (a single-threaded runtime) per core.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Blocking threads per worker for a pool of `pool_size` connections: its share of
/// the pool, rounded up. More threads than connections would only queue on the pool's
/// lock, each wake-up a context switch (PERFORMANCE.md: the default of 256 a worker
/// cost more than a third of the throughput); the queries wait in tokio's queue instead.
pub fn blocking_threads(pool_size: u32) -> usize {
    (pool_size as usize).div_ceil(workers()).max(1)
}

/// Renders the metrics exposition for one scrape.
pub type Scrape = Arc<dyn Fn() -> String + Send + Sync>;

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
    let mut builder = Server::build()
        .workers(workers())
        .worker_max_blocking_threads(options.blocking_threads)
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .shutdown_signal(signal);
    if let Some((listener, scrape)) = options.metrics {
        let stopping = Arc::clone(&stopping);
        builder = builder.listen("metrics", listener, move || {
            metrics_service(Arc::clone(&stopping), Arc::clone(&scrape))
        })?;
    }
    Ok(builder
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

/// The metrics listener: `GET /metrics` and nothing else, on guarded connections
/// like the application's (head deadline, idle ones closed at the stop).
fn metrics_service(
    stopping: Arc<Stopping>,
    scrape: Scrape,
) -> impl ServiceFactory<TcpStream, Config = (), Response = (), Error = (), InitError = ()> {
    let accept = fn_service(move |io: TcpStream| {
        let guarded = Guarded::new(io, Arc::clone(&stopping), HEAD_TIMEOUT);
        std::future::ready(Ok::<_, ()>((guarded, None)))
    });
    let http = HttpService::build()
        .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
        .client_request_timeout(HEAD_TIMEOUT)
        .client_disconnect_timeout(DISCONNECT_TIMEOUT)
        .on_connect_ext(|io: &Guarded<TcpStream>, data| {
            data.insert(io.phase());
        })
        .h1(fn_service(move |req: Request| {
            let phase = req.conn_data::<Arc<Phase>>().cloned();
            if let Some(phase) = &phase {
                phase.begin_request();
            }
            let mut res = scrape_response(&req, &scrape);
            if let Some(phase) = phase {
                phase.end_request();
                if phase.stopping() {
                    res.head_mut()
                        .set_connection_type(actix_http::ConnectionType::Close);
                }
            }
            std::future::ready(Ok::<_, std::convert::Infallible>(res))
        }))
        .map_err(|_| ());
    accept.and_then(http)
}

fn scrape_response(req: &Request, scrape: &Scrape) -> Response<BoxBody> {
    let text = |status, body: &'static str| {
        Response::build(status)
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body(body)
            .map_into_boxed_body()
    };
    if req.path() != "/metrics" {
        return text(
            StatusCode::NOT_FOUND,
            "Not found: metrics are at /metrics.\n",
        );
    }
    let method = req.method();
    if method != actix_http::Method::GET && method != actix_http::Method::HEAD {
        let mut res = text(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.\n");
        res.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    Response::build(StatusCode::OK)
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(scrape())
        .map_into_boxed_body()
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
