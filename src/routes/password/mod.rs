//! The forgotten password (SPEC §9): ask for a link by mail, then choose a new
//! password through it. Both pages are 404 while mail is off.

pub mod forgot;
pub mod reset;

use crate::error::AppError;
use crate::mail::MailHandle;
use crate::state::AppState;

/// The mail settings, or 404 when `SMTP_URL` is unset.
fn mail_on(state: &AppState) -> Result<&MailHandle, AppError> {
    state.mail.as_ref().ok_or(AppError::NotFound)
}
