//! `GET/POST /password/forgot`: ask for a reset link. The answer is the same whether
//! or not the email names an account, and no mail is sent during the request (the
//! outbox's sender does it).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::{reset_requests, throttle, validation};
use crate::db;
use crate::error::AppError;
use crate::session_state::{Level, TypedSession};
use crate::state::State;
use crate::web::client::ClientInfo;
use crate::web::form::{see_other, FieldErrors};
use crate::web::page::render;

const SENT: &str =
    "If an account with that email exists, we have sent it a link to reset the password.";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

#[derive(Serialize, Default)]
struct ForgotPage {
    email: String,
    errors: FieldErrors,
    /// Minutes to wait, when this address has asked too often.
    locked_minutes: Option<u64>,
}

pub async fn forgot_form(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    super::mail_on(&state)?;
    let page = ForgotPage::default();
    render(&req, &state, StatusCode::OK, "password/forgot.html", &page)
}

pub async fn forgot(
    req: HttpRequest,
    state: State,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let mail = super::mail_on(&state)?;
    let mut page = ForgotPage {
        email: form.into_inner().email.trim().to_owned(),
        ..ForgotPage::default()
    };
    if let Err(message) = validation::email(&page.email) {
        page.errors.insert("email", message);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&req, &state, status, "password/forgot.html", &page);
    }
    let (email, ip) = (page.email.clone(), ClientInfo::of(&req).ip_text());
    let recorded = db::run(&state.pool, move |c| {
        Ok(reset_requests::record(c, &email, &ip)?)
    })
    .await?;
    if let Err(seconds) = recorded {
        page.locked_minutes = Some(throttle::minutes(seconds));
        let status = StatusCode::TOO_MANY_REQUESTS;
        let mut res = render(&req, &state, status, "password/forgot.html", &page)?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        return Ok(res);
    }
    // Committed: the sender may look now.
    mail.wake();
    TypedSession::of(&req).push_flash(Level::Info, SENT);
    Ok(see_other("/login", None))
}
