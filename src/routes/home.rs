//! The home page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::web::page::{render, Empty};

pub async fn home(req: HttpRequest) -> Result<HttpResponse, AppError> {
    render(&req, StatusCode::OK, "home.html", &Empty {})
}
