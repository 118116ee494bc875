//! Two-factor authentication in Chromium (SPEC §10): turned on from the account page
//! with a code computed here from the secret the page shows, then a log-in through the
//! second step; axe on the setup, recovery-codes and second-step pages in both themes.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::accessibility::{use_theme, Audit};
use crate::common::{TestDb, PASSWORD};
use crate::support::browser::{Browser, Chromedriver, Profile};
use crate::support::tickbox::Tickbox;

/// An authenticator app: codes of steps not used yet, the current one first.
struct Authenticator {
    totp: totp_rs::Totp,
    last_step: u64,
}

impl Authenticator {
    fn new(shown_secret: &str) -> Self {
        let base32: String = shown_secret.split_whitespace().collect();
        let secret = totp_rs::Secret::try_from_base32(&base32).expect("a base32 secret");
        Self {
            totp: totp_rs::Builder::new().with_secret(secret).build().unwrap(),
            last_step: 0,
        }
    }

    fn next_code(&mut self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let step = (now / 30).max(self.last_step + 1);
        self.last_step = step;
        self.totp.generate(step * 30).to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_is_turned_on_from_the_account_page_and_asked_for_at_log_in() {
    let db = TestDb::new();
    let app = Tickbox::start(&db.url, &[]);
    let driver = Chromedriver::start().await;
    let profile = Profile::new();
    let browser = Browser::open(&driver, &profile, &app.url()).await;
    let mut audit = Audit::new();

    browser.goto("/register").await;
    browser.submit_sign_up("tara").await;
    browser.wait_for_path("/todos").await;

    // Setup, from the account page: in both themes, and with a wrong code.
    browser.goto("/account").await;
    use_theme(&browser, "light").await;
    assert_eq!(
        browser
            .find("#twofactor-status")
            .await
            .attr("data-enabled")
            .await
            .unwrap(),
        Some("false".to_owned())
    );
    browser
        .click_and_load("form[action='/account/2fa/setup'] button")
        .await;
    browser.wait_for_path("/account/2fa").await;
    assert!(browser.exists("svg.qr").await, "the QR code");
    audit.check(&browser, "2FA setup").await;
    browser.screenshot("two-factor-setup-390", 390, 844).await;
    use_theme(&browser, "dark").await;
    audit.check(&browser, "2FA setup").await;
    browser.fill("#code", "000000").await;
    browser
        .click_and_load("form[action='/account/2fa/enable'] button[type=submit]")
        .await;
    assert!(browser.exists(".field-error[data-field=code]").await);
    audit.check(&browser, "2FA setup, wrong code").await;

    // The right code, computed from the secret on the page.
    let shown_secret = browser.text("#totp-secret").await;
    let mut authenticator = Authenticator::new(&shown_secret);
    browser.fill("#code", &authenticator.next_code()).await;
    browser
        .click_and_load("form[action='/account/2fa/enable'] button[type=submit]")
        .await;
    browser
        .expect_flash("success", "Two-factor authentication is on.")
        .await;
    let recovery_code = browser.text("li.recovery-code").await;
    audit.check(&browser, "recovery codes").await;
    browser
        .screenshot("two-factor-recovery-codes-390", 390, 844)
        .await;

    // The codes are shown once; new ones (after the password) show again, in light.
    browser.goto("/account").await;
    use_theme(&browser, "light").await;
    assert_eq!(browser.text("#recovery-codes-left").await, "10");
    audit.check(&browser, "account, 2FA on").await;
    browser.screenshot("two-factor-account-390", 390, 844).await;
    browser.fill("#renew-password", PASSWORD).await;
    browser
        .click_and_load("form[action='/account/2fa/recovery-codes'] button")
        .await;
    browser.wait_for_path("/account/2fa").await;
    assert!(browser.exists("li.recovery-code").await);
    audit.check(&browser, "recovery codes").await;

    // Log out, log in: the password, then the second step.
    browser
        .click_and_load(".navbar form[action='/logout'] button")
        .await;
    browser.wait_for_path("/login").await;
    browser.fill("#login", "tara").await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser.wait_for_path("/login/2fa").await;
    audit.check(&browser, "second step").await;
    use_theme(&browser, "dark").await;
    browser.wait_for_path("/login/2fa").await;
    audit.check(&browser, "second step").await;
    browser.fill("#code", "000000").await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser
        .expect_flash("error", "Wrong code. Please try again.")
        .await;
    audit.check(&browser, "second step, wrong code").await;
    browser
        .screenshot("two-factor-second-step-390", 390, 844)
        .await;
    let login_code = authenticator.next_code();
    browser.fill("#code", &login_code).await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser.wait_for_path("/todos").await;
    browser
        .expect_flash("success", "Successfully logged in!")
        .await;
    assert_eq!(browser.text("#nav-user").await, "tara");

    browser.close().await;
    audit.assert_clean();

    // Neither the secret nor a recovery code reaches the log (SPEC §11); the codes
    // typed are not looked for: six digits may turn up in any timestamp.
    let log = app.log();
    let secret: String = shown_secret.split_whitespace().collect();
    for secret in [&secret, &recovery_code] {
        assert!(!log.contains(secret.as_str()), "{secret} is in the log");
    }
    assert!(!log.contains(&format!("code={login_code}")));
}
