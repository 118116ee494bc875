//! Headless Chromium through chromedriver (WebDriver, via fantoccini), with the
//! few things a person does: open a page, fill a field, press a button, read
//! what is shown. Every wait is for a condition, bounded by [`PATIENCE`].

use std::future::Future;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::process::Process;
use super::{tools, TempDir};

/// How long any one condition may take to become true.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Chromium flags that work as root in a container with no outside network.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
];

/// One browser at a time: on a small machine several Chromiums at once only slow
/// each other down (and everything else the tests run).
static BROWSER_SLOT: Semaphore = Semaphore::const_new(1);

/// chromedriver on a random loopback port (holding the browser slot).
pub struct Chromedriver {
    pub url: String,
    _process: Process,
    _slot: SemaphorePermit<'static>,
}

impl Chromedriver {
    pub async fn start() -> Self {
        let slot = BROWSER_SLOT.acquire().await.expect("the browser slot");
        tools::chromium();
        let mut command = Command::new(tools::chromedriver());
        command.arg("--port=0");
        // For debugging a slow or failing run: chromedriver's verbose log, one file each.
        if let Some(dir) = std::env::var_os("TICKBOX_CHROMEDRIVER_LOG") {
            let path =
                std::path::Path::new(&dir).join(format!("chromedriver-{}.log", super::unique()));
            command
                .arg("--verbose")
                .arg(format!("--log-path={}", path.display()));
        }
        let mut process = Process::spawn("chromedriver", command);
        let port: u16 = process.wait_for_line(Duration::from_secs(30), |line| {
            let rest = line.split("started successfully on port ").nth(1)?;
            rest.trim_end_matches('.').trim().parse().ok()
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            _process: process,
            _slot: slot,
        }
    }
}

/// A browser profile (cookies and all) that outlives one browser session.
pub struct Profile(TempDir);

impl Profile {
    pub fn new() -> Self {
        Self(TempDir::new("chromium-profile"))
    }
}

/// One open browser window on a site.
pub struct Browser {
    pub client: Client,
    pub base: String,
}

impl Browser {
    /// Starts Chromium with `profile`, looking at the site at `base`.
    pub async fn open(driver: &Chromedriver, profile: &Profile, base: &str) -> Self {
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.0.path().display()));
        let caps = json!({
            "browserName": "chrome",
            // The test certificate is self-signed.
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": tools::chromium(),
                "args": args,
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("cannot start Chromium through chromedriver: {e}"));
        client
            .set_window_size(1280, 800)
            .await
            .expect("resize the window");
        Self {
            client,
            base: base.to_owned(),
        }
    }

    /// Closes the browser (its profile stays on disk).
    pub async fn close(self) {
        self.client.close().await.expect("close the browser");
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current page's path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The current page's full URL.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .to_string()
    }

    /// Polls `check` until it gives a value, failing with `what` after [`PATIENCE`].
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if Instant::now() > deadline {
                let path = self.path().await;
                let text = self.body_text().await;
                panic!("waited {PATIENCE:?} for {what}; at {path} the page shows:\n{text}");
            }
            // Polling interval for a condition with a deadline.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_for_path(&self, expected: &str) {
        let client = &self.client;
        self.eventually(&format!("the page {expected}"), || async move {
            let url = client.current_url().await.ok()?;
            let path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            (path == expected).then_some(())
        })
        .await;
    }

    /// The element matching `css`, once it is there.
    pub async fn find(&self, css: &str) -> Element {
        let client = &self.client;
        self.eventually(&format!("an element `{css}`"), || async move {
            client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find")
            .is_empty()
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .expect("element text")
            .trim()
            .to_owned()
    }

    /// The visible text of the whole page.
    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => format!("(no page: {e})"),
        }
    }

    /// Waits for a flash message of `level` reading `text`.
    pub async fn expect_flash(&self, level: &str, text: &str) {
        let xpath = format!(
            "//div[@role='status' and contains(concat(' ', @class, ' '), ' flash-{level} ') and normalize-space()='{text}']"
        );
        let client = &self.client;
        let xpath = xpath.as_str();
        self.eventually(&format!("the {level} flash {text:?}"), || async move {
            client.find(Locator::XPath(xpath)).await.ok()
        })
        .await;
    }

    /// Clicks the element matching `css` and waits until the next page has loaded.
    pub async fn click_and_load(&self, css: &str) {
        let old = self.find("html").await;
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
        self.wait_for_new_page(old).await;
    }

    /// Follows the link reading exactly `text` and waits for the next page.
    pub async fn follow(&self, text: &str) {
        let old = self.find("html").await;
        let client = &self.client;
        let link = self
            .eventually(&format!("a link {text:?}"), || async move {
                client.find(Locator::LinkText(text)).await.ok()
            })
            .await;
        link.click()
            .await
            .unwrap_or_else(|e| panic!("follow {text:?}: {e}"));
        self.wait_for_new_page(old).await;
    }

    /// Waits until `old` (an element of the previous page) is gone and the new page is complete.
    pub(super) async fn wait_for_new_page(&self, old: Element) {
        let client = &self.client;
        let old = &old;
        self.eventually("the next page to load", || async move {
            let stale = matches!(old.tag_name().await, Err(CmdError::Standard(ref e)) if e.error == fantoccini::error::ErrorStatus::StaleElementReference);
            if !stale {
                return None;
            }
            let state = client.execute("return document.readyState", vec![]).await.ok()?;
            (state == "complete").then_some(())
        })
        .await;
    }

    /// Goes back one page in the history and waits for it.
    pub async fn back(&self) {
        let old = self.find("html").await;
        self.client.back().await.expect("history back");
        self.wait_for_new_page(old).await;
    }

    /// Types `value` into the field matching `css`, replacing what was there.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear a field");
        field.send_keys(value).await.expect("type into a field");
    }

    /// Sets a field's value as its picker would (date inputs take locale-specific keys).
    pub async fn pick(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        let field = serde_json::to_value(field).expect("an element reference");
        self.client
            .execute(
                "arguments[0].value = arguments[1];",
                vec![field, json!(value)],
            )
            .await
            .expect("set a field's value");
    }

    /// Fills in the sign-up form on the page (`USERNAME@example.com`, the test
    /// password) and submits it.
    pub async fn submit_sign_up(&self, username: &str) {
        self.fill("#username", username).await;
        self.fill("#email", &format!("{username}@example.com"))
            .await;
        self.fill("#password", super::PASSWORD).await;
        self.fill("#password_confirm", super::PASSWORD).await;
        self.click_and_load("form.stack button[type=submit]").await;
    }

    /// Adds a to-do through the list page's form, as a person would.
    pub async fn add_todo(&self, title: &str, due: &str) {
        self.fill("#title", title).await;
        self.pick("#due", due).await;
        self.click_and_load("form.add-form button[type=submit]")
            .await;
    }

    /// The titles of the to-dos on the list, top to bottom.
    pub async fn todo_titles(&self) -> Vec<String> {
        let mut titles = Vec::new();
        for el in self
            .client
            .find_all(Locator::Css("li.todo .todo-title"))
            .await
            .expect("find")
        {
            titles.push(el.text().await.expect("title text").trim().to_owned());
        }
        titles
    }

    /// The page's theme (`light` or `dark`).
    pub async fn theme(&self) -> String {
        self.find("body")
            .await
            .attr("data-theme")
            .await
            .expect("data-theme")
            .unwrap_or_default()
    }

    /// Sizes the window so that the page's viewport is `width`×`height` CSS pixels.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("the viewport size");
        let size =
            |i: usize| u32::try_from(inner[i].as_u64().expect("a size")).expect("a small size");
        let (extra_w, extra_h) = (
            (width).saturating_sub(size(0)),
            height.saturating_sub(size(1)),
        );
        if extra_w > 0 || extra_h > 0 {
            self.client
                .set_window_size(width + extra_w, height + extra_h)
                .await
                .expect("resize the window");
        }
    }

    /// Whether the page is wider than the viewport (it would scroll sideways).
    pub async fn scrolls_sideways(&self) -> bool {
        let wider = self
            .client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await
            .expect("measure the page");
        wider == json!(true)
    }

    /// Saves a screenshot of the page with a `width`×`height` viewport as
    /// `artifacts/browser/NAME.png`, and checks that it does not scroll sideways.
    pub async fn screenshot(&self, name: &str, width: u32, height: u32) {
        self.set_viewport(width, height).await;
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = super::artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        assert!(
            !self.scrolls_sideways().await,
            "{name}: the page scrolls sideways at {width} px"
        );
        self.set_viewport(1280, 800).await;
    }
}
