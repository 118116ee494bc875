//! `GET/POST /login`: log in by username or email, with throttling of failures.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::{next_url, throttle};
use crate::db::{self, models::user::User};
use crate::error::AppError;
use crate::session_state::{Flash, Level, TypedSession};
use crate::state::State;
use crate::web::client::ClientInfo;
use crate::web::page::{render, render_with, Layout};
use crate::web::theme::Theme;

pub const WRONG_CREDENTIALS: &str = "Wrong credentials. Please try again.";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    login: String,
    password: String,
    remember_me: Option<String>,
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
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

pub async fn login_form(
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let page = LoginPage {
        next_query: super::next_query(query.next.as_deref().unwrap_or_default()),
        next: query.into_inner().next.unwrap_or_default(),
        ..LoginPage::default()
    };
    render(&req, StatusCode::OK, "auth/login.html", &page)
}

/// One attempt, counted before its password is checked.
struct Attempt {
    user: Option<User>,
    keys: throttle::Keys,
    counted: Result<throttle::Reservation, u64>,
}

pub async fn login(
    req: HttpRequest,
    state: State,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut page = LoginPage {
        login: form.login.clone(),
        next_query: super::next_query(&form.next),
        next: form.next.clone(),
        remember_me: form.remember_me.is_some(),
        locked_minutes: None,
    };
    let attempt = count_attempt(&state, &form.login, ClientInfo::of(&req).ip_text()).await?;
    let reservation = match attempt.counted {
        Ok(reservation) => reservation,
        Err(seconds) => return throttled(&req, &mut page, seconds),
    };
    let hash = attempt.user.as_ref().map(|u| u.password_hash.clone());
    let ok = state.hasher.verify(form.password, hash).await?;
    let user = match attempt.user.filter(|_| ok) {
        Some(user) if succeed(&state, attempt.keys, reservation, &user).await? => user,
        _ => return wrong_credentials(&req, &page),
    };
    let account = super::Account {
        id: user.id,
        username: &user.username,
        password_version: user.password_version,
    };
    super::login_user(&req, account, page.remember_me)?;
    TypedSession::of(&req).push_flash(Level::Success, "Successfully logged in!");
    let next = (!form.next.is_empty()).then_some(form.next.as_str());
    // At log-in the account's saved theme wins over the visitor's.
    let theme = Theme::parse(&user.theme).unwrap_or_default();
    Ok(super::see_other(&next_url::after_login(next), Some(theme)))
}

/// Finds the account and counts the attempt against the throttle, in one round trip.
async fn count_attempt(state: &State, login: &str, ip: String) -> Result<Attempt, AppError> {
    let login = login.to_owned();
    db::run(&state.pool, move |conn| {
        let user = User::find_by_login(conn, &login)?;
        let keys = throttle::Keys::new(&login, user.as_ref().map(|u| u.id), &ip);
        let counted = throttle::reserve(conn, &keys)?;
        Ok(Attempt {
            user,
            keys,
            counted,
        })
    })
    .await
}

/// The right password: the attempt is no failure, and the account's counter is
/// cleared — unless the password changed while it was being checked (`false`: the
/// log-in fails, and the attempt stands as a failure).
async fn succeed(
    state: &State,
    keys: throttle::Keys,
    reservation: throttle::Reservation,
    user: &User,
) -> Result<bool, AppError> {
    let (id, checked) = (user.id, user.password_version);
    db::run(&state.pool, move |conn| {
        if User::password_version(conn, id)? != Some(checked) {
            throttle::failed(reservation);
            return Ok(false);
        }
        throttle::succeeded(conn, &keys, reservation)?;
        Ok(true)
    })
    .await
}

fn throttled(
    req: &HttpRequest,
    page: &mut LoginPage,
    seconds: u64,
) -> Result<HttpResponse, AppError> {
    page.locked_minutes = Some(throttle::minutes(seconds));
    let mut res = render(req, StatusCode::TOO_MANY_REQUESTS, "auth/login.html", page)?;
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(res)
}

fn wrong_credentials(req: &HttpRequest, page: &LoginPage) -> Result<HttpResponse, AppError> {
    let mut layout = Layout::for_request(req)?;
    layout.flashes.push(Flash {
        level: Level::Error,
        text: WRONG_CREDENTIALS.to_owned(),
    });
    render_with(
        req,
        StatusCode::UNAUTHORIZED,
        "auth/login.html",
        page,
        &layout,
    )
}
