//! `POST /account/2fa/recovery-codes`: ten new recovery codes replace the old ones,
//! after the password.

use actix_web::{web, HttpRequest, HttpResponse};
use diesel::Connection;
use serde::Deserialize;

use super::confirm::{self, Form, Start};
use super::show;
use crate::auth::guard::CurrentUser;
use crate::auth::two_factor;
use crate::db::{self, models::session, models::user::User};
use crate::error::AppError;
use crate::session_state::TypedSession;
use crate::state::State;
use crate::web::form::{see_other, FieldErrors};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
}

pub async fn renew_codes(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let attempt = match confirm::start(&state, user.id).await? {
        Start::Off => return Ok(see_other("/account", None)),
        Start::Locked(seconds) => return confirm::locked(&req, &state, Form::Renew, seconds),
        Start::Ready(attempt) => attempt,
    };
    let wrong = || FieldErrors::from([("password", confirm::WRONG_PASSWORD.to_owned())]);
    if !attempt
        .password_is_right(&state, form.into_inner().password)
        .await?
    {
        attempt.failed();
        return confirm::wrong(&req, &state, Form::Renew, wrong());
    }
    let session = TypedSession::of(&req);
    let keep = session.own_public_id()?;
    let checked = attempt.user.password_version;
    let renewed = db::run(&state.pool, move |conn| {
        // The password checked must still be the account's.
        if User::password_version(conn, user.id)? != Some(checked) {
            attempt.failed();
            return Ok(Err(()));
        }
        let codes = conn.transaction(|conn| {
            let codes = two_factor::renew_codes(conn, user.id)?;
            if codes.is_some() {
                // Turning 2FA off or renewing its codes ends the other sessions (SPEC §10).
                session::delete_for_user(conn, user.id, Some(&keep))?;
            }
            diesel::QueryResult::Ok(codes)
        })?;
        attempt.passed(conn)?;
        Ok(Ok(codes))
    })
    .await?;
    match renewed {
        Err(()) => confirm::wrong(&req, &state, Form::Renew, wrong()),
        // Turned off meanwhile.
        Ok(None) => Ok(see_other("/account", None)),
        Ok(Some(codes)) => {
            show::show_once(&state, &session, user.id, &codes)?;
            Ok(see_other("/account/2fa", None))
        }
    }
}
