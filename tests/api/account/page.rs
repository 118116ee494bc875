//! `GET /account` (SPEC §5, §6): what it lists and how; CSRF and log-in on its forms.

use diesel::prelude::*;
use reqwest::StatusCode;
use tickbox::db::models::now;
use tickbox::db::schema::sessions;

use super::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// A browser that sends `user_agent` (and, when given, `X-Forwarded-For`).
fn browser_with(app: &TestApp, user_agent: &str, forwarded_for: Option<&str>) -> Browser {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(xff) = forwarded_for {
        headers.insert("x-forwarded-for", xff.parse().unwrap());
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar.clone())
        .user_agent(user_agent)
        .default_headers(headers)
        .build()
        .unwrap();
    Browser {
        address: app.address.clone(),
        client,
        jar,
    }
}

#[tokio::test]
async fn the_page_shows_the_account_and_its_sessions_newest_use_first() {
    let app = spawn_app().await;
    app.register("rosa").await;
    let firefox = browser_with(&app, FIREFOX, None);
    assert_redirect_to(&firefox.login("rosa", PASSWORD).await, "/todos");
    let third = second_browser(&app, "rosa", false).await;

    let html = account_page(&app).await;
    assert_eq!(text_of(&html, "account-username").as_deref(), Some("rosa"));
    assert_eq!(
        text_of(&html, "account-email").as_deref(),
        Some("rosa@example.com")
    );
    let today = now().date().to_string();
    assert!(
        html.contains(&format!(r#"<time datetime="{today}">"#)),
        "member since"
    );
    assert!(
        html.contains(r#"<a href="/account" id="nav-user""#),
        "the navbar links here"
    );
    for form in [
        "/account/password",
        "/account/sessions/revoke-others",
        "/account/delete",
    ] {
        assert!(html.contains(&format!(r#"action="{form}""#)), "{form}");
    }

    // Make the order plain: the Firefox session was used 2 minutes ago, the third 90
    // minutes ago (it began 3 days ago); this one is in use now (a request touches its
    // own session when it loads it).
    let firefox_id = own_session(&firefox).await.id;
    let own_id = own_session(&app).await.id;
    let third_id = own_session(&third).await.id;
    let ago = |minutes| now() - time::Duration::minutes(minutes);
    for (id, used, started) in [
        (&firefox_id, ago(2), ago(5)),
        (&third_id, ago(90), ago(3 * 24 * 60)),
    ] {
        let id = id.clone();
        with_db(&app, move |conn| {
            diesel::update(sessions::table.filter(sessions::public_id.eq(id)))
                .set((
                    sessions::last_seen_at.eq(used),
                    sessions::created_at.eq(started),
                ))
                .execute(conn)
        });
    }
    let html = account_page(&app).await;
    let all = listed(&html);
    let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [&own_id, &firefox_id, &third_id]);
    let current: Vec<bool> = all.iter().map(|s| s.current).collect();
    assert_eq!(current, [true, false, false]);
    assert_eq!(all[0].browser, "Unknown browser");
    assert_eq!(all[1].browser, "Firefox on Linux");
    for words in [
        "just now",
        "2 minutes ago",
        "5 minutes ago",
        "1 hour ago",
        "3 days ago",
    ] {
        assert!(html.contains(&format!(">{words}</time>")), "{words}");
    }
    for s in &all {
        for at in [&s.started, &s.last_used] {
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|e| panic!("{at:?} is not RFC 3339: {e}"));
        }
        // The handle is opaque: not the cookie, nor the row's key.
        assert_eq!(s.id.len(), 32);
        assert!(s.id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(s.ip, "127.0.0.1");
    }
    let row_keys: Vec<String> =
        with_db(&app, |conn| sessions::table.select(sessions::id).load(conn));
    for s in &all {
        assert!(!row_keys.contains(&s.id));
        assert!(!app.session_cookie().unwrap().contains(&s.id));
    }
    // Only other sessions have an End button.
    assert!(!html.contains(&format!("/account/sessions/{own_id}/revoke")));
    assert!(html.contains(&format!("/account/sessions/{firefox_id}/revoke")));
}

#[tokio::test]
async fn the_address_listed_is_the_client_behind_a_trusted_proxy() {
    let app = spawn_app_with(Settings {
        vars: vec![("TRUSTED_PROXIES", "127.0.0.1".to_owned())],
        ..Settings::default()
    })
    .await;
    app.register("sara").await;
    // The right-most address that is not a trusted proxy is the client.
    let proxied = browser_with(&app, FIREFOX, Some("6.6.6.6, 203.0.113.7"));
    assert_redirect_to(&proxied.login("sara", PASSWORD).await, "/todos");
    let ips = |html: &str| {
        listed(html)
            .into_iter()
            .map(|s| (s.current, s.ip))
            .collect::<Vec<_>>()
    };
    let html = account_page(&app).await;
    assert!(
        ips(&html).contains(&(false, "203.0.113.7".to_owned())),
        "{:?}",
        ips(&html)
    );
    // The latest request's address is the one listed.
    let moved = browser_with(&app, FIREFOX, Some("198.51.100.20"));
    moved.set_session_cookie(&proxied.session_cookie().unwrap());
    assert!(logged_in(&moved).await);
    let html = account_page(&app).await;
    assert!(
        ips(&html).contains(&(false, "198.51.100.20".to_owned())),
        "{:?}",
        ips(&html)
    );
    assert!(ips(&html).contains(&(true, "127.0.0.1".to_owned())));
    // This session's own line shows this request's address at once.
    let html = proxied.get("/account").await.text().await.unwrap();
    assert!(
        ips(&html).contains(&(true, "203.0.113.7".to_owned())),
        "{:?}",
        ips(&html)
    );

    // From a peer that is not a trusted proxy, the header is ignored.
    let direct = spawn_app().await;
    direct.register("tess").await;
    let forger = browser_with(&direct, FIREFOX, Some("203.0.113.7"));
    assert_redirect_to(&forger.login("tess", PASSWORD).await, "/todos");
    let html = account_page(&direct).await;
    assert!(
        listed(&html).iter().all(|s| s.ip == "127.0.0.1"),
        "{:?}",
        ips(&html)
    );
}

#[tokio::test]
async fn a_hostile_user_agent_is_never_shown() {
    let app = spawn_app().await;
    app.register("uma").await;
    let hostile = r#"<script>alert("ua")</script> Firefox/133.0 <img src=x onerror=alert(2)>"#;
    let evil = browser_with(&app, hostile, None);
    assert_redirect_to(&evil.login("uma", PASSWORD).await, "/todos");
    let html = account_page(&app).await;
    assert!(!html.contains("<script>alert"));
    assert!(
        !html.contains("alert("),
        "none of the header is shown, escaped or not"
    );
    assert!(!html.contains("onerror"));
    assert_eq!(listed(&html).len(), 2);
}

#[tokio::test]
async fn every_account_form_needs_its_csrf_token_and_a_logged_in_user() {
    let app = spawn_app().await;
    app.register("vera").await;
    let other = second_browser(&app, "vera", false).await;
    let other_id = own_session(&other).await.id;
    let revoke = format!("/account/sessions/{other_id}/revoke");
    let forms: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", "Zq7!pW3#rT9x"),
                ("new_password_confirm", "Zq7!pW3#rT9x"),
                ("logout_others", "on"),
            ],
        ),
        (revoke.as_str(), vec![]),
        ("/account/sessions/revoke-others", vec![]),
        ("/account/delete", vec![("password", PASSWORD)]),
    ];
    for (path, fields) in &forms {
        assert_eq!(
            app.post_raw(path, fields).await.status(),
            StatusCode::FORBIDDEN,
            "{path} without a token"
        );
        let mut forged = fields.clone();
        forged.push(("csrf_token", "forged"));
        assert_eq!(
            app.post_raw(path, &forged).await.status(),
            StatusCode::FORBIDDEN,
            "{path} with a forged token"
        );
        // A GET is the wrong method, judged first.
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(header(res.headers(), "allow"), "POST");
    }
    // Nothing changed: the password, the sessions, the account.
    assert!(logged_in(&app).await);
    assert!(logged_in(&other).await);
    let fresh = app.new_browser();
    assert_redirect_to(&fresh.login("vera", PASSWORD).await, "/todos");

    // Anonymous, with a valid token: sent to log in, nothing done.
    let anonymous = app.new_browser();
    for (path, fields) in &forms {
        assert_redirect_to(&anonymous.post(path, fields).await, "/login");
    }
    assert_redirect_to(&anonymous.get("/account").await, "/login?next=%2Faccount");
    assert!(logged_in(&other).await);
}
