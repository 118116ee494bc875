//! Password hashing with bcrypt, off the async workers and with bounded concurrency,
//! so a burst of log-ins can neither stall other pages nor pile up unbounded work.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::error::AppError;

/// bcrypt reads at most this many bytes; longer passwords are refused, never truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;

#[derive(Clone)]
pub struct Hasher {
    cost: u32,
    permits: Arc<Semaphore>,
    /// Hashes waiting for a permit (tokio's semaphore does not say).
    waiting: Arc<AtomicUsize>,
}

impl Hasher {
    /// One hash at a time per core: more would only queue inside the CPU.
    /// Nothing is hashed here: at `BCRYPT_COST=31` one hash takes days, and the server
    /// must start at once (SPEC §1).
    pub fn new(cost: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            cost,
            permits: Arc::new(Semaphore::new(cores)),
            waiting: Arc::default(),
        }
    }

    /// How many hashes are queued for a permit right now (a metric, SPEC §11).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.cost;
        self.blocking(move || bcrypt::hash(password, cost).map_err(AppError::internal))
            .await
    }

    /// Checks `password` against `hash`. With no account (`None`) the same work is done,
    /// hashing at the configured cost, so both cases take as long; the answer is `false`.
    /// Over-long passwords are simply wrong, after the same amount of work.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let too_long = password.len() > MAX_PASSWORD_BYTES;
        let cost = self.cost;
        let ok = self
            .blocking(move || {
                let candidate = if too_long {
                    &password[..0]
                } else {
                    &password[..]
                };
                let Some(hash) = hash else {
                    // bcrypt's check is a hash with the stored salt: equal work.
                    let _ = bcrypt::hash_with_salt(candidate, cost, [0; 16]);
                    return Ok(false);
                };
                // A malformed stored hash is a wrong password, not a server fault.
                Ok(bcrypt::verify(candidate, &hash).unwrap_or(false))
            })
            .await?;
        Ok(ok && !too_long)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let queued = Queued::join(&self.waiting);
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        drop(queued);
        let (result, cpu) = on_own_thread(move || {
            let start = CpuClock::start();
            let result = f();
            (result, start.elapsed())
        })
        .await?;
        // The permit stays taken for a while after the hash, so that over time each
        // permit uses at most HASH_CPU_SHARE of a core: a log-in storm then leaves the
        // rest of the machine to the pages. The answer itself is not delayed.
        let cooldown = cpu.mul_f64(1.0 / HASH_CPU_SHARE - 1.0);
        actix_web::rt::spawn(async move {
            actix_web::rt::time::sleep(cooldown).await;
            drop(permit);
        });
        result
    }
}

/// Runs `f` on a thread of its own, in the request's span. Not on the workers'
/// blocking pool: that pool has about one thread per pooled database connection, and
/// a hash holding one of them for 200 ms would stall the queries queued behind it.
/// One thread per hash is cheap beside the hash, and the permits bound how many run.
async fn on_own_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let span = tracing::Span::current();
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("tickbox-hash".into())
        .spawn(move || {
            let _ = done.send(span.in_scope(f));
        })
        .map_err(AppError::internal)?;
    result.await.map_err(AppError::internal)
}

/// One place in the hashing queue, left when dropped (also if the request goes away
/// while it waits).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn join(waiting: &'a AtomicUsize) -> Self {
        waiting.fetch_add(1, Ordering::Relaxed);
        Self(waiting)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How much of a core one hashing permit may use on average (see `Hasher::blocking`).
/// With one permit per core, hashing takes at most this share of the whole machine.
const HASH_CPU_SHARE: f64 = 0.7;

/// CPU time of the current thread (from /proc/thread-self/schedstat, no `unsafe`),
/// falling back to wall time where that file does not exist.
enum CpuClock {
    Thread(Duration),
    Wall(Instant),
}

impl CpuClock {
    fn start() -> Self {
        thread_cpu().map_or_else(|| Self::Wall(Instant::now()), Self::Thread)
    }

    fn elapsed(&self) -> Duration {
        match self {
            Self::Thread(start) => {
                thread_cpu().map_or(Duration::ZERO, |now| now.saturating_sub(*start))
            }
            Self::Wall(start) => start.elapsed(),
        }
    }
}

/// The first field of schedstat: nanoseconds this thread has run on a CPU.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::Poll;

    #[actix_web::test]
    async fn hashes_queued_for_a_permit_are_counted_until_they_get_one_or_give_up() {
        let hasher = Hasher::new(4);
        let every = hasher.permits.available_permits() as u32;
        let held = Arc::clone(&hasher.permits)
            .acquire_many_owned(every)
            .await
            .unwrap();
        let mut queued = Box::pin(hasher.hash("some password".into()));
        let pending = std::future::poll_fn(|cx| Poll::Ready(queued.as_mut().poll(cx).is_pending()));
        assert!(pending.await);
        assert_eq!(hasher.waiting(), 1);
        drop(queued); // the request went away while it waited
        assert_eq!(hasher.waiting(), 0);
        drop(held);
        hasher.hash("some password".into()).await.unwrap();
        assert_eq!(hasher.waiting(), 0);
    }

    #[test]
    fn the_cpu_clock_sees_the_work_of_a_hash() {
        // schedstat is brought up to date at scheduler ticks (every 1–10 ms), so the
        // hash must outlast several of them: cost 10 is about 60 ms.
        let clock = CpuClock::start();
        let _ = bcrypt::hash("some password", 10);
        assert!(clock.elapsed() > Duration::ZERO);
    }
}
