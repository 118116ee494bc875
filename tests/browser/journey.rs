//! The whole story of a person using tickbox in a browser, each step checked by
//! what the page shows: directly, and once more through nginx with TLS.

use crate::common::TestDb;
use crate::support::browser::{Browser, Chromedriver, Profile};
use crate::support::nginx::Nginx;
use crate::support::tickbox::Tickbox;
use crate::support::PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_up_keeps_to_dos_logs_out_and_comes_back_remembered() {
    let db = TestDb::new();
    let app = Tickbox::start(&db.url, &[]);
    walk_the_whole_story(&app.url(), "ada", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_story_works_through_nginx_with_tls() {
    let db = TestDb::new();
    let app = Tickbox::start(
        &db.url,
        &[("TRUSTED_PROXIES", "127.0.0.1"), ("COOKIE_SECURE", "true")],
    );
    let nginx = Nginx::start(&[app.port]);
    walk_the_whole_story(&nginx.url(), "grace", true).await;
    assert!(
        app.log().contains("client=127.0.0.1"),
        "tickbox saw the client through nginx:\n{}",
        app.log()
    );
}

/// Sign up, manage to-dos, switch theme, log out, come back with remember-me
/// after the browser was closed.
async fn walk_the_whole_story(base: &str, username: &str, secure: bool) {
    let driver = Chromedriver::start().await;
    let profile = Profile::new();
    let browser = Browser::open(&driver, &profile, base).await;

    // Anonymous: the list sends the person to log in, saying why.
    browser.goto("/todos").await;
    browser.wait_for_path("/login?next=%2Ftodos").await;
    browser
        .expect_flash("info", "Please log in to access this page.")
        .await;
    assert_eq!(browser.text("h1").await, "Log in");

    // No account yet: follow the sign-up link, which keeps where they were going.
    browser.click_and_load(".aside a[href^='/register']").await;
    browser.wait_for_path("/register?next=%2Ftodos").await;
    assert_eq!(browser.text("h1").await, "Sign up");
    browser.submit_sign_up(username).await;

    // Back at the list they asked for, logged in.
    browser.wait_for_path("/todos").await;
    browser
        .expect_flash("success", &format!("Welcome, {username}!"))
        .await;
    assert_eq!(browser.text("#nav-user").await, username);
    assert_eq!(browser.text("h1").await, "My to-dos");
    assert_eq!(browser.text("p.empty").await, "Nothing here.");
    if secure {
        let cookies = browser.client.get_all_cookies().await.expect("cookies");
        let session = cookies
            .iter()
            .find(|c| c.name() == "__Host-tickbox_session")
            .unwrap_or_else(|| panic!("a __Host- session cookie over https: {cookies:?}"));
        assert_eq!(session.secure(), Some(true));
        assert_eq!(session.http_only(), Some(true));
        assert!(browser.url().await.starts_with("https://"));
    }

    // Add three to-dos: one overdue, one due later, one without a date.
    for (title, due) in [
        ("Buy milk", "2001-02-03"),
        ("Write report", "2099-12-31"),
        ("Call mum", ""),
    ] {
        browser.add_todo(title, due).await;
        browser.expect_flash("success", "To-do added.").await;
    }
    assert_eq!(
        browser.todo_titles().await,
        ["Call mum", "Write report", "Buy milk"]
    );
    assert_eq!(browser.text("#count-active").await, "3");
    let overdue = browser.find("li.todo.overdue .todo-title").await;
    assert_eq!(overdue.text().await.unwrap(), "Buy milk");
    assert_eq!(
        browser.text("li.todo.overdue .badge-overdue").await,
        "Overdue"
    );

    // Complete one: it is visibly done and the counts move.
    browser
        .click_and_load("button[aria-label='Mark “Buy milk” as done']")
        .await;
    browser.expect_flash("success", "To-do updated.").await;
    assert_eq!(browser.text("li.todo.done .todo-title").await, "Buy milk");
    assert_eq!(browser.text("li.todo.done .badge-done").await, "Done");
    assert_eq!(browser.text("#count-active").await, "2");
    assert_eq!(browser.text("#count-completed").await, "1");

    // Edit one; an empty title is refused next to the field, then fixed.
    browser
        .click_and_load("a[aria-label='Edit “Call mum”']")
        .await;
    assert_eq!(browser.text("h1").await, "Edit to-do");
    browser.fill("#title", "   ").await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    assert!(!browser
        .text(".field-error[data-field=title]")
        .await
        .is_empty());
    // Switching theme right here comes back to the edit form (not a 405 for the
    // form's POST-only address), in either direction.
    for theme in ["dark", "light"] {
        browser
            .click_and_load(&format!(".theme-switch button[value={theme}]"))
            .await;
        assert_eq!(browser.theme().await, theme);
        assert_eq!(browser.text("h1").await, "Edit to-do");
    }
    browser.fill("#title", "Call mum on Sunday").await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser.wait_for_path("/todos").await;
    browser.expect_flash("success", "To-do saved.").await;
    assert_eq!(
        browser.todo_titles().await,
        ["Call mum on Sunday", "Write report", "Buy milk"]
    );

    // Filter.
    browser.follow("Active").await;
    assert_eq!(
        browser.todo_titles().await,
        ["Call mum on Sunday", "Write report"]
    );
    browser.follow("Completed").await;
    assert_eq!(browser.todo_titles().await, ["Buy milk"]);
    browser.follow("All").await;
    assert_eq!(browser.todo_titles().await.len(), 3);

    // Sort by title, then by due date (no date last).
    browser.follow("Title").await;
    assert_eq!(
        browser.todo_titles().await,
        ["Buy milk", "Call mum on Sunday", "Write report"]
    );
    browser.follow("Due date").await;
    assert_eq!(
        browser.todo_titles().await,
        ["Buy milk", "Write report", "Call mum on Sunday"]
    );

    // Delete one; the list keeps its sort.
    browser
        .click_and_load("button[aria-label='Delete “Write report”']")
        .await;
    browser.expect_flash("success", "To-do deleted.").await;
    assert_eq!(
        browser.todo_titles().await,
        ["Buy milk", "Call mum on Sunday"]
    );
    assert!(
        browser.path().await.contains("sort=due"),
        "{}",
        browser.path().await
    );

    // The list in both themes, at phone and desktop width.
    let shots = if secure { "proxied-" } else { "" };
    assert_eq!(browser.theme().await, "light");
    browser
        .screenshot(&format!("{shots}todos-light-phone"), 390, 844)
        .await;
    browser
        .screenshot(&format!("{shots}todos-light-desktop"), 1280, 800)
        .await;
    browser
        .click_and_load(".theme-switch button[value=dark]")
        .await;
    assert_eq!(browser.theme().await, "dark");
    assert!(
        browser.path().await.contains("sort=due"),
        "the theme switch comes back to the same view"
    );
    browser
        .screenshot(&format!("{shots}todos-dark-phone"), 390, 844)
        .await;
    browser
        .screenshot(&format!("{shots}todos-dark-desktop"), 1280, 800)
        .await;

    // Log out with the navbar button.
    browser
        .click_and_load(".navbar form[action='/logout'] button")
        .await;
    browser.wait_for_path("/login").await;
    browser
        .expect_flash("info", "You have been logged out.")
        .await;
    assert!(!browser.exists("#nav-user").await);

    // The back button does not show the list again (it was sent no-store).
    browser.back().await;
    assert!(
        browser.path().await.starts_with("/login"),
        "back after log-out shows {}",
        browser.path().await
    );
    assert!(
        !browser.exists("li.todo").await,
        "the list is shown after log-out"
    );
    assert_eq!(browser.text("h1").await, "Log in");

    // Log in without remember me: closing the browser ends that.
    browser.goto("/login").await;
    browser.fill("#login", username).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser
        .expect_flash("success", "Successfully logged in!")
        .await;
    browser.close().await;
    let browser = Browser::open(&driver, &profile, base).await;
    browser.goto("/todos").await;
    browser.wait_for_path("/login?next=%2Ftodos").await;
    assert!(!browser.exists("#nav-user").await);

    // Log in with remember me.
    browser.goto("/login").await;
    browser.fill("#login", username).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .find("#remember_me")
        .await
        .click()
        .await
        .expect("tick remember me");
    browser
        .click_and_load("form.stack button[type=submit]")
        .await;
    browser.wait_for_path("/todos").await;
    browser
        .expect_flash("success", "Successfully logged in!")
        .await;
    assert_eq!(
        browser.theme().await,
        "dark",
        "the account's theme comes back at log-in"
    );

    // Close the browser, open it again with the same profile: still logged in.
    browser.close().await;
    let browser = Browser::open(&driver, &profile, base).await;
    browser.goto("/todos").await;
    browser.wait_for_path("/todos").await;
    assert_eq!(browser.text("#nav-user").await, username);
    assert_eq!(
        browser.todo_titles().await,
        ["Call mum on Sunday", "Buy milk"]
    );
    browser.close().await;
}
