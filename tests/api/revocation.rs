//! SPEC §2, reliability: a session that has ended never yields a logged-in session
//! again, not even for a request already under way when it ended; a log-in whose
//! password check began before the password changed fails; an anonymous visitor who
//! only reads pages causes no database write.
//!
//! "While a request is under way" is made exact with database triggers: the change
//! happens inside the request's own statements, at the worst moment, every time.

use std::io::{Read, Write};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::StatusCode;
use tickbox::db::schema::{login_failures, sessions, todos};
use tickbox::db::DbConnection;

use crate::helpers::*;

/// Installs `AFTER <event> ON <table>` running `action` (one SQL statement) per row.
pub(crate) fn trigger(
    conn: &mut DbConnection,
    event: &str,
    table: &str,
    action: &str,
) -> QueryResult<()> {
    let name = format!("test_{}_{}", event.to_lowercase(), table);
    match conn {
        DbConnection::Pg(c) => c.batch_execute(&format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN {action}; RETURN NULL; END $$; \
             CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();"
        )),
        DbConnection::Sqlite(c) => c.batch_execute(&format!(
            "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {action}; END;"
        )),
    }
}

fn session_rows(app: &TestApp) -> i64 {
    with_db(app, |conn| sessions::table.count().get_result(conn))
}

#[tokio::test]
async fn a_visitor_who_only_reads_pages_writes_nothing() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/login",
        "/register",
        "/",
        "/todos",
        "/login?next=%2Ftodos",
    ] {
        let res = app.get(path).await;
        assert!(res.status().is_success() || res.status().is_redirection());
    }
    // The redirect's flash is still shown, from the cookie alone.
    let html = app.get("/login").await.text().await.unwrap();
    assert!(html.contains("Please log in to access this page.") || flashes(&html).is_empty());
    assert_eq!(
        session_rows(&app),
        0,
        "no session row for an anonymous reader"
    );
    // The forms still work: the anonymous token is checked, and a log-in makes the row.
    app.register("reader").await;
    assert_eq!(session_rows(&app), 1);
    assert_eq!(app.get("/todos").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_log_in_redirect_flash_survives_without_a_session_row() {
    let app = spawn_app().await;
    let res = app.get("/todos").await;
    assert_eq!(location(&res), "/login?next=%2Ftodos");
    let html = app.get("/login?next=%2Ftodos").await.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        vec![(
            "info".to_owned(),
            "Please log in to access this page.".to_owned()
        )]
    );
    assert_eq!(session_rows(&app), 0);
}

/// A session ends (by `action`, run by the database right after the request adds its
/// to-do): the answer to that very request must not carry a logged-in session.
async fn ended_while_adding_a_todo(action: &str) {
    let app = spawn_app().await;
    app.register("tess").await;
    with_db(&app, |conn| trigger(conn, "INSERT", "todos", action));
    let res = app.post("/todos", &[("title", "last one")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app.get("/todos").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the ended session did not come back"
    );
    assert!(location(&res).starts_with("/login"));
    let live: i64 = with_db(&app, |conn| {
        sessions::table
            .filter(sessions::user_id.is_not_null())
            .filter(sessions::expires_at.gt(tickbox::db::models::now()))
            .count()
            .get_result(conn)
    });
    assert_eq!(live, 0, "no logged-in session row was made again");
}

#[tokio::test]
async fn a_session_logged_out_elsewhere_mid_request_stays_ended() {
    ended_while_adding_a_todo("DELETE FROM sessions WHERE user_id = NEW.user_id").await;
}

#[tokio::test]
async fn a_session_reaching_its_deadline_mid_request_is_not_restarted() {
    // Its 7 days (or 12 idle hours) run out between loading and saving the session.
    ended_while_adding_a_todo(
        "UPDATE sessions SET expires_at = '2000-01-01 00:00:00' WHERE user_id = NEW.user_id",
    )
    .await;
}

#[tokio::test]
async fn a_copied_cookie_whose_session_ends_while_its_body_arrives_adds_nothing() {
    let app = spawn_app().await;
    app.register("bodie").await;
    let token = app.csrf_token().await;
    let cookie = app.session_cookie().unwrap();
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let body = format!("csrf_token={token}&title=from+a+stolen+cookie");
    let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST /todos HTTP/1.1\r\nHost: x\r\nCookie: tickbox_session={cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    // The session ends (log-out in another tab) while the body is still arriving.
    assert_eq!(app.logout().await.status(), StatusCode::SEE_OTHER);
    let rest = body.as_bytes()[10..].to_vec();
    let answer = tokio::task::spawn_blocking(move || {
        stream.write_all(&rest).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    // Seen as the anonymous visitor it now is: its form's token belonged to the ended
    // session (403, the stale-form page), and it is not logged in.
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("expired"), "the stale-form page: {answer}");
    let added: i64 = with_db(&app, |conn| todos::table.count().get_result(conn));
    assert_eq!(added, 0);
}

/// The password changes (by `action`) at a given moment of a log-in with the old one.
async fn password_changes_during_log_in(event: &str) {
    let app = spawn_app().await;
    app.register("petra").await;
    app.logout().await;
    with_db(&app, |conn| {
        trigger(
            conn,
            event,
            "login_failures",
            "UPDATE users SET password_version = password_version + 1",
        )
    });
    let res = app.login("petra", PASSWORD).await;
    let res = match res.status() {
        StatusCode::UNAUTHORIZED => res,
        _ => app.get("/todos").await,
    };
    assert!(
        matches!(
            res.status(),
            StatusCode::UNAUTHORIZED | StatusCode::SEE_OTHER
        ),
        "{}",
        res.status()
    );
    assert_eq!(
        app.get("/todos").await.status(),
        StatusCode::SEE_OTHER,
        "not logged in with a password that changed during its check"
    );
    assert_eq!(
        with_db(&app, |conn| sessions::table
            .filter(sessions::user_id.is_not_null())
            .count()
            .get_result::<i64>(conn)),
        0
    );
}

#[tokio::test]
async fn a_log_in_fails_when_the_password_changes_while_it_is_checked() {
    // The attempt is counted before the hash starts: the change lands during the hash.
    password_changes_during_log_in("INSERT").await;
}

#[tokio::test]
async fn a_log_in_fails_when_the_password_changes_just_before_its_session_is_made() {
    // The attempt is settled (its row deleted) after the hash: the change lands
    // between the check and the session row.
    password_changes_during_log_in("DELETE").await;
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_checks_at_most_the_limit() {
    let app = spawn_app().await;
    app.register("burst").await;
    app.logout().await;
    let token = app.csrf_token().await;
    let attempts = (0..40).map(|i| {
        let (client, url, token) = (app.client.clone(), app.url("/login"), token.clone());
        async move {
            let password = format!("wrong-{i}");
            client
                .post(url)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("login", "burst"),
                    ("password", password.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + refused, 40, "{statuses:?}");
    assert!(checked <= 5, "{checked} wrong passwords were checked");
    let counted: i64 = with_db(&app, |conn| {
        login_failures::table
            .filter(login_failures::key.like("user:%"))
            .count()
            .get_result(conn)
    });
    assert_eq!(counted as usize, checked, "429s are not counted");
}

#[tokio::test]
async fn a_burst_from_one_address_checks_at_most_its_limit() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    let attempts = (0..60).map(|i| {
        let (client, url, token) = (app.client.clone(), app.url("/login"), token.clone());
        async move {
            let login = format!("nobody-{i}");
            client
                .post(url)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("login", login.as_str()),
                    ("password", "whatever-it-is"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 20,
        "{checked} attempts from one address were checked"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        60 - checked
    );
}

#[tokio::test]
async fn a_nul_byte_is_a_field_error_not_a_server_error() {
    let app = spawn_app().await;
    let res = app.login("nul\0name", "whatever-it-is").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.register("nully").await;
    let res = app.post("/todos", &[("title", "milk\0honey")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&res.text().await.unwrap()), vec!["title"]);
    let id = app.add_todo("milk", "").await;
    let res = app
        .post(&format!("/todos/{id}"), &[("title", "a\0b"), ("due", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&res.text().await.unwrap()), vec!["title"]);
}
