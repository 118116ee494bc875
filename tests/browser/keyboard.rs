//! Everything works with the keyboard alone, and focus is always visible: a person
//! signs up, adds and completes a to-do, switches theme and logs out using only
//! Tab, typing, Enter and Space.

use fantoccini::key::Key;

use crate::common::TestDb;
use crate::support::browser::{Browser, Chromedriver, Profile};
use crate::support::tickbox::Tickbox;
use crate::support::PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_can_do_everything_with_the_keyboard_alone() {
    let db = TestDb::new();
    let app = Tickbox::start(&db.url, &[]);
    let driver = Chromedriver::start().await;
    let profile = Profile::new();
    let browser = Browser::open(&driver, &profile, &app.url()).await;

    // The first Tab reaches the skip link; following it lands in the content.
    browser.goto("/register").await;
    browser.press(Key::Tab).await;
    assert!(browser.focused_matches("a.skip-link").await);
    browser.press(Key::Enter).await;
    let client = &browser.client;
    browser
        .eventually("the skip link to reach #main", || async move {
            let url = client.current_url().await.ok()?;
            (url.fragment() == Some("main")).then_some(())
        })
        .await;
    assert!(
        browser.focused_matches("main").await,
        "the skip link moves focus to the content"
    );

    // Sign up.
    for (field, value) in [
        ("#username", "kim"),
        ("#email", "kim@example.com"),
        ("#password", PASSWORD),
        ("#password_confirm", PASSWORD),
    ] {
        browser.tab_to(field).await;
        for c in value.chars() {
            browser.press(c).await;
        }
    }
    browser.press_and_load(Key::Enter).await;
    browser.wait_for_path("/todos").await;
    browser.expect_flash("success", "Welcome, kim!").await;

    // Add a to-do: type its title, Enter.
    browser.tab_to("#title").await;
    for c in "Tab through life".chars() {
        browser.press(c).await;
    }
    browser.press_and_load(Key::Enter).await;
    browser.expect_flash("success", "To-do added.").await;
    assert_eq!(browser.todo_titles().await, ["Tab through life"]);

    // Complete it with Space on its check button.
    browser.tab_to("li.todo button.check").await;
    browser.press_and_load(' ').await;
    browser.expect_flash("success", "To-do updated.").await;
    assert!(browser.exists("li.todo.done").await);

    // Switch theme, then log out from the navbar.
    browser.tab_to(".theme-switch button").await;
    browser.press_and_load(Key::Enter).await;
    assert_eq!(browser.theme().await, "dark");
    browser
        .tab_to(".navbar form[action='/logout'] button")
        .await;
    browser.press_and_load(Key::Enter).await;
    browser.wait_for_path("/login").await;
    browser
        .expect_flash("info", "You have been logged out.")
        .await;
    browser.close().await;
}
