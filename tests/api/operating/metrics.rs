//! `GET /metrics` on `METRICS_BIND`: the series of SPEC §11 after a scripted journey.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};

use crate::helpers::*;

/// One sample of the text exposition: its name, labels and value.
pub(crate) struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the Prometheus text format (label values may hold `{`, `}` and `,`).
pub(crate) fn samples(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').expect("NAME VALUE");
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => (name, labels_of(rest.strip_suffix('}').expect("}"))),
        };
        out.push(Sample {
            name: name.to_owned(),
            labels,
            value: value.parse().expect("a number"),
        });
    }
    out
}

fn labels_of(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let end = after.find('"').expect("a closing quote");
        labels.insert(
            key.trim_start_matches(',').to_owned(),
            after[..end].to_owned(),
        );
        rest = &after[end + 1..];
    }
    labels
}

/// The value of the series `name` with exactly these labels (0 when absent).
pub(crate) fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == wanted)
        .map_or(0.0, |s| s.value)
}

fn requests(samples: &[Sample], route: &str, method: &str, status: &str) -> f64 {
    value(
        samples,
        "tickbox_http_requests_total",
        &[("route", route), ("method", method), ("status", status)],
    )
}

async fn metrics_app() -> TestApp {
    spawn_app_with(Settings {
        vars: vec![("METRICS_BIND", "127.0.0.1:0".to_owned())],
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_log_ins_by_outcome() {
    let app = metrics_app().await;
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    let user = app.register("mira").await;
    let id = app.add_todo("Water the plants", "").await;
    let res = app.post(&format!("/todos/{id}/toggle"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&format!("/todos/{id}/edit")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/todos/987654321/edit").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/no/such/page").await.status(),
        StatusCode::NOT_FOUND
    );
    let wrong_method = app
        .client
        .request(Method::DELETE, app.url("/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    // Log-ins: one success, five failures, then the throttle.
    app.logout().await;
    assert_redirect_to(&app.login("mira", &user.password).await, "/todos");
    app.logout().await;
    for _ in 0..5 {
        let res = app.login("mira", "not-the-Password-1").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login("mira", "not-the-Password-1").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    let res = reqwest::get(format!("{metrics}/metrics")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(res.headers(), "content-type").starts_with("text/plain"));
    let text = res.text().await.unwrap();
    let s = samples(&text);

    let login = |outcome| value(&s, "tickbox_logins_total", &[("outcome", outcome)]);
    assert_eq!(
        [
            login("success"),
            login("failure"),
            login("throttled"),
            login("second_step")
        ],
        [1.0, 5.0, 1.0, 0.0],
        "{text}"
    );
    assert_eq!(requests(&s, "/register", "POST", "303"), 1.0, "{text}");
    assert_eq!(requests(&s, "/todos", "POST", "303"), 1.0, "{text}");
    assert_eq!(
        requests(&s, "/todos/{id}/toggle", "POST", "303"),
        1.0,
        "{text}"
    );
    assert_eq!(
        requests(&s, "/todos/{id}/edit", "GET", "200"),
        1.0,
        "{text}"
    );
    assert_eq!(
        requests(&s, "/todos/{id}/edit", "GET", "404"),
        1.0,
        "{text}"
    );
    assert_eq!(requests(&s, "/login", "DELETE", "405"), 1.0, "{text}");
    assert_eq!(requests(&s, "/login", "POST", "401"), 5.0, "{text}");
    assert_eq!(requests(&s, "/login", "POST", "429"), 1.0, "{text}");
    assert_eq!(requests(&s, "unmatched", "GET", "404"), 1.0, "{text}");
    assert!(requests(&s, "/login", "GET", "200") >= 1.0, "{text}");
    assert!(requests(&s, "/", "GET", "200") + requests(&s, "/todos", "GET", "200") >= 1.0);
    // Only patterns, never a raw path.
    for sample in s.iter().filter(|s| s.name.starts_with("tickbox_http_")) {
        let route = &sample.labels["route"];
        assert!(
            route == "unmatched" || !route.chars().any(|c| c.is_ascii_digit()),
            "{route} is a raw path"
        );
    }

    // Durations are a histogram with the same labels but the status.
    assert!(text.contains("# TYPE tickbox_http_request_duration_seconds histogram"));
    let toggle = [("route", "/todos/{id}/toggle"), ("method", "POST")];
    assert_eq!(
        value(&s, "tickbox_http_request_duration_seconds_count", &toggle),
        1.0
    );
    let mut inf = toggle.to_vec();
    inf.push(("le", "+Inf"));
    assert_eq!(
        value(&s, "tickbox_http_request_duration_seconds_bucket", &inf),
        1.0
    );

    // The gauges and process series are there.
    let pool = |state| value(&s, "tickbox_db_pool_connections", &[("state", state)]);
    assert!(pool("in_use") + pool("idle") >= 1.0, "{text}");
    for name in [
        "tickbox_password_hashes_waiting",
        "tickbox_mail_outbox_depth",
        "tickbox_mail_send_failures_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
    ] {
        assert!(s.iter().any(|s| s.name == name), "{name} in:\n{text}");
    }
    assert!(value(&s, "process_resident_memory_bytes", &[]) > 0.0);
    assert!(value(&s, "process_open_fds", &[]) > 0.0);
}

#[tokio::test]
async fn metrics_are_only_on_their_own_port_and_only_at_slash_metrics() {
    let app = metrics_app().await;
    let metrics = app.metrics_address.clone().unwrap();
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res
        .text()
        .await
        .unwrap()
        .contains("tickbox_http_requests_total"));

    let client = reqwest::Client::new();
    let res = client.get(format!("{metrics}/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = client
        .post(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(res.headers(), "allow"), "GET, HEAD");
    let res = client
        .head(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // The main port's 404 for /metrics is an unknown path like any other.
    let text = client
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        requests(&samples(&text), "unmatched", "GET", "404"),
        1.0,
        "{text}"
    );
}

#[tokio::test]
async fn without_metrics_bind_there_is_no_metrics_listener() {
    let app = spawn_app().await;
    assert!(app.metrics_address.is_none());
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}
