//! `GET /account/2fa`: the pending setup (secret, URI, QR code, code form) or, right
//! after 2FA was turned on or its codes renewed, the recovery codes, shown once.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::setup;
use crate::auth::guard::CurrentUser;
use crate::auth::two_factor::purpose;
use crate::error::AppError;
use crate::session_state::TypedSession;
use crate::state::{AppState, State};
use crate::web::form::see_other;
use crate::web::page::render;

#[derive(Serialize)]
struct CodesPage {
    codes: Vec<String>,
    /// All codes, one a line, for the copy box.
    all: String,
}

pub async fn show_two_factor(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let session = TypedSession::of(&req);
    if let Some(codes) = codes_to_show(&state, &session, user.id) {
        let page = CodesPage {
            all: codes.join("\n"),
            codes,
        };
        let res = render(
            &req,
            &state,
            StatusCode::OK,
            "two_factor/recovery_codes.html",
            &page,
        )?;
        return Ok(res);
    }
    if let Some(secret) = setup::pending_secret(&state, &session, user.id).await? {
        let res = setup::render_setup(&req, &state, &user, &secret, None, StatusCode::OK)?;
        return Ok(res);
    }
    Ok(see_other("/account", None))
}

/// The codes waiting to be shown, taken off the session (they are shown once).
fn codes_to_show(state: &AppState, session: &TypedSession, user_id: i64) -> Option<Vec<String>> {
    let sealed = session.take_codes_to_show()?;
    let text = state
        .secrets
        .open(&sealed, &purpose::codes_to_show(user_id))?;
    let text = String::from_utf8(text).ok()?;
    Some(text.lines().map(str::to_owned).collect())
}

/// Seals new codes into the session for [`show_two_factor`].
pub fn show_once(
    state: &AppState,
    session: &TypedSession,
    user_id: i64,
    codes: &[String],
) -> Result<(), AppError> {
    let sealed = state.secrets.seal(
        codes.join("\n").as_bytes(),
        &purpose::codes_to_show(user_id),
    );
    session.set_codes_to_show(&sealed)
}
