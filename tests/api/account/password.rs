//! `POST /account/password` (SPEC §5): the rules, the renewed session, the others.

use diesel::prelude::*;
use reqwest::StatusCode;
use tickbox::db::schema::users;

use super::*;

const NEW: &str = "Zq7!pW3#rT9x";

async fn change(browser: &Browser, current: &str, new: &str, confirm: &str) -> reqwest::Response {
    browser
        .post(
            "/account/password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("new_password_confirm", confirm),
            ],
        )
        .await
}

fn password_version(app: &TestApp, username: &str) -> i64 {
    let key = username.to_lowercase();
    with_db(app, |conn| {
        users::table
            .filter(users::username_key.eq(key))
            .select(users::password_version)
            .first(conn)
    })
}

#[tokio::test]
async fn each_broken_rule_is_a_422_on_its_field_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.register("Ada.L").await;
    let email = user.email.as_str();
    let long = "vX9#qL2!mTq7".repeat(6) + "z"; // 73 bytes
    let cases: Vec<(&str, String, String, &str)> = vec![
        ("wrong-password", NEW.into(), NEW.into(), "current_password"),
        ("", NEW.into(), NEW.into(), "current_password"),
        (PASSWORD, "Zq7!pW3".into(), "Zq7!pW3".into(), "new_password"), // 7 bytes
        (PASSWORD, long.clone(), long.clone(), "new_password"),
        (PASSWORD, "ada.l".into(), "ada.l".into(), "new_password"),
        (
            PASSWORD,
            "ADA.L@example.com".into(),
            "ADA.L@example.com".into(),
            "new_password",
        ),
        (
            PASSWORD,
            "password1".into(),
            "password1".into(),
            "new_password",
        ),
        (
            PASSWORD,
            "qwertyuiop".into(),
            "qwertyuiop".into(),
            "new_password",
        ),
        (PASSWORD, PASSWORD.into(), PASSWORD.into(), "new_password"),
        (
            PASSWORD,
            NEW.into(),
            format!("{NEW}x"),
            "new_password_confirm",
        ),
    ];
    for (current, new, confirm, field) in &cases {
        let res = change(&app, current, new, confirm).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {new:?}"
        );
        let html = res.text().await.unwrap();
        assert_eq!(field_errors(&html), vec![field.to_string()], "{new:?}");
        assert!(
            !html.contains(r#"type="password" value"#),
            "a password is never echoed"
        );
    }
    // A wrong current password and broken new-password rules are told together.
    let res = change(&app, "wrong-password", "short", "other").await;
    let html = res.text().await.unwrap();
    assert_eq!(
        field_errors(&html),
        ["current_password", "new_password", "new_password_confirm"]
    );
    // The checkbox is kept when the form comes back.
    let res = app
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("new_password_confirm", "short"),
                ("logout_others", "on"),
            ],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"name="logout_others" type="checkbox" value="on" checked"#));

    assert_eq!(password_version(&app, "Ada.L"), 0, "nothing changed");
    assert!(logged_in(&app).await);
    let other = second_browser(&app, email, false).await;
    assert!(logged_in(&other).await, "the old password still works");

    // The boundaries: 72 bytes (and the rules) pass.
    let max = "vX9#qL2!mTq7".repeat(6);
    let res = change(&app, PASSWORD, &max, &max).await;
    assert_redirect_to(&res, "/account");
    assert_eq!(password_version(&app, "Ada.L"), 1);
    let third = app.new_browser();
    assert_redirect_to(&third.login("ada.l", &max).await, "/todos");
    // 8 bytes pass too.
    let res = change(&app, &max, "Zq7!pW3#", "Zq7!pW3#").await;
    assert_redirect_to(&res, "/account");
}

#[tokio::test]
async fn a_change_renews_this_session_and_keeps_the_others() {
    let app = spawn_app().await;
    let user = app.register("grace").await;
    let remembered = second_browser(&app, "grace", true).await;
    let plain = second_browser(&app, "grace", false).await;
    let before = own_session(&app).await;
    let cookie_before = app.session_cookie().unwrap();
    let token_before = app.csrf_token().await;
    let old_copy = cookie_copy(&app, &app);

    let res = change(&app, PASSWORD, NEW, NEW).await;
    assert_redirect_to(&res, "/account");
    let html = account_page(&app).await;
    assert_eq!(
        flashes(&html),
        [(
            "success".to_owned(),
            "Your password has been changed.".to_owned()
        )]
    );

    // This session lives on under a new id, with its start, handle and token.
    assert_ne!(app.session_cookie().unwrap(), cookie_before);
    let after = listed(&html).into_iter().find(|s| s.current).unwrap();
    assert_eq!((&after.id, &after.started), (&before.id, &before.started));
    assert_eq!(app.csrf_token().await, token_before);
    assert!(logged_in(&app).await);
    // A copy of the old cookie is dead at once.
    assert!(
        !logged_in(&old_copy).await,
        "the old cookie value still works"
    );
    // Without `logout_others`, every other session stays, remembered or not.
    assert!(logged_in(&remembered).await);
    assert!(logged_in(&plain).await);
    assert_eq!(listed(&account_page(&app).await).len(), 3);

    // The new password is the password now.
    let fresh = app.new_browser();
    assert_eq!(
        fresh.login("grace", &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_redirect_to(&fresh.login("grace", NEW).await, "/todos");
}

#[tokio::test]
async fn logout_others_ends_every_other_session_remembered_ones_too() {
    let app = spawn_app().await;
    app.register("hedy").await;
    let remembered = second_browser(&app, "hedy", true).await;
    let plain = second_browser(&app, "hedy", false).await;
    let stranger = app.new_browser();
    stranger.register("someone").await;

    let res = app
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW),
                ("new_password_confirm", NEW),
                ("logout_others", "on"),
            ],
        )
        .await;
    assert_redirect_to(&res, "/account");
    assert!(logged_in(&app).await);
    assert!(!logged_in(&remembered).await);
    assert!(!logged_in(&plain).await);
    assert!(
        logged_in(&stranger).await,
        "other users' sessions are theirs"
    );
    let left = listed(&account_page(&app).await);
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
}

#[tokio::test]
async fn wrong_passwords_on_the_account_forms_count_toward_the_log_in_throttle() {
    let app = spawn_app().await;
    app.register("ida").await;
    // Four failures on the account forms and one at log-in: the account's limit.
    for _ in 0..2 {
        let res = change(&app, "wrong-password", NEW, NEW).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = app.post("/account/delete", &[("password", "wrong")]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let other = app.new_browser();
    assert_eq!(
        other.login("ida", "wrong-password").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // At the limit every one of them answers 429, even with the right password.
    let res = change(&app, PASSWORD, NEW, NEW).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(res.headers(), "retry-after").parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("minutes before trying again"),
        "the wait in words"
    );
    assert_eq!(field_errors(&html), ["current_password"]);
    let res = app.post("/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(field_errors(&res.text().await.unwrap()), ["password"]);
    assert_eq!(
        other.login("ida", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(password_version(&app, "ida"), 0, "nothing changed");
    assert!(logged_in(&app).await);
}

#[tokio::test]
async fn a_password_changed_while_the_current_one_is_checked_changes_and_deletes_nothing() {
    let app = spawn_app().await;
    app.register("jane").await;
    app.add_todo("still here", "").await;
    let other = second_browser(&app, "jane", false).await;
    let hash = |app: &TestApp| {
        with_db(app, |conn| {
            users::table
                .select(users::password_hash)
                .first::<String>(conn)
        })
    };
    let before = hash(&app);
    // The attempt is counted before the hash starts: the change lands during the hash.
    with_db(&app, |conn| {
        crate::revocation::trigger(
            conn,
            "INSERT",
            "login_failures",
            "UPDATE users SET password_version = password_version + 1",
        )
    });

    let res = app
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW),
                ("new_password_confirm", NEW),
                ("logout_others", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_errors(&res.text().await.unwrap()),
        ["current_password"]
    );
    assert_eq!(hash(&app), before, "the password did not change");
    assert!(logged_in(&other).await, "no other session ended");

    let res = app.post("/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&res.text().await.unwrap()), ["password"]);
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(
        todo_items(&html).len(),
        1,
        "the account and its to-dos are there"
    );
    assert!(logged_in(&other).await);
}

#[tokio::test]
async fn a_remembered_session_keeps_its_lifetime_through_a_change() {
    use tickbox::db::schema::sessions;
    let app = spawn_app().await;
    app.register("kira").await;
    let remembered = second_browser(&app, "kira", true).await;
    let handle = own_session(&remembered).await.id;
    let expires = |app: &TestApp| {
        let handle = handle.clone();
        with_db(app, move |conn| {
            sessions::table
                .filter(sessions::public_id.eq(handle))
                .select(sessions::expires_at)
                .first::<time::PrimitiveDateTime>(conn)
        })
    };
    let before = expires(&app);

    let res = change(&remembered, PASSWORD, NEW, NEW).await;
    assert_redirect_to(&res, "/account");
    let cookie = set_cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("tickbox_session="))
        .expect("the renewed session cookie");
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    assert_eq!(expires(&app), before, "30 days from the log-in, as before");
    assert_eq!(own_session(&remembered).await.id, handle);
}
