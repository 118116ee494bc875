//! `GET /todos/{id}/edit` and `POST /todos/{id}`: change a to-do's title and due date.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::back_to_list;
use super::form::TodoForm;
use super::list_state::{ListQuery, ListState};
use crate::auth::guard::CurrentUser;
use crate::db::{self, models::now, models::todo::Todo};
use crate::error::AppError;
use crate::state::State;
use crate::web::form::{see_other, FieldErrors};
use crate::web::page::render;
use crate::web::query::Query;

#[derive(Serialize)]
struct EditPage {
    id: i64,
    form: TodoForm,
    errors: FieldErrors,
    /// Where "Cancel" and the form return to.
    query: String,
    back: String,
}

fn edit_page(id: i64, form: TodoForm, errors: FieldErrors, query: &ListQuery) -> EditPage {
    let state = ListState(query.spec());
    EditPage {
        id,
        form,
        errors,
        query: state.query(),
        back: state.list_url(),
    }
}

pub async fn edit_form(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    query: Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let todo = find_mine(&state, user.id, id).await?;
    let form = TodoForm::of(todo.title, todo.due);
    render(
        &req,
        &state,
        StatusCode::OK,
        "todos/edit.html",
        &edit_page(id, form, FieldErrors::new(), &query),
    )
}

/// `GET /todos/{id}`: the address a failed edit re-renders at. A theme switch or a
/// reload there comes back with GET, so send the person to the edit form rather than
/// answer 405 to a page they were just looking at.
pub async fn show_todo(id: web::Path<i64>, query: Query<ListQuery>) -> HttpResponse {
    let query = ListState(query.spec()).query();
    see_other(&format!("/todos/{}/edit{query}", id.into_inner()), None)
}

pub async fn update_todo(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    query: Query<ListQuery>,
    form: web::Form<TodoForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let input = match form.validate() {
        Ok(input) => input,
        Err(errors) => {
            // Someone else's id is a 404 here too, not a form.
            find_mine(&state, user.id, id).await?;
            let page = edit_page(id, form, errors, &query);
            return render(
                &req,
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "todos/edit.html",
                &page,
            );
        }
    };
    let saved = db::run(&state.pool, move |conn| {
        Ok(Todo::update(
            conn,
            user.id,
            id,
            &input.title,
            input.due,
            now(),
        )?)
    })
    .await?;
    if !saved {
        return Err(AppError::NotFound);
    }
    Ok(back_to_list(&req, query.spec(), "To-do saved."))
}

/// The user's to-do `id`; someone else's, or none, is a 404.
async fn find_mine(state: &State, user_id: i64, id: i64) -> Result<Todo, AppError> {
    db::run(&state.pool, move |conn| {
        Todo::find_for_user(conn, user_id, id)?.ok_or(AppError::NotFound)
    })
    .await
}
