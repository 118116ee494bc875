//! Throttling failed log-ins (SPEC §3): per account and per client address, and
//! forged forwarding headers do not dodge it.

use reqwest::StatusCode;

use crate::helpers::*;

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
        app.login("mia", PASSWORD).await.status(),
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
    let res = app.login("mia", PASSWORD).await;
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
        other.login("nina", PASSWORD).await.status(),
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
