//! Toggle, delete and clear-completed: one conditional statement each.

use actix_web::{web, HttpRequest, HttpResponse};

use super::back_to_list;
use super::list_state::ListQuery;
use crate::auth::guard::CurrentUser;
use crate::db::{self, models::now, models::todo::Todo};
use crate::error::AppError;
use crate::state::State;

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
    Ok(back_to_list(&req, query.spec(), "To-do updated."))
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
    Ok(back_to_list(&req, query.spec(), "To-do deleted."))
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
    Ok(back_to_list(
        &req,
        query.spec(),
        format!("Cleared {n} completed {noun}."),
    ))
}
