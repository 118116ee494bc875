//! Request ids and JSON logs: every response carries `X-Request-Id`, its log line
//! the same id, and no line of a whole journey holds a secret it used.

use std::io::Read;
use std::process::Stdio;

use diesel::{Connection, RunQueryDsl};
use reqwest::StatusCode;
use serde_json::Value;

use crate::cli::{start_server_with, Server};
use crate::common::TempDir;
use crate::helpers::*;

fn request_id(res: &reqwest::Response) -> String {
    header(res.headers(), "x-request-id")
}

/// A server writing JSON log lines at `rust_log` (bcrypt cost 4, and `more`), with a
/// browser on it; its log is read at the end with `stop_and_read_log`.
fn json_logging_server(
    dir: &TempDir,
    db_url: &str,
    rust_log: &str,
    more: &[(&str, &str)],
) -> (Server, Browser) {
    let mut vars = vec![
        ("BCRYPT_COST", "4"),
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", rust_log),
    ];
    vars.extend_from_slice(more);
    let server = start_server_with(dir, db_url, Stdio::piped(), &vars);
    let browser = Browser::new(&format!("http://127.0.0.1:{}", server.port));
    (server, browser)
}

/// A server logging every statement and every trip to the blocking pool, with a
/// logged-in browser on it: what PERFORMANCE.md's accounting counts.
async fn counting_server(dir: &TempDir, db_url: &str) -> (Server, Browser) {
    let (server, browser) = json_logging_server(dir, db_url, "info,tickbox::db::query=trace", &[]);
    browser.register("jules").await;
    (server, browser)
}

/// The lines of one request (by its id) that carry `message`.
fn of_request<'a>(lines: &'a [Value], id: &str, message: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["message"] == message && l["span"]["request_id"] == id)
        .collect()
}

/// Every line of a JSON log, parsed; a line that is not JSON fails the test.
fn json_lines(log: &str) -> Vec<Value> {
    log.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect()
}

fn is_uuid(id: &str) -> bool {
    id.len() == 36 && id.split('-').map(str::len).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
}

#[tokio::test]
async fn every_response_has_a_new_request_id_unless_a_trusted_proxy_sent_a_well_formed_one() {
    let direct = spawn_app().await;
    let forged = direct
        .client
        .get(direct.url("/"))
        .header("x-request-id", "chosen-by-the-client")
        .send()
        .await
        .unwrap();
    let id = request_id(&forged);
    assert!(is_uuid(&id), "{id}");
    // Error pages too, and each request its own id.
    let missing = direct.get("/no/such/page").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let other = request_id(&missing);
    assert!(is_uuid(&other) && other != id, "{other}");
    let refused = direct.post_raw("/login", &[("login", "x")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(is_uuid(&request_id(&refused)));

    let proxied = spawn_app_with(Settings {
        vars: vec![("TRUSTED_PROXIES", "127.0.0.1".to_owned())],
        ..Default::default()
    })
    .await;
    let send = |id: String| {
        proxied
            .client
            .get(proxied.url("/healthz"))
            .header("x-request-id", id)
            .send()
    };
    let kept = "edge-7f3a:01.B_c";
    assert_eq!(request_id(&send(kept.to_owned()).await.unwrap()), kept);
    let longest = "r".repeat(128);
    assert_eq!(request_id(&send(longest.clone()).await.unwrap()), longest);
    for bad in ["two words".to_owned(), "r".repeat(129), "a/b".to_owned()] {
        let id = request_id(&send(bad.clone()).await.unwrap());
        assert!(is_uuid(&id), "{bad:?} was replaced, got {id}");
    }
}

/// The values a secret-grep looks for: everything the journey typed or was given.
#[derive(Default)]
struct Secrets(Vec<String>);

impl Secrets {
    async fn note_session(&mut self, browser: &Browser) {
        self.0.push(browser.csrf_token().await);
        self.0.extend(browser.session_cookie());
    }
}

#[tokio::test]
async fn json_logs_carry_the_request_id_and_no_secret_of_a_whole_journey() {
    let db = crate::common::TestDb::new();
    let dir = TempDir::new("logs");
    let (mut server, browser) = json_logging_server(&dir, &db.url, "debug,tickbox=trace", &[]);
    let mut secrets = Secrets::default();
    secrets.note_session(&browser).await;
    let user = browser.register("jules").await;
    secrets.note_session(&browser).await;
    let added = browser
        .post("/todos", &[("title", "Renew the passport"), ("due", "")])
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let added_id = request_id(&added);
    browser.logout().await;
    secrets.note_session(&browser).await;
    assert_eq!(
        browser.login("jules", &user.password).await.status(),
        StatusCode::SEE_OTHER
    );
    secrets.note_session(&browser).await;
    browser.logout().await;
    let wrong = "Wrong-Horse-Battery-9";
    assert_eq!(
        browser.login("jules", wrong).await.status(),
        StatusCode::UNAUTHORIZED
    );
    secrets.note_session(&browser).await;
    secrets.0.extend([user.password.clone(), wrong.to_owned()]);

    let log = server.stop_and_read_log();

    for secret in &secrets.0 {
        assert!(secret.len() >= 8, "{secret:?} is too short to grep for");
        assert!(
            !log.contains(secret.as_str()),
            "{secret} leaked into the log:\n{log}"
        );
    }
    let lines = json_lines(&log);
    for line in &lines {
        assert!(line.is_object(), "{line}");
    }
    let request_line = lines
        .iter()
        .find(|l| l["message"] == "request" && l["request_id"] == added_id.as_str())
        .unwrap_or_else(|| panic!("no request line with id {added_id}:\n{log}"));
    assert_eq!(request_line["method"], "POST");
    assert_eq!(request_line["route"], "/todos");
    assert_eq!(request_line["status"], 303);
    assert!(request_line["duration_ms"].is_number(), "{request_line}");
    // What the request logged while it ran (here its queries, at trace) carries its id.
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "query" && l["span"]["request_id"] == added_id.as_str()),
        "no line inside request {added_id}:\n{log}"
    );
}

#[tokio::test]
async fn a_failure_a_request_causes_is_logged_with_its_request_id() {
    // PostgreSQL, so that the database can drop the server's connection mid-run.
    let db = crate::common::TestDb::postgres_required();
    let dir = TempDir::new("logs");
    // Only warnings: the request's id still reaches them.
    let (mut server, browser) =
        json_logging_server(&dir, &db.url, "warn", &[("DATABASE_POOL_SIZE", "1")]);
    browser.register("noor").await;
    assert_eq!(browser.get("/todos").await.status(), StatusCode::OK);

    // The database ends the pooled connection: the next request's session load fails.
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let mut admin = diesel::PgConnection::establish(&db.url).unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .execute(&mut admin)
    .unwrap();
    let failed = browser.get("/todos").await;
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    let id = request_id(&failed);
    assert!(is_uuid(&id), "the 503 carries its id too: {id:?}");

    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mut log = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let lines = json_lines(&log);
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "WARN" && l["span"]["request_id"] == id.as_str()),
        "no warning inside request {id}:\n{log}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["request_id"] == id.as_str() && l["status"] == 503),
        "no request line for {id}:\n{log}"
    );
}

/// PERFORMANCE.md's accounting, pinned: a logged-in `GET /todos` makes one trip to the
/// blocking pool (its reads ride along with the session load) and two statements (the
/// session row joined with its user's, which holds the counts; the page), as the
/// statement log shows.
#[tokio::test]
async fn the_list_page_costs_one_trip_to_the_blocking_pool_and_two_statements() {
    let db = crate::common::TestDb::new();
    let dir = TempDir::new("logs");
    let (mut server, browser) = counting_server(&dir, &db.url).await;
    let added = browser
        .post("/todos", &[("title", "Renew the passport"), ("due", "")])
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    // This one shows the "added" flash (from its own cookie: no session write).
    assert_eq!(browser.get("/todos").await.status(), StatusCode::OK);
    let mut ids = Vec::new();
    for path in ["/todos", "/todos?filter=active&sort=title", "/todos?page=2"] {
        let res = browser.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        ids.push((path, request_id(&res)));
    }
    let log = server.stop_and_read_log();
    let lines = json_lines(&log);
    for (path, id) in ids {
        let count = |message: &str| of_request(&lines, &id, message).len();
        assert_eq!(count("blocking trip"), 1, "trips of {path}:\n{log}");
        assert_eq!(count("query"), 2, "statements of {path}:\n{log}");
    }
}

/// Adding a to-do and following its redirect: the POST loads the session and inserts
/// (two trips, two statements), the page after it shows the "added" flash with the
/// list page's one trip and two statements. The flash travels in its own cookie, so
/// neither request writes the session row.
#[tokio::test]
async fn adding_a_to_do_and_showing_its_flash_never_writes_the_session_row() {
    let db = crate::common::TestDb::new();
    let dir = TempDir::new("logs");
    let (mut server, browser) = counting_server(&dir, &db.url).await;
    assert_eq!(browser.get("/todos").await.status(), StatusCode::OK);
    let added = browser
        .post("/todos", &[("title", "Renew the passport"), ("due", "")])
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let post_id = request_id(&added);
    let page = browser.get("/todos").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page_id = request_id(&page);
    assert!(page.text().await.unwrap().contains("To-do added."));

    let log = server.stop_and_read_log();
    let lines = json_lines(&log);
    let of = |id: &str, message: &str| of_request(&lines, id, message);
    // (request, its trips to the blocking pool, its statements)
    for (what, id, trips, statements) in [("POST", &post_id, 2, 2), ("page", &page_id, 1, 2)] {
        assert_eq!(
            of(id, "blocking trip").len(),
            trips,
            "trips of the {what}:\n{log}"
        );
        assert_eq!(
            of(id, "query").len(),
            statements,
            "statements of the {what}:\n{log}"
        );
    }
    for line in of(&post_id, "query")
        .into_iter()
        .chain(of(&page_id, "query"))
    {
        let sql = line["sql"].as_str().expect("each statement logs its SQL");
        let sql = sql.to_lowercase();
        assert!(
            !sql.starts_with("update") || !sql.contains("sessions"),
            "{sql}"
        );
    }
}
