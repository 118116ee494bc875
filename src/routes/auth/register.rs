//! `GET/POST /register`: sign up, then be logged in.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::NextQuery;
use crate::auth::guard::CurrentUser;
use crate::auth::{next_url, validation};
use crate::db::models::user::{self, NewUser, Taken};
use crate::db::{self, request::begin_request_transaction};
use crate::error::AppError;
use crate::session_state::{Level, TypedSession};
use crate::state::{AppState, State};
use crate::web::form::{see_other, FieldErrors};
use crate::web::page::render;
use crate::web::query::Query;
use crate::web::theme::Theme;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    username: String,
    email: String,
    password: String,
    password_confirm: String,
    next: String,
}

/// What the form shows: the non-secret values and the errors next to their fields.
#[derive(Serialize, Default)]
struct RegisterPage {
    next_query: String,
    username: String,
    email: String,
    next: String,
    errors: FieldErrors,
}

pub async fn register_form(
    req: HttpRequest,
    state: State,
    query: Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if CurrentUser::of(&req).is_some() {
        return Ok(see_other("/todos", None));
    }
    let next = query.0.next.unwrap_or_default();
    let page = RegisterPage {
        next_query: super::next_query(&next),
        next,
        ..RegisterPage::default()
    };
    render(&req, &state, StatusCode::OK, "auth/register.html", &page)
}

pub async fn register(
    req: HttpRequest,
    state: State,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut page = RegisterPage::checked(&form);
    if !page.errors.is_empty() {
        page.name_taken_values(&state).await?;
        return invalid(&req, &state, &page);
    }
    let hash = state.hasher.hash(form.password).await?;
    // The account and the logged-in session row (saved by actix-session after this
    // handler) commit together, or neither does. Begun after the hash: its connection
    // cannot be given back while the request waits.
    begin_request_transaction(&state.pool).await?;
    let user_id = match create_account(&state, &page, hash, Theme::of(&req)).await? {
        Ok(id) => id,
        Err(taken) => {
            page.errors.insert(taken.field(), taken_message(taken));
            // The other value may be taken too: say so now, not on the next try.
            page.name_taken_values(&state).await?;
            return invalid(&req, &state, &page);
        }
    };
    // A new account's password is at its first version.
    let account = super::Account {
        id: user_id,
        username: &page.username,
        password_version: 0,
    };
    super::login_user(&req, account, false)?;
    let welcome = format!("Welcome, {}!", page.username);
    TypedSession::of(&req).push_flash(Level::Success, welcome);
    let next = (!form.next.is_empty()).then_some(form.next.as_str());
    Ok(see_other(&next_url::after_login(next), None))
}

impl RegisterPage {
    /// The form's values, trimmed, with every rule broken (uniqueness aside).
    fn checked(form: &RegisterForm) -> Self {
        let username = form.username.trim().to_owned();
        let email = form.email.trim().to_owned();
        let errors =
            validation::registration(&username, &email, &form.password, &form.password_confirm);
        Self {
            next_query: super::next_query(&form.next),
            next: form.next.clone(),
            username,
            email,
            errors,
        }
    }
}

impl RegisterPage {
    /// Adds "already taken" to the username and email that pass their own rules
    /// but belong to another account, so every bad field shows at once (SPEC §3).
    async fn name_taken_values(&mut self, state: &AppState) -> Result<(), AppError> {
        let unchecked = |field| !self.errors.contains_key(field);
        let username = unchecked("username").then(|| self.username.clone());
        let email = unchecked("email").then(|| self.email.clone());
        if username.is_none() && email.is_none() {
            return Ok(());
        }
        let taken = db::run(&state.pool, move |conn| {
            Ok(user::taken_values(
                conn,
                username.as_deref(),
                email.as_deref(),
            )?)
        })
        .await?;
        for value in taken {
            self.errors.insert(value.field(), taken_message(value));
        }
        Ok(())
    }
}

/// The new account's id, or which of its values another account has.
async fn create_account(
    state: &AppState,
    page: &RegisterPage,
    hash: String,
    theme: Theme,
) -> Result<Result<i64, Taken>, AppError> {
    let (name, mail) = (page.username.clone(), page.email.clone());
    db::run(&state.pool, move |conn| {
        Ok(NewUser::new(&name, &mail, &hash, theme.as_str()).insert(conn)?)
    })
    .await
}

fn taken_message(taken: Taken) -> String {
    let what = match taken {
        Taken::Username => "username",
        Taken::Email => "email address",
    };
    format!("This {what} is already taken.")
}

/// The form again, 422, with the errors next to their fields.
fn invalid(
    req: &HttpRequest,
    state: &AppState,
    page: &RegisterPage,
) -> Result<HttpResponse, AppError> {
    render(
        req,
        state,
        StatusCode::UNPROCESSABLE_ENTITY,
        "auth/register.html",
        page,
    )
}
