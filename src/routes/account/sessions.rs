//! `POST /account/sessions/{id}/revoke` and `POST /account/sessions/revoke-others`:
//! end another session of the user, or all of them (SPEC §5). Ending a session is
//! deleting its row: a copy of its cookie is anonymous at its next request.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::guard::CurrentUser;
use crate::db::{self, models::session};
use crate::error::AppError;
use crate::session_state::{Level, TypedSession};
use crate::state::State;
use crate::web::form::see_other;

/// Ends the session with the public handle `id`, if it is one of this user's other
/// sessions; anything else (this session, someone else's, unknown, malformed) is the
/// same 404, and nothing ends.
pub async fn revoke_session(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    if !session::is_public_id(&id) {
        return Err(AppError::NotFound);
    }
    let current = TypedSession::of(&req).own_public_id()?;
    let ended = db::run(&state.pool, move |conn| {
        Ok(session::revoke(conn, user.id, &id, &current)?)
    })
    .await?;
    if ended == 0 {
        return Err(AppError::NotFound);
    }
    TypedSession::of(&req).push_flash(Level::Success, "The session has been ended.");
    Ok(see_other("/account", None))
}

/// Ends every session of the user but this one, remembered ones too.
pub async fn revoke_other_sessions(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let current = TypedSession::of(&req).own_public_id()?;
    db::run(&state.pool, move |conn| {
        Ok(session::delete_for_user(conn, user.id, Some(&current))?)
    })
    .await?;
    TypedSession::of(&req).push_flash(Level::Success, "All your other sessions have been ended.");
    Ok(see_other("/account", None))
}
