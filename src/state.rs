//! What every handler and middleware shares, built once at start.

use crate::auth::password::Hasher;
use crate::config::Config;
use crate::db::DbPool;

pub struct AppState {
    pub pool: DbPool,
    pub templates: tera::Tera,
    pub config: Config,
    pub hasher: Hasher,
}

/// The form in which handlers receive the state.
pub type State = actix_web::web::Data<AppState>;
