//! The account page (details of the logged-in user).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::two_factor;
use crate::auth::guard::CurrentUser;
use crate::db::{self, models::user::User};
use crate::error::AppError;
use crate::state::State;
use crate::web::page::render;

#[derive(Serialize)]
struct AccountPage {
    username: String,
    email: String,
    two_factor: two_factor::Summary,
}

pub async fn show_account(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let (account, two_factor) = db::run(&state.pool, move |conn| {
        let account = User::find(conn, user.id)?.ok_or(AppError::NotFound)?;
        Ok((account, two_factor::summary(conn, user.id)?))
    })
    .await?;
    let page = AccountPage {
        username: account.username,
        email: account.email,
        two_factor,
    };
    render(&req, &state, StatusCode::OK, "account.html", &page)
}
