//! `GET/POST /login`: log in by username or email, with throttling of failures.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::NextQuery;
use crate::auth::{next_url, throttle};
use crate::db::{self, models::user::User};
use crate::error::AppError;
use crate::session_state::{Flash, Level, TypedSession};
use crate::state::{AppState, State};
use crate::web::client::ClientInfo;
use crate::web::form::see_other;
use crate::web::page::{render, render_with, Layout};
use crate::web::theme::Theme;

const WRONG_CREDENTIALS: &str = "Wrong credentials. Please try again.";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    login: String,
    password: String,
    remember_me: Option<String>,
    next: String,
}

#[derive(Serialize, Default)]
struct LoginPage {
    next_query: String,
    login: String,
    next: String,
    remember_me: bool,
    /// Minutes to wait, when throttled.
    locked_minutes: Option<u64>,
}

impl LoginPage {
    /// The form again with what was typed (never the password).
    fn refilled(form: &LoginForm) -> Self {
        Self {
            login: form.login.clone(),
            next_query: super::next_query(&form.next),
            next: form.next.clone(),
            remember_me: form.remember_me.is_some(),
            locked_minutes: None,
        }
    }
}

pub async fn login_form(
    req: HttpRequest,
    state: State,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = query.into_inner().next.unwrap_or_default();
    let page = LoginPage {
        next_query: super::next_query(&next),
        next,
        ..LoginPage::default()
    };
    render(&req, &state, StatusCode::OK, "auth/login.html", &page)
}

pub async fn login(
    req: HttpRequest,
    state: State,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let page = LoginPage::refilled(&form);
    let attempt = Attempt::look_up(&state, &form.login, ClientInfo::of(&req).ip_text()).await?;
    if let Some(seconds) = attempt.retry_after {
        return throttled(&req, &state, page, seconds);
    }
    let Some(user) = attempt.check_password(&state, form.password).await? else {
        return wrong_credentials(&req, &state, &page);
    };
    super::login_user(&req, user.id, &user.username, page.remember_me)?;
    TypedSession::of(&req).push_flash(Level::Success, "Successfully logged in!");
    let next = (!form.next.is_empty()).then_some(form.next.as_str());
    // At log-in the account's saved theme wins over the visitor's.
    let theme = Theme::parse(&user.theme).unwrap_or_default();
    Ok(see_other(&next_url::after_login(next), Some(theme)))
}

/// One log-in attempt: the account it names and its throttle counters, read in one
/// round trip.
struct Attempt {
    user: Option<User>,
    keys: throttle::Keys,
    retry_after: Option<u64>,
}

impl Attempt {
    async fn look_up(state: &AppState, login: &str, ip: String) -> Result<Self, AppError> {
        let login = login.to_owned();
        db::run(&state.pool, move |conn| {
            let user = User::find_by_login(conn, &login)?;
            let keys = throttle::Keys::new(&login, user.as_ref().map(|u| u.id), &ip);
            let retry_after = throttle::retry_after(conn, &keys)?;
            Ok(Self {
                user,
                keys,
                retry_after,
            })
        })
        .await
    }

    /// The account when `password` is its own. Either way the outcome is counted: a
    /// failure for the account and the address, a success clears the account's count.
    async fn check_password(
        self,
        state: &AppState,
        password: String,
    ) -> Result<Option<User>, AppError> {
        let hash = self.user.as_ref().map(|u| u.password_hash.clone());
        let ok = state.hasher.verify(password, hash).await?;
        let user = self.user.filter(|_| ok);
        let (keys, known) = (self.keys, user.is_some());
        db::run(&state.pool, move |conn| {
            if known {
                Ok(throttle::clear_account(conn, &keys)?)
            } else {
                Ok(throttle::record_failure(conn, &keys)?)
            }
        })
        .await?;
        Ok(user)
    }
}

/// 429 with `Retry-After`, saying in words how long to wait.
fn throttled(
    req: &HttpRequest,
    state: &AppState,
    mut page: LoginPage,
    seconds: u64,
) -> Result<HttpResponse, AppError> {
    page.locked_minutes = Some(throttle::minutes(seconds));
    let mut res = render(
        req,
        state,
        StatusCode::TOO_MANY_REQUESTS,
        "auth/login.html",
        &page,
    )?;
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(res)
}

/// 401 with the one message for an unknown login and a wrong password alike.
fn wrong_credentials(
    req: &HttpRequest,
    state: &AppState,
    page: &LoginPage,
) -> Result<HttpResponse, AppError> {
    let mut layout = Layout::for_request(req)?;
    layout.flashes.push(Flash {
        level: Level::Error,
        text: WRONG_CREDENTIALS.to_owned(),
    });
    render_with(
        state,
        StatusCode::UNAUTHORIZED,
        "auth/login.html",
        page,
        &layout,
    )
}
