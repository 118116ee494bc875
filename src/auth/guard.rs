//! Who is logged in, and `login_required` for the protected scope (Flask-Login's
//! decorator as middleware, so a new protected route cannot forget it).

use actix_identity::IdentityExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::error::AppError;
use crate::session_state::{Level, TypedSession};

/// The logged-in user, as the session says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
}

impl CurrentUser {
    pub fn of(req: &HttpRequest) -> Option<Self> {
        req.extensions()
            .get::<Option<CurrentUser>>()
            .cloned()
            .flatten()
    }
}

/// Middleware inside the identity layer: resolves the user once per request, for
/// [`CurrentUser::of`] and the extractor.
pub async fn resolve_user(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let user = req.get_identity().ok().and_then(|identity| {
        let id = identity.id().ok()?.parse().ok()?;
        let username = TypedSession::of(&req).username()?;
        Some(CurrentUser { id, username })
    });
    req.extensions_mut().insert(user);
    next.call(req).await
}

/// `login_required`: anonymous GET/HEAD go to `/login?next=…` with a flash, anything
/// else to `/login`.
pub async fn login_required(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if CurrentUser::of(req.request()).is_some() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let location = if matches!(*req.method(), Method::GET | Method::HEAD) {
        TypedSession::of(&req).push_flash(Level::Info, "Please log in to access this page.");
        login_url(&req)
    } else {
        "/login".to_owned()
    };
    let res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish();
    Ok(req.into_response(res).map_into_right_body())
}

fn login_url(req: &ServiceRequest) -> String {
    let uri = req.uri();
    let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    format!(
        "/login?next={}",
        utf8_percent_encode(target, NON_ALPHANUMERIC)
    )
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Only reachable inside the protected scope, where the guard already ran.
        std::future::ready(Self::of(req).ok_or(AppError::LoginRequired))
    }
}
