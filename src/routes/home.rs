//! The home page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::state::State;
use crate::web::page::{render, Empty};

pub async fn home(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    render(&req, &state, StatusCode::OK, "home.html", &Empty {})
}
