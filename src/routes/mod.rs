//! THE route table: the whole URL surface of tickbox on one screen.
//!
//! Protected routes live in scopes wrapped by `login_required`, so a new page under
//! them cannot forget the check.

mod account;
mod auth;
mod health;
mod home;
mod theme;
mod todos;

use actix_web::middleware::from_fn;
use actix_web::{guard, web, Route};

use crate::auth::guard::login_required;
use crate::error::AppError;
use crate::web::assets;
use crate::web::headers::method_not_allowed as allow;

/// Probes and assets: they never touch the session, so `/healthz` stays 200 and
/// static files stay cheap while the database (which holds sessions) is away.
pub fn configure_sessionless(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/healthz")
            .route(get().to(health::healthz))
            .default_service(allow("GET, HEAD")),
    )
    .service(
        web::resource("/readyz")
            .route(get().to(health::readyz))
            .default_service(allow("GET, HEAD")),
    )
    .service(
        web::resource("/static/{path:.*}")
            .route(get().to(assets::serve))
            .default_service(allow("GET, HEAD")),
    )
    .service(
        web::resource("/favicon.ico")
            .route(get().to(assets::favicon))
            .default_service(allow("GET, HEAD")),
    );
}

/// The pages: served inside the session, identity and CSRF middleware. One long
/// function on purpose: it is the table of SPEC §2, read top to bottom.
pub fn configure_pages(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .route(get().to(home::home))
            .default_service(allow("GET, HEAD")),
    )
    .service(
        web::resource("/register")
            .route(get().to(auth::register::register_form))
            .route(web::post().to(auth::register::register))
            .default_service(allow("GET, HEAD, POST")),
    )
    .service(
        web::resource("/login")
            .route(get().to(auth::login::login_form))
            .route(web::post().to(auth::login::login))
            .default_service(allow("GET, HEAD, POST")),
    )
    .service(
        web::resource("/logout")
            .route(get().to(auth::logout::logout_form))
            .route(web::post().to(auth::logout::logout))
            .default_service(allow("GET, HEAD, POST")),
    )
    .service(
        web::resource("/theme")
            .route(web::post().to(theme::set_theme))
            .default_service(allow("POST")),
    )
    .service(
        web::scope("/todos")
            .wrap(from_fn(login_required))
            .service(
                web::resource("")
                    .route(get().to(todos::list::list_todos))
                    .route(web::post().to(todos::create::create_todo))
                    .default_service(allow("GET, HEAD, POST")),
            )
            .service(
                web::resource("/clear-completed")
                    .route(web::post().to(todos::change::clear_completed))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/{id}")
                    .route(get().to(todos::edit::show_todo))
                    .route(web::post().to(todos::edit::update_todo))
                    .default_service(allow("GET, HEAD, POST")),
            )
            .service(
                web::resource("/{id}/edit")
                    .route(get().to(todos::edit::edit_form))
                    .default_service(allow("GET, HEAD")),
            )
            .service(
                web::resource("/{id}/toggle")
                    .route(web::post().to(todos::change::toggle_todo))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/{id}/delete")
                    .route(web::post().to(todos::change::delete_todo))
                    .default_service(allow("POST")),
            )
            .default_service(web::to(not_found)),
    )
    .service(
        web::scope("/account")
            .wrap(from_fn(login_required))
            .service(
                web::resource("")
                    .route(get().to(account::show_account))
                    .default_service(allow("GET, HEAD")),
            )
            .default_service(web::to(not_found)),
    );
}

/// GET that also answers HEAD (proxies and uptime checks use it).
fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
