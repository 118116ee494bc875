//! `GET/POST /logout`: Flask-Login's `logout_user`, ending the session on the server.

use actix_identity::Identity;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use crate::auth::guard::CurrentUser;
use crate::error::AppError;
use crate::session_state::{Level, TypedSession};
use crate::state::State;
use crate::web::form::see_other;
use crate::web::page::{render, Empty};

/// A confirmation page with the POST button; anonymous visitors go to the log-in page.
pub async fn logout_form(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    if CurrentUser::of(&req).is_none() {
        return Ok(see_other("/login", None));
    }
    render(&req, &state, StatusCode::OK, "auth/logout.html", &Empty {})
}

/// Deletes this session's row (other sessions of the user stay) and starts a fresh,
/// anonymous one that only carries the flash message and a new CSRF token.
pub async fn logout(
    identity: Option<Identity>,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    session.log_out(identity)?;
    session.push_flash(Level::Info, "You have been logged out.");
    Ok(see_other("/login", None))
}
