//! The forgotten password in Chromium (SPEC §9): from "Forgot your password?" on the
//! log-in page, through the link in the mail a real SMTP server received, to logging
//! in with the new password; axe-core on the new pages in both themes, at 390 px.

use crate::accessibility::{use_theme, Audit};
use crate::common::smtp::SmtpSink;
use crate::common::TestDb;
use crate::support::browser::{Browser, Chromedriver, Profile};
use crate::support::tickbox::Tickbox;
use crate::support::tools;

/// Where the mail's links point; the test opens the link's path on this server.
const PUBLIC_URL: &str = "http://tickbox.test";
const NEW_PASSWORD: &str = "Tq7!rZ4#wMp9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_from_the_log_in_page_through_the_mail_to_a_new_log_in() {
    let mut sink = SmtpSink::start().await;
    let db = TestDb::new();
    let smtp = sink.url();
    let app = Tickbox::start(&db.url, &[("SMTP_URL", &smtp), ("PUBLIC_URL", PUBLIC_URL)]);
    let driver = Chromedriver::start().await;
    let profile = Profile::new();
    let browser = Browser::open(&driver, &profile, &app.url()).await;
    let mut audit = Audit {
        axe: tools::axe_source(),
        pages: Vec::new(),
        violations: Vec::new(),
    };

    browser.goto("/register").await;
    browser.submit_sign_up("june").await;
    browser.wait_for_path("/todos").await;
    browser.goto("/logout").await;
    browser
        .click_and_load("form.actions button[type=submit]")
        .await;

    // The journey, as a person: the link on the log-in page, the form, the flash.
    browser.goto("/login").await;
    browser.follow("Forgot your password?").await;
    browser.wait_for_path("/password/forgot").await;
    browser.fill("#email", "june@example.com").await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser.wait_for_path("/login").await;
    browser
        .expect_flash(
            "info",
            "If an account with that email exists, we have sent it a link to reset the password.",
        )
        .await;
    let mail = sink.next_mail().await;
    let link = mail
        .link(&format!("{PUBLIC_URL}/password/reset/"))
        .unwrap_or_else(|| panic!("a reset link in {:?}", mail.body));
    let path = &link[PUBLIC_URL.len()..];
    browser.goto(path).await;
    browser.fill("#new_password", NEW_PASSWORD).await;
    browser.fill("#new_password_confirm", NEW_PASSWORD).await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser.wait_for_path("/login").await;
    browser
        .expect_flash("success", "Your password has been reset. Please log in.")
        .await;
    browser.fill("#login", "june").await;
    browser.fill("#password", NEW_PASSWORD).await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser.wait_for_path("/todos").await;
    browser
        .expect_flash("success", "Successfully logged in!")
        .await;
    let notice = sink.next_mail().await;
    assert_eq!(notice.subject(), "Your tickbox password was changed");
    assert!(
        !app.log().contains(&path["/password/reset/".len()..]),
        "the token in the log"
    );
    browser.goto("/logout").await;
    browser
        .click_and_load("form.actions button[type=submit]")
        .await;

    // A fresh link for the audit of the reset form (the one above is spent).
    browser.goto("/password/forgot").await;
    browser.fill("#email", "june@example.com").await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    let fresh = sink.next_mail().await;
    let live = fresh
        .link(&format!("{PUBLIC_URL}/password/reset/"))
        .expect("a link");
    let live = &live[PUBLIC_URL.len()..];

    browser.set_viewport(390, 844).await;
    for theme in ["light", "dark"] {
        browser.goto("/login").await;
        use_theme(&browser, theme).await;
        audit.check(&browser, "log-in with the forgot link").await;
        browser.goto("/password/forgot").await;
        audit.check(&browser, "forgot password").await;
        assert!(
            !browser.scrolls_sideways().await,
            "forgot password at 390 px"
        );
        browser.fill("#email", "not-an-email").await;
        browser
            .click_and_load("form.stack button[type=submit]")
            .await;
        assert!(browser.exists(".field-error[data-field=email]").await);
        audit.check(&browser, "forgot password, bad email").await;
        browser.goto(live).await;
        audit.check(&browser, "reset form").await;
        assert!(!browser.scrolls_sideways().await, "reset form at 390 px");
        browser.fill("#new_password", "password1").await;
        browser.fill("#new_password_confirm", "password1").await;
        browser
            .click_and_load("form.stack button[type=submit]")
            .await;
        assert!(
            browser
                .exists(".field-error[data-field=new_password]")
                .await
        );
        audit
            .check(&browser, "reset form, guessable password")
            .await;
        browser.goto(path).await;
        assert!(browser.body_text().await.contains("invalid or has expired"));
        audit.check(&browser, "dead link (410)").await;
    }
    browser.close().await;
    assert!(
        audit.violations.is_empty(),
        "{} serious or critical violations:\n{}",
        audit.violations.len(),
        audit.violations.join("\n")
    );
}
