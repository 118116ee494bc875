//! A guard around every accepted connection, for the two things actix-http does not
//! do on kept-alive connections (SPEC §2):
//!
//! - **Head deadline on every request.** actix-http arms its request-head timer only
//!   for a connection's first request; later heads may trickle in forever. Here the
//!   first bytes of each new request arm a deadline, and the request middleware
//!   ([`Phase::begin_request`]) disarms it once the head has been parsed.
//! - **Graceful stop that answers what was sent.** actix-http's own draining drops a
//!   request that a kept-alive client sent just before the signal. Here an idle
//!   connection is closed at the stop, unless bytes of a new request are already
//!   waiting on it: then that request is served (with `Connection: close`).
//!
//! Written by hand: no maintained crate wraps actix-http connections this way, and
//! actix-http 3.20 (the newest) has neither behaviour.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;
use tokio::time::{sleep, Sleep};

/// What a connection answers when a later request head is too slow.
const TIMEOUT_RESPONSE: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// The server's stop, shared by every connection.
#[derive(Default)]
pub struct Stopping {
    stopping: AtomicBool,
    notify: Arc<Notify>,
}

impl Stopping {
    /// Starts the stop: idle connections close, busy ones finish and then close.
    pub fn begin(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// Where a connection is between requests, shared between the connection (which sees
/// bytes) and the request middleware (which sees parsed requests).
pub struct Phase {
    state: AtomicU8,
    stopping: Arc<Stopping>,
}

const IDLE: u8 = 0;
const HEAD: u8 = 1;
const REQUEST: u8 = 2;

impl Phase {
    /// The head of a request has been parsed: its deadline no longer applies.
    pub fn begin_request(&self) {
        self.state.store(REQUEST, Ordering::SeqCst);
    }

    /// The response is built: the next bytes belong to the next request.
    pub fn end_request(&self) {
        self.state.store(IDLE, Ordering::SeqCst);
    }

    /// Whether the server is stopping (the response then closes the connection).
    pub fn stopping(&self) -> bool {
        self.stopping.is_stopping()
    }
}

/// An accepted connection with a head deadline on every request and a graceful stop.
pub struct Guarded<IO> {
    io: IO,
    phase: Arc<Phase>,
    head_timeout: Duration,
    deadline: Option<Pin<Box<Sleep>>>,
    stop: Pin<Box<OwnedNotified>>,
    stop_seen: bool,
    timed_out: bool,
}

impl<IO> Guarded<IO> {
    pub fn new(io: IO, stopping: Arc<Stopping>, head_timeout: Duration) -> Self {
        let stop = Box::pin(Arc::clone(&stopping.notify).notified_owned());
        Self {
            io,
            phase: Arc::new(Phase {
                state: AtomicU8::new(IDLE),
                stopping,
            }),
            head_timeout,
            deadline: None,
            stop,
            stop_seen: false,
            timed_out: false,
        }
    }

    /// The handle the request middleware uses (stored in the connection's data).
    pub fn phase(&self) -> Arc<Phase> {
        Arc::clone(&self.phase)
    }

    fn state(&self) -> u8 {
        self.phase.state.load(Ordering::SeqCst)
    }

    /// Bytes arrived: if they start a new request, its head deadline starts now.
    fn saw_bytes(&mut self) {
        let started = self
            .phase
            .state
            .compare_exchange(IDLE, HEAD, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if started {
            self.deadline = Some(Box::pin(sleep(self.head_timeout)));
        }
    }

    /// Whether the server's stop has begun; registers for the wake-up otherwise.
    fn poll_stopping(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.stop_seen {
            // Registered before the flag is read, so a stop in between is not missed.
            self.stop.as_mut().enable();
            self.stop_seen =
                self.phase.stopping.is_stopping() || self.stop.as_mut().poll(cx).is_ready();
        }
        self.stop_seen
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.timed_out {
            return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
        }
        if this.state() != HEAD {
            this.deadline = None;
        }
        if let Some(deadline) = this.deadline.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                this.timed_out = true;
                // Nothing else is being written: no request is in flight. Best effort,
                // like any answer to a client that is not reading.
                let _ = Pin::new(&mut this.io).poll_write(cx, TIMEOUT_RESPONSE);
                let _ = Pin::new(&mut this.io).poll_flush(cx);
                return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
            }
        }
        // Polled on every read, so an idle connection is woken by the stop.
        let stopping = this.poll_stopping(cx);
        let idle = this.state() == IDLE;
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        let got_bytes = buf.filled().len() > before;
        if got_bytes {
            this.saw_bytes();
        }
        if idle && !got_bytes && stopping {
            if let Poll::Ready(Err(e)) = read {
                return Poll::Ready(Err(e));
            }
            // Stopping, between requests, and nothing new has arrived: end of stream,
            // so actix-http closes the connection.
            return Poll::Ready(Ok(()));
        }
        ready!(read)?;
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt, DuplexStream};

    fn guarded() -> (DuplexStream, Guarded<DuplexStream>, Arc<Stopping>) {
        let (client, server) = duplex(4096);
        let stopping = Arc::new(Stopping::default());
        let conn = Guarded::new(server, Arc::clone(&stopping), Duration::from_secs(10));
        (client, conn, stopping)
    }

    #[tokio::test]
    async fn a_request_already_waiting_at_the_stop_is_read_not_dropped() {
        let (mut client, mut conn, stopping) = guarded();
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        stopping.begin();
        let mut buf = [0u8; 64];
        let n = conn.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"GET / HTTP/1.1\r\n");
    }

    #[tokio::test]
    async fn an_idle_connection_ends_at_the_stop() {
        let (_client, mut conn, stopping) = guarded();
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            conn.read(&mut buf).await.unwrap()
        });
        tokio::task::yield_now().await;
        stopping.begin();
        assert_eq!(reader.await.unwrap(), 0, "end of stream");
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_still_unparsed_after_the_deadline_gets_408() {
        let (mut client, mut conn, _stopping) = guarded();
        client.write_all(b"GET / HTTP/1.1\r\nHost").await.unwrap();
        let mut buf = [0u8; 64];
        assert!(conn.read(&mut buf).await.unwrap() > 0);
        // Nothing more arrives; paused time jumps to the deadline.
        let err = conn.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        let mut answer = vec![0u8; TIMEOUT_RESPONSE.len()];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(answer, TIMEOUT_RESPONSE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_parsed_head_is_not_timed_and_the_next_one_is() {
        let (mut client, mut conn, _stopping) = guarded();
        let phase = conn.phase();
        client.write_all(b"POST / HTTP/1.1\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 64];
        assert!(conn.read(&mut buf).await.unwrap() > 0);
        phase.begin_request();
        // A request in flight (its body may take its time) is never cut off here.
        let waited = tokio::time::timeout(Duration::from_secs(60), conn.read(&mut buf)).await;
        assert!(waited.is_err(), "still waiting, no 408");
        phase.end_request();
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        assert!(conn.read(&mut buf).await.unwrap() > 0);
        let err = conn.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
