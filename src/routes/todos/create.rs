//! `POST /todos`: add a to-do.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::form::TodoForm;
use super::list_state::ListQuery;
use super::{back_to_list, list::render_list};
use crate::auth::guard::CurrentUser;
use crate::db::{self, models::now, models::todo::NewTodo};
use crate::error::AppError;
use crate::state::State;
use crate::web::query::Query;

pub async fn create_todo(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    query: Query<ListQuery>,
    form: web::Form<TodoForm>,
) -> Result<HttpResponse, AppError> {
    let spec = query.spec();
    let form = form.into_inner();
    let input = match form.validate() {
        Ok(input) => input,
        Err(errors) => {
            return render_list(
                &req,
                &state,
                user.id,
                spec,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    db::run(&state.pool, move |conn| {
        let now = now();
        let todo = NewTodo {
            user_id: user.id,
            title: &input.title,
            due: input.due,
            done: false,
            created_at: now,
            updated_at: now,
        };
        Ok(todo.insert(conn)?)
    })
    .await?;
    Ok(back_to_list(&req, spec, "To-do added."))
}
