//! What every handler and middleware shares, built once at start.

use crate::auth::password::Hasher;
use crate::auth::two_factor::SecretCipher;
use crate::config::Config;
use crate::db::DbPool;
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
}

/// The form in which handlers receive the state.
pub type State = actix_web::web::Data<AppState>;
