//! The database: one connection type over PostgreSQL and SQLite, a pool, migrations,
//! and [`run`], the single way request handlers reach a connection.

pub mod models;
pub mod schema;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

use diesel::connection::{InstrumentationEvent, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;
use crate::error::AppError;

/// A connection to whichever backend `DATABASE_URL` names; queries are written once
/// against it. Match on the variant only where SQL has to differ.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<Manager>;

/// How long a request waits for a pooled connection before answering 503.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(4);

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// A pooled connection plus whether it failed at the connection level and must
/// not be handed out again.
pub struct Conn {
    inner: DbConnection,
    broken: bool,
}

/// r2d2 manager that picks the backend by URL scheme.
///
/// Written by hand because the derived `MultiConnection::establish` tries each backend
/// in turn and loses the real error (e.g. "Connection refused").
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn connect(&self) -> Result<DbConnection, ConnectionError> {
        let mut conn = self.establish()?;
        conn.set_instrumentation(log_query);
        Ok(conn)
    }

    fn establish(&self) -> Result<DbConnection, ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConnection::Pg),
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_str().ok_or_else(|| {
                    ConnectionError::BadConnection("the SQLite path is not UTF-8".into())
                })?;
                create_private(path)?;
                let mut conn = SqliteConnection::establish(path)?;
                // Bundled SQLite has foreign keys on by default, system builds do not: be
                // explicit. A burst of writes may grow the WAL; after each checkpoint it is
                // cut back to SQLITE_WAL_LIMIT instead of keeping its largest size.
                conn.batch_execute(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA journal_size_limit = {SQLITE_WAL_LIMIT};"
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Bytes the SQLite write-ahead log is cut back to after a checkpoint.
pub const SQLITE_WAL_LIMIT: u64 = 64 * 1024 * 1024;

/// Creates the SQLite file readable by its owner only (SQLite itself follows the umask,
/// and gives its `-wal` and `-shm` files the database file's permissions).
fn create_private(path: &str) -> Result<(), ConnectionError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(ConnectionError::BadConnection(format!(
            "cannot create the SQLite file {path}: {e}"
        ))),
    }
}

/// Every statement at `RUST_LOG=tickbox::db::query=trace`: how the round trips of a
/// page are counted (bench/run.sh, PERFORMANCE.md). The SQL only: bound values carry
/// session state and tokens.
fn log_query(event: InstrumentationEvent<'_>) {
    if let InstrumentationEvent::StartQuery { query, .. } = event {
        if tracing::enabled!(target: "tickbox::db::query", tracing::Level::TRACE) {
            let text = query.to_string();
            let sql = text.split(" -- binds: ").next().unwrap_or_default();
            tracing::trace!(target: "tickbox::db::query", sql, "query");
        }
    }
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = ConnectionError;

    fn connect(&self) -> Result<Conn, ConnectionError> {
        Manager::connect(self).map(|inner| Conn {
            inner,
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), ConnectionError> {
        conn.inner
            .ping()
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || conn.inner.is_broken()
    }
}

/// Builds the pool without waiting for the database: a server started while the
/// database is down answers 503 until it comes back.
pub fn build_pool(url: &DatabaseUrl, size: u32) -> DbPool {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(CHECKOUT_TIMEOUT)
        // No ping per checkout: a connection that fails is marked broken by `run` instead.
        .test_on_check_out(false)
        .build_unchecked(Manager::new(url.clone()))
}

/// What a request holds (see [`hold_connection`]).
#[derive(Default)]
struct Held {
    conn: Option<PooledConnection<Manager>>,
    /// GET/HEAD check a connection out on their first query. Other requests use one
    /// only from [`begin_request_transaction`] on.
    lazy: bool,
    /// A transaction spanning the rest of the request is open on `conn`. (Should the
    /// connection go back to the pool with it still open, r2d2 discards it: Diesel
    /// reports a connection inside a transaction as broken.)
    transaction: bool,
}

impl Held {
    /// The held connection, checked out now if there is none yet.
    fn checkout(&mut self, pool: &DbPool) -> Result<&mut PooledConnection<Manager>, AppError> {
        match self.conn {
            Some(ref mut conn) => Ok(conn),
            None => Ok(self
                .conn
                .insert(pool.get().map_err(|e| AppError::Unavailable(e.into()))?)),
        }
    }
}

type Slot = Arc<Mutex<Held>>;

tokio::task_local! {
    static HELD: Slot;
}

/// Middleware around the session layer: the request's database context.
///
/// A GET or HEAD request checks out at most one connection, on its first query, and
/// keeps it until its response is built, so loading the session, the counts and the
/// list cost one checkout instead of one each. Other requests check out per query
/// (their body may trickle in slowly, and must not sit on a pooled connection),
/// unless a handler opens a request transaction: that is committed here, after the
/// session has been saved and before the response leaves.
pub async fn hold_connection(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let lazy = matches!(*req.method(), Method::GET | Method::HEAD);
    let slot = Slot::new(Mutex::new(Held {
        lazy,
        ..Held::default()
    }));
    let res = HELD.scope(Arc::clone(&slot), next.call(req)).await;
    let keep = res
        .as_ref()
        .is_ok_and(|res| !res.status().is_server_error());
    end_request_transaction(slot, keep).await?;
    res
}

/// Opens a transaction that spans the rest of the request: the handler's writes and
/// the session row that actix-session saves after the handler has returned. It is
/// committed before the response is sent (an unknown commit outcome answers 503) and
/// rolled back when the request fails. Registration uses it so that the account and
/// its logged-in session are one transaction. Writes inside it that may fail (a
/// unique key) belong in `conn.transaction(..)`, a savepoint, so the rest stands.
pub async fn begin_request_transaction(pool: &DbPool) -> Result<(), AppError> {
    let slot = HELD
        .try_with(Arc::clone)
        .map_err(|_| AppError::internal(anyhow::anyhow!("no request database scope")))?;
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut held = lock(&slot);
        if held.transaction {
            return Ok(());
        }
        let conn = held.checkout(&pool)?;
        Transactions::begin_transaction(&mut conn.inner)?;
        held.transaction = true;
        Ok(())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

type Transactions = <DbConnection as Connection>::TransactionManager;

async fn end_request_transaction(slot: Slot, commit: bool) -> Result<(), AppError> {
    if !lock(&slot).transaction {
        return Ok(());
    }
    actix_web::web::block(move || {
        let mut held = lock(&slot);
        held.transaction = false;
        let Some(conn) = held.conn.as_mut() else {
            return Ok(());
        };
        let ended = if commit {
            Transactions::commit_transaction(&mut conn.inner)
        } else {
            Transactions::rollback_transaction(&mut conn.inner)
        };
        ended.map_err(|e| {
            // Whether a failed COMMIT took effect is unknown: 503, and this
            // connection is not trusted again.
            conn.broken = true;
            AppError::Unavailable(e.into())
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// Hands the request's held connection back to the pool, e.g. before seconds of
/// password hashing; the next query checks out a connection again. A connection
/// with the request's transaction open stays.
pub fn release_connection() {
    let _ = HELD.try_with(|slot| {
        let mut held = lock(slot);
        if !held.transaction {
            held.conn.take();
        }
    });
}

fn lock(slot: &Slot) -> MutexGuard<'_, Held> {
    // The slot holds no invariant a panic could break.
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` with a pooled connection on the blocking thread pool: the request's held
/// one if it has one (see [`hold_connection`]), else a fresh checkout.
///
/// A connection whose error shows the database is gone is discarded, never reused.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let held = HELD.try_with(Arc::clone).ok();
    actix_web::web::block(move || match held {
        Some(slot) => run_held(&pool, &slot, f),
        None => run_blocking(&pool, f),
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

fn run_held<T>(
    pool: &DbPool,
    slot: &Slot,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut held = lock(slot);
    if held.conn.is_none() && !held.lazy {
        drop(held);
        return run_blocking(pool, f);
    }
    let conn = held.checkout(pool)?;
    let result = f(&mut conn.inner);
    if matches!(result, Err(AppError::Unavailable(_))) {
        conn.broken = true;
        // Dropped now, so r2d2 discards it and the next query checks out another;
        // a transaction open on it is gone with it.
        held.conn.take();
        held.transaction = false;
    }
    result
}

/// [`run`] for code that is already off the async workers (CLI, background purge).
pub fn run_blocking<T>(
    pool: &DbPool,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut conn: PooledConnection<Manager> =
        pool.get().map_err(|e| AppError::Unavailable(e.into()))?;
    let result = f(&mut conn.inner);
    if matches!(result, Err(AppError::Unavailable(_))) {
        conn.broken = true;
    }
    result
}

/// Whether the database answers (for `/readyz`).
pub async fn ping(pool: &DbPool) -> Result<(), AppError> {
    run(pool, |conn| conn.ping().map_err(AppError::from)).await
}

/// Arbitrary, fixed: the PostgreSQL advisory lock that serialises migrations.
const MIGRATION_LOCK: i64 = 0x0074_6963_6b62_6f78; // "tickbox" in ASCII

type MigrationResult = Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>>;

/// Applies pending migrations for the connection's backend; returns their names.
///
/// Several instances may start at once on one new database: the whole run is one
/// transaction that first takes a lock, so the others wait, then find nothing
/// pending. (Each migration becomes a savepoint inside it; both backends have
/// transactional DDL, and no migration here needs to run outside a transaction.)
pub fn migrate(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    fn names(applied: Vec<diesel::migration::MigrationVersion>) -> Vec<String> {
        applied.iter().map(ToString::to_string).collect()
    }
    let applied: MigrationResult = match conn {
        DbConnection::Pg(c) => c.transaction(|c| {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .execute(c)?;
            c.run_pending_migrations(PG_MIGRATIONS).map(names)
        }),
        // BEGIN EXCLUSIVE: other processes wait (busy_timeout) until this commits.
        DbConnection::Sqlite(c) => {
            c.exclusive_transaction(|c| c.run_pending_migrations(SQLITE_MIGRATIONS).map(names))
        }
    };
    applied.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))
}
