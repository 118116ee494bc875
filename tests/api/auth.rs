//! The authentication cycle (SPEC §3): register, log in, sessions, remember me,
//! `login_required`, log out, CSRF and throttling, over real HTTP.

use reqwest::StatusCode;

use crate::helpers::*;

const WRONG: &str = "Wrong credentials. Please try again.";

/// Posts the sign-up form with these values and returns (status, page).
async fn sign_up(
    b: &Browser,
    username: &str,
    email: &str,
    password: &str,
    confirm: &str,
) -> (StatusCode, String) {
    let res = b
        .post(
            "/register",
            &[
                ("username", username),
                ("email", email),
                ("password", password),
                ("password_confirm", confirm),
            ],
        )
        .await;
    let status = res.status();
    (status, res.text().await.unwrap())
}

#[tokio::test]
async fn registration_enforces_every_rule_at_its_boundary() {
    let app = spawn_app().await;
    let p = STRONG_PASSWORD;
    let long_email = format!("{}@example.com", "a".repeat(254 - "@example.com".len()));
    let too_long_email = format!("{}@example.com", "a".repeat(255 - "@example.com".len()));
    // 72 and 73 bytes of a hard-to-guess password; "é" is two bytes, so 36 of them are 72.
    let pw72 = format!("{}{}", "Zq7!xR2#", "kP9$wL4m".repeat(8));
    let pw73 = format!("{pw72}x");
    let multibyte_73 = format!(
        "{}é",
        "Zq7!xR2#kP9$wL4mTb6&vN8*".repeat(3).get(..71).unwrap()
    );
    assert_eq!(pw72.len(), 72);
    assert_eq!(multibyte_73.len(), 73);
    assert_eq!(
        multibyte_73.chars().count(),
        72,
        "72 characters but 73 bytes"
    );

    let bad: Vec<(&str, String, String, String, &str)> = vec![
        // (field, username, email, password, what)
        (
            "username",
            "ab".into(),
            "ab@example.com".into(),
            p.into(),
            "2 characters",
        ),
        (
            "username",
            "a".repeat(33),
            "x33@example.com".into(),
            p.into(),
            "33 characters",
        ),
        (
            "username",
            "bad name".into(),
            "bn@example.com".into(),
            p.into(),
            "a space",
        ),
        (
            "username",
            "bad/name".into(),
            "bs@example.com".into(),
            p.into(),
            "a slash",
        ),
        (
            "username",
            "émile".into(),
            "em@example.com".into(),
            p.into(),
            "a non-ASCII letter",
        ),
        (
            "username",
            "".into(),
            "empty@example.com".into(),
            p.into(),
            "empty",
        ),
        (
            "email",
            "mail1".into(),
            "not-an-email".into(),
            p.into(),
            "no @",
        ),
        (
            "email",
            "mail2".into(),
            "a@b@example.com".into(),
            p.into(),
            "two @",
        ),
        (
            "email",
            "mail3".into(),
            "a b@example.com".into(),
            p.into(),
            "a space",
        ),
        (
            "email",
            "mail4".into(),
            "a@-example.com".into(),
            p.into(),
            "a label starting with -",
        ),
        (
            "email",
            "mail5".into(),
            too_long_email.clone(),
            p.into(),
            "255 characters",
        ),
        (
            "password",
            "pass1".into(),
            "pass1@example.com".into(),
            "Zq7!xR2".into(),
            "7 bytes",
        ),
        (
            "password",
            "pass2".into(),
            "pass2@example.com".into(),
            pw73.clone(),
            "73 bytes",
        ),
        (
            "password",
            "pass3".into(),
            "pass3@example.com".into(),
            multibyte_73.clone(),
            "73 bytes in 72 characters",
        ),
        (
            "password",
            "password1user".into(),
            "p1@example.com".into(),
            "password1".into(),
            "guessable",
        ),
        (
            "password",
            "baseballuser".into(),
            "bb@example.com".into(),
            "baseball".into(),
            "guessable",
        ),
        (
            "password",
            "iloveyouuser".into(),
            "ily@example.com".into(),
            "iloveyou".into(),
            "guessable",
        ),
        (
            "password",
            "qwertyuser".into(),
            "qw@example.com".into(),
            "qwertyuiop".into(),
            "guessable",
        ),
        (
            "password",
            "Kx8vQ2mZr7".into(),
            "same@example.com".into(),
            "Kx8vQ2mZr7".into(),
            "equal to the username",
        ),
        (
            "password",
            "sameemail".into(),
            "Kx8vQ2mZr7@ex.io".into(),
            "Kx8vQ2mZr7@ex.io".into(),
            "equal to the email",
        ),
    ];
    for (field, username, email, password, what) in &bad {
        let (status, html) = sign_up(&app, username, email, password, password).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} with {what}"
        );
        assert!(
            field_errors(&html).contains(&field.to_string()),
            "{field} error for {what}: {:?}",
            field_errors(&html)
        );
        // Values are kept, passwords are not.
        if !username.is_empty() {
            assert!(
                html.contains(&format!(r#"value="{}""#, escape(username))),
                "username kept ({what})"
            );
        }
        assert!(
            !html.contains(&format!(r#"value="{}""#, escape(password)))
                || password == username
                || password == email
        );
    }
    let (status, html) = sign_up(&app, "mismatch", "mm@example.com", p, "vX9#qL2!mTq8").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&html), vec!["password_confirm"]);

    // Nothing above created an account: the valid names are still free.
    for (i, (field, username, ..)) in bad.iter().enumerate().filter(|(_, b)| b.0 != "username") {
        let b = app.new_browser();
        let (status, _) = sign_up(&b, username, &format!("free{i}@example.com"), p, p).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{username} is free after its {field} was refused"
        );
    }

    // The bounds themselves are accepted.
    let ok: Vec<(String, String, String)> = vec![
        ("abc".into(), "abc@example.com".into(), p.into()),
        ("a".repeat(32), "a32@example.com".into(), p.into()),
        ("A.b-c_9".into(), "dots@example.com".into(), p.into()),
        ("longmail".into(), long_email, p.into()),
        (
            "eightbytes".into(),
            "eight@example.com".into(),
            "Zq7!xR2#".into(),
        ),
        ("seventytwo".into(), "s72@example.com".into(), pw72),
        (
            "random10".into(),
            "r10@example.com".into(),
            "h4Tq9ZpL2w".into(),
        ),
    ];
    for (username, email, password) in &ok {
        let b = app.new_browser();
        let (status, html) = sign_up(&b, username, email, password, password).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{username} / {email}: {:?}",
            field_errors(&html)
        );
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::test]
async fn registration_logs_in_and_welcomes_and_duplicates_are_reported_ignoring_case() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/register",
            &[
                ("username", "Alice"),
                ("email", "Alice@Example.com"),
                ("password", STRONG_PASSWORD),
                ("password_confirm", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/todos");
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        vec![("success".into(), "Welcome, Alice!".into())]
    );
    assert_eq!(text_of(&html, "nav-user").as_deref(), Some("Alice"));
    // A logged-in user is sent on from the sign-up form.
    let res = app.get("/register").await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/todos".into())
    );

    let other = app.new_browser();
    let (status, html) = sign_up(
        &other,
        "ALICE",
        "someone@example.com",
        STRONG_PASSWORD,
        STRONG_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&html), vec!["username"]);
    let (status, html) = sign_up(
        &other,
        "alice2",
        "ALICE@example.COM",
        STRONG_PASSWORD,
        STRONG_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&html), vec!["email"]);
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
                ("password".to_owned(), STRONG_PASSWORD.to_owned()),
                ("password_confirm".to_owned(), STRONG_PASSWORD.to_owned()),
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
    let p = STRONG_PASSWORD;
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

#[tokio::test]
async fn log_in_by_username_or_email_ignoring_case_and_land_on_todos() {
    let app = spawn_app().await;
    app.register("Bob").await;
    app.logout().await;
    for login in ["bob", "BOB", "bob@EXAMPLE.com"] {
        let b = app.new_browser();
        let res = b.login(login, STRONG_PASSWORD).await;
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
    let over_72 = format!("{STRONG_PASSWORD}{}", "x".repeat(80));
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
        app.login("dave", STRONG_PASSWORD).await.status(),
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
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/login".into())
    );
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
        laptop.login("fred", STRONG_PASSWORD).await.status(),
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
    let res = plain.login("gina", STRONG_PASSWORD).await;
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
                ("password", STRONG_PASSWORD),
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
    set_cookies(res)
        .into_iter()
        .find(|c| c.contains("tickbox_session="))
        .expect("a session Set-Cookie")
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

#[tokio::test]
async fn login_required_redirects_with_next_and_the_round_trip_returns_there() {
    let app = spawn_app().await;
    app.register("hank").await;
    app.logout().await;
    app.get("/login").await; // shows "You have been logged out."

    let res = app.get("/todos?filter=active").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?next=%2Ftodos%3Ffilter%3Dactive");
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
                ("password", STRONG_PASSWORD),
                ("next", "/todos?filter=active"),
            ],
        )
        .await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/todos?filter=active".into())
    );

    // Other methods: 303 to /login without next, and nothing happens.
    let anon = app.new_browser();
    let res = anon.post("/todos", &[("title", "sneaky")]).await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/login".into())
    );
    let res = anon.post("/todos/clear-completed", &[]).await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/login".into())
    );
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
                &[
                    ("login", "ivy"),
                    ("password", STRONG_PASSWORD),
                    ("next", next),
                ],
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
                &[
                    ("login", "ivy"),
                    ("password", STRONG_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(location(&res), want);
    }
}

#[tokio::test]
async fn logout_page_and_its_anonymous_redirect() {
    let app = spawn_app().await;
    let res = app.get("/logout").await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/login".into())
    );
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

#[tokio::test]
async fn csrf_failures_answer_403_and_change_nothing() {
    let app = spawn_app().await;
    // Sign-up and log-in forms are protected too.
    let fields = [
        ("username", "kate"),
        ("email", "kate@example.com"),
        ("password", STRONG_PASSWORD),
        ("password_confirm", STRONG_PASSWORD),
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

#[tokio::test]
async fn failed_log_ins_are_throttled_per_account() {
    let app = spawn_app().await;
    app.register("mia").await;
    app.logout().await;
    for i in 0..4 {
        assert_eq!(
            app.login("MIA", "wrong-password").await.status(),
            StatusCode::UNAUTHORIZED,
            "failure {i}"
        );
    }
    // A success clears the account's counter.
    assert_eq!(
        app.login("mia", STRONG_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    app.logout().await;
    for _ in 0..5 {
        assert_eq!(
            app.login("mia@example.com", "wrong-password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: 429, even with the right password, which is not checked.
    let res = app.login("mia", STRONG_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(res.headers(), "retry-after").parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    let html = res.text().await.unwrap();
    assert!(html.contains("minute"), "the wait is said in words");
    // The lock is per account: another account from the same address still logs in.
    let other = app.new_browser();
    other.register("nina").await;
    other.logout().await;
    assert_eq!(
        other.login("nina", STRONG_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    // An unknown login is keyed by its lower-cased text.
    for name in ["Ghost", "GHOST", "ghost", "gHost", "ghosT"] {
        assert_eq!(
            app.login(name, "whatever-1").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.login("ghost", "whatever-1").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Fails log-ins for `count` different unknown accounts from this browser,
/// with an `X-Forwarded-For` header when given.
async fn fail_logins(
    b: &Browser,
    count: usize,
    prefix: &str,
    forwarded_for: Option<&str>,
) -> Vec<StatusCode> {
    let token = b.csrf_token().await;
    let mut statuses = Vec::new();
    for i in 0..count {
        let login = format!("{prefix}{i}");
        let mut req = b.client.post(b.url("/login")).form(&[
            ("login", login.as_str()),
            ("password", "wrong-password"),
            ("csrf_token", token.as_str()),
        ]);
        if let Some(xff) = forwarded_for {
            req = req.header("X-Forwarded-For", xff);
        }
        statuses.push(req.send().await.unwrap().status());
    }
    statuses
}

#[tokio::test]
async fn failed_log_ins_are_throttled_per_client_address_and_forged_headers_do_not_dodge_it() {
    let app = spawn_app().await;
    // Untrusted peer: each request claims a new address, all count for 127.0.0.1.
    let mut statuses = Vec::new();
    for i in 0..21 {
        let xff = format!("203.0.113.{i}");
        statuses.extend(fail_logins(&app, 1, &format!("u{i}-"), Some(&xff)).await);
    }
    assert!(statuses[..20]
        .iter()
        .all(|s| *s == StatusCode::UNAUTHORIZED));
    assert_eq!(
        statuses[20],
        StatusCode::TOO_MANY_REQUESTS,
        "a forged X-Forwarded-For does not dodge the limit"
    );

    // Behind a trusted proxy the forwarded client address is the one counted.
    let proxied = spawn_app_with(Settings {
        vars: vec![("TRUSTED_PROXIES", "127.0.0.1".into())],
        ..Default::default()
    })
    .await;
    let statuses = fail_logins(&proxied, 21, "p", Some("198.51.100.7")).await;
    assert!(statuses[..20]
        .iter()
        .all(|s| *s == StatusCode::UNAUTHORIZED));
    assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS);
    // A client prepending a fake address is still counted by its real (right-most) one.
    let statuses = fail_logins(&proxied, 1, "q", Some("192.0.2.1, 198.51.100.7")).await;
    assert_eq!(statuses, vec![StatusCode::TOO_MANY_REQUESTS]);
    // Another client behind the same proxy is unaffected.
    let statuses = fail_logins(&proxied, 1, "r", Some("198.51.100.8")).await;
    assert_eq!(statuses, vec![StatusCode::UNAUTHORIZED]);
}
