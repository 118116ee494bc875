//! Two tickbox processes on one PostgreSQL database, behind the nginx upstream:
//! a session started on one works on the other, a log-out on one ends it on both,
//! and to-dos written through one are read through the other.

use reqwest::Client;

use crate::common::TestDb;
use crate::support::http::{client, csrf_token, header, register};
use crate::support::nginx::Nginx;
use crate::support::tickbox::Tickbox;

/// Requests for `/todos` that an instance answered with 200 so far.
fn lists_served(app: &Tickbox) -> usize {
    app.log()
        .lines()
        .filter(|l| l.contains("route=/todos ") && l.contains("status=200"))
        .count()
}

/// Both instances' logs, for failure messages.
fn logs(one: &Tickbox, two: &Tickbox) -> String {
    format!("instance one:\n{}\ninstance two:\n{}", one.log(), two.log())
}

async fn get(client: &Client, url: String) -> (u16, String, String) {
    let res = client.get(url).send().await.expect("GET");
    let status = res.status().as_u16();
    let location = header(&res, "location");
    (status, location, res.text().await.expect("a body"))
}

async fn post(client: &Client, base: &str, path: &str, fields: &[(&str, &str)]) -> u16 {
    let token = csrf_token(client, &format!("{base}/login")).await;
    let mut form = fields.to_vec();
    form.push(("csrf_token", &token));
    let res = client
        .post(format!("{base}{path}"))
        .form(&form)
        .send()
        .await
        .expect("POST");
    res.status().as_u16()
}

#[tokio::test]
async fn two_instances_on_one_database_share_sessions_and_to_dos() {
    // Always PostgreSQL: several processes on one SQLite file is not a deployment we offer.
    let db = TestDb::postgres_required();
    // Both start at once on a fresh database, so they migrate it concurrently.
    let vars = [("TRUSTED_PROXIES", "127.0.0.1")];
    let (one, two) = std::thread::scope(|s| {
        let first = s.spawn(|| Tickbox::start(&db.url, &vars));
        let second = Tickbox::start(&db.url, &vars);
        (first.join().expect("the first instance"), second)
    });
    let (a, b) = (one.url(), two.url());

    // Log in through one instance, use the session on the other (cookies do not
    // depend on the port, so one cookie jar reaches both, like one site would).
    let person = client(None, None);
    register(&person, &a, "Hedy").await;
    let (status, _, page) = get(&person, format!("{b}/todos")).await;
    assert_eq!(
        status, 200,
        "the session from one instance works on the other"
    );
    assert!(page.contains("Hedy"));

    // To-dos written through one are read through the other, both ways.
    assert_eq!(
        post(
            &person,
            &b,
            "/todos",
            &[("title", "Written through two"), ("due", "")]
        )
        .await,
        303
    );
    assert_eq!(
        post(
            &person,
            &a,
            "/todos",
            &[("title", "Written through one"), ("due", "")]
        )
        .await,
        303
    );
    for base in [&a, &b] {
        let (status, _, page) = get(&person, format!("{base}/todos")).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("Written through two") && page.contains("Written through one"),
            "{base}"
        );
    }

    // Log out on one: logged out on both.
    assert_eq!(post(&person, &b, "/logout", &[]).await, 303);
    for base in [&a, &b] {
        let (status, location, _) = get(&person, format!("{base}/todos")).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/login?next=%2Ftodos"),
            "{base}"
        );
    }

    // Through the nginx upstream, requests alternate between the instances and the
    // person notices nothing.
    let nginx = Nginx::start(&[one.port, two.port]);
    let site = nginx.url();
    let visitor = client(None, Some(&nginx.cert.pem));
    let status = post(
        &visitor,
        &site,
        "/login",
        &[("login", "hedy"), ("password", crate::support::PASSWORD)],
    )
    .await;
    assert_eq!(status, 303, "{}", nginx.log());
    let before = (lists_served(&one), lists_served(&two));
    for _ in 0..4 {
        let (status, _, page) = get(&visitor, format!("{site}/todos")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Written through one"));
    }
    let after = (lists_served(&one), lists_served(&two));
    assert!(
        after.0 > before.0 && after.1 > before.1,
        "both instances served the list: {before:?} → {after:?}\n{}",
        logs(&one, &two)
    );

    assert_eq!(post(&visitor, &site, "/logout", &[]).await, 303);
    for _ in 0..4 {
        let (status, location, _) = get(&visitor, format!("{site}/todos")).await;
        assert_eq!((status, location.as_str()), (303, "/login?next=%2Ftodos"));
    }
}
