//! tickbox behind nginx with TLS (`deploy/nginx.conf`): cookies are Secure,
//! redirects stay on https, the throttle counts the real client from nginx's
//! `X-Forwarded-For`, and forwarding headers sent by anyone else are ignored.

use std::net::IpAddr;

use crate::common::TestDb;
use crate::support::http::{attempt_login, client, header, register, set_cookies};
use crate::support::nginx::Nginx;
use crate::support::tickbox::Tickbox;

/// Loopback addresses standing in for different people's machines.
fn host(n: u8) -> Option<IpAddr> {
    Some(IpAddr::from([127, 0, 0, n]))
}

fn behind_nginx() -> (TestDb, Tickbox, Nginx) {
    let db = TestDb::new();
    let app = Tickbox::start(&db.url, &[("TRUSTED_PROXIES", "127.0.0.1")]);
    let nginx = Nginx::start(&[app.port]);
    (db, app, nginx)
}

#[tokio::test]
async fn through_nginx_cookies_are_secure_and_redirects_stay_on_https() {
    let (_db, mut app, nginx) = behind_nginx();
    let base = nginx.url();
    let browser = client(host(2), Some(&nginx.cert.pem));

    // A protected page redirects to the log-in page, on https.
    let res = browser
        .get(format!("{base}/todos"))
        .send()
        .await
        .expect("GET /todos");
    assert_eq!(res.status(), 303, "{}", nginx.log());
    let target = res
        .url()
        .join(&header(&res, "location"))
        .expect("a Location");
    assert_eq!(target.as_str(), format!("{base}/login?next=%2Ftodos"));
    assert!(!header(&res, "strict-transport-security").is_empty());

    // The session cookie is Secure (tickbox believed nginx's X-Forwarded-Proto).
    let res = browser
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login");
    // nginx's $request_id reaches tickbox, which keeps it from a trusted proxy:
    // the same id in the response and in tickbox's line for the request.
    let id = header(&res, "x-request-id");
    assert!(
        id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "nginx's request id, not tickbox's own: {id:?}"
    );
    app.wait_for_log(&format!("request_id={id}"));
    let cookies = set_cookies(&res);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("tickbox_session="))
        .unwrap_or_else(|| panic!("a session cookie: {cookies:?}"));
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            session.contains(attribute),
            "{attribute} missing: {session}"
        );
    }
    let token = csrf_in_page(res).await;

    // The theme switch goes back to a same-origin Referer: https with nginx's port
    // counts as this site, the same address over http does not.
    for (referer, expected) in [
        (format!("{base}/login?from=theme"), "/login?from=theme"),
        (base.replacen("https://", "http://", 1) + "/login", "/"),
    ] {
        let res = browser
            .post(format!("{base}/theme"))
            .header("referer", referer.as_str())
            .form(&[("theme", "dark"), ("csrf_token", &token)])
            .send()
            .await
            .expect("POST /theme");
        assert_eq!(res.status(), 303);
        assert_eq!(header(&res, "location"), expected, "Referer {referer}");
    }

    // Logged in through the proxy, the list arrives with tickbox's headers intact:
    // not to be cached (so the back button cannot show it after log-out) and
    // with the security headers.
    register(&browser, &base, "ines").await;
    let res = browser
        .get(format!("{base}/todos"))
        .send()
        .await
        .expect("GET /todos");
    assert_eq!(res.status(), 200);
    assert!(
        header(&res, "cache-control").contains("no-store"),
        "{:?}",
        res.headers()
    );
    assert!(header(&res, "content-security-policy").contains("default-src 'self'"));
    assert_eq!(header(&res, "x-frame-options"), "DENY");

    // Plain http on the proxy only redirects to https.
    let plain = client(host(2), None);
    let res = plain
        .get(format!("http://localhost:{}/todos", nginx.http_port))
        .send()
        .await
        .expect("GET over http");
    assert_eq!(res.status(), 301);
    assert!(
        header(&res, "location").starts_with("https://localhost"),
        "{}",
        header(&res, "location")
    );

    // A body over 64 KiB stops at the proxy.
    let big = "x".repeat(70_000);
    let res = browser
        .post(format!("{base}/todos"))
        .form(&[("title", big.as_str())])
        .send()
        .await
        .expect("POST a big body");
    assert_eq!(res.status(), 413);

    // Straight to tickbox: plain http gives a cookie without Secure, and a forged
    // X-Forwarded-Proto from an untrusted address changes nothing.
    for (from, forged) in [(host(1), None), (host(3), Some("https"))] {
        let direct = client(from, None);
        let mut req = direct.get(format!("{}/login", app.url()));
        if let Some(proto) = forged {
            req = req.header("x-forwarded-proto", proto);
        }
        let res = req.send().await.expect("GET /login directly");
        let cookies = set_cookies(&res).join(" | ");
        assert!(cookies.contains("tickbox_session="), "{cookies}");
        assert!(!cookies.contains("Secure"), "{cookies}");
    }
}

#[tokio::test]
async fn the_throttle_counts_the_real_client_behind_nginx_and_ignores_forged_headers() {
    let (_db, mut app, nginx) = behind_nginx();
    let base = nginx.url();

    // One person fails 20 times (each time under another name, so that no account
    // is throttled), forging X-Forwarded-For; nginx appends their real address.
    let mallory = client(host(2), Some(&nginx.cert.pem));
    for i in 0..20 {
        let forged = format!("198.51.100.{i}");
        let res = attempt_login(
            &mallory,
            &base,
            &format!("nobody{i}"),
            "wrong-password",
            Some(("x-forwarded-for", &forged)),
        )
        .await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = attempt_login(&mallory, &base, "nobody-else", "wrong-password", None).await;
    assert_eq!(res.status(), 429, "the 21st failure from one client");
    let wait: u32 = header(&res, "retry-after")
        .parse()
        .expect("Retry-After seconds");
    assert!((1..=900).contains(&wait));

    // Someone else behind the same proxy is not throttled.
    let alice = client(host(3), Some(&nginx.cert.pem));
    let res = attempt_login(&alice, &base, "alice", "wrong-password", None).await;
    assert_eq!(res.status(), 401, "another client behind the same proxy");

    // Straight to tickbox from an untrusted address, X-Forwarded-For is ignored:
    // changing it on every attempt does not dodge the per-address limit.
    let direct = client(host(4), None);
    for i in 0..20 {
        let forged = format!("203.0.113.{i}");
        let res = attempt_login(
            &direct,
            &app.url(),
            &format!("ghost{i}"),
            "wrong-password",
            Some(("x-forwarded-for", &forged)),
        )
        .await;
        assert_eq!(res.status(), 401, "direct attempt {i}");
    }
    let res = attempt_login(
        &direct,
        &app.url(),
        "ghost",
        "wrong-password",
        Some(("x-forwarded-for", "203.0.113.99")),
    )
    .await;
    assert_eq!(
        res.status(),
        429,
        "forged X-Forwarded-For sent straight to tickbox"
    );

    // The request log names the real addresses, never the forged ones. (A line is
    // written as its answer leaves: the last ones may still be on their way.)
    for real in ["client=127.0.0.2", "client=127.0.0.3", "client=127.0.0.4"] {
        if !app.log().contains(real) {
            app.wait_for_log(real);
        }
    }
    let log = app.log();
    assert!(
        !log.contains("client=198.51.100") && !log.contains("client=203.0.113"),
        "{log}"
    );
}

async fn csrf_in_page(res: reqwest::Response) -> String {
    crate::support::http::csrf_in(&res.text().await.expect("a page"))
}
