//! THE route table: the whole URL surface of tickbox on one screen.
//!
//! Each route says what it is: [`page`] and [`form`] for anyone, [`user_page`] and
//! [`user_form`] for a logged-in user only. The checks sit on the routes, not around
//! the scopes, so that they run in SPEC §2's order: the method is matched first (a
//! path's other methods get 405 from its default service), then the CSRF token, then
//! log-in. A protected handler also takes the [`CurrentUser`] extractor, which fails
//! closed should a route ever be declared with the wrong helper.
//!
//! [`CurrentUser`]: crate::auth::guard::CurrentUser

mod account;
mod auth;
mod health;
mod home;
mod password;
mod theme;
mod todos;
pub mod two_factor;

pub use todos::list::read_with_session as read_list_with_session;

use actix_web::middleware::from_fn;
use actix_web::{guard, web, FromRequest, Handler, Responder, Route};

use crate::auth::guard::login_required;
use crate::error::AppError;
use crate::web::headers::method_not_allowed as allow;
use crate::web::{assets, csrf};

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
            .route(page(home::home))
            .default_service(allow("GET, HEAD")),
    )
    .service(
        web::resource("/register")
            .route(page(auth::register::register_form))
            .route(form(auth::register::register))
            .default_service(allow("GET, HEAD, POST")),
    )
    .service(
        web::resource("/login")
            .route(page(auth::login::login_form))
            .route(form(auth::login::login))
            .default_service(allow("GET, HEAD, POST")),
    )
    .service(
        web::resource("/login/2fa")
            .route(page(two_factor::login_step::code_form))
            .route(form(two_factor::login_step::submit_code))
            .default_service(allow("GET, HEAD, POST")),
    )
    .service(
        web::resource("/logout")
            .route(page(auth::logout::logout_form))
            .route(form(auth::logout::logout))
            .default_service(allow("GET, HEAD, POST")),
    )
    .service(
        web::scope("/password")
            .service(
                web::resource("/forgot")
                    .route(page(password::forgot::forgot_form))
                    .route(form(password::forgot::forgot))
                    .default_service(allow("GET, HEAD, POST")),
            )
            .service(
                web::resource("/reset/{token}")
                    .route(page(password::reset::reset_form))
                    .route(form(password::reset::reset))
                    .default_service(allow("GET, HEAD, POST")),
            )
            .default_service(web::to(not_found)),
    )
    .service(
        web::resource("/theme")
            .route(form(theme::set_theme))
            .default_service(allow("POST")),
    )
    .service(
        web::scope("/todos")
            .service(
                web::resource("")
                    .route(user_page(todos::list::list_todos))
                    .route(user_form(todos::create::create_todo))
                    .default_service(allow("GET, HEAD, POST")),
            )
            .service(
                web::resource("/clear-completed")
                    .route(user_form(todos::change::clear_completed))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/{id}")
                    .route(user_page(todos::edit::show_todo))
                    .route(user_form(todos::edit::update_todo))
                    .default_service(allow("GET, HEAD, POST")),
            )
            .service(
                web::resource("/{id}/edit")
                    .route(user_page(todos::edit::edit_form))
                    .default_service(allow("GET, HEAD")),
            )
            .service(
                web::resource("/{id}/toggle")
                    .route(user_form(todos::change::toggle_todo))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/{id}/delete")
                    .route(user_form(todos::change::delete_todo))
                    .default_service(allow("POST")),
            )
            .default_service(web::to(not_found)),
    )
    .service(
        web::scope("/account")
            .service(
                web::resource("")
                    .route(user_page(account::show_account))
                    .default_service(allow("GET, HEAD")),
            )
            .service(
                web::resource("/password")
                    .route(user_form(account::change_password))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/sessions/revoke-others")
                    .route(user_form(account::revoke_other_sessions))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/sessions/{id}/revoke")
                    .route(user_form(account::revoke_session))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/delete")
                    .route(user_form(account::delete_account))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/2fa")
                    .route(user_page(two_factor::show::show_two_factor))
                    .default_service(allow("GET, HEAD")),
            )
            .service(
                web::resource("/2fa/setup")
                    .route(user_form(two_factor::setup::start_setup))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/2fa/enable")
                    .route(user_form(two_factor::setup::enable))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/2fa/recovery-codes")
                    .route(user_form(two_factor::recovery::renew_codes))
                    .default_service(allow("POST")),
            )
            .service(
                web::resource("/2fa/disable")
                    .route(user_form(two_factor::disable::disable))
                    .default_service(allow("POST")),
            )
            .default_service(web::to(not_found)),
    );
}

/// GET that also answers HEAD (proxies and uptime checks use it).
fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A page anyone may see.
fn page<F, Args>(handler: F) -> Route
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    get().to(handler)
}

/// A form anyone may post: CSRF-checked.
fn form<F, Args>(handler: F) -> Route
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::post().to(handler).wrap(from_fn(csrf::protect))
}

/// A page for a logged-in user: anonymous visitors are sent to log in.
fn user_page<F, Args>(handler: F) -> Route
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    get().to(handler).wrap(from_fn(login_required))
}

/// A form for a logged-in user: CSRF first (the outer layer), then log-in.
fn user_form<F, Args>(handler: F) -> Route
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::post()
        .to(handler)
        .wrap(from_fn(login_required))
        .wrap(from_fn(csrf::protect))
}

pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
