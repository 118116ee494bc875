//! The authentication cycle (SPEC §3) over real HTTP, one file per topic.

mod csrf;
mod login;
mod login_required;
mod registration;
mod registration_rules;
mod throttle;

use reqwest::StatusCode;

use crate::helpers::Browser;

/// The log-in page's message for any wrong credential.
const WRONG: &str = "Wrong credentials. Please try again.";

/// Posts the sign-up form with these values and returns (status, page).
pub async fn sign_up(
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
