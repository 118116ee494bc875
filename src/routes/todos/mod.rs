//! The to-do list pages and the forms that change it.

pub mod change;
pub mod create;
pub mod edit;
pub mod form;
pub mod list;
pub mod list_state;
pub mod rendered_items;

use actix_web::{HttpRequest, HttpResponse};

use crate::db::models::todo::ListSpec;
use crate::session_state::{Level, TypedSession};
use crate::web::form::see_other;
use list_state::ListState;

/// After a to-do mutation has committed: confirm it, and go back to the list as the
/// person was viewing it (post/redirect/get).
pub fn back_to_list(req: &HttpRequest, spec: ListSpec, message: impl Into<String>) -> HttpResponse {
    TypedSession::of(req).push_flash(Level::Success, message);
    see_other(&ListState(spec).list_url(), None)
}
