//! Logging in and out (SPEC §3): by username or email, one answer for every wrong
//! credential, a fresh session id, server-side log-out, and the session cookie
//! (remember me, `Secure`).

use reqwest::StatusCode;

use super::WRONG;
use crate::helpers::*;

#[tokio::test]
async fn log_in_by_username_or_email_ignoring_case_and_land_on_todos() {
    let app = spawn_app().await;
    app.register("Bob").await;
    app.logout().await;
    for login in ["bob", "BOB", "bob@EXAMPLE.com"] {
        let b = app.new_browser();
        let res = b.login(login, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{login}");
        assert_eq!(location(&res), "/todos");
        let html = b.get("/todos").await.text().await.unwrap();
        assert_eq!(
            flashes(&html),
            vec![("success".into(), "Successfully logged in!".into())]
        );
        let home = b.get("/").await.text().await.unwrap();
        assert_eq!(text_of(&home, "greeting").as_deref(), Some("Hello, Bob!"));
    }
}

#[tokio::test]
async fn unknown_user_and_wrong_password_fail_identically() {
    let app = spawn_app().await;
    app.register("carla").await;
    app.logout().await;
    let over_72 = format!("{PASSWORD}{}", "x".repeat(80));
    let mut pages = Vec::new();
    for (login, password) in [
        ("carla", "wrong-password-1"),
        ("nobody", "wrong-password-1"),
        ("carla", over_72.as_str()),
    ] {
        let b = app.new_browser();
        let res = b.login(login, password).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{login}");
        let html = res.text().await.unwrap();
        assert_eq!(flashes(&html), vec![("error".into(), WRONG.into())]);
        // Apart from the echoed login and the session's token, the pages are the same.
        let token = csrf_in(&html).unwrap();
        pages.push(
            html.replace(&token, "TOKEN")
                .replace(&format!(r#"value="{login}""#), "LOGIN"),
        );
        assert!(b.session_cookie().is_some());
        assert_eq!(
            b.get("/todos").await.status(),
            StatusCode::SEE_OTHER,
            "still anonymous"
        );
    }
    assert_eq!(
        pages[0], pages[1],
        "unknown user and wrong password look the same"
    );
    assert_eq!(
        pages[0], pages[2],
        "a password over 72 bytes is simply wrong"
    );
}

#[tokio::test]
async fn the_session_id_changes_at_log_in_and_the_old_one_is_not_logged_in() {
    let app = spawn_app().await;
    app.register("dave").await;
    app.logout().await;
    let _ = app.csrf_token().await;
    let before = app
        .session_cookie()
        .expect("an anonymous session before log-in");
    assert_eq!(
        app.login("dave", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let after = app.session_cookie().unwrap();
    assert_ne!(before, after, "no session fixation");

    let attacker = app.new_browser();
    attacker.set_session_cookie(&before);
    assert_eq!(attacker.get("/todos").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/todos").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_cookie_copied_before_log_out_is_rejected_after_it() {
    let app = spawn_app().await;
    app.register("erin").await;
    let copy = app.new_browser();
    copy.set_session_cookie(&app.session_cookie().unwrap());
    assert_eq!(
        copy.get("/todos").await.status(),
        StatusCode::OK,
        "the copy works while the session lives"
    );

    let res = app.logout().await;
    assert_redirect_to(&res, "/login");
    let html = app.get("/login").await.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        vec![("info".into(), "You have been logged out.".into())]
    );

    let res = copy.get("/todos").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the copied cookie stopped working at once"
    );
    assert!(location(&res).starts_with("/login"));
    assert_eq!(app.get("/todos").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn log_out_ends_only_this_session() {
    let app = spawn_app().await;
    app.register("fred").await;
    let laptop = app.new_browser();
    assert_eq!(
        laptop.login("fred", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    app.logout().await;
    assert_eq!(app.get("/todos").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(laptop.get("/todos").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn session_cookie_without_and_with_remember_me() {
    let app = spawn_app().await;
    app.register("gina").await;
    app.logout().await;

    let plain = app.new_browser();
    let res = plain.login("gina", PASSWORD).await;
    let cookie = session_set_cookie(&res);
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "a browser-session cookie: {cookie}"
    );
    assert!(
        !cookie.contains("Domain") && !cookie.contains("Secure"),
        "{cookie}"
    );

    let remembered = app.new_browser();
    let res = remembered
        .post(
            "/login",
            &[
                ("login", "gina"),
                ("password", PASSWORD),
                ("remember_me", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = session_set_cookie(&res);
    assert!(cookie.contains("Max-Age=2592000"), "30 days: {cookie}");
    // Later responses keep the lifetime (the browser would otherwise downgrade it).
    let res = remembered.get("/todos").await;
    assert_eq!(res.status(), StatusCode::OK);
    if let Some(again) = set_cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("tickbox_session="))
    {
        assert!(again.contains("Max-Age=2592000"), "{again}");
    }
    // After a "browser restart" (a new client holding only the persistent cookie).
    let restarted = app.new_browser();
    restarted.set_session_cookie(&remembered.session_cookie().unwrap());
    assert_eq!(restarted.get("/todos").await.status(), StatusCode::OK);

    // Log-out forgets remember-me: the next cookie is a browser-session one again.
    let res = remembered.logout().await;
    let cookie = session_set_cookie(&res);
    assert!(!cookie.contains("Max-Age=2592000"), "{cookie}");
}

fn session_set_cookie(res: &reqwest::Response) -> String {
    set_cookie_of(res, "tickbox_session=")
}

/// The `Set-Cookie` whose name ends so (plain or `__Host-`).
fn set_cookie_of(res: &reqwest::Response, name: &str) -> String {
    set_cookies(res)
        .into_iter()
        .find(|c| c.contains(name))
        .unwrap_or_else(|| panic!("a Set-Cookie for {name}"))
}

#[tokio::test]
async fn cookie_secure_follows_the_scheme_only_from_trusted_proxies() {
    // Untrusted: a client's X-Forwarded-Proto is ignored.
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/login"))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert!(!session_set_cookie(&res).contains("Secure"));

    // Behind a trusted proxy that says https: Secure.
    let proxied = spawn_app_with(Settings {
        vars: vec![("TRUSTED_PROXIES", "127.0.0.1, ::1".into())],
        ..Default::default()
    })
    .await;
    let res = proxied
        .client
        .get(proxied.url("/login"))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert!(session_set_cookie(&res).contains("Secure"));
    let fresh = proxied.new_browser();
    let res = fresh
        .client
        .get(fresh.url("/login"))
        .header("X-Forwarded-Proto", "http")
        .send()
        .await
        .unwrap();
    assert!(!session_set_cookie(&res).contains("Secure"));

    // Forced: the __Host- prefix, which browsers only accept with Secure, Path=/ and no Domain.
    let forced = spawn_app_with(Settings {
        vars: vec![("COOKIE_SECURE", "true".into())],
        ..Default::default()
    })
    .await;
    let res = forced.get("/login").await;
    let cookie = session_set_cookie(&res);
    assert!(cookie.starts_with("__Host-tickbox_session="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
}

fn flash_set_cookie(res: &reqwest::Response) -> String {
    set_cookie_of(res, "tickbox_flash=")
}

/// Flash messages ride in a cookie of their own (not the session row). It has the
/// session cookie's attributes (SPEC §3) and lasts until the browser closes; the
/// message is shown once (SPEC §2), and then the cookie is removed.
#[tokio::test]
async fn a_flash_rides_in_its_own_cookie_like_the_session_one_and_shows_once() {
    let app = spawn_app().await;
    let res = app.get("/todos").await;
    assert_redirect_to(&res, "/login?next=%2Ftodos");
    let cookie = flash_set_cookie(&res);
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    for absent in ["Domain", "Secure", "Max-Age", "Expires", "log in"] {
        assert!(!cookie.contains(absent), "no {absent} in {cookie}");
    }

    let shown = app.get("/login").await;
    let removal = flash_set_cookie(&shown);
    assert!(removal.contains("Max-Age=0"), "{removal}");
    let html = shown.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        vec![("info".into(), "Please log in to access this page.".into())]
    );
    let again = app.get("/login").await.text().await.unwrap();
    assert!(flashes(&again).is_empty(), "shown once");

    let forced = spawn_app_with(Settings {
        vars: vec![("COOKIE_SECURE", "true".into())],
        ..Default::default()
    })
    .await;
    let cookie = flash_set_cookie(&forced.get("/todos").await);
    assert!(cookie.starts_with("__Host-tickbox_flash="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
}
