//! Toggle, delete and clear-completed: one conditional statement each.

use actix_web::{web, HttpRequest, HttpResponse};
use diesel::QueryResult;

use super::back_to_list;
use super::list_state::ListQuery;
use crate::auth::guard::CurrentUser;
use crate::db::models::todo::{ListSpec, Todo};
use crate::db::{self, models::now, DbConnection};
use crate::error::AppError;
use crate::state::State;
use crate::web::query::Query;

pub async fn toggle_todo(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    query: Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let toggle = move |conn: &mut DbConnection| Todo::toggle(conn, user.id, id, now());
    change_one(&req, &state, query.spec(), toggle, "To-do updated.").await
}

pub async fn delete_todo(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    query: Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let delete = move |conn: &mut DbConnection| Todo::delete(conn, user.id, id);
    change_one(&req, &state, query.spec(), delete, "To-do deleted.").await
}

/// Runs one conditional statement on (id, user): a to-do that is not the user's (or
/// no longer exists) matches nothing and is a 404.
async fn change_one(
    req: &HttpRequest,
    state: &State,
    spec: ListSpec,
    change: impl FnOnce(&mut DbConnection) -> QueryResult<bool> + Send + 'static,
    message: &'static str,
) -> Result<HttpResponse, AppError> {
    let found = db::run(&state.pool, move |conn| Ok(change(conn)?)).await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(back_to_list(req, spec, message))
}

pub async fn clear_completed(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    query: Query<ListQuery>,
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
