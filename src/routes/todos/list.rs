//! `GET /todos`: one page of the user's list, with counts and controls.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use time::OffsetDateTime;

use super::form::{format_date, TodoForm};
use super::list_state::{Controls, ListQuery, ListState};
use super::rendered_items::{self, Item};
use crate::auth::guard::CurrentUser;
use crate::db;
use crate::db::models::session::LiveUser;
use crate::db::models::todo::{Counts, Filter, ListSpec, Todo, PAGE_SIZE};
use crate::error::AppError;
use crate::state::State;
use crate::web::form::FieldErrors;
use crate::web::page::render;
use crate::web::query::{self, Query};

#[derive(Serialize)]
struct ListPage {
    /// The items' HTML (`rendered_items`).
    items: String,
    counts: Counts,
    controls: Controls,
    page: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    form: TodoForm,
    errors: FieldErrors,
}

/// What the list page reads: one page of to-dos and the counts.
struct ListReads {
    spec: ListSpec,
    todos: Vec<Todo>,
    counts: Counts,
}

impl ListReads {
    /// The page for `user`, whose counts came with the session row (or, when the reads
    /// did not ride along, were read just before).
    fn load(
        conn: &mut db::DbConnection,
        user: &LiveUser,
        spec: ListSpec,
    ) -> Result<Self, AppError> {
        Ok(Self {
            spec,
            todos: Todo::list(conn, user.id, spec)?,
            counts: user.counts,
        })
    }
}

/// Middleware before the session loads: `GET /todos` has its reads done in the
/// session load's trip to the blocking pool, so the page costs one trip, not two
/// (PERFORMANCE.md). [`render_list`] runs them itself when they did not ride along.
pub async fn read_with_session(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::GET && req.path() == "/todos" {
        let spec = query::parse::<ListQuery>(req.query_string()).spec();
        db::request::read_with_session(move |conn, user| ListReads::load(conn, user, spec));
    }
    next.call(req).await
}

pub async fn list_todos(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    query: Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let spec = query.spec();
    render_list(
        &req,
        &state,
        user.id,
        spec,
        TodoForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// Renders the list page; also used to show an add form's errors (422).
pub async fn render_list(
    req: &HttpRequest,
    state: &State,
    user_id: i64,
    spec: ListSpec,
    form: TodoForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let read = db::request::take_reads::<ListReads>(user_id).filter(|r| r.spec == spec);
    let ListReads { todos, counts, .. } = match read {
        Some(read) => read,
        None => {
            db::run(&state.pool, move |conn| {
                let counts = Todo::counts(conn, user_id)?;
                ListReads::load(
                    conn,
                    &LiveUser {
                        id: user_id,
                        counts,
                    },
                    spec,
                )
            })
            .await?
        }
    };
    let today = OffsetDateTime::now_utc().date();
    let total = match spec.filter {
        Filter::All => counts.active + counts.completed,
        Filter::Active => counts.active,
        Filter::Completed => counts.completed,
    };
    let list = ListState(spec);
    let at = |page: i64| ListState(ListSpec { page, ..spec }).list_url();
    let items = todos
        .into_iter()
        .map(|t| Item {
            overdue: !t.done && t.due.is_some_and(|d| d < today),
            due: t.due.map(format_date).unwrap_or_default(),
            id: t.id,
            title: t.title,
            done: t.done,
        })
        .collect();
    let controls = Controls::new(list);
    let page = ListPage {
        items: rendered_items::render(&state.templates, items, controls.query())?,
        counts,
        controls,
        page: spec.page,
        prev_href: (spec.page > 1).then(|| at(spec.page - 1)),
        next_href: (spec.page * PAGE_SIZE < total).then(|| at(spec.page + 1)),
        form,
        errors,
    };
    render(req, state, status, "todos/list.html", &page)
}
