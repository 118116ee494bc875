//! Prometheus metrics (SPEC §11), served on `METRICS_BIND` by [`crate::server`].
//!
//! Each [`Application`](crate::startup::Application) has its own recorder rather than
//! the `metrics` crate's global one, so that several servers in one process (the
//! tests) count separately. Without `METRICS_BIND` every method here is a no-op.
//!
//! Request series are cheap on the hot path: the handles for a (route, method,
//! status) are registered once and then looked up under a read lock, with static
//! label strings; no label is built per request.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics::{Counter, Gauge, Histogram, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// The route label of a request that matched no route (an unknown path).
pub const UNMATCHED: &str = "unmatched";

const REQUESTS: &str = "tickbox_http_requests_total";
const DURATION: &str = "tickbox_http_request_duration_seconds";
const LOGINS: &str = "tickbox_logins_total";
const POOL: &str = "tickbox_db_pool_connections";
const HASHES_WAITING: &str = "tickbox_password_hashes_waiting";
const OUTBOX_DEPTH: &str = "tickbox_mail_outbox_depth";
const SEND_FAILURES: &str = "tickbox_mail_send_failures_total";

/// Request duration buckets, in seconds: pages take milliseconds, a log-in at
/// bcrypt cost 12 a few hundred, a stalled database up to the 4 s pool timeout.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How a `POST /login` (or `POST /login/2fa`) ended, for `tickbox_logins_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in.
    Success,
    /// Wrong credentials or code (401).
    Failure,
    /// Refused by the throttle (429), password not checked.
    Throttled,
    /// Password right, the second factor is asked next.
    SecondStep,
}

impl LoginOutcome {
    const ALL: [Self; 4] = [
        Self::Success,
        Self::Failure,
        Self::Throttled,
        Self::SecondStep,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Throttled => "throttled",
            Self::SecondStep => "second_step",
        }
    }
}

/// The application's metrics; cloning is cheap. `Metrics::default()` records nothing.
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<Inner>>);

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    logins: [Counter; 4],
    pool_in_use: Gauge,
    pool_idle: Gauge,
    hashes_waiting: Gauge,
    outbox_depth: Gauge,
    send_failures: Counter,
    process: metrics_process::Collector,
    requests: RwLock<HashMap<RequestKey, (Counter, Histogram)>>,
}

type RequestKey = (&'static str, &'static str, u16);

/// What is only known when `/metrics` is asked for.
pub struct Sample {
    pub pool_connections: u32,
    pub pool_idle: u32,
    pub hashes_waiting: usize,
}

impl Metrics {
    /// A recorder with every series of SPEC §11 described (and at zero where it can be).
    pub fn enabled() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), DURATION_BUCKETS)
            .expect("the duration buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let process = metrics_process::Collector::default();
        let parts = metrics::with_local_recorder(&recorder, || {
            describe_counter!(
                REQUESTS,
                "HTTP requests answered, by route pattern, method and status."
            );
            describe_histogram!(
                DURATION,
                Unit::Seconds,
                "Time to answer an HTTP request, by route pattern and method."
            );
            describe_counter!(
                LOGINS,
                "Log-in attempts (POST /login, POST /login/2fa) by outcome."
            );
            describe_gauge!(POOL, "Database pool connections by state.");
            describe_gauge!(
                HASHES_WAITING,
                "Password hashes waiting for a hashing slot."
            );
            describe_gauge!(OUTBOX_DEPTH, "Mails waiting in the outbox.");
            describe_counter!(SEND_FAILURES, "Attempts to send a mail that failed.");
            process.describe();
            let outbox_depth = gauge!(OUTBOX_DEPTH);
            outbox_depth.set(0.0);
            let send_failures = counter!(SEND_FAILURES);
            send_failures.absolute(0);
            (
                LoginOutcome::ALL.map(|o| {
                    let c = counter!(LOGINS, "outcome" => o.label());
                    c.absolute(0);
                    c
                }),
                [
                    gauge!(POOL, "state" => "in_use"),
                    gauge!(POOL, "state" => "idle"),
                    gauge!(HASHES_WAITING),
                ],
                outbox_depth,
                send_failures,
            )
        });
        let (logins, [pool_in_use, pool_idle, hashes_waiting], outbox_depth, send_failures) = parts;
        Self(Some(Arc::new(Inner {
            recorder,
            handle,
            logins,
            pool_in_use,
            pool_idle,
            hashes_waiting,
            outbox_depth,
            send_failures,
            process,
            requests: RwLock::default(),
        })))
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    /// Counts one answered request. `route` is the matched pattern or [`UNMATCHED`].
    pub fn request(&self, route: &str, method: &Method, status: StatusCode, took: Duration) {
        let Some(inner) = &self.0 else { return };
        let key = (intern(route), method_label(method), status.as_u16());
        let record = |(count, duration): &(Counter, Histogram)| {
            count.increment(1);
            duration.record(took.as_secs_f64());
        };
        let known = inner
            .requests
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(handles) = known.get(&key) {
            return record(handles);
        }
        drop(known);
        record(&inner.register_request(key));
    }

    pub fn login(&self, outcome: LoginOutcome) {
        if let Some(inner) = &self.0 {
            let i = LoginOutcome::ALL.iter().position(|o| *o == outcome);
            inner.logins[i.unwrap_or_default()].increment(1);
        }
    }

    /// The number of mails waiting to be sent, whenever it changes.
    pub fn mail_outbox_depth(&self, mails: usize) {
        if let Some(inner) = &self.0 {
            inner.outbox_depth.set(mails as f64);
        }
    }

    /// One attempt to send a mail failed.
    pub fn mail_send_failed(&self) {
        if let Some(inner) = &self.0 {
            inner.send_failures.increment(1);
        }
    }

    /// The Prometheus text exposition, with the gauges read now.
    pub fn render(&self, now: Sample) -> String {
        let Some(inner) = &self.0 else {
            return String::new();
        };
        let in_use = now.pool_connections.saturating_sub(now.pool_idle);
        inner.pool_in_use.set(f64::from(in_use));
        inner.pool_idle.set(f64::from(now.pool_idle));
        inner.hashes_waiting.set(now.hashes_waiting as f64);
        metrics::with_local_recorder(&inner.recorder, || inner.process.collect());
        inner.handle.run_upkeep();
        inner.handle.render()
    }

    /// Drains recorded durations into their buckets every few seconds, so memory stays
    /// bounded however long nobody scrapes. Runs until the server stops.
    pub async fn upkeep_regularly(self) {
        let Some(inner) = self.0 else { return };
        let mut ticks = tokio::time::interval(Duration::from_secs(5));
        loop {
            ticks.tick().await;
            inner.handle.run_upkeep();
        }
    }
}

impl Inner {
    fn register_request(&self, key: RequestKey) -> (Counter, Histogram) {
        let (route, method, status) = key;
        let handles = metrics::with_local_recorder(&self.recorder, || {
            (
                counter!(REQUESTS, "route" => route, "method" => method, "status" => status.to_string()),
                histogram!(DURATION, "route" => route, "method" => method),
            )
        });
        self.requests
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, handles.clone());
        handles
    }
}

/// A static copy of a route pattern. There are as many as the route table has
/// patterns (plus [`UNMATCHED`]), so the few bytes kept for each are bounded.
fn intern(route: &str) -> &'static str {
    static ROUTES: RwLock<Option<HashSet<&'static str>>> = RwLock::new(None);
    if route == UNMATCHED {
        return UNMATCHED;
    }
    let known = ROUTES.read().unwrap_or_else(PoisonError::into_inner);
    if let Some(route) = known.as_ref().and_then(|set| set.get(route)) {
        return route;
    }
    drop(known);
    let mut known = ROUTES.write().unwrap_or_else(PoisonError::into_inner);
    let set = known.get_or_insert_with(HashSet::new);
    if let Some(route) = set.get(route) {
        return route;
    }
    let route: &'static str = Box::leak(route.into());
    set.insert(route);
    route
}

/// Standard methods by name; anything else is one label value, so a client cannot
/// make up new series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_histograms_and_every_series_is_there_before_traffic() {
        let metrics = Metrics::enabled();
        metrics.request(
            "/todos/{id}/toggle",
            &Method::POST,
            StatusCode::SEE_OTHER,
            Duration::from_millis(3),
        );
        metrics.request(
            "/todos/{id}/toggle",
            &Method::from_bytes(b"BREW").unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            Duration::from_millis(1),
        );
        let text = metrics.render(Sample {
            pool_connections: 3,
            pool_idle: 1,
            hashes_waiting: 0,
        });
        for line in [
            "# TYPE tickbox_http_request_duration_seconds histogram",
            r#"tickbox_http_requests_total{route="/todos/{id}/toggle",method="POST",status="303"} 1"#,
            r#"tickbox_http_requests_total{route="/todos/{id}/toggle",method="other",status="405"} 1"#,
            r#"tickbox_http_request_duration_seconds_bucket{route="/todos/{id}/toggle",method="POST",le="0.005"} 1"#,
            r#"tickbox_logins_total{outcome="second_step"} 0"#,
            r#"tickbox_db_pool_connections{state="in_use"} 2"#,
            r#"tickbox_db_pool_connections{state="idle"} 1"#,
            "tickbox_password_hashes_waiting 0",
            "tickbox_mail_outbox_depth 0",
            "tickbox_mail_send_failures_total 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
        }
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
        ] {
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{name} "))),
                "{name} in:\n{text}"
            );
        }
        assert!(!text.contains("quantile"), "no summaries:\n{text}");
    }

    #[test]
    fn a_disabled_recorder_does_nothing() {
        let metrics = Metrics::default();
        metrics.login(LoginOutcome::Success);
        assert!(!metrics.is_enabled());
    }
}
