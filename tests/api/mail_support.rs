//! What the mail tests share: a server with mail on, aimed at a real SMTP sink, and
//! the forgotten-password steps as a person takes them.

use reqwest::StatusCode;

pub use crate::common::smtp::{ReceivedMail, SmtpSink};
use crate::helpers::*;

/// The site's public address in the tests: links in mails must start with it, and
/// never with the address a request came to.
pub const PUBLIC_URL: &str = "http://tickbox.test:8443";

/// A server with mail on, sending to `sink`.
pub async fn spawn_mailing_app(sink: &SmtpSink, extra: Vec<(&'static str, String)>) -> TestApp {
    spawn_app_with(Settings {
        vars: mail_vars(sink.port, extra),
        ..Default::default()
    })
    .await
}

pub fn mail_vars(
    smtp_port: u16,
    extra: Vec<(&'static str, String)>,
) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
        ("PUBLIC_URL", PUBLIC_URL.to_owned()),
    ];
    vars.extend(extra);
    vars
}

/// `POST /password/forgot` with `email`; must answer the one reply of SPEC §9.
pub async fn ask_for_link(browser: &Browser, email: &str) {
    let res = browser.post("/password/forgot", &[("email", email)]).await;
    assert_redirect_to(&res, "/login");
}

/// The path of the reset link in a reset mail (checked to be built on PUBLIC_URL).
pub fn reset_path(mail: &ReceivedMail) -> String {
    assert_eq!(mail.subject(), "Reset your tickbox password", "{mail:?}");
    let link = mail
        .link(&format!("{PUBLIC_URL}/password/reset/"))
        .unwrap_or_else(|| panic!("no reset link on PUBLIC_URL in {:?}", mail.body));
    link[PUBLIC_URL.len()..].to_owned()
}

/// Sets `password` through the reset page at `path`; returns the response.
pub async fn reset_with(browser: &Browser, path: &str, password: &str) -> reqwest::Response {
    let page = browser.get(path).await;
    assert_eq!(page.status(), StatusCode::OK, "the reset form at {path}");
    let token = csrf_in(&page.text().await.unwrap()).expect("a CSRF token on the reset form");
    browser
        .post_raw(
            path,
            &[
                ("new_password", password),
                ("new_password_confirm", password),
                ("csrf_token", &token),
            ],
        )
        .await
}

/// A second strong password for the tests.
pub const NEW_PASSWORD: &str = "Tq7!rZ4#wMp9";
