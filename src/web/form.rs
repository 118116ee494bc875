//! What every form page shares: the errors shown next to their fields, and the
//! post/redirect/get answer to a form that worked.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::web::theme::Theme;

/// Field name → message, in a stable order for rendering (the `field` component of
/// templates/components.html shows each next to its field).
pub type FieldErrors = BTreeMap<&'static str, String>;

/// 303 See Other to `location`, setting the theme cookie when given.
pub fn see_other(location: &str, theme: Option<Theme>) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, location));
    if let Some(theme) = theme {
        res.cookie(theme.cookie());
    }
    res.finish()
}
