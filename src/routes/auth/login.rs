//! `GET/POST /login`: log in by username or email, with throttling of failures.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::NextQuery;
use crate::auth::{next_url, throttle};
use crate::db::{self, models::two_factor, models::user::User};
use crate::error::AppError;
use crate::monitoring::LoginOutcome;
use crate::routes::two_factor::login_step;
use crate::session_state::{Flash, Level, TypedSession};
use crate::state::{AppState, State};
use crate::web::client::ClientInfo;
use crate::web::form::see_other;
use crate::web::page::{render, render_with, Layout};
use crate::web::query::Query;
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
    /// Mail is on: link "Forgot your password?".
    forgot_password: bool,
}

impl LoginPage {
    /// The form again with what was typed (never the password).
    fn refilled(form: &LoginForm, state: &AppState) -> Self {
        Self {
            login: form.login.clone(),
            next_query: super::next_query(&form.next),
            next: form.next.clone(),
            remember_me: form.remember_me.is_some(),
            locked_minutes: None,
            forgot_password: state.mail.is_some(),
        }
    }
}

pub async fn login_form(
    req: HttpRequest,
    state: State,
    query: Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = query.0.next.unwrap_or_default();
    let page = LoginPage {
        next_query: super::next_query(&next),
        next,
        forgot_password: state.mail.is_some(),
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
    let page = LoginPage::refilled(&form, &state);
    let attempt = Attempt::count(&state, &form.login, ClientInfo::of(&req).ip_text()).await?;
    let attempt = match attempt {
        Ok(attempt) => attempt,
        Err(seconds) => {
            state.metrics.login(LoginOutcome::Throttled);
            return throttled(&req, &state, page, seconds);
        }
    };
    let next = (!form.next.is_empty()).then_some(form.next.as_str());
    let user = match attempt.check_password(&state, form.password).await? {
        Passed::No => {
            state.metrics.login(LoginOutcome::Failure);
            return wrong_credentials(&req, &state, &page);
        }
        Passed::LogIn(user) => user,
        // Not logged in yet: the code comes next (SPEC §10).
        Passed::SecondStep(user, version) => {
            state.metrics.login(LoginOutcome::SecondStep);
            let (remember, next) = (page.remember_me, next_url::after_login(next));
            return login_step::begin(&req, &user, version, remember, next);
        }
    };
    let account = super::Account {
        id: user.id,
        username: &user.username,
        password_version: user.password_version,
    };
    super::login_user(&req, account, page.remember_me)?;
    TypedSession::of(&req).push_flash(Level::Success, "Successfully logged in!");
    // At log-in the account's saved theme wins over the visitor's.
    let theme = Theme::parse(&user.theme).unwrap_or_default();
    state.metrics.login(LoginOutcome::Success);
    Ok(see_other(&next_url::after_login(next), Some(theme)))
}

/// What the password step decided.
enum Passed {
    /// Wrong credentials.
    No,
    LogIn(User),
    /// Right, and the account has two-factor authentication (of this version) on.
    SecondStep(User, i64),
}

/// One log-in attempt, counted against the throttle before its password is checked.
struct Attempt {
    user: Option<User>,
    keys: throttle::Keys,
    reservation: throttle::Reservation,
}

impl Attempt {
    /// Finds the account and counts the attempt, in one round trip; `Err(seconds to
    /// wait)` when a counter is at its limit (nothing is counted then).
    async fn count(
        state: &AppState,
        login: &str,
        ip: String,
    ) -> Result<Result<Self, u64>, AppError> {
        let login = login.to_owned();
        db::run(&state.pool, move |conn| {
            let user = User::find_by_login(conn, &login)?;
            let keys = throttle::Keys::new(&login, user.as_ref().map(|u| u.id), &ip);
            Ok(throttle::reserve(conn, &keys)?.map(|reservation| Self {
                user,
                keys,
                reservation,
            }))
        })
        .await
    }

    /// Whether `password` is the account's own and still its current one (a password
    /// changed while the hash was checked fails the log-in). A failure stays counted;
    /// a success is not a failure, and clears the account's count, unless a second
    /// step follows: passing the password step clears nothing (SPEC §10).
    async fn check_password(self, state: &AppState, password: String) -> Result<Passed, AppError> {
        let hash = self.user.as_ref().map(|u| u.password_hash.clone());
        let ok = state.hasher.verify(password, hash).await?;
        let Some(user) = self.user.filter(|_| ok) else {
            throttle::failed(self.reservation);
            return Ok(Passed::No);
        };
        let (keys, reservation) = (self.keys, self.reservation);
        let (id, checked) = (user.id, user.password_version);
        let current = db::run(&state.pool, move |conn| {
            if User::password_version(conn, id)? != Some(checked) {
                throttle::failed(reservation);
                return Ok(None);
            }
            let second_step = two_factor::find(conn, id)?
                .filter(|s| s.is_on())
                .map(|s| s.two_factor_version);
            match second_step {
                Some(_) => throttle::passed(conn, reservation)?,
                None => throttle::succeeded(conn, &keys, reservation)?,
            }
            Ok(Some(second_step))
        })
        .await?;
        Ok(match current {
            None => Passed::No,
            Some(None) => Passed::LogIn(user),
            Some(Some(version)) => Passed::SecondStep(user, version),
        })
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
