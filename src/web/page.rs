//! Rendering a page: the template's own data plus what the layout needs
//! (current user, CSRF token, theme, pending flash messages).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::auth::guard::CurrentUser;
use crate::error::AppError;
use crate::session_state::{Flash, TypedSession};
use crate::state::AppState;
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
/// The templates come from the application state, given to every handler.
pub fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    template: &str,
    data: &impl Serialize,
) -> Result<HttpResponse, AppError> {
    let layout = Layout::for_request(req)?;
    render_with(state, status, template, data, &layout)
}

/// [`render`] with a layout the handler has added to.
pub fn render_with(
    state: &AppState,
    status: StatusCode,
    template: &str,
    data: &impl Serialize,
    layout: &Layout,
) -> Result<HttpResponse, AppError> {
    let mut html = Vec::new();
    render_into(&state.templates, template, data, layout, &mut html)?;
    // Bytes straight from Tera: turning them into a String would check the whole page
    // for UTF-8 once more (2 % of the list page's CPU).
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// The page as a string.
pub fn html(
    templates: &tera::Tera,
    template: &str,
    data: &impl Serialize,
    layout: &Layout,
) -> Result<String, AppError> {
    let mut html = Vec::new();
    render_into(templates, template, data, layout, &mut html)?;
    String::from_utf8(html).map_err(AppError::internal)
}

fn render_into(
    templates: &tera::Tera,
    template: &str,
    data: &impl Serialize,
    layout: &Layout,
    out: &mut Vec<u8>,
) -> Result<(), AppError> {
    let mut ctx = tera::Context::from_serialize(data)?;
    ctx.insert("layout", layout);
    Ok(templates.render_to(template, &ctx, out)?)
}

/// No template data beyond the layout.
#[derive(Serialize)]
pub struct Empty {}
