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

/// What the database says about one attempt, read in one round trip.
struct Attempt {
    user: Option<User>,
    keys: throttle::Keys,
    retry_after: Option<u64>,
}

pub async fn login(
    req: HttpRequest,
    state: State,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let ip = ClientInfo::of(&req).ip_text();
    let login = form.login.clone();
    let attempt = db::run(&state.pool, move |conn| {
        let user = User::find_by_login(conn, &login)?;
        let keys = throttle::Keys::new(&login, user.as_ref().map(|u| u.id), &ip);
        let retry_after = throttle::retry_after(conn, &keys)?;
        Ok(Attempt {
            user,
            keys,
            retry_after,
        })
    })
    .await?;
    let mut page = LoginPage {
        login: form.login.clone(),
        next_query: super::next_query(&form.next),
        next: form.next.clone(),
        remember_me: form.remember_me.is_some(),
        locked_minutes: None,
    };

    if let Some(seconds) = attempt.retry_after {
        page.locked_minutes = Some(throttle::minutes(seconds));
        let mut res = render(
            &req,
            StatusCode::TOO_MANY_REQUESTS,
            "auth/login.html",
            &page,
        )?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        return Ok(res);
    }

    let hash = attempt.user.as_ref().map(|u| u.password_hash.clone());
    let ok = state.hasher.verify(form.password, hash).await?;
    let keys = attempt.keys;
    let Some(user) = attempt.user.filter(|_| ok) else {
        db::run(&state.pool, move |conn| {
            Ok(throttle::record_failure(conn, &keys)?)
        })
        .await?;
        let mut layout = Layout::for_request(&req)?;
        layout.flashes.push(Flash {
            level: Level::Error,
            text: WRONG_CREDENTIALS.to_owned(),
        });
        return render_with(
            &req,
            StatusCode::UNAUTHORIZED,
            "auth/login.html",
            &page,
            &layout,
        );
    };

    db::run(&state.pool, move |conn| {
        Ok(throttle::clear_account(conn, &keys)?)
    })
    .await?;
    super::login_user(&req, user.id, &user.username, page.remember_me)?;
    TypedSession::of(&req).push_flash(Level::Success, "Successfully logged in!");
    let next = (!form.next.is_empty()).then_some(form.next.as_str());
    // At log-in the account's saved theme wins over the visitor's.
    let theme = Theme::parse(&user.theme).unwrap_or_default();
    Ok(super::see_other(&next_url::after_login(next), Some(theme)))
}
