//! `POST /account/2fa/disable`: two-factor authentication off, after the password and
//! a code (TOTP or recovery). A code is spent only when it is actually turned off.

use actix_web::{web, HttpRequest, HttpResponse};
use diesel::Connection;
use serde::Deserialize;

use super::confirm::{self, Form, Start};
use crate::auth::guard::CurrentUser;
use crate::auth::two_factor;
use crate::db::{self, models::session, models::user::User};
use crate::error::AppError;
use crate::session_state::{Level, TypedSession};
use crate::state::State;
use crate::web::form::{see_other, FieldErrors};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DisableForm {
    password: String,
    code: String,
}

pub async fn disable(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<DisableForm>,
) -> Result<HttpResponse, AppError> {
    let attempt = match confirm::start(&state, user.id).await? {
        Start::Off => return Ok(see_other("/account", None)),
        Start::Locked(seconds) => return confirm::locked(&req, &state, Form::Disable, seconds),
        Start::Ready(attempt) => attempt,
    };
    let DisableForm { password, code } = form.into_inner();
    let password_ok = attempt.password_is_right(&state, password).await?;
    let keep = TypedSession::of(&req).own_public_id()?;
    let cipher = state.secrets.clone();
    let checked = attempt.user.password_version;
    let errors = db::run(&state.pool, move |conn| {
        let password_ok = password_ok && User::password_version(conn, user.id)? == Some(checked);
        let mut errors = FieldErrors::new();
        if !password_ok {
            errors.insert("password", confirm::WRONG_PASSWORD.to_owned());
            // Say whether the code was right too, spending nothing.
            if !two_factor::code_is_right(conn, &cipher, user.id, &code)? {
                errors.insert("code", confirm::WRONG_CODE.to_owned());
            }
            attempt.failed();
            return Ok(errors);
        }
        let turned_off = conn.transaction(|conn| {
            if !two_factor::spend_code(conn, &cipher, user.id, &code)? {
                return diesel::QueryResult::Ok(false);
            }
            two_factor::turn_off(conn, user.id)?;
            // Turning 2FA off or renewing its codes ends the other sessions (SPEC §10).
            session::delete_for_user(conn, user.id, Some(&keep))?;
            Ok(true)
        })?;
        if turned_off {
            attempt.passed(conn)?;
        } else {
            errors.insert("code", confirm::WRONG_CODE.to_owned());
            attempt.failed();
        }
        Ok(errors)
    })
    .await?;
    if !errors.is_empty() {
        return confirm::wrong(&req, &state, Form::Disable, errors);
    }
    TypedSession::of(&req).push_flash(Level::Success, "Two-factor authentication is off.");
    Ok(see_other("/account", None))
}
