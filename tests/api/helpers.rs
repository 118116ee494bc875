//! The test harness: the real server on a random port, a fresh database per test
//! (an SQLite file, or a PostgreSQL database when `TEST_DATABASE_URL` is set), and a
//! browser-like HTTP client with a cookie jar that does not follow redirects.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderMap;
use reqwest::{redirect, Client, Response, StatusCode, Url};
use tickbox::config::{Config, DatabaseUrl};
use tickbox::db::{self, DbConnection};
use tickbox::startup::Application;

pub use crate::common::{TestDb, PASSWORD};

pub const SECRET_KEY: &str = "test-secret-key-test-secret-key-test-secret-key-test-secret-key-0123";

/// A running tickbox and a first browser for it (`app.get(…)` is that browser's).
pub struct TestApp {
    pub browser: Browser,
    pub db: TestDb,
    /// `http://127.0.0.1:PORT` of the metrics listener, when `METRICS_BIND` was set.
    pub metrics_address: Option<String>,
}

impl std::ops::Deref for TestApp {
    type Target = Browser;
    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl TestApp {
    /// Another browser (its own cookie jar) on the same server.
    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.address)
    }
}

/// A browser-like client: a cookie jar, no redirect following.
pub struct Browser {
    pub address: String,
    pub client: Client,
    pub jar: Arc<Jar>,
}

/// Extra environment for a test's server (`TRUSTED_PROXIES`, `COOKIE_SECURE`, …).
#[derive(Default)]
pub struct Settings {
    pub vars: Vec<(&'static str, String)>,
    /// Serve from this (already prepared) test database instead of a new one.
    pub db: Option<TestDb>,
    /// Reach the test database through this local port instead (a relay in front of it).
    pub database_port: Option<u16>,
    /// Connection parameters for the database URL (`sslmode=require`).
    pub database_params: Option<&'static str>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default()).await
}

pub async fn spawn_app_with(mut settings: Settings) -> TestApp {
    let db = settings.db.take().unwrap_or_else(TestDb::new);
    let mut vars: HashMap<&str, String> = HashMap::from([
        (
            "DATABASE_URL",
            db.url_with(settings.database_port, settings.database_params),
        ),
        ("SECRET_KEY", SECRET_KEY.to_owned()),
        ("BCRYPT_COST", "4".to_owned()),
        ("DATABASE_POOL_SIZE", "4".to_owned()),
    ]);
    vars.extend(settings.vars.iter().cloned());
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test configuration");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    let app = Application::build_with_listener(config, listener).expect("build the application");
    let port = app.port();
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    tokio::spawn(app.run_until_stopped());
    TestApp {
        browser: Browser::new(&format!("http://127.0.0.1:{port}")),
        db,
        metrics_address,
    }
}

impl Browser {
    pub fn new(address: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .redirect(redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .expect("http client");
        Self {
            address: address.to_owned(),
            client,
            jar,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Posts a form as a browser would, adding this session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        self.post_raw(path, &form).await
    }

    /// Posts exactly these fields (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// The CSRF token of this client's session (read from a page, as a browser would).
    pub async fn csrf_token(&self) -> String {
        let html = self.get("/login").await.text().await.unwrap();
        csrf_in(&html).expect("a csrf_token field on /login")
    }

    /// The session cookie's value as the jar holds it.
    pub fn session_cookie(&self) -> Option<String> {
        let url: Url = self.address.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix("tickbox_session=").map(str::to_owned))
    }

    /// Signs up through the form and stays logged in.
    pub async fn register(&self, username: &str) -> TestUser {
        let user = TestUser::named(username);
        let res = self
            .post(
                "/register",
                &[
                    ("username", &user.username),
                    ("email", &user.email),
                    ("password", &user.password),
                    ("password_confirm", &user.password),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "registration of {username} failed"
        );
        user
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.post("/login", &[("login", login), ("password", password)])
            .await
    }

    pub async fn logout(&self) -> Response {
        self.post("/logout", &[]).await
    }

    /// Adds a to-do and returns its id (read back from the list).
    pub async fn add_todo(&self, title: &str, due: &str) -> i64 {
        let res = self.post("/todos", &[("title", title), ("due", due)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "adding {title:?}");
        let html = self
            .get("/todos?sort=created&order=desc")
            .await
            .text()
            .await
            .unwrap();
        todo_ids(&html)[0]
    }

    /// Puts a session cookie value into this browser's jar (a copied cookie).
    pub fn set_session_cookie(&self, value: &str) {
        let url: Url = self.address.parse().unwrap();
        self.jar
            .add_cookie_str(&format!("tickbox_session={value}; Path=/"), &url);
    }
}

pub struct TestUser {
    pub username: String,
    pub email: String,
    pub password: String,
}

impl TestUser {
    pub fn named(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            email: format!("{}@example.com", username.to_lowercase()),
            password: PASSWORD.to_owned(),
        }
    }
}

/// The value of the first `csrf_token` field in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let start = html.find(r#"name="csrf_token" value=""#)? + r#"name="csrf_token" value=""#.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The texts of `flash` messages in a page, as (level, text).
pub fn flashes(html: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("div.flash[role=status]").unwrap();
    doc.select(&sel)
        .map(|el| {
            let level = el
                .value()
                .classes()
                .find_map(|c| c.strip_prefix("flash-"))
                .unwrap_or_default()
                .to_owned();
            (level, el.text().collect::<String>().trim().to_owned())
        })
        .collect()
}

/// The fields that have a `field-error`.
pub fn field_errors(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(".field-error[data-field]").unwrap();
    doc.select(&sel)
        .filter_map(|el| el.value().attr("data-field").map(str::to_owned))
        .collect()
}

/// Ids of the to-do items on a list page, in order.
pub fn todo_ids(html: &str) -> Vec<i64> {
    todo_items(html).into_iter().map(|(id, _, _)| id).collect()
}

/// (id, title, done) of the to-do items on a list page, in order.
pub fn todo_items(html: &str) -> Vec<(i64, String, bool)> {
    let doc = scraper::Html::parse_document(html);
    let item = scraper::Selector::parse("li.todo").unwrap();
    let title = scraper::Selector::parse(".todo-title").unwrap();
    doc.select(&item)
        .map(|el| {
            let id = el.value().attr("data-id").unwrap().parse().unwrap();
            let done = el.value().attr("data-done") == Some("true");
            let text = el
                .select(&title)
                .next()
                .map(|t| t.text().collect::<String>())
                .unwrap_or_default();
            (id, text, done)
        })
        .collect()
}

/// The text of the element with this id.
pub fn text_of(html: &str, id: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!("#{id}")).unwrap();
    doc.select(&sel)
        .next()
        .map(|el| el.text().collect::<String>().trim().to_owned())
}

pub fn location(res: &Response) -> String {
    header(res.headers(), "location")
}

pub fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// All `Set-Cookie` headers of a response.
pub fn set_cookies(res: &Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// Runs `f` on the test's database through tickbox's own connection layer, on a
/// connection of its own. Not a pool: r2d2 keeps connecting in background threads
/// (`min_idle`) after a pool is dropped, and a thread inside libpq when the test
/// process exits can crash it (seen as SIGSEGV after every test had passed).
pub fn with_db<T>(app: &TestApp, f: impl FnOnce(&mut DbConnection) -> diesel::QueryResult<T>) -> T {
    let url = DatabaseUrl::parse(&app.db.url).expect("a database URL");
    let mut conn = db::Manager::new(url)
        .connect()
        .expect("a database connection");
    f(&mut conn).expect("a database call")
}

/// The response is a 303 See Other to exactly `location` (zero2prod's
/// `assert_is_redirect_to`).
#[track_caller]
pub fn assert_redirect_to(res: &Response, location: &str) {
    assert_eq!(
        (res.status(), header(res.headers(), "location").as_str()),
        (StatusCode::SEE_OTHER, location),
        "a redirect to {location}"
    );
}
