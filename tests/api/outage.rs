//! The database going away and coming back (PostgreSQL, through a relay the test can cut).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::helpers::*;

/// A TCP relay to PostgreSQL: `cut` drops every connection and refuses new ones,
/// exactly what a stopped server looks like to a client; `restore` lets them through.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Relay {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Self { port, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// On PostgreSQL only: an app whose every database connection goes through a relay.
async fn spawn_behind_relay() -> Option<(Relay, TestApp)> {
    let admin_url = std::env::var("TEST_DATABASE_URL").ok()?;
    let url: reqwest::Url = admin_url.parse().unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let relay = Relay::start(target).await;
    let app = spawn_app_with(Settings {
        database_port: Some(relay.port),
        ..Default::default()
    })
    .await;
    Some((relay, app))
}

/// Polls `path` until it answers `want`, for at most `limit`.
async fn wait_for(app: &TestApp, path: &str, want: StatusCode, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let status = app.get(path).await.status();
        if status == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{path} still {status} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// Multi-threaded: the server's start-up blocks on migrations that travel through the relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_503_while_postgres_is_down_and_recover_without_a_restart() {
    let Some((relay, app)) = spawn_behind_relay().await else {
        eprintln!("skipped: this test needs TEST_DATABASE_URL (PostgreSQL); CI runs it");
        return;
    };
    app.register("dora").await;
    let todo = app.add_todo("survive the outage", "").await;
    let token = app.csrf_token().await;

    relay.cut();
    let started = Instant::now();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let page = app.get("/todos").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Temporarily unavailable"));
    let post = app
        .post_raw("/todos", &[("title", "lost?"), ("csrf_token", &token)])
        .await;
    assert_eq!(post.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "each 503 came within 10 s"
    );

    relay.restore();
    wait_for(&app, "/readyz", StatusCode::OK, Duration::from_secs(15)).await;
    wait_for(&app, "/todos", StatusCode::OK, Duration::from_secs(15)).await;
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(
        todo_ids(&html),
        vec![todo],
        "the acknowledged write survived, the refused one did not land"
    );
}

// A restart: every pooled connection dies while the app is idle, the database is back
// a moment later, and the first requests after it must not pay for the dead ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_fails_on_a_connection_that_went_stale_while_postgres_restarted() {
    let Some((relay, app)) = spawn_behind_relay().await else {
        eprintln!("skipped: this test needs TEST_DATABASE_URL (PostgreSQL); CI runs it");
        return;
    };
    app.register("erin").await;
    app.add_todo("still here", "").await;
    // Fill the pool (4 connections): parallel pages each hold one.
    let pages = (0..8).map(|_| app.get("/todos"));
    for res in futures_util::future::join_all(pages).await {
        assert_eq!(res.status(), StatusCode::OK);
    }

    relay.cut();
    // The restart itself: the database is away for a while, then accepts again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    relay.restore();

    for n in 0..12 {
        let res = app.get("/todos").await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "request {n} after the restart"
        );
    }
}
