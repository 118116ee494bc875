//! The binary: configuration errors, the commands, and graceful shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::common::TempDir;
use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_tickbox");

/// The binary with a clean environment, run in an empty directory (no `.env`).
pub(crate) fn tickbox(dir: &std::path::Path, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .current_dir(dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

pub(crate) fn run_with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn bad_configuration_stops_with_one_line_naming_the_variable_and_status_2() {
    let dir = TempDir::new("cli");
    let long_key = "k".repeat(64);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("DATABASE_URL", "mysql://nope")], "DATABASE_URL"),
        (&[("BIND", "not-an-address")], "BIND"),
        (&[("SECRET_KEY", "too-short")], "SECRET_KEY"),
        (&[("BCRYPT_COST", "99")], "BCRYPT_COST"),
        (&[("DATABASE_POOL_SIZE", "many")], "DATABASE_POOL_SIZE"),
        (&[("TRUSTED_PROXIES", "10.0.0.0/33")], "TRUSTED_PROXIES"),
        (&[("COOKIE_SECURE", "maybe")], "COOKIE_SECURE"),
        (&[("METRICS_BIND", "metrics:9090")], "METRICS_BIND"),
        (
            &[
                ("BIND", "127.0.0.1:9464"),
                ("METRICS_BIND", "127.0.0.1:9464"),
            ],
            "METRICS_BIND",
        ),
        (&[("LOG_FORMAT", "xml")], "LOG_FORMAT"),
        // Mail (SPEC §1, §9): sending for real needs PUBLIC_URL for its links.
        (&[("SMTP_URL", "smtp://127.0.0.1:25")], "PUBLIC_URL"),
        (&[("SMTP_URL", "gopher://127.0.0.1")], "SMTP_URL"),
        (
            &[("SMTP_URL", "smtp://127.0.0.1?tls=sometimes")],
            "SMTP_URL",
        ),
        (
            &[("SMTP_URL", "log"), ("PUBLIC_URL", "todo.example.com")],
            "PUBLIC_URL",
        ),
        (&[("SMTP_URL", "log"), ("MAIL_FROM", "nobody")], "MAIL_FROM"),
        (
            &[("DATABASE_URL", "postgres://postgres@127.0.0.1/x")],
            "SECRET_KEY",
        ),
        (
            &[
                ("DATABASE_URL", "postgres://postgres@127.0.0.1/x"),
                ("SECRET_KEY", &long_key),
                ("BCRYPT_COST", "x"),
            ],
            "BCRYPT_COST",
        ),
    ];
    for (vars, var) in cases {
        let out = tickbox(&dir, vars).arg("serve").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{vars:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line for {vars:?}: {stderr}");
        assert!(lines[0].contains(var), "{vars:?}: {stderr}");
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn a_real_environment_variable_wins_over_dot_env() {
    let dir = TempDir::new("cli");
    std::fs::write(dir.join(".env"), "BCRYPT_COST=99\nBIND=nonsense\n").unwrap();
    let out = tickbox(&dir, &[("BCRYPT_COST", "5")])
        .arg("migrate")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // BCRYPT_COST from the environment is fine, BIND from .env is not.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("BIND") && !stderr.contains("BCRYPT_COST"),
        "{stderr}"
    );
}

#[test]
fn help_and_version_are_usual() {
    let dir = TempDir::new("cli");
    let out = tickbox(&dir, &[]).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("tickbox {}", env!("CARGO_PKG_VERSION"))
    );
    let out = tickbox(&dir, &[]).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "create-user", "set-password", "backup"] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn processes_starting_together_on_a_new_database_migrate_it_once() {
    // Two instances behind one proxy start at the same moment on the same database.
    let db = TestDb::new();
    let dir = TempDir::new("cli");
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("SECRET_KEY", SECRET_KEY),
    ];
    let children: Vec<Child> = (0..4)
        .map(|_| {
            tickbox(&dir, &env)
                .arg("migrate")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn create_user_reads_the_password_from_stdin_and_the_account_can_log_in() {
    let db = TestDb::new();
    let dir = TempDir::new("cli");
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("SECRET_KEY", SECRET_KEY),
        ("BCRYPT_COST", "4"),
    ];
    let out = tickbox(&dir, &env).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut cmd = tickbox(&dir, &env);
    cmd.args([
        "create-user",
        "--username",
        "Operator",
        "--email",
        "op@example.com",
    ]);
    let out = run_with_stdin(cmd, &format!("{PASSWORD}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PASSWORD));

    // The same rules as the sign-up form: a guessable password is refused.
    let mut cmd = tickbox(&dir, &env);
    cmd.args([
        "create-user",
        "--username",
        "second",
        "--email",
        "second@example.com",
    ]);
    let out = run_with_stdin(cmd, "password1\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    // A taken name, ignoring case, is refused.
    let mut cmd = tickbox(&dir, &env);
    cmd.args([
        "create-user",
        "--username",
        "OPERATOR",
        "--email",
        "other@example.com",
    ]);
    let out = run_with_stdin(cmd, &format!("{PASSWORD}\n"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("username"));

    let app = spawn_app_with(Settings {
        db: Some(db),
        ..Default::default()
    })
    .await;
    let res = app.login("operator", PASSWORD).await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn set_password_replaces_the_password_and_ends_the_users_sessions() {
    let app = spawn_app().await;
    app.register("carol").await;
    assert_eq!(app.get("/todos").await.status(), reqwest::StatusCode::OK);

    let dir = TempDir::new("cli");
    let env = [
        ("DATABASE_URL", app.db.url.as_str()),
        ("SECRET_KEY", SECRET_KEY),
        ("BCRYPT_COST", "4"),
    ];
    let mut cmd = tickbox(&dir, &env);
    cmd.args(["set-password", "--username", "carol"]);
    let out = run_with_stdin(cmd, "a-brand-new-Passphrase-42\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let res = app.get("/todos").await;
    assert_eq!(
        res.status(),
        reqwest::StatusCode::SEE_OTHER,
        "the old session has ended"
    );
    assert_eq!(
        app.login("carol", PASSWORD).await.status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("carol", "a-brand-new-Passphrase-42")
            .await
            .status(),
        reqwest::StatusCode::SEE_OTHER
    );
}

#[test]
fn operator_commands_on_postgres_need_no_secret_key() {
    // Only `serve` signs cookies; `set-password` and `migrate` must work without the key.
    let db = TestDb::postgres_required();
    let dir = TempDir::new("cli");
    let env = [("DATABASE_URL", db.url.as_str()), ("BCRYPT_COST", "4")];
    let out = tickbox(&dir, &env).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cmd = tickbox(&dir, &env);
    cmd.args([
        "create-user",
        "--username",
        "opal",
        "--email",
        "opal@example.com",
    ]);
    assert!(run_with_stdin(cmd, &format!("{PASSWORD}\n"))
        .status
        .success());
    let mut cmd = tickbox(&dir, &env);
    cmd.args(["set-password", "--username", "opal"]);
    let out = run_with_stdin(cmd, "a-brand-new-Passphrase-42\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server still refuses to start without it (exit 2, naming the variable).
    let out = tickbox(&dir, &env).arg("serve").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SECRET_KEY"));
}

#[test]
fn the_sqlite_file_and_the_generated_key_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("cli");
    let db_path = dir.join("fresh.db");
    let url = format!("sqlite://{}", db_path.display());
    let out = tickbox(&dir, &[("DATABASE_URL", url.as_str())])
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The key file is written by the server; start it, without a SECRET_KEY.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tickbox(&dir, &[("DATABASE_URL", url.as_str())])
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut log, &mut line).unwrap() > 0
        && !line.contains("tickbox listening")
    {
        line.clear();
    }
    let _ = child.kill();
    let _ = child.wait();
    let key = dir.join("fresh.db.secret_key");
    for (file, what) in [(&db_path, "database"), (&key, "key file")] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{what} {}", file.display());
    }
    let wal = dir.join("fresh.db-wal");
    if wal.exists() {
        let mode = std::fs::metadata(&wal).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the WAL follows the database file");
    }
}

#[test]
fn sqlite_connections_cut_the_wal_back_after_a_checkpoint() {
    use diesel::{sql_query, sql_types::BigInt, QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Limit {
        #[diesel(sql_type = BigInt)]
        journal_size_limit: i64,
    }
    let dir = TempDir::new("cli");
    let url =
        tickbox::config::DatabaseUrl::parse(&format!("sqlite://{}", dir.join("wal.db").display()))
            .unwrap();
    let mut conn = tickbox::db::Manager::new(url).connect().unwrap();
    let limit: Limit = sql_query("PRAGMA journal_size_limit")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        limit.journal_size_limit as u64,
        tickbox::db::SQLITE_WAL_LIMIT
    );
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Server {
    /// Stops the server with SIGTERM, checks that it exited 0, and returns all it
    /// wrote to stderr (started with `Stdio::piped()`).
    pub(crate) fn stop_and_read_log(&mut self) -> String {
        self.signal("-TERM");
        assert_eq!(self.child.wait().unwrap().code(), Some(0));
        let mut log = String::new();
        let mut stderr = self.child.stderr.take().expect("stderr was piped");
        stderr.read_to_string(&mut log).unwrap();
        log
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
    }

    /// Returns once connecting fails, i.e. the server has closed its listening socket.
    fn wait_until_not_listening(&self) {
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50)); // between two real attempts
        }
        panic!("the listening socket stayed open after the signal");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port and waits until `/healthz` answers.
fn start_server(dir: &std::path::Path, db_url: &str, stderr: Stdio) -> Server {
    start_server_with(dir, db_url, stderr, &[("BCRYPT_COST", "4")])
}

pub(crate) fn start_server_with(
    dir: &std::path::Path,
    db_url: &str,
    stderr: Stdio,
    vars: &[(&str, &str)],
) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut vars = vars.to_vec();
    vars.extend([("DATABASE_URL", db_url), ("SECRET_KEY", SECRET_KEY)]);
    let child = tickbox(dir, &vars)
        .args(["serve", "--bind", &bind])
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let server = Server { child, port };
    // Wait for the listening socket: bounded, each try is a real connection attempt.
    for _ in 0..200 {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            if out.starts_with("HTTP/1.1 200") {
                return server;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not start");
}

#[test]
fn the_highest_bcrypt_cost_starts_at_once() {
    // One hash at cost 31 takes days: the server must not hash anything to start.
    let db = TestDb::new();
    let dir = TempDir::new("cli");
    let server = start_server_with(&dir, &db.url, Stdio::null(), &[("BCRYPT_COST", "31")]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
}

#[test]
fn sigterm_finishes_a_request_whose_body_is_still_arriving_then_exits_0() {
    finishes_a_request_whose_body_is_still_arriving("-TERM");
}

#[test]
fn sigint_is_as_graceful_as_sigterm() {
    finishes_a_request_whose_body_is_still_arriving("-INT");
}

fn finishes_a_request_whose_body_is_still_arriving(signal: &str) {
    let db = TestDb::new();
    let dir = TempDir::new("cli");
    let mut server = start_server(&dir, &db.url, Stdio::null());
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let body = "login=x&password=y";
    // The head and half of the body, then SIGTERM, then the rest.
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..5]
    )
    .unwrap();
    stream.flush().unwrap();
    // Read back a request on another connection so we know the first one has been accepted.
    let mut probe = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    probe
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    probe.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"));

    server.signal(signal);
    server.wait_until_not_listening();
    // The stop has begun (the listening socket is closed): now the rest of the body.
    stream.write_all(&body.as_bytes()[5..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    // No CSRF token was sent, so the answer is the 403 page: the request was completed.
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "the socket is closed"
    );
}

/// Reads one `/healthz` response (its body is `ok`) without waiting for the connection to end.
fn read_healthz(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r\n\r\nok") {
        if stream.read(&mut byte).unwrap() == 0 {
            break;
        }
        out.push(byte[0]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn a_stop_answers_requests_already_sent_on_kept_alive_connections_and_closes_idle_ones() {
    let db = TestDb::new();
    let dir = TempDir::new("cli");
    let mut server = start_server(&dir, &db.url, Stdio::null());
    const REQUEST: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut connections: Vec<TcpStream> = (0..16)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s.write_all(REQUEST).unwrap();
            assert!(read_healthz(&mut s).starts_with("HTTP/1.1 200"));
            s
        })
        .collect();
    // Half the kept-alive connections send their next request just before the signal.
    for s in connections.iter_mut().step_by(2) {
        s.write_all(REQUEST).unwrap();
    }
    server.signal("-TERM");
    for (i, s) in connections.iter_mut().enumerate() {
        let mut rest = String::new();
        s.read_to_string(&mut rest).unwrap();
        if i % 2 == 0 {
            assert!(
                rest.starts_with("HTTP/1.1 200") && rest.ends_with("ok"),
                "connection {i}: a request sent before the stop is answered: {rest:?}"
            );
        } else {
            assert_eq!(
                rest, "",
                "connection {i}: an idle connection is just closed"
            );
        }
    }
    assert_eq!(server.child.wait().unwrap().code(), Some(0));
}

#[tokio::test]
async fn one_log_line_per_request_and_no_secrets_in_the_log() {
    let db = TestDb::new();
    let dir = TempDir::new("cli");
    let mut server = start_server(&dir, &db.url, Stdio::piped());
    let browser = Browser::new(&format!("http://127.0.0.1:{}", server.port));
    browser.register("logan").await;
    let token = browser.csrf_token().await;
    let cookie = browser.session_cookie().unwrap();
    browser.login("logan", "a-wrong-Password-99").await;
    browser.get("/todos?filter=active&secret=query-value").await;

    let log = server.stop_and_read_log();

    let requests: Vec<&str> = log.lines().filter(|l| l.contains(" request ")).collect();
    // healthz (start-up probe), GET+POST /login and POST /register, …: each one line.
    assert!(
        requests.iter().any(|l| l.contains("method=POST")
            && l.contains("route=/register")
            && l.contains("status=303")),
        "{log}"
    );
    assert!(
        requests.iter().any(|l| l.contains("route=/todos ")
            && l.contains("status=200")
            && l.contains("duration_ms=")),
        "{log}"
    );
    assert!(
        requests
            .iter()
            .any(|l| l.contains("route=/login ") && l.contains("status=401")),
        "{log}"
    );
    for secret in [
        PASSWORD,
        "a-wrong-Password-99",
        token.as_str(),
        cookie.as_str(),
        "query-value",
    ] {
        assert!(
            !log.contains(secret),
            "{secret} leaked into the log:\n{log}"
        );
    }
    assert!(
        !log.contains('\u{1b}'),
        "no terminal colour codes in a log file"
    );
}

#[test]
fn a_clients_malformed_request_gets_its_400_and_no_error_line() {
    let db = TestDb::new();
    let dir = TempDir::new("cli");
    let mut server = start_server(&dir, &db.url, Stdio::piped());
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET /\x01 HTTP/1.1\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.write_all(raw).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    }
    let log = server.stop_and_read_log();
    assert!(log.contains("INFO"), "the log was read: {log}");
    assert!(
        !log.contains("ERROR"),
        "a client's mistake is not our error:\n{log}"
    );
}

#[tokio::test]
async fn smtp_url_log_writes_the_mail_whole_and_request_lines_hide_the_token() {
    let db = TestDb::new();
    let dir = TempDir::new("cli");
    let vars = [("BCRYPT_COST", "4"), ("SMTP_URL", "log")];
    let mut server = start_server_with(&dir, &db.url, Stdio::piped(), &vars);
    // The log is read as it is written: the sender writes the mail after the request.
    let stderr = server.child.stderr.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let base = format!("http://127.0.0.1:{}", server.port);
    let browser = Browser::new(&base);
    let user = browser.register("logmail").await;
    let res = browser
        .post("/password/forgot", &[("email", &user.email)])
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);

    // With SMTP_URL=log and no PUBLIC_URL, links use http://BIND.
    let prefix = format!("{base}/password/reset/");
    let mut log = String::new();
    let link = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no mail in the log:\n{log}"));
        log.push_str(&line);
        log.push('\n');
        if let Some(at) = line.find(&prefix) {
            break line[at..at + prefix.len() + 64].to_owned();
        }
    };
    assert!(
        log.contains("Subject: Reset your tickbox password"),
        "{log}"
    );
    assert!(log.contains("From: tickbox <noreply@localhost>"), "{log}");
    let token = &link[prefix.len()..];
    let path = &link[base.len()..];
    assert_eq!(browser.get(path).await.status(), reqwest::StatusCode::OK);

    // SIGTERM stops the server and its mail sender cleanly.
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert_eq!(server.child.wait().unwrap().code(), Some(0));
    reader.join().unwrap();
    log.extend(lines.try_iter().map(|l| l + "\n"));
    assert!(log.contains("route=/password/reset/{token}"), "{log}");
    assert_eq!(
        log.matches(token).count(),
        1,
        "the token only in the mail:\n{log}"
    );
}
