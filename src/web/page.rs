//! Rendering a page: the template's own data plus what the layout needs
//! (current user, CSRF token, theme, pending flash messages).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::auth::guard::CurrentUser;
use crate::error::AppError;
use crate::session_state::{Flash, TypedSession};
use crate::state::State;
use crate::web::theme::Theme;

#[derive(Serialize)]
pub struct Layout {
    pub username: Option<String>,
    pub csrf_token: String,
    pub theme: Theme,
    pub flashes: Vec<Flash>,
}

impl Layout {
    /// The layout of a normal page; creates the session's CSRF token if needed.
    pub fn for_request(req: &HttpRequest) -> Result<Self, AppError> {
        let session = TypedSession::of(req);
        Ok(Self {
            username: CurrentUser::of(req).map(|u| u.username),
            csrf_token: session.csrf_token()?,
            theme: Theme::of(req),
            flashes: session.take_flashes(),
        })
    }
}

/// Renders `template` with `data` (a struct, serialised as the template's variables).
pub fn render(
    req: &HttpRequest,
    status: StatusCode,
    template: &str,
    data: &impl Serialize,
) -> Result<HttpResponse, AppError> {
    let layout = Layout::for_request(req)?;
    render_with(req, status, template, data, &layout)
}

pub fn render_with(
    req: &HttpRequest,
    status: StatusCode,
    template: &str,
    data: &impl Serialize,
    layout: &Layout,
) -> Result<HttpResponse, AppError> {
    let html = html(req, template, data, layout)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// The page as a string.
pub fn html(
    req: &HttpRequest,
    template: &str,
    data: &impl Serialize,
    layout: &Layout,
) -> Result<String, AppError> {
    let state = req
        .app_data::<State>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
    html_with(&state.templates, template, data, layout)
}

pub fn html_with(
    templates: &tera::Tera,
    template: &str,
    data: &impl Serialize,
    layout: &Layout,
) -> Result<String, AppError> {
    let mut ctx = tera::Context::from_serialize(data)?;
    ctx.insert("layout", layout);
    Ok(templates.render(template, &ctx)?)
}

/// No template data beyond the layout.
#[derive(Serialize)]
pub struct Empty {}
