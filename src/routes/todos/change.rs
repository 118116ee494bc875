//! Toggle, delete and clear-completed: one conditional statement each.

use actix_session::SessionExt;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{ListQuery, ListState};
use crate::auth::guard::CurrentUser;
use crate::db::{self, models::now, models::todo::Todo};
use crate::error::AppError;
use crate::routes::auth::see_other;
use crate::state::State;
use crate::web::flash::{self, Level};

pub async fn toggle_todo(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let found = db::run(&state.pool, move |conn| {
        Ok(Todo::toggle(conn, user.id, id, now())?)
    })
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    flash::push(&req.get_session(), Level::Success, "To-do updated.");
    Ok(see_other(&ListState(query.spec()).list_url(), None))
}

pub async fn delete_todo(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let found = db::run(&state.pool, move |conn| {
        Ok(Todo::delete(conn, user.id, id)?)
    })
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    flash::push(&req.get_session(), Level::Success, "To-do deleted.");
    Ok(see_other(&ListState(query.spec()).list_url(), None))
}

pub async fn clear_completed(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let n = db::run(&state.pool, move |conn| {
        Ok(Todo::clear_completed(conn, user.id)?)
    })
    .await?;
    let noun = if n == 1 { "to-do" } else { "to-dos" };
    flash::push(
        &req.get_session(),
        Level::Success,
        format!("Cleared {n} completed {noun}."),
    );
    Ok(see_other(&ListState(query.spec()).list_url(), None))
}
