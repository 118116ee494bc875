//! CSRF (SPEC §3): a missing or wrong token is 403 and changes nothing; a form
//! from an ended session gets the stale-form page.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn csrf_failures_answer_403_and_change_nothing() {
    let app = spawn_app().await;
    // Sign-up and log-in forms are protected too.
    let fields = [
        ("username", "kate"),
        ("email", "kate@example.com"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    let _ = app.csrf_token().await;
    let res = app.post_raw("/register", &fields).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("The form could not be verified"));
    let mut forged = fields.to_vec();
    forged.push(("csrf_token", "forged"));
    assert_eq!(
        app.post_raw("/register", &forged).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/todos").await.status(),
        StatusCode::SEE_OTHER,
        "not logged in"
    );

    app.register("kate").await; // the account was not created by the rejected posts
    let token = app.csrf_token().await;
    app.add_todo("keep me", "").await;
    for (path, fields) in [
        ("/todos", vec![("title", "injected")]),
        ("/todos/clear-completed", vec![]),
        ("/logout", vec![]),
        ("/theme", vec![("theme", "dark")]),
    ] {
        let res = app.post_raw(path, &fields).await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path} without a token"
        );
        let mut with_wrong = fields.clone();
        with_wrong.push(("csrf_token", "x"));
        assert_eq!(
            app.post_raw(path, &with_wrong).await.status(),
            StatusCode::FORBIDDEN,
            "{path} with a wrong token"
        );
    }
    // Another user's token does not work here either.
    let other = app.new_browser();
    let other_token = other.csrf_token().await;
    assert_ne!(other_token, token);
    let res = app
        .post_raw(
            "/todos",
            &[("title", "cross"), ("csrf_token", &other_token)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(
        todo_items(&html)
            .into_iter()
            .map(|t| t.1)
            .collect::<Vec<_>>(),
        vec!["keep me"]
    );
    assert!(html.contains(r#"data-theme="light""#));
    assert_eq!(
        text_of(&html, "nav-user").as_deref(),
        Some("kate"),
        "still logged in"
    );
    // Log-out and log-in start new sessions with new tokens.
    app.logout().await;
    assert_ne!(app.csrf_token().await, token);
}

#[tokio::test]
async fn a_form_from_an_ended_session_gets_the_stale_form_page() {
    let app = spawn_app().await;
    app.register("lena").await;
    let token = app.csrf_token().await;
    // The session ends elsewhere (the same cookie logged out from another tab/device).
    let other_tab = app.new_browser();
    other_tab.set_session_cookie(&app.session_cookie().unwrap());
    other_tab.logout().await;

    let res = app
        .post_raw(
            "/todos",
            &[("title", "typed before the pause"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("This form has expired"),
        "the stale form is explained in words"
    );
    assert!(html.contains("href=\""), "links back to the form");
}
