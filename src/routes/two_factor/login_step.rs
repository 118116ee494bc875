//! `GET/POST /login/2fa`: the second log-in step (SPEC §10). The right password of an
//! account with 2FA on leaves only a [`PasswordStep`] in the (anonymous) session; the
//! right code within five minutes logs in as `POST /login` does.

use actix_identity::IdentityExt;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::guard::CurrentUser;
use crate::auth::throttle;
use crate::auth::two_factor::{self, totp::unix_now};
use crate::db::{self, models::two_factor as columns, models::user::User};
use crate::error::AppError;
use crate::monitoring::LoginOutcome;
use crate::routes::auth::{login_user, Account};
use crate::session_state::{Flash, Level, PasswordStep, TypedSession};
use crate::state::{AppState, State};
use crate::web::form::see_other;
use crate::web::page::{render, render_with, Layout};
use crate::web::theme::Theme;

/// How long the password step stays open, from the password step on.
const STEP_OPEN_FOR_SECONDS: i64 = 5 * 60;
const WRONG_CODE: &str = "Wrong code. Please try again.";

/// `POST /login` with the right password of an account with 2FA on (of this
/// version): the session keeps only that the password step passed, and the browser
/// goes on to `/login/2fa`. `next` is already judged safe.
pub fn begin(
    req: &HttpRequest,
    user: &User,
    two_factor_version: i64,
    remember: bool,
    next: String,
) -> Result<HttpResponse, AppError> {
    let step = PasswordStep {
        user_id: user.id,
        password_version: user.password_version,
        two_factor_version,
        remember,
        next,
        deadline: now() + STEP_OPEN_FOR_SECONDS,
    };
    let session = TypedSession::of(req);
    // The step is anonymous: whoever was logged in here is logged out first.
    if CurrentUser::of(req).is_some() {
        session.log_out(req.get_identity().ok())?;
    }
    session.set_password_step(&step)?;
    Ok(see_other("/login/2fa", None))
}

fn now() -> i64 {
    i64::try_from(unix_now()).unwrap_or(i64::MAX)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

#[derive(Serialize, Default)]
struct StepPage {
    /// Minutes to wait, when throttled.
    locked_minutes: Option<u64>,
}

/// The open password step of this session; an expired one is forgotten.
fn open_step(session: &TypedSession) -> Option<PasswordStep> {
    let step = session.password_step()?;
    if step.is_open(now()) {
        return Some(step);
    }
    session.clear_password_step();
    None
}

pub async fn code_form(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    if open_step(&TypedSession::of(&req)).is_none() {
        return Ok(see_other("/login", None));
    }
    let page = StepPage::default();
    render(&req, &state, StatusCode::OK, "two_factor/login.html", &page)
}

/// What the code decided.
enum Outcome {
    LoggedIn(User),
    Wrong,
    /// At the throttle's limit: seconds to wait.
    Locked(u64),
    /// The password changed, or 2FA was turned off, on or renewed since the password
    /// step: it no longer counts.
    Void,
}

pub async fn submit_code(
    req: HttpRequest,
    state: State,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let session = TypedSession::of(&req);
    let Some(step) = open_step(&session) else {
        return Ok(see_other("/login", None));
    };
    let outcome = check(&state, step.clone(), form.into_inner().code).await?;
    match outcome {
        Outcome::Void => {
            session.clear_password_step();
            Ok(see_other("/login", None))
        }
        Outcome::Locked(seconds) => {
            // The throttle answered: the password step is over.
            session.clear_password_step();
            state.metrics.login(LoginOutcome::Throttled);
            locked(&req, &state, seconds)
        }
        Outcome::Wrong => {
            state.metrics.login(LoginOutcome::Failure);
            wrong_code(&req, &state)
        }
        Outcome::LoggedIn(user) => {
            state.metrics.login(LoginOutcome::Success);
            let account = Account {
                id: user.id,
                username: &user.username,
                password_version: step.password_version,
            };
            login_user(&req, account, step.remember)?;
            session.push_flash(Level::Success, "Successfully logged in!");
            // At log-in the account's saved theme wins over the visitor's.
            let theme = Theme::parse(&user.theme).unwrap_or_default();
            Ok(see_other(&step.next, Some(theme)))
        }
    }
}

/// Counts the attempt toward the account's throttle (only the account's), then spends
/// the code, in one trip to the database.
async fn check(state: &AppState, step: PasswordStep, code: String) -> Result<Outcome, AppError> {
    let cipher = state.secrets.clone();
    db::run(&state.pool, move |conn| {
        let keys = throttle::Keys::account_only(step.user_id);
        let reservation = match throttle::reserve(conn, &keys)? {
            Ok(reservation) => reservation,
            Err(seconds) => return Ok(Outcome::Locked(seconds)),
        };
        let id = step.user_id;
        let user = User::find(conn, id)?;
        let current = columns::find(conn, id)?;
        let still = match (&user, &current) {
            (Some(user), Some(current)) => {
                user.password_version == step.password_version
                    && current.is_on()
                    && current.two_factor_version == step.two_factor_version
            }
            _ => false,
        };
        let Some(user) = user.filter(|_| still) else {
            throttle::passed(conn, reservation)?;
            return Ok(Outcome::Void);
        };
        if !two_factor::spend_code(conn, &cipher, id, &code)? {
            throttle::failed(reservation);
            return Ok(Outcome::Wrong);
        }
        // A completed log-in clears the account's counter, as `POST /login` does.
        throttle::succeeded(conn, &keys, reservation)?;
        Ok(Outcome::LoggedIn(user))
    })
    .await
}

/// 401, the form again with the error flash.
fn wrong_code(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, AppError> {
    let mut layout = Layout::for_request(req)?;
    layout.flashes.push(Flash {
        level: Level::Error,
        text: WRONG_CODE.to_owned(),
    });
    let page = StepPage::default();
    render_with(
        state,
        StatusCode::UNAUTHORIZED,
        "two_factor/login.html",
        &page,
        &layout,
    )
}

/// 429 with `Retry-After`, saying in words how long to wait.
fn locked(req: &HttpRequest, state: &AppState, seconds: u64) -> Result<HttpResponse, AppError> {
    let page = StepPage {
        locked_minutes: Some(throttle::minutes(seconds)),
    };
    let status = StatusCode::TOO_MANY_REQUESTS;
    let mut res = render(req, state, status, "two_factor/login.html", &page)?;
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(res)
}
