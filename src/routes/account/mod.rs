//! The account page (SPEC §5): the user's details, the password form, the sessions
//! and the delete form. The page is one template of `<section>`s
//! (templates/account.html); each form posts to a handler of its own here.

mod delete;
mod password;
mod password_check;
mod sessions;

pub use delete::delete_account;
pub use password::change_password;
pub use sessions::{revoke_other_sessions, revoke_session};

/// The error on a password field that asks for the account's password, on every form
/// that asks for it again (here and the two-factor forms).
pub const WRONG_PASSWORD: &str = "Wrong password.";

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use time::macros::format_description;

use super::two_factor;
use crate::auth::guard::CurrentUser;
use crate::auth::throttle;
use crate::db;
use crate::db::models::{now, session, user::User};
use crate::error::AppError;
use crate::session_state::TypedSession;
use crate::state::{AppState, State};
use crate::web::client::ClientInfo;
use crate::web::form::FieldErrors;
use crate::web::page::render;
use crate::web::relative_time::Moment;
use crate::web::user_agent;

/// Everything the page shows; the forms' errors and values when one is sent back.
#[derive(Serialize)]
struct AccountPage {
    username: String,
    email: String,
    /// `2026-12-03`, for `<time datetime>`.
    member_since_date: String,
    /// `December 3, 2026`.
    member_since: String,
    sessions: Vec<SessionView>,
    /// Whether any session but this one is listed.
    others: bool,
    errors: FieldErrors,
    /// The password form's checkbox, kept when the form comes back.
    logout_others: bool,
    two_factor: two_factor::Summary,
}

/// One line of the session list.
#[derive(Serialize)]
struct SessionView {
    /// The public handle (`data-id`), never the session key.
    id: String,
    current: bool,
    browser: String,
    ip: String,
    started: Moment,
    last_used: Moment,
}

impl AccountPage {
    /// The page for `user`, whose current session has the public handle `current` and
    /// is making this request from `ip` (its row learns that only after the page).
    async fn load(
        state: &AppState,
        user_id: i64,
        current: Option<String>,
        ip: String,
    ) -> Result<Self, AppError> {
        let (account, rows, two_factor) = db::run(&state.pool, move |conn| {
            let account = User::find(conn, user_id)?.ok_or(AppError::NotFound)?;
            let rows = session::list_for_user(conn, user_id, now())?;
            Ok((account, rows, two_factor::summary(conn, user_id)?))
        })
        .await?;
        let now = now();
        let sessions: Vec<SessionView> = rows
            .into_iter()
            .map(|row| {
                let current = current.as_deref() == Some(row.public_id.as_str());
                SessionView {
                    current,
                    ip: if current { ip.clone() } else { row.ip },
                    id: row.public_id,
                    browser: user_agent::describe(&row.user_agent),
                    started: Moment::new(row.created_at, now),
                    last_used: Moment::new(row.last_seen_at, now),
                }
            })
            .collect();
        let date = account.created_at.date();
        Ok(Self {
            username: account.username,
            email: account.email,
            member_since_date: date.to_string(),
            member_since: date
                .format(format_description!(
                    "[month repr:long] [day padding:none], [year]"
                ))
                .map_err(AppError::internal)?,
            others: sessions.iter().any(|s| !s.current),
            sessions,
            errors: FieldErrors::new(),
            logout_others: false,
            two_factor,
        })
    }

    /// The page for the request's user.
    async fn of(req: &HttpRequest, state: &AppState, user: &CurrentUser) -> Result<Self, AppError> {
        let ip = ClientInfo::of(req).ip_text();
        Self::load(state, user.id, TypedSession::of(req).public_id(), ip).await
    }

    /// The page with `message` on `field`.
    fn with_error(mut self, field: &'static str, message: impl Into<String>) -> Self {
        self.errors.insert(field, message.into());
        self
    }
}

pub async fn show_account(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let page = AccountPage::of(&req, &state, &user).await?;
    render(&req, &state, StatusCode::OK, "account.html", &page)
}

/// The page again, 422, with the errors next to their fields.
fn invalid(
    req: &HttpRequest,
    state: &AppState,
    page: &AccountPage,
) -> Result<HttpResponse, AppError> {
    render(
        req,
        state,
        StatusCode::UNPROCESSABLE_ENTITY,
        "account.html",
        page,
    )
}

/// 429 with `Retry-After`, as `POST /login` answers at the throttle's limit: the page
/// says on `field` how many minutes to wait.
fn throttled(
    req: &HttpRequest,
    state: &AppState,
    page: AccountPage,
    field: &'static str,
    seconds: u64,
) -> Result<HttpResponse, AppError> {
    let minutes = throttle::minutes(seconds);
    let s = if minutes == 1 { "" } else { "s" };
    let message =
        format!("Too many failed attempts. Please wait {minutes} minute{s} before trying again.");
    let page = page.with_error(field, message);
    let mut res = render(
        req,
        state,
        StatusCode::TOO_MANY_REQUESTS,
        "account.html",
        &page,
    )?;
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(res)
}
