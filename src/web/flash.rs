//! Flash messages: stored in the session, shown once by the next page rendered.
//!
//! Written by hand: actix-web-flash-messages' session storage needs actix-session 0.10,
//! and over our session it is a dozen lines.

use actix_session::Session;
use serde::{Deserialize, Serialize};

const KEY: &str = "_flashes";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Success,
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: Level,
    pub text: String,
}

/// Queues a message for the next page; the same message is queued only once (several
/// redirects to the log-in page before it is shown say "please log in" once).
pub fn push(session: &Session, level: Level, text: impl Into<String>) {
    let mut all = peek(session);
    let flash = Flash {
        level,
        text: text.into(),
    };
    if all.contains(&flash) {
        return;
    }
    all.push(flash);
    // A session that cannot be written loses only the message, never the request.
    if let Err(e) = session.insert(KEY, all) {
        tracing::warn!(error = %e, "could not store a flash message");
    }
}

/// Takes the pending messages; the session is only marked changed when there were some.
pub fn take(session: &Session) -> Vec<Flash> {
    if !session.contains_key(KEY) {
        return Vec::new();
    }
    let all = peek(session);
    session.remove(KEY);
    all
}

fn peek(session: &Session) -> Vec<Flash> {
    session.get(KEY).ok().flatten().unwrap_or_default()
}
