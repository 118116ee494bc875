//! actix-http logs a request it cannot parse, a client that resets its connection or
//! one too slow to send its head as ERROR "stream error: …". Those are the client's
//! mistakes, already answered (400, 408) or gone: they are no error of ours and must
//! not page an operator. This layer drops exactly those events; every other ERROR
//! from actix-http (its own bugs, our body streams failing) still gets through.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// How actix-http's h1 dispatcher and decoder word what a client did wrong.
const CLIENT_MISTAKES: [&str; 5] = [
    "stream error: request parse error",
    "stream error: I/O error",
    "stream error: request did not complete within the specified timeout",
    "stream error: connection shutdown timeout",
    "MAX_BUFFER_SIZE unprocessed data reached",
];

pub struct HideClientMistakes;

impl<S: Subscriber> Layer<S> for HideClientMistakes {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        let meta = event.metadata();
        if *meta.level() != Level::ERROR || !meta.target().starts_with("actix_http::h1") {
            return true;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        !CLIENT_MISTAKES.iter().any(|m| message.0.starts_with(m))
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// Records the message of every event that reaches it.
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            let mut message = Message(String::new());
            event.record(&mut message);
            self.0.lock().unwrap().push(message.0);
        }
    }

    #[test]
    fn only_the_clients_mistakes_are_dropped() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry()
            .with(Seen(seen.clone()))
            .with(HideClientMistakes);
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: request parse error: invalid Header provided");
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: I/O error: Connection reset by peer");
            tracing::error!(target: "actix_http::h1::dispatcher", "Internal server error: unexpected eof");
            tracing::warn!(target: "actix_http::h1::dispatcher", "stream error: request parse error: kept below ERROR");
            tracing::error!("stream error: request parse error: our own line");
        });
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "Internal server error: unexpected eof",
                "stream error: request parse error: kept below ERROR",
                "stream error: request parse error: our own line",
            ]
        );
    }
}
