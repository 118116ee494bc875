//! `login_required`, `next` and the log-out page (SPEC §3).

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn login_required_redirects_with_next_and_the_round_trip_returns_there() {
    let app = spawn_app().await;
    app.register("hank").await;
    app.logout().await;
    app.get("/login").await; // shows "You have been logged out."

    let res = app.get("/todos?filter=active").await;
    assert_redirect_to(&res, "/login?next=%2Ftodos%3Ffilter%3Dactive");
    let res = app
        .client
        .head(app.url("/todos/1/edit"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login?next=%2Ftodos%2F1%2Fedit");
    let res = app.client.head(app.url("/account")).send().await.unwrap();
    assert_eq!(location(&res), "/login?next=%2Faccount");

    let html = app
        .get("/login?next=%2Ftodos%3Ffilter%3Dactive")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        flashes(&html),
        vec![("info".into(), "Please log in to access this page.".into())]
    );
    assert!(
        html.contains(r#"name="next" value="/todos?filter=active""#),
        "next carried in a hidden field"
    );

    let res = app
        .post(
            "/login",
            &[
                ("login", "hank"),
                ("password", PASSWORD),
                ("next", "/todos?filter=active"),
            ],
        )
        .await;
    assert_redirect_to(&res, "/todos?filter=active");

    // Other methods: 303 to /login without next, and nothing happens.
    let anon = app.new_browser();
    let res = anon.post("/todos", &[("title", "sneaky")]).await;
    assert_redirect_to(&res, "/login");
    let res = anon.post("/todos/clear-completed", &[]).await;
    assert_redirect_to(&res, "/login");
}

#[tokio::test]
async fn hostile_next_values_are_ignored_and_benign_ones_followed() {
    let app = spawn_app().await;
    app.register("ivy").await;
    app.logout().await;
    let hostile = [
        "//evil.com",
        "/\\evil.com",
        "https://evil.com",
        "http:/evil.com",
        "%2F%2Fevil.com",
        "evil.com",
        "javascript:alert(1)",
        "/todos\r\nSet-Cookie: x=1",
        "/\tevil",
        "",
    ];
    for next in hostile {
        let b = app.new_browser();
        let res = b
            .post(
                "/login",
                &[("login", "ivy"), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&res), "/todos", "{next:?} ignored");
    }
    for (next, want) in [
        ("/todos?sort=title", "/todos?sort=title"),
        ("/account", "/account"),
        ("/todos/ä", "/todos/%C3%A4"),
    ] {
        let b = app.new_browser();
        let res = b
            .post(
                "/login",
                &[("login", "ivy"), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(location(&res), want);
    }
}

#[tokio::test]
async fn logout_page_and_its_anonymous_redirect() {
    let app = spawn_app().await;
    let res = app.get("/logout").await;
    assert_redirect_to(&res, "/login");
    app.register("jack").await;
    let res = app.get("/logout").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Log out?"));
    assert!(html.contains(r#"action="/logout""#) && html.contains(r#"method="post""#));
    // A logged-in page is never stored; the navbar offers the log-out button.
    let res = app.get("/").await;
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
    let html = res.text().await.unwrap();
    assert_eq!(text_of(&html, "nav-user").as_deref(), Some("jack"));
    assert_eq!(
        header(app.get("/todos").await.headers(), "cache-control"),
        "no-store"
    );
}
