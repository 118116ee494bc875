//! Signing up (SPEC §3): logged in and welcomed, taken names (also when two sign-ups
//! race), and the account and its logged-in session as one transaction.

use reqwest::StatusCode;

use super::sign_up;
use crate::helpers::*;

#[tokio::test]
async fn registration_logs_in_and_welcomes_and_duplicates_are_reported_ignoring_case() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/register",
            &[
                ("username", "Alice"),
                ("email", "Alice@Example.com"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_redirect_to(&res, "/todos");
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        vec![("success".into(), "Welcome, Alice!".into())]
    );
    assert_eq!(text_of(&html, "nav-user").as_deref(), Some("Alice"));
    // A logged-in user is sent on from the sign-up form.
    let res = app.get("/register").await;
    assert_redirect_to(&res, "/todos");

    let other = app.new_browser();
    let (status, html) = sign_up(&other, "ALICE", "someone@example.com", PASSWORD, PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&html), vec!["username"]);
    let (status, html) = sign_up(&other, "alice2", "ALICE@example.COM", PASSWORD, PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&html), vec!["email"]);
}

#[tokio::test]
async fn taken_values_are_reported_together_with_every_other_bad_field() {
    let app = spawn_app().await;
    app.register("carol").await;
    let other = app.new_browser();
    // Both values taken, and the confirmation wrong: three errors in one answer.
    let (status, html) = sign_up(&other, "Carol", "CAROL@example.com", PASSWORD, "nope").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_errors(&html),
        vec!["username", "email", "password_confirm"]
    );
    assert!(html.contains("This username is already taken."), "{html}");
    assert!(
        html.contains("This email address is already taken."),
        "{html}"
    );
    // Both taken and everything else right: both named at once.
    let (status, html) = sign_up(&other, "carol", "carol@example.com", PASSWORD, PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&html), vec!["username", "email"]);
    // A value that breaks its own rule gets that rule's message, not "taken".
    let (status, html) = sign_up(&other, "carol", "not-an-email", "short", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&html), vec!["username", "email", "password"]);
    assert!(!html.contains("This email address is already taken."));
}

#[tokio::test]
async fn racing_sign_ups_for_one_name_give_one_account_and_one_422() {
    let app = spawn_app().await;
    for round in 0..4 {
        let (a, b) = (app.new_browser(), app.new_browser());
        let (ta, tb) = (a.csrf_token().await, b.csrf_token().await);
        let name = format!("racer{round}");
        let form = |token: &str, email: &str| {
            vec![
                ("username".to_owned(), name.clone()),
                ("email".to_owned(), email.to_owned()),
                ("password".to_owned(), PASSWORD.to_owned()),
                ("password_confirm".to_owned(), PASSWORD.to_owned()),
                ("csrf_token".to_owned(), token.to_owned()),
            ]
        };
        let (fa, fb) = (
            form(&ta, &format!("a{round}@example.com")),
            form(&tb, &format!("b{round}@example.com")),
        );
        let (ra, rb) = tokio::join!(
            a.client.post(a.url("/register")).form(&fa).send(),
            b.client.post(b.url("/register")).form(&fb).send(),
        );
        let mut statuses = [ra.unwrap().status(), rb.unwrap().status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY],
            "round {round}"
        );
    }
}

/// Makes the database refuse to store a logged-in session (a real trigger, no mock).
fn refuse_logged_in_sessions(app: &TestApp, refuse: bool) {
    let postgres = app.db.url.starts_with("postgres");
    let sql = match (postgres, refuse) {
        (true, true) => {
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; \
             CREATE TRIGGER refuse BEFORE INSERT ON sessions FOR EACH ROW \
             WHEN (NEW.user_id IS NOT NULL) EXECUTE FUNCTION refuse();"
        }
        (true, false) => "DROP TRIGGER refuse ON sessions; DROP FUNCTION refuse();",
        (false, true) => {
            "CREATE TRIGGER refuse BEFORE INSERT ON sessions \
             WHEN NEW.user_id IS NOT NULL BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
        }
        (false, false) => "DROP TRIGGER refuse;",
    };
    with_db(app, |conn| {
        diesel::connection::SimpleConnection::batch_execute(conn, sql)
    });
}

#[tokio::test]
async fn an_account_and_its_session_are_created_together_or_not_at_all() {
    let app = spawn_app().await;
    let p = PASSWORD;
    let accounts = |app: &TestApp| {
        with_db(app, |conn| {
            use diesel::prelude::*;
            tickbox::db::schema::users::table
                .count()
                .get_result::<i64>(conn)
        })
    };
    refuse_logged_in_sessions(&app, true);
    let (status, _) = sign_up(&app, "quinn", "q@example.com", p, p).await;
    assert!(status.is_server_error(), "{status}");
    assert_eq!(accounts(&app), 0, "no account without its session");

    // The same sign-up works once sessions can be stored: nothing was left behind.
    refuse_logged_in_sessions(&app, false);
    let (status, _) = sign_up(&app, "quinn", "q@example.com", p, p).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(accounts(&app), 1);
    assert_eq!(app.get("/todos").await.status(), StatusCode::OK);

    // A taken name is a 422 whose session still works for the next try.
    let other = app.new_browser();
    let (status, _) = sign_up(&other, "Quinn", "o@example.com", p, p).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = sign_up(&other, "quinn2", "o@example.com", p, p).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(accounts(&app), 2);
}
