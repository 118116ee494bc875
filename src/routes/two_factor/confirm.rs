//! The password (and code) asked again by the renew and turn-off forms: counted toward
//! the account's log-in throttle like a log-in (SPEC §10), and shown again on a page of
//! its own when something is wrong.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::auth::throttle;
use crate::db::{self, models::two_factor, models::user::User};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::form::FieldErrors;
use crate::web::page::render;

/// Which form is being confirmed.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    Renew,
    Disable,
}

/// How a confirmation starts.
pub enum Start {
    /// Two-factor authentication is off: nothing to confirm.
    Off,
    /// The account is at its throttle's limit: seconds to wait.
    Locked(u64),
    /// Counted as an attempt; the password is checked next.
    Ready(Attempt),
}

/// One counted attempt: a failure unless it is [`Attempt::passed`].
pub struct Attempt {
    pub user: User,
    reservation: throttle::Reservation,
}

/// Finds the account, and counts the attempt unless 2FA is off or the account locked.
pub async fn start(state: &AppState, user_id: i64) -> Result<Start, AppError> {
    db::run(&state.pool, move |conn| {
        let on = two_factor::find(conn, user_id)?.is_some_and(|s| s.is_on());
        let Some(user) = User::find(conn, user_id)?.filter(|_| on) else {
            return Ok(Start::Off);
        };
        Ok(
            match throttle::reserve(conn, &throttle::Keys::account_only(user_id))? {
                Err(seconds) => Start::Locked(seconds),
                Ok(reservation) => Start::Ready(Attempt { user, reservation }),
            },
        )
    })
    .await
}

impl Attempt {
    /// Whether `password` is the account's (bcrypt, off the async workers).
    pub async fn password_is_right(
        &self,
        state: &AppState,
        password: String,
    ) -> Result<bool, AppError> {
        let hash = Some(self.user.password_hash.clone());
        state.hasher.verify(password, hash).await
    }

    /// Something was wrong: the attempt stays counted.
    pub fn failed(self) {
        throttle::failed(self.reservation);
    }

    /// All was right: not a failure (the account's counter stays as it is).
    pub fn passed(self, conn: &mut db::DbConnection) -> diesel::QueryResult<()> {
        throttle::passed(conn, self.reservation)
    }
}

#[derive(Serialize)]
struct ConfirmPage {
    form: Form,
    errors: FieldErrors,
    locked_minutes: Option<u64>,
}

/// The form again, with an error next to each wrong field (422).
pub fn wrong(
    req: &HttpRequest,
    state: &AppState,
    form: Form,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let page = ConfirmPage {
        form,
        errors,
        locked_minutes: None,
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render(req, state, status, "two_factor/confirm.html", &page)
}

/// 429 with `Retry-After`, saying in words how long to wait.
pub fn locked(
    req: &HttpRequest,
    state: &AppState,
    form: Form,
    seconds: u64,
) -> Result<HttpResponse, AppError> {
    let page = ConfirmPage {
        form,
        errors: FieldErrors::new(),
        locked_minutes: Some(throttle::minutes(seconds)),
    };
    let status = StatusCode::TOO_MANY_REQUESTS;
    let mut res = render(req, state, status, "two_factor/confirm.html", &page)?;
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(res)
}

pub use crate::routes::account::WRONG_PASSWORD;
pub const WRONG_CODE: &str = "That code is not right (or was used already).";
