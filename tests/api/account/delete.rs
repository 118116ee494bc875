//! `POST /account/delete` (SPEC §5): the password, then everything of the account goes
//! in one transaction, and its name is free again.

use diesel::prelude::*;
use reqwest::StatusCode;
use tickbox::db::schema::{login_failures, sessions, todos, users};

use super::*;

/// (accounts, to-dos, sessions, throttle rows) of the account `id`.
fn rows_of(app: &TestApp, id: i64) -> (i64, i64, i64, i64) {
    with_db(app, |conn| {
        Ok((
            users::table.find(id).count().get_result(conn)?,
            todos::table
                .filter(todos::user_id.eq(id))
                .count()
                .get_result(conn)?,
            sessions::table
                .filter(sessions::user_id.eq(id))
                .count()
                .get_result(conn)?,
            login_failures::table
                .filter(login_failures::key.eq(format!("user:{id}")))
                .count()
                .get_result(conn)?,
        ))
    })
}

fn user_id(app: &TestApp, username: &str) -> i64 {
    let key = username.to_lowercase();
    with_db(app, |conn| {
        users::table
            .filter(users::username_key.eq(key))
            .select(users::id)
            .first(conn)
    })
}

#[tokio::test]
async fn a_wrong_password_is_a_422_and_deletes_nothing() {
    let app = spawn_app().await;
    app.register("olga").await;
    app.add_todo("keep me", "").await;
    let id = user_id(&app, "olga");
    for password in ["wrong-password", "", &"x".repeat(100)] {
        let res = app.post("/account/delete", &[("password", password)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(field_errors(&res.text().await.unwrap()), ["password"]);
    }
    let (accounts, todos, sessions, failures) = rows_of(&app, id);
    assert_eq!((accounts, todos, sessions), (1, 1, 1));
    assert_eq!(failures, 3, "each wrong password counts as a failed log-in");
    assert!(logged_in(&app).await);
}

#[tokio::test]
async fn the_right_password_deletes_everything_and_frees_the_name() {
    let app = spawn_app().await;
    let user = app.register("pia").await;
    app.add_todo("one", "").await;
    app.add_todo("two", "2030-01-01").await;
    let remembered = second_browser(&app, "pia", true).await;
    let plain = second_browser(&app, "pia", false).await;
    // A failed log-in on record for the account.
    let res = app.new_browser().login("pia", "wrong-password").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let stranger = app.new_browser();
    stranger.register("quinn").await;
    stranger.add_todo("theirs", "").await;
    let id = user_id(&app, "pia");
    assert_eq!(rows_of(&app, id), (1, 2, 3, 1));

    let res = app.post("/account/delete", &[("password", PASSWORD)]).await;
    assert_redirect_to(&res, "/");
    let html = app.get("/").await.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        [(
            "info".to_owned(),
            "Your account has been deleted.".to_owned()
        )]
    );
    assert!(html.contains("Hello, Anonymous!"));
    assert_eq!(rows_of(&app, id), (0, 0, 0, 0));
    // Every other browser of the account is anonymous at its next request.
    assert!(!logged_in(&remembered).await);
    assert!(!logged_in(&plain).await);
    assert!(!logged_in(&app).await);
    assert!(logged_in(&stranger).await);
    let theirs = stranger.get("/todos").await.text().await.unwrap();
    assert_eq!(todo_items(&theirs).len(), 1);
    // The account is gone: its password logs nobody in, and its name is free.
    let res = app.new_browser().login("pia", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let again = app.new_browser();
    let new = again.register("PIA").await;
    assert_eq!(new.email, user.email);
    assert!(logged_in(&again).await);
    assert!(todo_items(&again.get("/todos").await.text().await.unwrap()).is_empty());
}
