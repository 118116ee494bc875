//! SPEC §9, the forgotten password, against a real SMTP server: the link in the mail,
//! the same answer for an unknown email, the limits, dead links, and what a reset
//! ends.

use diesel::prelude::*;
use reqwest::StatusCode;
use tickbox::db::schema::{mail_outbox, password_resets};

use crate::helpers::*;
use crate::mail_support::*;

/// The outbox rows: (user_id, due for sending).
fn outbox_rows(app: &TestApp) -> Vec<(Option<i64>, bool)> {
    with_db(app, |c| {
        mail_outbox::table
            .order(mail_outbox::id)
            .select((
                mail_outbox::user_id,
                mail_outbox::next_attempt_at.is_not_null(),
            ))
            .load(c)
    })
}

#[tokio::test]
async fn the_link_in_the_mail_sets_a_new_password_and_logs_nobody_in() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_mailing_app(&sink, vec![]).await;
    let ada = app.register("Ada").await;
    app.logout().await;

    // The log-in page offers the way out.
    let login = app.get("/login").await.text().await.unwrap();
    assert!(login.contains(r#"href="/password/forgot""#));
    assert!(login.contains("Forgot your password?"));
    assert_eq!(app.get("/password/forgot").await.status(), StatusCode::OK);

    // Typed in another case: the mail goes to the address as stored.
    ask_for_link(&app, "ADA@Example.com").await;
    let flash = flashes(&app.get("/login").await.text().await.unwrap());
    assert_eq!(
        flash,
        [(
            "info".to_owned(),
            "If an account with that email exists, we have sent it a link to reset the password."
                .to_owned()
        )]
    );

    let mail = sink.next_mail().await;
    assert_eq!(mail.rcpt_to, std::slice::from_ref(&ada.email));
    assert_eq!(mail.header("To"), ada.email);
    assert_eq!(mail.header("From"), "tickbox <noreply@tickbox.test>");
    assert_eq!(mail.mail_from, "noreply@tickbox.test");
    assert!(!mail.header("Date").is_empty() && !mail.header("Message-ID").is_empty());
    assert_eq!(
        (mail.content_type.as_str(), mail.charset.as_str()),
        ("text/plain", "utf-8")
    );
    assert!(!mail.multipart);
    assert!(
        mail.body.contains("once") && mail.body.contains("one hour"),
        "{}",
        mail.body
    );
    let path = reset_path(&mail);
    let token = path.rsplit('/').next().unwrap();
    assert!(token.len() >= 32, "at least 128 bits: {token}");
    // Only its hash is stored.
    let stored: Vec<String> = with_db(&app, |c| {
        password_resets::table
            .select(password_resets::token_hash)
            .load(c)
    });
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);

    // A bad new password keeps the link alive.
    let res = app
        .post(
            &path,
            &[
                ("new_password", "password1"),
                ("new_password_confirm", "password1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&res.text().await.unwrap()), ["new_password"]);
    let res = app
        .post(
            &path,
            &[
                ("new_password", NEW_PASSWORD),
                ("new_password_confirm", "other"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_errors(&res.text().await.unwrap()),
        ["new_password_confirm"]
    );

    let res = reset_with(&app, &path, NEW_PASSWORD).await;
    assert_redirect_to(&res, "/login");
    let page = app.get("/login").await.text().await.unwrap();
    assert_eq!(
        flashes(&page),
        [(
            "success".to_owned(),
            "Your password has been reset. Please log in.".to_owned()
        )]
    );
    // Nobody was logged in by it.
    assert_redirect_to(&app.get("/todos").await, "/login?next=%2Ftodos");
    assert_eq!(
        app.login("ada", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_redirect_to(&app.login("ada", NEW_PASSWORD).await, "/todos");

    // And the account is told, with the time in UTC and the address it came from.
    let notice = sink.next_mail().await;
    assert_eq!(notice.subject(), "Your tickbox password was changed");
    assert_eq!(notice.rcpt_to, [ada.email]);
    let utc = regex_like_utc(&notice.body);
    assert!(utc, "a YYYY-MM-DD HH:MM UTC time in {:?}", notice.body);
    assert!(notice.body.contains("127.0.0.1"), "{}", notice.body);
}

/// Whether `text` holds a `YYYY-MM-DD HH:MM UTC` time.
fn regex_like_utc(text: &str) -> bool {
    let shape = |w: &[u8]| {
        w.len() == 20
            && w.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                10 => *b == b' ',
                13 => *b == b':',
                16 => *b == b' ',
                17..=19 => b"UTC"[i - 17] == *b,
                _ => b.is_ascii_digit(),
            })
    };
    text.as_bytes().windows(20).any(shape)
}

#[tokio::test]
async fn an_unknown_email_gets_the_same_answer_and_no_mail() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_mailing_app(&sink, vec![]).await;
    let known = app.register("Grace").await;
    app.logout().await;

    let answer = |res: reqwest::Response| {
        let cookies: Vec<String> = set_cookies(&res)
            .iter()
            .map(|c| c.split('=').next().unwrap().to_owned())
            .collect();
        (res.status(), location(&res), cookies)
    };
    let stranger = app.new_browser();
    stranger.get("/login").await;
    let unknown = answer(
        stranger
            .post("/password/forgot", &[("email", "nobody@example.com")])
            .await,
    );
    let unknown_page = stranger.get("/login").await.text().await.unwrap();
    let friend = app.new_browser();
    friend.get("/login").await;
    let real = answer(
        friend
            .post("/password/forgot", &[("email", &known.email)])
            .await,
    );
    let real_page = friend.get("/login").await.text().await.unwrap();
    assert_eq!(unknown, real);
    assert_eq!(flashes(&unknown_page), flashes(&real_page));
    // The same database work: one request row each; only the known one is due.
    assert_eq!(outbox_rows(&app), [(None, false), (Some(1), true)]);

    // The one mail that arrives is the known account's: nothing went to the stranger.
    let mail = sink.next_mail().await;
    assert_eq!(mail.rcpt_to, [known.email]);
    assert!(sink.try_next_mail().is_none());
}

#[tokio::test]
async fn a_malformed_email_is_422_on_its_field_and_counts_nothing() {
    let sink = SmtpSink::start().await;
    let app = spawn_mailing_app(&sink, vec![]).await;
    for bad in [
        "",
        "not-an-email",
        "a@b@c",
        &format!("{}@x.io", "a".repeat(260)),
    ] {
        let res = app.post("/password/forgot", &[("email", bad)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(field_errors(&res.text().await.unwrap()), ["email"]);
    }
    assert!(outbox_rows(&app).is_empty());
    // Without a CSRF token: 403, nothing recorded.
    let res = app
        .post_raw("/password/forgot", &[("email", "a@example.com")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(outbox_rows(&app).is_empty());
}

#[tokio::test]
async fn an_account_gets_three_links_an_hour_and_the_newest_keeps_working() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_mailing_app(&sink, vec![]).await;
    let lin = app.register("Lin").await;
    let other = app.new_browser().register("Other").await;
    for _ in 0..4 {
        ask_for_link(&app, &lin.email).await;
    }
    let mut paths = Vec::new();
    for _ in 0..3 {
        paths.push(reset_path(&sink.next_mail().await));
    }
    // The fourth request made no link: the next mail is someone else's.
    ask_for_link(&app, &other.email).await;
    assert_eq!(sink.next_mail().await.rcpt_to, [other.email]);
    assert_eq!(
        with_db(&app, |c| password_resets::table
            .filter(password_resets::user_id.eq(1))
            .count()
            .get_result::<i64>(c)),
        3
    );
    // A newer link supersedes the older ones; the newest still works.
    assert_eq!(app.get(&paths[0]).await.status(), StatusCode::GONE);
    assert_eq!(app.get(&paths[1]).await.status(), StatusCode::GONE);
    assert_eq!(app.get(&paths[2]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn twenty_requests_an_hour_from_one_address_then_429_in_minutes() {
    let sink = SmtpSink::start().await;
    let app = spawn_mailing_app(&sink, vec![]).await;
    for n in 0..20 {
        ask_for_link(&app, &format!("nobody{n}@example.com")).await;
    }
    let res = app
        .post("/password/forgot", &[("email", "one-more@example.com")])
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = header(res.headers(), "retry-after").parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    let page = res.text().await.unwrap();
    assert!(page.contains("minutes before trying again"), "{page}");
    // A 429 does not count.
    assert_eq!(outbox_rows(&app).len(), 20);
}

#[tokio::test]
async fn used_expired_superseded_and_malformed_links_are_410() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_mailing_app(&sink, vec![]).await;
    let mae = app.register("Mae").await;
    app.logout().await;

    ask_for_link(&app, &mae.email).await;
    let used = reset_path(&sink.next_mail().await);
    assert_redirect_to(&reset_with(&app, &used, NEW_PASSWORD).await, "/login");
    sink.next_mail().await; // the notice
    let gone = app.get(&used).await;
    assert_eq!(gone.status(), StatusCode::GONE);
    let page = gone.text().await.unwrap();
    assert!(page.contains("invalid or has expired") && page.contains(r#"href="/password/forgot""#));
    // A POST: CSRF first (403), then the same 410; the password is unchanged.
    let fields = [
        ("new_password", PASSWORD),
        ("new_password_confirm", PASSWORD),
    ];
    assert_eq!(
        app.post_raw(&used, &fields).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.post(&used, &fields).await.status(), StatusCode::GONE);
    assert_redirect_to(&app.login("mae", NEW_PASSWORD).await, "/todos");
    app.logout().await;

    ask_for_link(&app, &mae.email).await;
    let expired = reset_path(&sink.next_mail().await);
    with_db(&app, |c| {
        diesel::update(password_resets::table)
            .set(
                password_resets::expires_at
                    .eq(tickbox::db::models::now() - time::Duration::seconds(1)),
            )
            .execute(c)
    });
    assert_eq!(app.get(&expired).await.status(), StatusCode::GONE);
    assert_eq!(app.post(&expired, &fields).await.status(), StatusCode::GONE);

    for path in [
        "/password/reset/nonsense",
        "/password/reset/%00",
        &format!("/password/reset/{}", "0".repeat(64)),
        &format!("/password/reset/{}", "A".repeat(64)),
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::GONE, "{path}");
    }
}

#[tokio::test]
async fn a_reset_ends_every_session_and_clears_the_log_in_throttle() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_mailing_app(&sink, vec![]).await;
    let eve = app.register("Eve").await;
    let remembered = app.new_browser();
    let res = remembered
        .post(
            "/login",
            &[
                ("login", "eve"),
                ("password", PASSWORD),
                ("remember_me", "on"),
            ],
        )
        .await;
    assert_redirect_to(&res, "/todos");
    // Someone locks the account with wrong passwords.
    let attacker = app.new_browser();
    for _ in 0..5 {
        assert_eq!(
            attacker.login("eve", "wrong-password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attacker.login("eve", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Eve resets from her logged-in browser.
    ask_for_link(&app, &eve.email).await;
    let path = reset_path(&sink.next_mail().await);
    assert_redirect_to(&reset_with(&app, &path, NEW_PASSWORD).await, "/login");

    for browser in [&app.browser, &remembered] {
        assert_redirect_to(&browser.get("/todos").await, "/login?next=%2Ftodos");
    }
    // The message reached this browser, now anonymous.
    let page = app.get("/login").await.text().await.unwrap();
    assert!(
        flashes(&page)
            .iter()
            .any(|(_, t)| t.contains("has been reset")),
        "{page}"
    );
    // The throttle is cleared: the new password logs in at once.
    assert_redirect_to(&attacker.login("eve", NEW_PASSWORD).await, "/todos");
}

#[tokio::test]
async fn with_mail_off_both_pages_are_404_and_the_login_page_has_no_link() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/password/forgot").await.status(),
        StatusCode::NOT_FOUND
    );
    let res = app
        .post("/password/forgot", &[("email", "a@example.com")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let path = format!("/password/reset/{}", "0".repeat(64));
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
    let login = app.get("/login").await.text().await.unwrap();
    assert!(!login.contains("/password/forgot") && !login.contains("Forgot your password"));
}
