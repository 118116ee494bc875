//! What every handler and middleware shares, built once at start.

use crate::auth::password::Hasher;
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
}

/// The form in which handlers receive the state.
pub type State = actix_web::web::Data<AppState>;
