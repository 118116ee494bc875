//! What every handler and middleware shares, built once at start.

use crate::auth::password::Hasher;
use crate::config::Config;
use crate::db::DbPool;
use crate::mail::MailHandle;

pub struct AppState {
    pub pool: DbPool,
    pub templates: tera::Tera,
    pub config: Config,
    pub hasher: Hasher,
    /// `None` when mail is off (`SMTP_URL` unset): the forgotten-password pages are 404.
    pub mail: Option<MailHandle>,
}

/// The form in which handlers receive the state.
pub type State = actix_web::web::Data<AppState>;
