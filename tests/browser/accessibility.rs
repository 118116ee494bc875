//! axe-core (the npm package, pinned in package-lock.json) finds no serious or
//! critical accessibility violation on any page, in either theme.

use serde_json::{json, Value};

use crate::common::TestDb;
use crate::support::browser::{Browser, Chromedriver, Profile};
use crate::support::tickbox::Tickbox;
use crate::support::{http, tools, PASSWORD};

/// Runs axe on the current page; returns its serious and critical violations.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then(r => done(r.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))
  .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));
"#;

pub(crate) struct Audit {
    pub(crate) axe: String,
    pub(crate) pages: Vec<String>,
    pub(crate) violations: Vec<String>,
}

impl Audit {
    /// An audit with no page checked yet (other files audit their pages too).
    pub(crate) fn new() -> Self {
        Self {
            axe: tools::axe_source(),
            pages: Vec::new(),
            violations: Vec::new(),
        }
    }

    /// Fails with every violation found, after listing the pages checked.
    pub(crate) fn assert_clean(&self) {
        println!("axe-core checked {} page states:", self.pages.len());
        for page in &self.pages {
            println!("  {page}");
        }
        assert!(
            self.violations.is_empty(),
            "{} serious or critical violations:\n{}",
            self.violations.len(),
            self.violations.join("\n")
        );
    }

    /// Checks the page the browser shows now, under `label`.
    pub(crate) async fn check(&mut self, browser: &Browser, label: &str) {
        let theme = browser.theme().await;
        let label = format!("{label} [{theme}] {}", browser.path().await);
        let loaded = browser
            .client
            .execute("return typeof axe !== 'undefined';", vec![])
            .await
            .expect("probe for axe");
        if loaded != json!(true) {
            browser
                .client
                .execute(&format!("{};\nreturn true;", self.axe), vec![])
                .await
                .expect("inject axe-core");
        }
        let found = browser
            .client
            .execute_async(RUN_AXE, vec![])
            .await
            .expect("run axe-core");
        let Value::Array(found) = found else {
            panic!("axe returned {found}")
        };
        for v in found {
            self.violations.push(format!("{label}: {v}"));
        }
        self.pages.push(label);
    }
}

/// Switches to `theme` with the navbar button unless the page already has it.
pub(crate) async fn use_theme(browser: &Browser, theme: &str) {
    if browser.theme().await != theme {
        browser
            .click_and_load(&format!(".theme-switch button[value={theme}]"))
            .await;
        assert_eq!(browser.theme().await, theme);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_has_no_serious_accessibility_violations_in_either_theme() {
    let axe = tools::axe_source();
    let db = TestDb::new();
    let app = Tickbox::start(&db.url, &[]);
    let driver = Chromedriver::start().await;
    let profile = Profile::new();
    let browser = Browser::open(&driver, &profile, &app.url()).await;
    let mut audit = Audit {
        axe,
        pages: Vec::new(),
        violations: Vec::new(),
    };

    // Anonymous pages, and the forms showing their errors.
    for theme in ["light", "dark"] {
        browser.goto("/").await;
        use_theme(&browser, theme).await;
        audit.check(&browser, "home").await;
        browser.goto("/login").await;
        audit.check(&browser, "log-in").await;
        browser.fill("#login", "nobody").await;
        browser.fill("#password", "wrong-password").await;
        browser
            .click_and_load("form.stack button[type=submit]")
            .await;
        browser
            .expect_flash("error", "Wrong credentials. Please try again.")
            .await;
        audit.check(&browser, "log-in, wrong credentials").await;
        browser.goto("/register").await;
        audit.check(&browser, "sign-up").await;
        browser.fill("#username", "x").await;
        browser.fill("#email", "not-an-email").await;
        browser
            .click_and_load("form.stack button[type=submit]")
            .await;
        assert!(browser.exists(".field-error").await);
        audit.check(&browser, "sign-up with errors").await;
    }

    // Sign up and fill the list: an overdue, a done and a plain to-do.
    browser.goto("/register").await;
    browser.submit_sign_up("lin").await;
    browser.wait_for_path("/todos").await;
    for (title, due) in [
        ("Renew passport", "2001-01-01"),
        ("Water plants", ""),
        ("Book dentist", "2099-06-30"),
    ] {
        browser.add_todo(title, due).await;
    }
    browser
        .click_and_load("button[aria-label='Mark “Water plants” as done']")
        .await;
    let id = browser
        .find("li.todo")
        .await
        .attr("data-id")
        .await
        .expect("data-id")
        .expect("a to-do id");

    // Logged-in pages, and the to-do forms showing their errors.
    for theme in ["light", "dark"] {
        browser.goto("/todos").await;
        use_theme(&browser, theme).await;
        audit.check(&browser, "to-do list").await;
        browser
            .click_and_load("form.add-form button[type=submit]")
            .await;
        assert!(browser.exists(".field-error[data-field=title]").await);
        audit.check(&browser, "to-do list, empty title").await;
        browser.goto("/todos?filter=completed").await;
        audit.check(&browser, "to-do list, completed").await;
        browser.goto(&format!("/todos/{id}/edit")).await;
        audit.check(&browser, "edit").await;
        browser.fill("#title", " ").await;
        browser
            .click_and_load("form.stack button[type=submit]")
            .await;
        assert!(browser.exists(".field-error[data-field=title]").await);
        audit.check(&browser, "edit, empty title").await;
        browser.goto("/").await;
        audit.check(&browser, "home, logged in").await;
        browser.goto("/account").await;
        audit.check(&browser, "account").await;
        browser.goto("/logout").await;
        audit.check(&browser, "log-out confirmation").await;
    }
    // The audit can fail: an image without a text alternative is caught.
    browser
        .client
        .execute(
            "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/favicon.svg\">');",
            vec![],
        )
        .await
        .expect("add an unlabelled image");
    let mut control = Audit {
        axe: audit.axe.clone(),
        pages: Vec::new(),
        violations: Vec::new(),
    };
    control.check(&browser, "control").await;
    assert!(
        control.violations.iter().any(|v| v.contains("image-alt")),
        "axe did not catch an image without alt: {:?}",
        control.violations
    );
    browser.close().await;

    println!("axe-core checked {} page states:", audit.pages.len());
    for page in &audit.pages {
        println!("  {page}");
    }
    assert!(
        audit.violations.is_empty(),
        "{} serious or critical violations:\n{}",
        audit.violations.len(),
        audit.violations.join("\n")
    );
}

/// The height of the whole page at `width` CSS pixels, for a screenshot of all of it.
async fn page_height(browser: &Browser, width: u32) -> u32 {
    browser.set_viewport(width, 800).await;
    let height = browser
        .client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .expect("measure the page");
    let height = height.as_u64().expect("a height");
    u32::try_from(height.clamp(600, 4000)).expect("a small height")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_has_no_serious_violations_on_a_phone_or_a_desktop() {
    let axe = tools::axe_source();
    let db = TestDb::new();
    let app = Tickbox::start(&db.url, &[]);
    let driver = Chromedriver::start().await;
    let profile = Profile::new();
    let browser = Browser::open(&driver, &profile, &app.url()).await;
    let mut audit = Audit {
        axe,
        pages: Vec::new(),
        violations: Vec::new(),
    };
    browser.goto("/register").await;
    browser.submit_sign_up("lea").await;
    browser.wait_for_path("/todos").await;
    // Another session, so the list has an End button.
    let other = http::client(None, None);
    let res = http::attempt_login(&other, &app.url(), "lea", PASSWORD, None).await;
    assert_eq!(res.status(), 303);

    for theme in ["light", "dark"] {
        browser.goto("/account").await;
        use_theme(&browser, theme).await;
        for (width, height) in [(390, 844), (1280, 800)] {
            browser.set_viewport(width, height).await;
            audit
                .check(&browser, &format!("account at {width} px"))
                .await;
        }
        for (device, width) in [("phone", 390), ("desktop", 1280)] {
            let height = page_height(&browser, width).await;
            browser
                .screenshot(&format!("account-{theme}-{device}"), width, height)
                .await;
        }
        // Both forms showing their errors (two wrong passwords: under the throttle).
        browser.fill("#current_password", "wrong-password").await;
        browser.fill("#new_password", "short").await;
        browser.fill("#new_password_confirm", "other").await;
        browser
            .click_and_load("form[action='/account/password'] button[type=submit]")
            .await;
        assert!(
            browser
                .exists(".field-error[data-field=new_password]")
                .await
        );
        browser.fill("#password", "wrong-password").await;
        browser
            .click_and_load("form[action='/account/delete'] button[type=submit]")
            .await;
        assert!(browser.exists(".field-error[data-field=password]").await);
        for (width, height) in [(390, 844), (1280, 800)] {
            browser.set_viewport(width, height).await;
            audit
                .check(&browser, &format!("account with errors at {width} px"))
                .await;
        }
        browser.set_viewport(1280, 800).await;
    }
    browser.close().await;

    println!("axe-core checked {} page states:", audit.pages.len());
    for page in &audit.pages {
        println!("  {page}");
    }
    assert!(
        audit.violations.is_empty(),
        "{} serious or critical violations:\n{}",
        audit.violations.len(),
        audit.violations.join("\n")
    );
}
