//! What every handler and middleware shares, built once at start.

use crate::auth::password::Hasher;
use crate::auth::two_factor::SecretCipher;
use crate::config::Config;
use crate::db::DbPool;
use crate::mail::MailHandle;
use crate::monitoring::Metrics;

pub struct AppState {
    pub pool: DbPool,
    pub templates: tera::Tera,
    pub config: Config,
    pub hasher: Hasher,
    /// Prometheus series (a no-op without `METRICS_BIND`).
    pub metrics: Metrics,
    /// Seals two-factor secrets (a key derived from `SECRET_KEY`).
    pub secrets: SecretCipher,
    /// `None` when mail is off (`SMTP_URL` unset): the forgotten-password pages are 404.
    pub mail: Option<MailHandle>,
}

/// The form in which handlers receive the state.
pub type State = actix_web::web::Data<AppState>;
