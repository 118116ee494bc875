//! The request's database connection: [`run`], the one way handlers reach the
//! database, and the request transaction.
//!
//! Each [`run`] checks a connection out for its own closure and gives it back when the
//! closure returns: a request holds no connection between its queries. That is what
//! lets the workers' blocking pools stay about as small as the connection pool
//! (`server::Options::blocking_threads`): a blocking thread waiting for a connection
//! can never be waiting for one that a request keeps while its next query queues
//! behind that very thread. (Keeping a GET's connection from the session load to the
//! page's queries saved a checkout but, with small blocking pools, deadlocked.)
//!
//! A page may also ask for its reads to ride along with the session load
//! ([`read_with_session`]): they run in the same trip to the blocking pool, on the
//! same connection, right after the session row is found live, and the handler takes
//! their result ([`take_reads`]) instead of making a second trip.
//!
//! The one exception is the request transaction ([`begin_request_transaction`]): its
//! connection is held from BEGIN to COMMIT, across the handler and the session save.
//! Begin it after the slow part (registration hashes the password first); waiting on
//! anything else while it is open is logged as a warning.

use std::any::Any;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use diesel::connection::TransactionManager;
use diesel::prelude::*;
use diesel::r2d2::{PooledConnection, R2D2Connection};

use super::models::session::LiveUser;
use super::{run_blocking, DbConnection, DbPool, Manager};
use crate::error::AppError;

/// Reads that a page wants done in the session load's trip, for the session's user.
type Reads =
    Box<dyn FnOnce(&mut DbConnection, &LiveUser) -> Result<Box<dyn Any + Send>, AppError> + Send>;

/// What a request holds: a connection only while a request transaction is open.
#[derive(Default)]
struct Held {
    conn: Option<PooledConnection<Manager>>,
    /// Asked for by [`read_with_session`], not yet run.
    reads: Option<Reads>,
    /// What they gave, for which user.
    read: Option<(i64, Box<dyn Any + Send>)>,
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

/// One request's database context, shared with the blocking threads that run its
/// queries.
#[derive(Default)]
struct Slot {
    held: Mutex<Held>,
    /// Jobs of this request on the blocking pool (queries, BEGIN, COMMIT) not yet
    /// awaited. Outside the mutex: the async side must never wait for a query's lock.
    in_flight: AtomicUsize,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Held> {
        // The slot holds no invariant a panic could break.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the held state on the blocking pool, counted as in flight.
    async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Held) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let slot = Arc::clone(self);
        let result = blocking(move || f(&mut slot.lock())).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// The request waits on something other than its own job: only an open
    /// transaction holds a connection then, and that is worth a warning.
    fn on_wait(&self) {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return;
        }
        let held = match self.held.try_lock() {
            Ok(held) => held,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        if held.transaction {
            tracing::warn!("a request waits on something else with its transaction open");
        }
    }
}

tokio::task_local! {
    static HELD: Arc<Slot>;
}

/// Middleware around the session layer: the request's database context (see the
/// module documentation). A request transaction is committed here, after the session
/// has been saved and before the response leaves.
pub async fn hold_connection(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let slot = Arc::new(Slot::default());
    let mut inner = pin!(HELD.scope(Arc::clone(&slot), next.call(req)));
    let res = std::future::poll_fn(|cx| {
        let poll = inner.as_mut().poll(cx);
        if poll.is_pending() {
            slot.on_wait();
        }
        poll
    })
    .await;
    let commit = res
        .as_ref()
        .is_ok_and(|res| !res.status().is_server_error());
    end_request_transaction(&slot, commit).await?;
    res
}

/// Runs `f` with a pooled connection on the blocking thread pool: the request
/// transaction's if one is open, else one checked out for `f` alone.
///
/// A connection whose error shows the database is gone is discarded, never reused.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    match HELD.try_with(Arc::clone) {
        Ok(slot) => slot.blocking(move |held| run_held(&pool, held, f)).await,
        Err(_) => blocking(move || run_blocking(&pool, f)).await,
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    // Counted by bench/run.sh, like the statements.
    tracing::trace!(target: "tickbox::db::query", "blocking trip");
    // The request's span goes along, so what a query logs carries its request id.
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
}

fn run_held<T>(
    pool: &DbPool,
    held: &mut Held,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let Some(conn) = held.conn.as_mut() else {
        return run_blocking(pool, f);
    };
    let result = f(&mut conn.inner);
    if matches!(result, Err(AppError::Unavailable(_))) {
        conn.broken = true;
        // Dropped now, so r2d2 discards it and the next query checks out another;
        // a transaction open on it is gone with it.
        held.conn = None;
        held.transaction = false;
    }
    result
}

/// Asks for `reads` to run in the session load's trip, for the session's user (see
/// the module documentation). Called before the session loads; without a request
/// scope it does nothing, and the handler makes the trip itself.
pub fn read_with_session<T: Send + 'static>(
    reads: impl FnOnce(&mut DbConnection, &LiveUser) -> Result<T, AppError> + Send + 'static,
) {
    let _ = HELD.try_with(|slot| {
        slot.lock().reads = Some(Box::new(move |conn, user| {
            reads(conn, user).map(|r| Box::new(r) as Box<dyn Any + Send>)
        }));
    });
}

/// What [`read_with_session`]'s reads gave, if they ran for `user`.
pub fn take_reads<T: 'static>(user: i64) -> Option<T> {
    let (for_user, read) = HELD.try_with(|slot| slot.lock().read.take()).ok()??;
    (for_user == user)
        .then(|| read.downcast().ok().map(|r| *r))
        .flatten()
}

/// [`run`] for the session load. `f` is told whether a page's reads wait for the
/// session's user (then it reads the user row with the session's, in one statement)
/// and gives its value and that user; the reads then run for the user, on the same
/// connection.
pub async fn run_loading_session<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection, bool) -> Result<(T, Option<LiveUser>), AppError> + Send + 'static,
    T: Send + 'static,
{
    let Ok(slot) = HELD.try_with(Arc::clone) else {
        return run(pool, |conn| f(conn, false).map(|(value, _)| value)).await;
    };
    let pool = pool.clone();
    slot.blocking(move |held| {
        let reads = held.reads.take();
        let mut read = None;
        let value = run_held(&pool, held, |conn| {
            let (value, user) = f(conn, reads.is_some())?;
            if let (Some(reads), Some(user)) = (reads, user) {
                // Should they fail, the handler runs them again and reports it.
                read = reads(conn, &user).ok().map(|r| (user.id, r));
            }
            Ok(value)
        })?;
        held.read = read;
        Ok(value)
    })
    .await
}

/// Whether the database answers (for `/readyz`).
pub async fn ping(pool: &DbPool) -> Result<(), AppError> {
    run(pool, |conn| conn.ping().map_err(AppError::from)).await
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
    slot.blocking(move |held| {
        if held.transaction {
            return Ok(());
        }
        let conn = held.checkout(&pool)?;
        Transactions::begin_transaction(&mut conn.inner)?;
        held.transaction = true;
        Ok(())
    })
    .await
}

type Transactions = <DbConnection as Connection>::TransactionManager;

async fn end_request_transaction(slot: &Arc<Slot>, commit: bool) -> Result<(), AppError> {
    if !slot.lock().transaction {
        return Ok(());
    }
    slot.blocking(move |held| {
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
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};
    use tokio::sync::Notify;

    use super::*;
    use crate::config::DatabaseUrl;

    #[actix_web::test]
    async fn a_request_holds_no_connection_while_it_waits_on_something_else() {
        let dir = std::env::temp_dir().join(format!(
            "tickbox-request-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.join("t.db").display()));
        // One connection: were the request to keep it, nobody else could have it.
        let pool = crate::db::build_pool(&url.unwrap(), 1);
        let (parked, resume) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let handler = {
            let (pool, parked, resume) = (pool.clone(), parked.clone(), resume.clone());
            move || {
                let (pool, parked, resume) = (pool.clone(), parked.clone(), resume.clone());
                async move {
                    run(&pool, |c| Ok(c.ping()?)).await.unwrap();
                    parked.notify_one();
                    // Something slow that is not this request's query.
                    resume.notified().await;
                    run(&pool, |c| Ok(c.ping()?)).await.unwrap();
                    HttpResponse::Ok().finish()
                }
            }
        };
        let app = test::init_service(
            App::new()
                .route("/", web::get().to(handler))
                .wrap(from_fn(hold_connection)),
        )
        .await;
        let request = test::call_service(&app, test::TestRequest::get().uri("/").to_request());
        let free_while_parked = async {
            parked.notified().await;
            let free = pool.try_get().is_some();
            resume.notify_one();
            free
        };
        let (res, free) = tokio::join!(request, free_while_parked);
        assert!(res.status().is_success());
        assert!(
            free,
            "the connection stayed checked out while the request waited"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
