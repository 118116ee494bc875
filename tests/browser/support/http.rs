//! Plain HTTP(S) clients for the proxy checks: a cookie jar, no redirects followed,
//! trusting the test certificate, optionally from a chosen loopback address.

use std::net::IpAddr;

use reqwest::{redirect, Certificate, Client, Response};

/// A client with its own cookie jar, connecting from `from` (a loopback address)
/// and trusting `root` (the test certificate) when given.
pub fn client(from: Option<IpAddr>, root: Option<&[u8]>) -> Client {
    let mut builder = Client::builder()
        .redirect(redirect::Policy::none())
        .cookie_store(true)
        .local_address(from);
    if let Some(pem) = root {
        builder = builder
            .tls_built_in_root_certs(false)
            .add_root_certificate(Certificate::from_pem(pem).expect("a PEM certificate"));
    }
    builder.build().expect("an HTTP client")
}

pub fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().expect("an ASCII header").to_owned())
        .unwrap_or_default()
}

pub fn set_cookies(res: &Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("an ASCII cookie").to_owned())
        .collect()
}

/// The value of the first `csrf_token` field in a page.
pub fn csrf_in(html: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = html.find(marker).expect("a csrf_token field") + marker.len();
    let end = html[start..].find('"').expect("a closing quote");
    html[start..start + end].to_owned()
}

/// GETs `url` and returns the page's CSRF token (the anonymous session gets one).
pub async fn csrf_token(client: &Client, url: &str) -> String {
    let html = client
        .get(url)
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("a body");
    csrf_in(&html)
}

/// One log-in attempt through the form (token first, as a browser would).
pub async fn attempt_login(
    client: &Client,
    base: &str,
    login: &str,
    password: &str,
    extra_header: Option<(&str, &str)>,
) -> Response {
    let token = csrf_token(client, &format!("{base}/login")).await;
    let mut req = client.post(format!("{base}/login")).form(&[
        ("login", login),
        ("password", password),
        ("csrf_token", &token),
    ]);
    if let Some((k, v)) = extra_header {
        req = req.header(k, v);
    }
    req.send().await.expect("POST /login")
}

/// Signs up through the form; the client is then logged in.
pub async fn register(client: &Client, base: &str, username: &str) {
    let token = csrf_token(client, &format!("{base}/register")).await;
    let email = format!("{}@example.com", username.to_lowercase());
    let res = client
        .post(format!("{base}/register"))
        .form(&[
            ("username", username),
            ("email", &email),
            ("password", super::PASSWORD),
            ("password_confirm", super::PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("POST /register");
    assert_eq!(
        res.status(),
        303,
        "registration of {username} through {base}"
    );
}
