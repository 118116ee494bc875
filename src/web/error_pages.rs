//! Every error status gets the friendly HTML page, whoever produced it: our handlers
//! (`AppError`), actix-web (404, 405), or the session layer.

use actix_session::storage::{LoadError, SaveError, UpdateError};
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::auth::guard::CurrentUser;
use crate::error::{AppError, CsrfFailure};
use crate::state::State;
use crate::web::headers;
use crate::web::page::{self, Layout};
use crate::web::theme::Theme;

#[derive(Serialize)]
struct ErrorPage {
    status: u16,
    title: &'static str,
    message: &'static str,
    /// A link back to where the person came from, when that helps.
    back: Option<String>,
}

/// Outer middleware: renders an HTML body for error responses that have none.
/// `state` (for the templates) is given when the server is built.
pub async fn render(
    state: State,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Cloning the request here would break routing (it needs sole ownership), so
    // capture what an `Err` page needs up front.
    let theme = Theme::of(req.request());
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => return Err(render_err(e, &state, theme)),
    };
    let empty = matches!(
        res.response().body().size(),
        BodySize::Sized(0) | BodySize::None
    );
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || !empty {
        return Ok(res);
    }
    Ok(with_page(res, &state))
}

/// The response with the page for its status in place of its empty body; its
/// headers are kept.
fn with_page(res: ServiceResponse, state: &State) -> ServiceResponse {
    let kind = classify(&res);
    let (req, mut old) = res.into_parts();
    let page = describe(kind, referer_path(&req));
    let mut new = HttpResponse::build(kind.status());
    for (name, value) in old
        .headers_mut()
        .drain()
        .filter_map(|(n, v)| n.map(|n| (n, v)))
    {
        if name != actix_web::http::header::CONTENT_LENGTH {
            new.append_header((name, value));
        }
    }
    // The session layer has finished by now: a layout without forms.
    let layout = neutral_layout(CurrentUser::of(&req).map(|u| u.username), Theme::of(&req));
    let body = page_html(state, &page, &layout);
    let res = new.content_type("text/html; charset=utf-8").body(body);
    ServiceResponse::new(req, res)
}

/// What went wrong, as far as the page is concerned.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Status(StatusCode),
    Csrf(CsrfFailure),
}

impl Kind {
    fn status(self) -> StatusCode {
        match self {
            Self::Status(s) => s,
            Self::Csrf(_) => StatusCode::FORBIDDEN,
        }
    }
}

fn classify(res: &ServiceResponse) -> Kind {
    match res.response().error() {
        Some(error) => classify_error(error, res.status()),
        None => Kind::Status(res.status()),
    }
}

fn classify_error(error: &actix_web::Error, status: StatusCode) -> Kind {
    if let Some(AppError::Csrf(failure)) = error.as_error::<AppError>() {
        return Kind::Csrf(*failure);
    }
    // actix-session answers an opaque 500 when its store fails; the store is the
    // database, so this is the database being unavailable.
    let store_failed = error.as_error::<InternalError<LoadError>>().is_some()
        || error.as_error::<InternalError<SaveError>>().is_some()
        || error.as_error::<InternalError<UpdateError>>().is_some()
        || error.as_error::<InternalError<anyhow::Error>>().is_some();
    if store_failed {
        tracing::warn!(error = %error, "session store unavailable");
        return Kind::Status(StatusCode::SERVICE_UNAVAILABLE);
    }
    Kind::Status(status)
}

/// An error that escaped as `Err` (from the session layer): answer it with the page.
fn render_err(error: actix_web::Error, state: &State, theme: Theme) -> actix_web::Error {
    let kind = classify_error(&error, error.as_response_error().status_code());
    let page = describe(kind, None);
    let layout = neutral_layout(None, theme);
    let body = page_html(state, &page, &layout);
    let mut res = HttpResponse::build(kind.status());
    for header in headers::security_pairs() {
        res.insert_header(header);
    }
    let res = res.content_type("text/html; charset=utf-8").body(body);
    InternalError::from_response(error, res).into()
}

/// The error page, or a bare one should its template fail.
fn page_html(state: &State, page: &ErrorPage, layout: &Layout) -> String {
    page::html(&state.templates, "errors/error.html", page, layout).unwrap_or_else(|e| {
        tracing::error!(error = ?e, "could not render the error page");
        fallback_html(page)
    })
}

fn fallback_html(page: &ErrorPage) -> String {
    format!(
        "<!doctype html><title>{0}</title><h1>{0}</h1><p>{1}</p>",
        page.title, page.message
    )
}

fn neutral_layout(username: Option<String>, theme: Theme) -> Layout {
    Layout {
        username,
        csrf_token: String::new(),
        theme,
        flashes: Vec::new(),
    }
}

/// The path of the page the request came from, when it is one of ours.
fn referer_path(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<actix_web::http::Uri>().ok())
        .and_then(|u| u.path_and_query().map(|pq| pq.as_str().to_owned()))
        .and_then(|p| crate::auth::next_url::safe_next(&p))
}

fn describe(kind: Kind, referer: Option<String>) -> ErrorPage {
    let referer_path = move || referer;
    let (title, message, back) = match kind {
        Kind::Csrf(CsrfFailure::StaleForm) => (
            "This form has expired",
            "Your session ended before the form was sent (for example after logging out or a \
             long pause), so nothing was changed. Go back to the form, reload it and send it \
             again; you may need to retype what you entered.",
            Some(referer_path().unwrap_or_else(|| "/".into())),
        ),
        Kind::Csrf(CsrfFailure::Invalid) => (
            "The form could not be verified",
            "The form was missing its security token or it did not match your session, so \
             nothing was changed. Reload the page and try again.",
            Some(referer_path().unwrap_or_else(|| "/".into())),
        ),
        Kind::Status(s) => match s.as_u16() {
            400 => ("Bad request", "The request could not be understood.", None),
            404 => ("Page not found", "There is nothing at this address.", None),
            405 => (
                "Method not allowed",
                "This page does not accept that kind of request.",
                None,
            ),
            408 => (
                "Request timeout",
                "The request took too long to arrive.",
                None,
            ),
            413 => (
                "Request too large",
                "The form was larger than 64 KiB and was not processed.",
                None,
            ),
            503 => (
                "Temporarily unavailable",
                "tickbox cannot reach its database right now. Nothing was lost; please try again \
                 in a moment.",
                None,
            ),
            500..=599 => (
                "Something went wrong",
                "An unexpected error happened on our side.",
                None,
            ),
            _ => (
                "Request failed",
                "The request could not be completed.",
                None,
            ),
        },
    };
    ErrorPage {
        status: kind.status().as_u16(),
        title,
        message,
        back,
    }
}
