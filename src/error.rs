//! One error type for the whole application.
//!
//! Policy: a handler returns `AppError` for anything that is not a normal page. The error
//! itself only chooses the status; [`crate::web::error_pages`] turns every error status into
//! the friendly HTML page. 5xx causes are logged with their chain and never shown.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A missing page, or a to-do that is not the current user's (indistinguishable).
    #[error("not found")]
    NotFound,
    /// A malformed request (e.g. a body that is not a form).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No one is logged in where someone must be.
    #[error("login required")]
    LoginRequired,
    /// The CSRF token was missing or wrong.
    #[error("CSRF check failed")]
    Csrf(CsrfFailure),
    /// The request body is over the limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The request body did not arrive in time.
    #[error("request body too slow")]
    RequestTimeout,
    /// The database cannot be reached (or a write's outcome is unknown).
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Why a CSRF check failed: the 403 page explains a stale form in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfFailure {
    /// The form was made for a session that has since ended (expired or logged out).
    StaleForm,
    /// No token, or one that does not belong to this session.
    Invalid,
}

impl AppError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::LoginRequired => StatusCode::SEE_OTHER,
            Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// An empty response: the error-page middleware renders the body.
    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unavailable(e) => tracing::warn!(error = ?e, "database unavailable"),
            Self::Internal(e) => tracing::error!(error = ?e, "internal error"),
            Self::LoginRequired => {
                return HttpResponse::SeeOther()
                    .insert_header((actix_web::http::header::LOCATION, "/login"))
                    .finish();
            }
            _ => {}
        }
        HttpResponse::build(self.status_code()).finish()
    }
}

impl From<DieselError> for AppError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )
            | DieselError::BrokenTransactionManager => Self::Unavailable(e.into()),
            // Two transactions lost a race the database broke (PostgreSQL's 40001, or a
            // deadlock, 40P01, which Diesel does not name): nothing was written, and the
            // same request will very likely succeed if sent again, so 503, not 500.
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::Unavailable(e.into())
            }
            DieselError::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::Unavailable(e.into())
            }
            // SQLite answers "database is locked" after busy_timeout: try again later.
            _ if crate::db::is_locked(&e) => Self::Unavailable(e.into()),
            // libpq reports a dropped server as an unknown error with this text.
            DieselError::DatabaseError(_, info)
                if info.message().contains("server closed the connection")
                    || info.message().contains("terminating connection")
                    || info.message().contains("no connection to the server") =>
            {
                Self::Unavailable(e.into())
            }
            _ => Self::Internal(e.into()),
        }
    }
}

impl From<actix_session::SessionInsertError> for AppError {
    fn from(e: actix_session::SessionInsertError) -> Self {
        Self::internal(anyhow::anyhow!("{e}"))
    }
}

impl From<tera::Error> for AppError {
    fn from(e: tera::Error) -> Self {
        Self::internal(anyhow::anyhow!("template: {e:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> AppError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned())).into()
    }

    #[test]
    fn lost_races_are_503_and_unknown_failures_500() {
        let status = |e: AppError| e.status_code();
        assert_eq!(
            status(db_error(
                DatabaseErrorKind::SerializationFailure,
                "could not serialize access"
            )),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(db_error(DatabaseErrorKind::Unknown, "deadlock detected")),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(db_error(DatabaseErrorKind::Unknown, "database is locked")),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(db_error(
                DatabaseErrorKind::CheckViolation,
                "title too long"
            )),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        // A taken username or email is the insert's answer (db::models::user), not an error.
        assert_eq!(
            status(db_error(
                DatabaseErrorKind::UniqueViolation,
                "UNIQUE constraint failed: users.username_key"
            )),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
