//! SPEC §9, the outbox: a mail survives an SMTP server that is away and goes out once
//! when it is back; two instances on one PostgreSQL database send each mail once;
//! links never take their host from the request; `tickbox set-password` sends its
//! notice and kills the links made before it.

use std::collections::HashMap;
use std::net::TcpListener;
use std::time::Duration;

use diesel::prelude::*;
use reqwest::StatusCode;
use tickbox::config::Config;
use tickbox::db::schema::{mail_outbox, password_resets};
use tickbox::startup::Application;

use crate::cli::{run_with_stdin, tickbox};
use crate::common::TempDir;
use crate::helpers::*;
use crate::mail_support::*;
use crate::operating::metrics::{samples, value};

/// Waits (bounded) until `done` holds for the outbox, which the server's sender
/// writes: a condition it makes true, not a guess at how long it takes.
async fn until_outbox(app: &TestApp, what: &str, done: impl Fn(&[(i32, bool, bool)]) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows: Vec<(i32, bool, bool)> = with_db(app, |c| {
            mail_outbox::table
                .order(mail_outbox::id)
                .select((
                    mail_outbox::attempts,
                    mail_outbox::last_error.is_not_null(),
                    mail_outbox::sent_at.is_not_null(),
                ))
                .load(c)
        });
        if done(&rows) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (bounded) until the scraped `name` (no labels) satisfies `done`: the sender
/// reports the outbox after each round, the scrape sees it then.
async fn until_metric(app: &TestApp, name: &str, done: impl Fn(f64) -> bool) {
    let scrape = format!("{}/metrics", app.metrics_address.clone().unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = reqwest::get(&scrape).await.unwrap().text().await.unwrap();
        if done(value(&samples(&text), name, &[])) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{name}:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_mail_waits_while_smtp_is_down_and_goes_out_once_when_it_is_back() {
    // A port the sink will come back on, free for now.
    let port = SmtpSink::start().await.port;
    let metrics = vec![("METRICS_BIND", "127.0.0.1:0".to_owned())];
    let app = spawn_app_with(Settings {
        vars: mail_vars(port, metrics),
        ..Default::default()
    })
    .await;
    let ida = app.register("Ida").await;
    // SMTP being away changes nothing for the request.
    ask_for_link(&app, &ida.email).await;
    until_outbox(&app, "a failed first attempt", |rows| {
        rows.first()
            .is_some_and(|&(attempts, error, sent)| attempts >= 1 && error && !sent)
    })
    .await;
    // The failure is counted, and the mail waits in the outbox (SPEC §11).
    until_metric(&app, "tickbox_mail_send_failures_total", |n| n >= 1.0).await;
    until_metric(&app, "tickbox_mail_outbox_depth", |n| n == 1.0).await;
    // The link of the failed attempt was taken back.
    let links: i64 = with_db(&app, |c| password_resets::table.count().get_result(c));
    assert_eq!(links, 0);

    let mut sink = SmtpSink::start_on(port).await;
    let mail = sink.next_mail().await;
    assert_eq!(mail.rcpt_to, [ida.email]);
    until_outbox(&app, "the mail marked sent", |rows| rows[0].2).await;
    until_metric(&app, "tickbox_mail_outbox_depth", |n| n == 0.0).await;
    // Sent once: the next mail to arrive is another one, and the link works.
    let other = app.new_browser().register("Other").await;
    ask_for_link(&app, &other.email).await;
    assert_eq!(sink.next_mail().await.rcpt_to, [other.email]);
    assert_eq!(app.get(&reset_path(&mail)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_forged_host_never_reaches_the_mail() {
    let mut sink = SmtpSink::start().await;
    // Even with the proxy headers believed from this client.
    let vars = vec![("TRUSTED_PROXIES", "127.0.0.1".to_owned())];
    let app = spawn_mailing_app(&sink, vars).await;
    let kim = app.register("Kim").await;
    let token = app.csrf_token().await;
    let res = app
        .client
        .post(app.url("/password/forgot"))
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("X-Forwarded-Proto", "https")
        .header("Forwarded", "host=evil.example;proto=https")
        .form(&[("email", kim.email.as_str()), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    // Served as usual (SPEC allows 400 too; tickbox never reads those headers).
    assert_redirect_to(&res, "/login");
    let mail = sink.next_mail().await;
    assert!(!mail.body.contains("evil"), "{}", mail.body);
    reset_path(&mail); // built on PUBLIC_URL
}

/// Another server on the same database, with the same settings.
async fn another_instance(db_url: &str, vars: &[(&'static str, String)]) -> Browser {
    let mut map: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", db_url.to_owned()),
        ("SECRET_KEY", SECRET_KEY.to_owned()),
        ("BCRYPT_COST", "4".to_owned()),
        ("DATABASE_POOL_SIZE", "4".to_owned()),
    ]);
    map.extend(vars.iter().cloned());
    let config = Config::from_lookup(|k| map.get(k).cloned()).expect("test configuration");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let app = Application::build_with_listener(config, listener).expect("the second instance");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Browser::new(&address)
}

#[tokio::test]
async fn two_instances_on_one_postgres_database_send_each_mail_once() {
    let mut sink = SmtpSink::start().await;
    let vars = mail_vars(sink.port, vec![]);
    let one = spawn_app_with(Settings {
        vars: vars.clone(),
        db: Some(TestDb::postgres_required()),
        ..Default::default()
    })
    .await;
    let two = another_instance(&one.db.url, &vars).await;
    // Requests through both instances, each of which wakes its own sender.
    let mut expected = Vec::new();
    for n in 0..6 {
        let browser = if n % 2 == 0 {
            one.new_browser()
        } else {
            Browser::new(&two.address)
        };
        let user = browser.register(&format!("user{n}")).await;
        ask_for_link(&browser, &user.email).await;
        expected.push(user.email);
    }
    let mut received = Vec::new();
    for _ in 0..6 {
        received.extend(sink.next_mail().await.rcpt_to);
    }
    received.sort();
    expected.sort();
    assert_eq!(received, expected, "each mail once");
    // Each row was claimed for exactly one attempt, by one instance.
    until_outbox(&one, "every mail marked sent", |rows| {
        rows.iter().all(|r| r.2)
    })
    .await;
    let attempts: Vec<i32> = with_db(&one, |c| {
        mail_outbox::table.select(mail_outbox::attempts).load(c)
    });
    assert_eq!(attempts, [1; 6]);
}

#[tokio::test]
async fn set_password_mails_a_notice_by_the_operator_and_kills_older_links() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_mailing_app(&sink, vec![]).await;
    let ray = app.register("Ray").await;
    ask_for_link(&app, &ray.email).await;
    let path = reset_path(&sink.next_mail().await);

    let dir = TempDir::new("cli");
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    let env = [
        ("DATABASE_URL", app.db.url.as_str()),
        ("SECRET_KEY", SECRET_KEY),
        ("BCRYPT_COST", "4"),
        ("SMTP_URL", smtp.as_str()),
        ("PUBLIC_URL", PUBLIC_URL),
    ];
    let mut cmd = tickbox(&dir, &env);
    cmd.args(["set-password", "--username", "ray"]);
    let out = run_with_stdin(cmd, &format!("{NEW_PASSWORD}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The running server sends the notice the CLI queued.
    let notice = sink.next_mail().await;
    assert_eq!(notice.subject(), "Your tickbox password was changed");
    assert_eq!(notice.rcpt_to, [ray.email]);
    assert!(notice.body.contains("by the operator"), "{}", notice.body);
    // The link made for the old password is dead.
    assert_eq!(app.get(&path).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn tls_required_never_falls_back_to_plain_text() {
    // The sink offers no STARTTLS: a mail that requires it must not go in clear.
    let mut sink = SmtpSink::start().await;
    let url = format!("smtp://127.0.0.1:{}?tls=required", sink.port);
    let app = spawn_mailing_app(&sink, vec![("SMTP_URL", url)]).await;
    let zoe = app.register("Zoe").await;
    ask_for_link(&app, &zoe.email).await;
    until_outbox(&app, "a refused attempt", |rows| {
        rows.first()
            .is_some_and(|&(attempts, error, sent)| attempts >= 1 && error && !sent)
    })
    .await;
    // That attempt's SMTP conversation is over, and it delivered nothing.
    assert!(sink.try_next_mail().is_none());
}

#[tokio::test]
async fn a_change_on_the_account_page_mails_a_notice_with_the_time_and_address() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_mailing_app(&sink, vec![]).await;
    let una = app.register("Una").await;
    ask_for_link(&app, &una.email).await;
    let path = reset_path(&sink.next_mail().await);

    let res = app
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("new_password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_redirect_to(&res, "/account");
    let notice = sink.next_mail().await;
    assert_eq!(notice.subject(), "Your tickbox password was changed");
    assert_eq!(notice.rcpt_to, [una.email]);
    assert!(notice.body.contains("127.0.0.1"), "{}", notice.body);
    assert!(notice.body.contains(" UTC"), "{}", notice.body);
    // A failed change sends nothing; the link made for the old password is dead.
    let res = app
        .post(
            "/account/password",
            &[
                ("current_password", "not-the-password"),
                ("new_password", "Another#Pass42"),
                ("new_password_confirm", "Another#Pass42"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&path).await.status(), StatusCode::GONE);
    assert!(sink.try_next_mail().is_none());
}
