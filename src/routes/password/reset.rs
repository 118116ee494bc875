//! `GET/POST /password/reset/{token}`: choose a new password through a mailed link.
//! A dead link (unknown, malformed, used, expired, superseded, or made before the
//! password last changed) is 410, also for a POST once its CSRF token has passed.

use actix_identity::Identity;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::Connection;
use serde::{Deserialize, Serialize};

use crate::auth::guard::CurrentUser;
use crate::auth::{reset_token, throttle, validation};
use crate::db;
use crate::db::models::password_reset::{self, LiveReset};
use crate::db::models::{login_failure, now, session, user::User};
use crate::error::AppError;
use crate::mail::{notices, ChangedBy};
use crate::session_state::{Level, TypedSession};
use crate::state::{AppState, State};
use crate::web::client::ClientInfo;
use crate::web::form::{see_other, FieldErrors};
use crate::web::page::{render, Empty};

const RESET: &str = "Your password has been reset. Please log in.";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    new_password: String,
    new_password_confirm: String,
}

#[derive(Serialize)]
struct ResetPage {
    token: String,
    username: String,
    errors: FieldErrors,
}

pub async fn reset_form(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    super::mail_on(&state)?;
    let token = token.into_inner();
    let Some((_, user)) = live(&state, &token).await? else {
        return gone(&req, &state);
    };
    let page = ResetPage {
        token,
        username: user.username,
        errors: FieldErrors::new(),
    };
    render(&req, &state, StatusCode::OK, "password/reset.html", &page)
}

pub async fn reset(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
    identity: Option<Identity>,
) -> Result<HttpResponse, AppError> {
    let mail = super::mail_on(&state)?;
    let (token, form) = (token.into_inner(), form.into_inner());
    let Some((reset, user)) = live(&state, &token).await? else {
        return gone(&req, &state);
    };
    let errors = check(&form, &user);
    if !errors.is_empty() {
        let page = ResetPage {
            token,
            username: user.username,
            errors,
        };
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&req, &state, status, "password/reset.html", &page);
    }
    let hash = state.hasher.hash(form.new_password).await?;
    let ip = ClientInfo::of(&req).ip_text();
    if !change_password(&state, reset, hash, ip).await? {
        return gone(&req, &state);
    }
    mail.wake();
    let session = TypedSession::of(&req);
    // This browser's own session of the account has just ended with the others: start
    // a fresh anonymous one to carry the message. Anyone else stays who they are.
    if CurrentUser::of(&req).is_some_and(|u| u.id == user.id) {
        session.log_out(identity)?;
    }
    session.push_flash(Level::Success, RESET);
    Ok(see_other("/login", None))
}

/// The new-password rules of registration, against this account's name and email
/// (the old password may be chosen again).
fn check(form: &ResetForm, user: &User) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if let Err(message) = validation::new_password(&form.new_password, &user.username, &user.email)
    {
        errors.insert("new_password", message);
    } else if form.new_password != form.new_password_confirm {
        errors.insert("new_password_confirm", "Passwords do not match.".into());
    }
    errors
}

/// The link's row and account while the link works.
async fn live(state: &AppState, token: &str) -> Result<Option<(LiveReset, User)>, AppError> {
    if !reset_token::is_well_formed(token) {
        return Ok(None);
    }
    let hash = reset_token::hash(token);
    db::run(&state.pool, move |c| {
        let Some(reset) = password_reset::find_live(c, &hash, now())? else {
            return Ok(None);
        };
        Ok(User::find(c, reset.user_id)?.map(|user| (reset, user)))
    })
    .await
}

/// In one transaction: spends the link, changes the password (only if it is still the
/// one the link was made for), ends every session of the account, clears its log-in
/// throttle and queues the notice. `false`: the link died meanwhile, nothing changed.
async fn change_password(
    state: &AppState,
    reset: LiveReset,
    hash: String,
    ip: String,
) -> Result<bool, AppError> {
    let settings = state.mail.as_ref().map(|m| m.settings.clone());
    db::run(&state.pool, move |c| {
        Ok(c.transaction(|c| {
            let id = reset.user_id;
            if !password_reset::spend(c, reset.id, now())?
                || !User::set_password_hash_at_version(c, id, reset.password_version, &hash)?
            {
                return Ok(false);
            }
            session::delete_for_user(c, id, None)?;
            login_failure::clear(c, &throttle::Keys::new("", Some(id), "").account)?;
            if let Some(user) = User::find(c, id)? {
                notices::password_changed(c, settings.as_ref(), &user, &ChangedBy::Client(ip))?;
            }
            Ok::<_, diesel::result::Error>(true)
        })?)
    })
    .await
}

/// 410: the link does not work (any more); the page offers a new one.
fn gone(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, AppError> {
    render(
        req,
        state,
        StatusCode::GONE,
        "password/reset_gone.html",
        &Empty {},
    )
}
