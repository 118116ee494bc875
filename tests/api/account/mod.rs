//! The account page (SPEC §5): details, password change, sessions, deletion.

mod delete;
mod page;
mod password;
mod sessions;

use reqwest::StatusCode;

use crate::helpers::*;

/// A session as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub current: bool,
    pub browser: String,
    pub ip: String,
    pub started: String,
    pub last_used: String,
}

/// The sessions on an account page, in order.
pub fn listed(html: &str) -> Vec<Listed> {
    let doc = scraper::Html::parse_document(html);
    let item = scraper::Selector::parse("li.session").unwrap();
    let text = |el: &scraper::ElementRef, sel: &str| {
        let sel = scraper::Selector::parse(sel).unwrap();
        el.select(&sel)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_owned())
            .unwrap_or_default()
    };
    let attr = |el: &scraper::ElementRef, sel: &str, name: &str| {
        let sel = scraper::Selector::parse(sel).unwrap();
        el.select(&sel)
            .next()
            .and_then(|e| e.value().attr(name).map(str::to_owned))
            .unwrap_or_default()
    };
    doc.select(&item)
        .map(|el| Listed {
            id: el.value().attr("data-id").unwrap().to_owned(),
            current: el.value().attr("data-current") == Some("true"),
            browser: text(&el, ".session-browser")
                .trim_end_matches("This browser")
                .trim()
                .to_owned(),
            ip: text(&el, ".session-ip"),
            started: attr(&el, ".session-started", "datetime"),
            last_used: attr(&el, ".session-last-used", "datetime"),
        })
        .collect()
}

/// The account page of a logged-in browser.
pub async fn account_page(browser: &Browser) -> String {
    let res = browser.get("/account").await;
    assert_eq!(res.status(), StatusCode::OK, "the account page");
    res.text().await.unwrap()
}

/// This browser's own session on its account page.
pub async fn own_session(browser: &Browser) -> Listed {
    let all = listed(&account_page(browser).await);
    all.into_iter()
        .find(|s| s.current)
        .expect("the current session is listed")
}

/// Whether a browser is logged in (its to-do list answers instead of sending it to log in).
pub async fn logged_in(browser: &Browser) -> bool {
    let status = browser.get("/todos").await.status();
    assert!(
        status == StatusCode::OK || status == StatusCode::SEE_OTHER,
        "{status}"
    );
    status == StatusCode::OK
}

/// Another browser of the same server, logged in as `login` (remembered when asked).
pub async fn second_browser(app: &TestApp, login: &str, remember: bool) -> Browser {
    let other = app.new_browser();
    let mut fields = vec![("login", login), ("password", PASSWORD)];
    if remember {
        fields.push(("remember_me", "on"));
    }
    let res = other.post("/login", &fields).await;
    assert_redirect_to(&res, "/todos");
    other
}

/// A browser holding a copy of `browser`'s session cookie.
pub fn cookie_copy(app: &TestApp, browser: &Browser) -> Browser {
    let copy = app.new_browser();
    copy.set_session_cookie(&browser.session_cookie().expect("a session cookie"));
    copy
}
