//! To-dos. Every query takes the owner's id, so isolation is decided in SQL.

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use crate::db::schema::todos;
use crate::db::DbConnection;

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = todos)]
pub struct Todo {
    pub id: i64,
    pub title: String,
    pub due: Option<Date>,
    pub done: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = todos)]
pub struct NewTodo<'a> {
    pub user_id: i64,
    pub title: &'a str,
    pub due: Option<Date>,
    pub done: bool,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    Active,
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Created,
    Title,
    Due,
}

impl Sort {
    /// Newest first for creation time; A→Z and soonest first otherwise.
    pub fn default_descending(self) -> bool {
        self == Sort::Created
    }
}

/// One page of one user's list.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    pub filter: Filter,
    pub sort: Sort,
    pub descending: bool,
    /// 1-based.
    pub page: i64,
}

/// Active and completed counts over all of a user's to-dos.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub active: i64,
    pub completed: i64,
}

impl Todo {
    pub fn list(conn: &mut DbConnection, user_id: i64, spec: ListSpec) -> QueryResult<Vec<Todo>> {
        let mut query = todos::table
            .filter(todos::user_id.eq(user_id))
            .select(Todo::as_select())
            .into_boxed();
        query = match spec.filter {
            Filter::All => query,
            Filter::Active => query.filter(todos::done.eq(false)),
            Filter::Completed => query.filter(todos::done.eq(true)),
        };
        let desc = spec.descending;
        query = match (spec.sort, desc) {
            (Sort::Created, false) => query.order((todos::created_at.asc(), todos::id.asc())),
            (Sort::Created, true) => query.order((todos::created_at.desc(), todos::id.desc())),
            (Sort::Title, false) => query.order((todos::title.asc(), todos::id.asc())),
            (Sort::Title, true) => query.order((todos::title.desc(), todos::id.desc())),
            // Undated to-dos last in both orders; `IS NULL` sorts the same on both backends.
            (Sort::Due, false) => query.order((
                todos::due.is_null().asc(),
                todos::due.asc(),
                todos::id.asc(),
            )),
            (Sort::Due, true) => query.order((
                todos::due.is_null().asc(),
                todos::due.desc(),
                todos::id.desc(),
            )),
        };
        query
            .limit(PAGE_SIZE)
            .offset((spec.page - 1).saturating_mul(PAGE_SIZE))
            .load(conn)
    }

    pub fn counts(conn: &mut DbConnection, user_id: i64) -> QueryResult<Counts> {
        let rows: Vec<(bool, i64)> = todos::table
            .filter(todos::user_id.eq(user_id))
            .group_by(todos::done)
            .select((todos::done, diesel::dsl::count_star()))
            .load(conn)?;
        let count = |done: bool| rows.iter().find(|(d, _)| *d == done).map_or(0, |(_, n)| *n);
        Ok(Counts {
            active: count(false),
            completed: count(true),
        })
    }

    pub fn find_for_user(
        conn: &mut DbConnection,
        user_id: i64,
        id: i64,
    ) -> QueryResult<Option<Todo>> {
        todos::table
            .filter(todos::id.eq(id).and(todos::user_id.eq(user_id)))
            .select(Todo::as_select())
            .first(conn)
            .optional()
    }

    /// Flips done in one conditional statement; `false` when it is not the user's.
    pub fn toggle(
        conn: &mut DbConnection,
        user_id: i64,
        id: i64,
        now: PrimitiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(todos::table.filter(todos::id.eq(id).and(todos::user_id.eq(user_id))))
            .set((
                todos::done.eq(diesel::dsl::not(todos::done)),
                todos::updated_at.eq(now),
            ))
            .execute(conn)
            .map(|n| n == 1)
    }

    pub fn update(
        conn: &mut DbConnection,
        user_id: i64,
        id: i64,
        title: &str,
        due: Option<Date>,
        now: PrimitiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(todos::table.filter(todos::id.eq(id).and(todos::user_id.eq(user_id))))
            .set((
                todos::title.eq(title),
                todos::due.eq(due),
                todos::updated_at.eq(now),
            ))
            .execute(conn)
            .map(|n| n == 1)
    }

    pub fn delete(conn: &mut DbConnection, user_id: i64, id: i64) -> QueryResult<bool> {
        diesel::delete(todos::table.filter(todos::id.eq(id).and(todos::user_id.eq(user_id))))
            .execute(conn)
            .map(|n| n == 1)
    }

    pub fn clear_completed(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
        diesel::delete(todos::table.filter(todos::user_id.eq(user_id).and(todos::done.eq(true))))
            .execute(conn)
    }
}

impl NewTodo<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(todos::table).values(self).execute(conn)
    }
}
