//! `GET/POST /register`: sign up, then be logged in.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::Connection;
use serde::{Deserialize, Serialize};

use crate::auth::guard::CurrentUser;
use crate::auth::next_url;
use crate::auth::validation::{self, FieldErrors};
use crate::db::{self, models::user::NewUser};
use crate::error::AppError;
use crate::session_state::{Level, TypedSession};
use crate::state::State;
use crate::web::page::render;
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

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
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
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if CurrentUser::of(&req).is_some() {
        return Ok(super::see_other("/todos", None));
    }
    let page = RegisterPage {
        next_query: super::next_query(query.next.as_deref().unwrap_or_default()),
        next: query.into_inner().next.unwrap_or_default(),
        ..RegisterPage::default()
    };
    render(&req, StatusCode::OK, "auth/register.html", &page)
}

pub async fn register(
    req: HttpRequest,
    state: State,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let username = form.username.trim().to_owned();
    let email = form.email.trim().to_owned();
    let mut page = RegisterPage {
        username: username.clone(),
        email: email.clone(),
        next_query: super::next_query(&form.next),
        next: form.next.clone(),
        errors: validation::registration(&username, &email, &form.password, &form.password_confirm),
    };
    if !page.errors.is_empty() {
        return render(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            "auth/register.html",
            &page,
        );
    }
    let hash = state.hasher.hash(form.password).await?;
    let theme = Theme::of(&req);
    let (name, mail) = (username.clone(), email.clone());
    // The account and the logged-in session row (saved by actix-session after this
    // handler) commit together, or neither does.
    db::request::begin_request_transaction(&state.pool).await?;
    let inserted = db::run(&state.pool, move |conn| {
        // A savepoint: a taken name undoes only this insert, and the 422 page's
        // session still saves.
        Ok(conn
            .transaction(|conn| NewUser::new(&name, &mail, &hash, theme.as_str()).insert(conn))?)
    })
    .await;
    let user_id = match inserted {
        Ok(id) => id,
        Err(AppError::Conflict(field)) => {
            let what = if field == "email" {
                "email address"
            } else {
                "username"
            };
            page.errors
                .insert(field, format!("This {what} is already taken."));
            return render(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                "auth/register.html",
                &page,
            );
        }
        Err(e) => return Err(e),
    };
    // A new account's password is at its first version.
    let account = super::Account {
        id: user_id,
        username: &username,
        password_version: 0,
    };
    super::login_user(&req, account, false)?;
    TypedSession::of(&req).push_flash(Level::Success, format!("Welcome, {username}!"));
    let next = (!form.next.is_empty()).then_some(form.next.as_str());
    Ok(super::see_other(&next_url::after_login(next), None))
}
