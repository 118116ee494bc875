//! The account page in a real browser (SPEC §5): a person changes their password,
//! ends another browser's session from the first, then deletes the account; and the
//! same page with the keyboard alone.

use fantoccini::key::Key;

use crate::common::TestDb;
use crate::support::browser::{Browser, Chromedriver, Profile};
use crate::support::http;
use crate::support::tickbox::Tickbox;
use crate::support::PASSWORD;

const NEW_PASSWORD: &str = "Zq7!pW3#rT9x";

/// Logs in through the form and lands on the to-do list.
async fn log_in(browser: &Browser, login: &str, password: &str) {
    browser.goto("/login").await;
    browser.fill("#login", login).await;
    browser.fill("#password", password).await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser.wait_for_path("/todos").await;
}

/// Whether the browser is logged out: its next request for the list is sent to log in.
async fn is_logged_out(browser: &Browser) -> bool {
    browser.goto("/todos").await;
    let path = browser.path().await;
    path.starts_with("/login") && !browser.exists("#nav-user").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_ends_another_browsers_session_changes_the_password_and_leaves() {
    let db = TestDb::new();
    let app = Tickbox::start(&db.url, &[]);
    let driver = Chromedriver::start().await;
    let (home, away) = (Profile::new(), Profile::new());
    let first = Browser::open(&driver, &home, &app.url()).await;
    first.goto("/register").await;
    first.submit_sign_up("ann").await;
    first.wait_for_path("/todos").await;
    let second = Browser::open(&driver, &away, &app.url()).await;
    log_in(&second, "ann", PASSWORD).await;

    // The navbar's name leads to the account page, which lists both browsers.
    first.click_and_load("#nav-user").await;
    first.wait_for_path("/account").await;
    assert_eq!(first.text("h1").await, "Your account");
    assert_eq!(first.text("#account-username").await, "ann");
    assert!(first.exists("li.session[data-current='true']").await);
    assert!(first.exists("li.session[data-current='false']").await);
    assert!(
        !first.exists("li.session[data-current='true'] button").await,
        "no End button on this browser's own session"
    );

    // A wrong current password is refused next to its field; the right one works,
    // and the other browser stays logged in.
    let change = |current: &'static str| {
        let first = &first;
        async move {
            first.fill("#current_password", current).await;
            first.fill("#new_password", NEW_PASSWORD).await;
            first.fill("#new_password_confirm", NEW_PASSWORD).await;
            first
                .click_and_load("form[action='/account/password'] button[type=submit]")
                .await;
        }
    };
    change("not-my-password").await;
    assert!(!first
        .text(".field-error[data-field=current_password]")
        .await
        .is_empty());
    change(PASSWORD).await;
    first.wait_for_path("/account").await;
    first
        .expect_flash("success", "Your password has been changed.")
        .await;
    second.goto("/todos").await;
    second.wait_for_path("/todos").await;
    assert_eq!(second.text("#nav-user").await, "ann");

    // End the other browser's session from here: it is logged out at once.
    first.goto("/account").await;
    first
        .click_and_load("li.session[data-current='false'] button")
        .await;
    first
        .expect_flash("success", "The session has been ended.")
        .await;
    assert!(!first.exists("li.session[data-current='false']").await);
    assert!(
        is_logged_out(&second).await,
        "the ended session still works"
    );
    assert!(!is_logged_out(&first).await);

    // Back in with the new password; "Log out all other sessions" ends it again.
    log_in(&second, "ann", NEW_PASSWORD).await;
    first.goto("/account").await;
    first
        .click_and_load("form[action='/account/sessions/revoke-others'] button")
        .await;
    first
        .expect_flash("success", "All your other sessions have been ended.")
        .await;
    assert!(is_logged_out(&second).await);

    // Delete the account while the other browser is logged in again.
    log_in(&second, "ann", NEW_PASSWORD).await;
    first.goto("/account").await;
    first.fill("#password", PASSWORD).await;
    first
        .click_and_load("form[action='/account/delete'] button[type=submit]")
        .await;
    assert!(!first
        .text(".field-error[data-field=password]")
        .await
        .is_empty());
    first.fill("#password", NEW_PASSWORD).await;
    first
        .click_and_load("form[action='/account/delete'] button[type=submit]")
        .await;
    first.wait_for_path("/").await;
    first
        .expect_flash("info", "Your account has been deleted.")
        .await;
    assert!(first.body_text().await.contains("Hello, Anonymous!"));
    assert!(
        is_logged_out(&second).await,
        "the other browser is logged out"
    );

    // The name is free again at once.
    second.goto("/register").await;
    second.submit_sign_up("ann").await;
    second.wait_for_path("/todos").await;
    second.expect_flash("success", "Welcome, ann!").await;
    first.close().await;
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_works_with_the_keyboard_alone() {
    let db = TestDb::new();
    let app = Tickbox::start(&db.url, &[]);
    let driver = Chromedriver::start().await;
    let profile = Profile::new();
    let browser = Browser::open(&driver, &profile, &app.url()).await;
    browser.goto("/register").await;
    browser.submit_sign_up("kit").await;
    browser.wait_for_path("/todos").await;
    // Two other sessions of the account, from plain HTTP clients.
    let base = app.url();
    let mut others = Vec::new();
    for _ in 0..2 {
        let client = http::client(None, None);
        let res = http::attempt_login(&client, &base, "kit", PASSWORD, None).await;
        assert_eq!(res.status(), 303);
        others.push(client);
    }
    let logged_in = |client: &reqwest::Client| {
        let url = format!("{base}/todos");
        let client = client.clone();
        async move { client.get(url).send().await.expect("GET").status() == 200 }
    };
    let type_text = |text: &'static str| {
        let browser = &browser;
        async move {
            for c in text.chars() {
                browser.press(c).await;
            }
        }
    };

    // From the navbar to the account page.
    browser.tab_to("#nav-user").await;
    browser.press_and_load(Key::Enter).await;
    browser.wait_for_path("/account").await;

    // End one other session with its button.
    browser
        .tab_to("li.session[data-current='false'] button")
        .await;
    browser.press_and_load(Key::Enter).await;
    browser
        .expect_flash("success", "The session has been ended.")
        .await;
    let alive = [logged_in(&others[0]).await, logged_in(&others[1]).await];
    assert_eq!(alive.iter().filter(|a| **a).count(), 1, "{alive:?}");

    // Change the password, ticking "log out all my other sessions" with Space.
    browser.tab_to("#current_password").await;
    type_text(PASSWORD).await;
    browser.tab_to("#new_password").await;
    type_text(NEW_PASSWORD).await;
    browser.tab_to("#new_password_confirm").await;
    type_text(NEW_PASSWORD).await;
    browser.tab_to("#logout_others").await;
    browser.press(' ').await;
    browser
        .tab_to("form[action='/account/password'] button")
        .await;
    browser.press_and_load(Key::Enter).await;
    browser
        .expect_flash("success", "Your password has been changed.")
        .await;
    assert!(!logged_in(&others[0]).await && !logged_in(&others[1]).await);
    assert!(browser
        .body_text()
        .await
        .contains("You are not logged in anywhere else."));

    // Delete the account: password, then the button.
    browser.tab_to("#password").await;
    type_text(NEW_PASSWORD).await;
    browser
        .tab_to("form[action='/account/delete'] button")
        .await;
    browser.press_and_load(Key::Enter).await;
    browser.wait_for_path("/").await;
    browser
        .expect_flash("info", "Your account has been deleted.")
        .await;
    browser.close().await;
}
