//! Builds the application: secret key, pool, migrations, templates, and the HTTP server
//! with its middleware stack. Binding a `TcpListener` first lets tests use port 0.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_session::config::BrowserSession;
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App};
use anyhow::Context;
use rand::RngCore;

use crate::auth::two_factor::SecretCipher;
use crate::auth::{guard, password::Hasher, session_store::DbSessionStore};
use crate::config::{Config, CookieSecure, DatabaseUrl};
use crate::db::{self, models, DbPool};
use crate::error::AppError;
use crate::mail::{sender::Sender, transport::Mailer, MailHandle};
use crate::monitoring::{Metrics, Sample};
use crate::session_state;
use crate::state::AppState;
use crate::web::{body, client, cookies, error_pages, flash, headers};
use crate::{routes, server, telemetry, templates};

pub struct Application {
    server: Server,
    port: u16,
    metrics_port: Option<u16>,
    pool: DbPool,
    metrics: Metrics,
    /// The mail sender, started with the server (mail on only).
    sender: Option<Sender>,
}

impl Application {
    /// Binds `config.bind` and builds everything; migrations are applied first.
    pub fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        Self::build_with_listener(config, listener)
    }

    /// Binds `METRICS_BIND`, when set, for the metrics listener.
    fn bind_metrics(config: &Config) -> anyhow::Result<Option<TcpListener>> {
        config
            .metrics_bind
            .map(|addr| {
                TcpListener::bind(addr)
                    .with_context(|| format!("cannot listen on {addr} (METRICS_BIND)"))
            })
            .transpose()
    }

    pub fn build_with_listener(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let secret = secret_key(&config)?;
        let key = Key::from(&secret);
        // Before the pool opens connections: SQLite's switch to WAL wants the file alone.
        db::migrations::apply(&config.database_url)?;
        let pool = db::build_pool(&config.database_url, config.pool_size);
        let templates = templates::build().map_err(|e| anyhow::anyhow!("templates: {e:?}"))?;
        let port = listener.local_addr()?.port();
        let metrics_listener = Self::bind_metrics(&config)?;
        let metrics_port = match &metrics_listener {
            Some(l) => Some(l.local_addr()?.port()),
            None => None,
        };
        let metrics = match metrics_listener {
            Some(_) => Metrics::enabled(),
            None => Metrics::default(),
        };
        let mail = config.mail.clone().map(MailHandle::new);
        let sender = match &mail {
            Some(handle) => Some(Sender {
                pool: pool.clone(),
                mailer: Mailer::new(&handle.settings).context("SMTP_URL")?,
                settings: handle.settings.clone(),
                wake: handle.wake_signal(),
                metrics: metrics.clone(),
            }),
            None => None,
        };
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            templates,
            hasher: Hasher::new(config.bcrypt_cost),
            metrics: metrics.clone(),
            secrets: SecretCipher::derive(&secret),
            config,
            mail,
        });
        let scrape = metrics_listener.map(|l| (l, scrape(&state)));
        let server = serve(listener, scrape, state, key)?;
        Ok(Self {
            server,
            port,
            metrics_port,
            pool,
            metrics,
            sender,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when `METRICS_BIND` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Serves until SIGTERM/SIGINT, then finishes in-flight requests (up to 30 s).
    /// The purge of expired rows and the mail sender run beside it and stop with it
    /// (the sender finishes the mail in hand; what is still due waits in the outbox).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let purger = tokio::spawn(purge_regularly(self.pool));
        let upkeep = tokio::spawn(self.metrics.upkeep_regularly());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let sender = self.sender.map(|s| tokio::spawn(s.run(stopped)));
        let served = self.server.await;
        purger.abort();
        upkeep.abort();
        let _ = stop.send(true);
        if let Some(sender) = sender {
            if tokio::time::timeout(SENDER_STOP, sender).await.is_err() {
                tracing::warn!("the mail sender did not stop in time; its mail stays due");
            }
        }
        served
    }
}

/// The HTTP server. Each request passes the middleware from the last `wrap` inwards:
/// the connection guard's note, the request id (its log line and metrics on the way
/// back), security headers, client address, cookie policy, error pages, the whole
/// body (read before the session, `web::body`); then, for the pages, the request's
/// database scope, the list's reads asked to ride along with the session load,
/// session, identity, the remember-me note, no-store, the user and its session's
/// latest address; then routing (405 for a wrong method), and on the route the CSRF check and, where
/// required, the log-in check.
fn serve(
    listener: TcpListener,
    metrics: Option<(TcpListener, server::Scrape)>,
    state: web::Data<AppState>,
    key: Key,
) -> std::io::Result<Server> {
    let cookie_secure = state.config.cookie_secure;
    let trusted_proxies = Arc::new(state.config.trusted_proxies.clone());
    let options = server::Options {
        max_body_bytes: body::MAX_BODY_BYTES,
        blocking_threads: server::blocking_threads(state.config.pool_size),
        metrics,
    };
    server::serve(listener, options, move || {
        let session = session_middleware(&state.pool, &key, cookie_secure);
        let flash_key = key.clone();
        let (trusted_proxies, pages_state) = (Arc::clone(&trusted_proxies), state.clone());
        let (observed_proxies, metrics) = (Arc::clone(&trusted_proxies), state.metrics.clone());
        App::new()
            .app_data(state.clone())
            .app_data(form_config())
            .app_data(path_config())
            .configure(routes::configure_sessionless)
            .service(
                web::scope("")
                    .configure(routes::configure_pages)
                    .default_service(web::to(routes::not_found))
                    .wrap(from_fn(client::note_session_address))
                    .wrap(from_fn(guard::resolve_user))
                    .wrap(from_fn(headers::no_store_for_users))
                    .wrap(from_fn(cookies::note_remembered))
                    .wrap(session_state::identity_middleware())
                    .wrap(session)
                    .wrap(from_fn(routes::read_list_with_session))
                    .wrap(from_fn(db::request::hold_connection))
                    .wrap(from_fn(move |req, next| {
                        let name = cookies::flash_cookie_name(cookie_secure);
                        flash::carry(flash_key.clone(), name, req, next)
                    })),
            )
            .wrap(from_fn(body::read_whole))
            .wrap(from_fn(move |req, next| {
                error_pages::render(pages_state.clone(), req, next)
            }))
            .wrap(from_fn(move |req, next| {
                cookies::policy(cookie_secure, req, next)
            }))
            .wrap(from_fn(move |req, next| {
                client::attach(Arc::clone(&trusted_proxies), req, next)
            }))
            .wrap(headers::security())
            .wrap(from_fn(move |req, next| {
                telemetry::observe(Arc::clone(&observed_proxies), metrics.clone(), req, next)
            }))
            .wrap(from_fn(server::track_request))
    })
}

/// What `/metrics` shows: the recorded series, with the pool and hashing queue read
/// at the moment of the scrape.
fn scrape(state: &web::Data<AppState>) -> server::Scrape {
    let state = state.clone();
    Arc::new(move || {
        let pool = state.pool.state();
        state.metrics.render(Sample {
            pool_connections: pool.connections,
            pool_idle: pool.idle_connections,
            hashes_waiting: state.hasher.waiting(),
        })
    })
}

/// actix-session on our database store, with the cookie of SPEC §3.
fn session_middleware(
    pool: &DbPool,
    key: &Key,
    secure: CookieSecure,
) -> SessionMiddleware<DbSessionStore> {
    SessionMiddleware::builder(DbSessionStore::new(pool.clone()), key.clone())
        .cookie_name(cookies::session_cookie_name(secure).to_owned())
        // `cookies::policy` decides Secure for every cookie, this one too.
        .cookie_secure(false)
        .cookie_same_site(SameSite::Lax)
        .cookie_http_only(true)
        .cookie_path("/".to_owned())
        .cookie_domain(None)
        .session_lifecycle(BrowserSession::default())
        .build()
}

/// A path segment that does not parse (`/todos/abc/edit`) names no page: the HTML
/// 404, never the parser's message.
fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into())
}

fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(body::MAX_BODY_BYTES)
        .error_handler(|e, _| AppError::BadRequest(e.to_string()).into())
}

/// The secret the cookie key and the two-factor key derive from: `SECRET_KEY`, or for
/// SQLite one generated once and kept beside the database file.
fn secret_key(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.secret_key {
        return Ok(secret.clone());
    }
    let DatabaseUrl::Sqlite(db_path) = &config.database_url else {
        anyhow::bail!("SECRET_KEY is required with PostgreSQL");
    };
    let path = Config::generated_key_path(db_path);
    if let Ok(existing) = std::fs::read(&path) {
        if existing.len() >= crate::config::MIN_SECRET_KEY_BYTES {
            tracing::warn!(file = %path.display(), "SECRET_KEY is not set; using the generated key file");
            return Ok(existing);
        }
    }
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tracing::warn!(file = %path.display(), "SECRET_KEY is not set; generated one and saved it");
    Ok(text.into_bytes())
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data)
}

/// How long a stopping server waits for the mail in hand (the SMTP timeout).
const SENDER_STOP: Duration = Duration::from_secs(30);

/// Deletes expired sessions, old log-in failures, finished outbox rows (after a day:
/// reset requests count for an hour) and dead reset links every few minutes.
async fn purge_regularly(pool: DbPool) {
    const EVERY: Duration = Duration::from_secs(300);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
    loop {
        ticks.tick().await;
        let purged = db::run(&pool, |c| {
            let now = models::now();
            models::session::purge_expired(c, now)?;
            models::outbox::purge_finished_before(c, now - time::Duration::days(1))?;
            models::password_reset::purge_expired(c, now)?;
            Ok(models::login_failure::purge_before(
                c,
                now - crate::auth::throttle::WINDOW,
            )?)
        })
        .await;
        if let Err(e) = purged {
            tracing::warn!(error = %e, "purging expired sessions failed");
        }
    }
}
