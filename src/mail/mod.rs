//! Mail (SPEC §9): the settings, what the mails say, the outbox every mail goes
//! through, and the background sender that delivers it.

pub mod message;
pub mod notices;
pub mod sender;
pub mod settings;
pub mod transport;

use std::sync::Arc;

use tokio::sync::Notify;

pub use message::ChangedBy;
use settings::MailSettings;

/// What request handlers need of mail: the settings, and a way to wake the sender
/// once their outbox row has committed.
#[derive(Clone)]
pub struct MailHandle {
    pub settings: MailSettings,
    wake: Arc<Notify>,
}

impl MailHandle {
    pub fn new(settings: MailSettings) -> Self {
        Self {
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Call after the transaction that wrote an outbox row has committed: the sender
    /// looks at once (or, if busy, as soon as it is done). Never waits.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The sender's side of [`Self::wake`].
    pub fn wake_signal(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }
}
