//! Flash messages: queued by one request, shown once by the next page rendered.
//!
//! They travel in a cookie of their own, encrypted and authenticated with the server's
//! key (the cookie crate's private jar), not in the session: a logged-in session is a
//! database row, and a message in it cost two extra writes of that row for every
//! "added" or "saved" (PERFORMANCE.md, issue #17). The cookie has the session cookie's
//! attributes (`cookies::policy` decides `Secure`) and lasts until the browser closes.
//!
//! [`carry`] reads the cookie when a request comes in and writes it back only when the
//! request queued or showed a message; handlers reach the messages through
//! [`crate::session_state::TypedSession`].

use std::cell::RefCell;
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::cookie::{time::Duration, Cookie, CookieJar, Key, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use serde::{Deserialize, Serialize};

/// How a flash message looks: the `flash-LEVEL` class of SPEC §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Success,
    Info,
    Error,
}

/// A message shown once by the next page rendered. Written by hand:
/// actix-web-flash-messages needs actix-session 0.10 for its session storage, and its
/// cookie storage signs but does not encrypt (a message may name the user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: Level,
    pub text: String,
}

/// The request's messages: those its cookie brought, then those it queued.
#[derive(Default)]
struct Pending {
    messages: Vec<Flash>,
    /// The request came with a flash cookie (readable or not).
    had_cookie: bool,
    /// Queued or shown in this request: the cookie must be written or removed.
    changed: bool,
}

/// The request's messages, shared by the middleware and the handlers of one request.
#[derive(Clone, Default)]
pub struct Flashes(Rc<RefCell<Pending>>);

impl Flashes {
    /// A request's messages as its flash cookie (if it sent one) brings them.
    fn arriving(cookie: Option<Cookie<'static>>, key: &Key) -> Self {
        let flashes = Self::default();
        if let Some(cookie) = cookie {
            let mut pending = flashes.0.borrow_mut();
            pending.had_cookie = true;
            pending.messages = open(cookie, key);
        }
        flashes
    }

    /// The request's messages, or `None` outside [`carry`] (the sessionless routes).
    pub fn of(req: &impl HttpMessage) -> Option<Self> {
        req.extensions().get::<Self>().cloned()
    }

    /// Queues a message; the same message is queued only once (several redirects to
    /// the log-in page before it is shown say "please log in" once).
    pub fn push(&self, flash: Flash) {
        let mut pending = self.0.borrow_mut();
        if !pending.messages.contains(&flash) {
            pending.messages.push(flash);
            pending.changed = true;
        }
    }

    /// Takes the messages to show on the page being rendered.
    pub fn take(&self) -> Vec<Flash> {
        let mut pending = self.0.borrow_mut();
        pending.changed = true;
        std::mem::take(&mut pending.messages)
    }

    /// Drops what is queued (a log-out starts afresh).
    pub fn clear(&self) {
        let mut pending = self.0.borrow_mut();
        pending.changed = true;
        pending.messages.clear();
    }

    /// The `Set-Cookie` this request needs, if any: the queued messages, or the
    /// cookie's removal once they have been shown (none when it never had one).
    fn outgoing(&self, name: &'static str, key: &Key) -> Option<Cookie<'static>> {
        let pending = self.0.borrow();
        if !pending.changed {
            return None;
        }
        let mut cookie = Cookie::build(name, "")
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .finish();
        if pending.messages.is_empty() {
            if !pending.had_cookie {
                return None;
            }
            cookie.set_max_age(Duration::ZERO);
            return Some(cookie);
        }
        cookie.set_value(serde_json::to_string(&pending.messages).ok()?);
        let mut jar = CookieJar::new();
        jar.private_mut(key).add(cookie);
        jar.delta().next().cloned()
    }
}

/// The messages a flash cookie carries; nothing if it was not made with `key` under
/// this name (the name is part of what is authenticated) or does not parse.
fn open(cookie: Cookie<'static>, key: &Key) -> Vec<Flash> {
    let name = cookie.name().to_owned();
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    jar.private(key)
        .get(&name)
        .and_then(|plain| serde_json::from_str(plain.value()).ok())
        .unwrap_or_default()
}

/// Middleware of the pages: brings the flash cookie's messages into the request and
/// writes the cookie back when they changed. `name` follows `COOKIE_SECURE`
/// (`cookies::flash_cookie_name`).
pub async fn carry(
    key: Key,
    name: &'static str,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let flashes = Flashes::arriving(req.cookie(name), &key);
    req.extensions_mut().insert(flashes.clone());
    let mut res = next.call(req).await?;
    if let Some(cookie) = flashes.outgoing(name, &key) {
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "tickbox_flash";

    fn flash(text: &str) -> Flash {
        Flash {
            level: Level::Success,
            text: text.to_owned(),
        }
    }

    #[test]
    fn a_queued_message_reaches_the_next_request_once_and_is_then_removed() {
        let key = Key::generate();
        let first = Flashes::arriving(None, &key);
        first.push(flash("To-do added."));
        first.push(flash("To-do added."));
        let cookie = first
            .outgoing(NAME, &key)
            .expect("a cookie for the message");
        assert!(
            !cookie.value().contains("added"),
            "the message is encrypted"
        );

        let second = Flashes::arriving(Some(cookie), &key);
        assert_eq!(second.take(), vec![flash("To-do added.")]);
        let removal = second.outgoing(NAME, &key).expect("the cookie is removed");
        assert_eq!(removal.max_age(), Some(Duration::ZERO));
    }

    #[test]
    fn a_request_that_neither_queues_nor_shows_writes_no_cookie() {
        let key = Key::generate();
        assert!(Flashes::arriving(None, &key).outgoing(NAME, &key).is_none());
        let shown_nothing = Flashes::arriving(None, &key);
        assert!(shown_nothing.take().is_empty());
        assert!(shown_nothing.outgoing(NAME, &key).is_none());
    }

    #[test]
    fn a_cookie_made_with_another_key_or_name_shows_nothing() {
        let key = Key::generate();
        let queued = Flashes::arriving(None, &key);
        queued.push(flash("Welcome, alice!"));
        let cookie = queued.outgoing(NAME, &key).unwrap();

        assert!(Flashes::arriving(Some(cookie.clone()), &Key::generate())
            .take()
            .is_empty());
        let mut renamed = cookie.clone();
        renamed.set_name("tickbox_session");
        assert!(open(renamed, &key).is_empty());
        let mut forged = cookie;
        forged.set_value(r#"[{"level":"error","text":"Call us at 555"}]"#);
        assert!(open(forged, &key).is_empty());
    }
}
