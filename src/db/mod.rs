//! The database: one connection type over PostgreSQL and SQLite and its pool. Request
//! handlers reach a connection only through [`run`] ([`request`] says how a request
//! holds one); [`migrations`] applies the schema.

pub mod backup;
pub mod migrations;
pub mod models;
pub mod request;
pub mod schema;

use std::time::{Duration, Instant};

use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};

pub use request::run;

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

/// A connection idle this long is pinged before it is handed out: the database may
/// have restarted meanwhile. One busy enough to come back sooner skips the round trip.
const PING_WHEN_IDLE: Duration = Duration::from_secs(1);

/// A pooled connection, whether it failed at the connection level and must not be
/// handed out again, and since when it has been idle in the pool.
pub struct Conn {
    inner: DbConnection,
    broken: bool,
    idle_since: Instant,
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
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                // A prepared statement with a bound LIMIT or OFFSET (every list page) is
                // costed higher as a generic plan than as a custom one, so PostgreSQL
                // planned it anew on every execution: a third of its CPU per page. Our
                // statements all select by an account or a key that leads an index, so
                // one plan serves every value; `Todo::list_by_due` orders so that it can.
                conn.batch_execute("SET plan_cache_mode = force_generic_plan")
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Pg(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_str().ok_or_else(|| {
                    ConnectionError::BadConnection("the SQLite path is not UTF-8".into())
                })?;
                create_private(path)?;
                let mut conn = SqliteConnection::establish(path)?;
                // Bundled SQLite has foreign keys on by default, system builds do not: be
                // explicit. A burst of writes may grow the WAL; after each checkpoint it is
                // cut back to SQLITE_WAL_LIMIT instead of keeping its largest size.
                let setup = format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA journal_size_limit = {SQLITE_WAL_LIMIT};",
                    SQLITE_BUSY_TIMEOUT.as_millis()
                );
                // Processes opening a new file together all switch it to WAL, which takes
                // the write lock while holding a read lock: SQLite then answers "database
                // is locked" at once instead of waiting (so that two such upgrades cannot
                // deadlock). Retried, as its busy handler would, within the busy timeout.
                let deadline = Instant::now() + SQLITE_BUSY_TIMEOUT;
                loop {
                    match conn.batch_execute(&setup) {
                        Ok(()) => break,
                        Err(e) if is_locked(&e) && Instant::now() < deadline => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(e) => return Err(ConnectionError::CouldntSetupConfiguration(e)),
                    }
                }
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// How long an SQLite statement waits for another connection's lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite's "database is locked": another connection held the lock past the busy
/// timeout, or SQLite refused to wait for it.
pub(crate) fn is_locked(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info) if info.message().contains("database is locked"))
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
            idle_since: Instant::now(),
        })
    }

    /// At check-out. A connection that went stale (a database restart, a proxy's idle
    /// cut) fails its ping here and r2d2 hands out another one, so the request does not
    /// fail on it.
    fn is_valid(&self, conn: &mut Conn) -> Result<(), ConnectionError> {
        if conn.idle_since.elapsed() < PING_WHEN_IDLE {
            return Ok(());
        }
        conn.inner
            .ping()
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    /// At check-in: the moment the connection starts to idle.
    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.idle_since = Instant::now();
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
        // `is_valid` pings only connections that idled (PING_WHEN_IDLE); one that fails
        // mid-request is marked broken by `run` instead.
        .test_on_check_out(true)
        .build_unchecked(Manager::new(url.clone()))
}

/// [`run`] for code that is already off the async workers (CLI, tests), with a
/// connection of its own.
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

#[cfg(test)]
mod tests {
    use diesel::dsl::sql;
    use diesel::prelude::*;
    use diesel::sql_types::Integer;

    fn sqlite_built_with(option: &str) -> bool {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let used: i32 = diesel::select(sql::<Integer>(&format!(
            "sqlite_compileoption_used('{option}')"
        )))
        .get_result(&mut conn)
        .unwrap();
        used == 1
    }

    #[test]
    fn the_bundled_sqlite_keeps_no_memory_statistics() {
        // .cargo/config.toml builds it so; without that, every SQLite allocation
        // takes a global mutex (PERFORMANCE.md).
        assert!(sqlite_built_with("DEFAULT_MEMSTATUS=0"));
    }

    #[test]
    fn the_bundled_sqlite_plans_a_statement_once_whatever_is_bound() {
        // .cargo/config.toml builds it so; without that, each new binding of a LIMIT
        // or OFFSET made SQLite compile the statement again (PERFORMANCE.md).
        assert!(sqlite_built_with("ENABLE_QPSG"));
    }
}
