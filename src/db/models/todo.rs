//! To-dos. Every query takes the owner's id, so isolation is decided in SQL.

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use crate::db::schema::{todos, users};
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

impl Filter {
    pub const ALL: [Self; 3] = [Self::All, Self::Active, Self::Completed];

    /// The name in a URL (`?filter=active`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Active => "active",
            Self::Completed => "completed",
        }
    }

    /// The filter a name stands for ([`Filter::as_str`] read back).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl Sort {
    pub const ALL: [Self; 3] = [Self::Created, Self::Title, Self::Due];

    /// The name in a URL (`?sort=due`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Title => "title",
            Self::Due => "due",
        }
    }

    /// The sort a name stands for ([`Sort::as_str`] read back).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Newest first for creation time; A→Z and soonest first otherwise.
    pub fn default_descending(self) -> bool {
        self == Sort::Created
    }
}

/// One page of one user's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

type Backend = <DbConnection as diesel::Connection>::Backend;

/// One user's to-dos, narrowed by the filter.
fn mine(user_id: i64, filter: Filter) -> todos::BoxedQuery<'static, Backend> {
    let query = todos::table.filter(todos::user_id.eq(user_id)).into_boxed();
    match filter {
        Filter::All => query,
        Filter::Active => query.filter(todos::done.eq(false)),
        Filter::Completed => query.filter(todos::done.eq(true)),
    }
}

impl Todo {
    pub fn list(conn: &mut DbConnection, user_id: i64, spec: ListSpec) -> QueryResult<Vec<Todo>> {
        let offset = (spec.page - 1).saturating_mul(PAGE_SIZE);
        let desc = spec.descending;
        let query = mine(user_id, spec.filter).select(Todo::as_select());
        let query = match (spec.sort, desc) {
            (Sort::Created, false) => query.order((todos::created_at.asc(), todos::id.asc())),
            (Sort::Created, true) => query.order((todos::created_at.desc(), todos::id.desc())),
            (Sort::Title, false) => query.order((todos::title.asc(), todos::id.asc())),
            (Sort::Title, true) => query.order((todos::title.desc(), todos::id.desc())),
            (Sort::Due, _) => return Self::list_by_due(conn, user_id, spec, offset),
        };
        query.limit(PAGE_SIZE).offset(offset).load(conn)
    }

    /// Undated to-dos come last in both orders. One `ORDER BY due IS NULL, due` would
    /// sort every matching row; as two index range scans (dated, then undated) a page
    /// reads only its own rows, however many to-dos the user has.
    fn list_by_due(
        conn: &mut DbConnection,
        user_id: i64,
        spec: ListSpec,
        offset: i64,
    ) -> QueryResult<Vec<Todo>> {
        let dated = mine(user_id, spec.filter)
            .filter(todos::due.is_not_null())
            .select(Todo::as_select());
        let dated = if spec.descending {
            dated.order((todos::due.desc(), todos::id.desc()))
        } else {
            dated.order((todos::due.asc(), todos::id.asc()))
        };
        let mut page: Vec<Todo> = dated.limit(PAGE_SIZE).offset(offset).load(conn)?;
        let have = page.len() as i64;
        if have == PAGE_SIZE {
            return Ok(page);
        }
        // How many dated to-dos precede the undated ones: known from this page unless
        // the page starts after the last of them.
        let dated_total = if have > 0 || offset == 0 {
            offset + have
        } else {
            mine(user_id, spec.filter)
                .filter(todos::due.is_not_null())
                .count()
                .get_result(conn)?
        };
        let undated = mine(user_id, spec.filter)
            .filter(todos::due.is_null())
            .select(Todo::as_select());
        // By (due, id), which is by id here (due is NULL on every row), so that the plan
        // is a range of the (user_id, due, id) index even when PostgreSQL plans it once
        // for every account (a generic plan, see `db::Manager`): by id alone it scanned
        // the primary key, every account's to-dos, for one account's page.
        let undated = if spec.descending {
            undated.order((todos::due.desc(), todos::id.desc()))
        } else {
            undated.order((todos::due.asc(), todos::id.asc()))
        };
        page.extend(
            undated
                .limit(PAGE_SIZE - have)
                .offset((offset - dated_total).max(0))
                .load::<Todo>(conn)?,
        );
        Ok(page)
    }

    /// Active and completed counts, kept on the users row by triggers.
    pub fn counts(conn: &mut DbConnection, user_id: i64) -> QueryResult<Counts> {
        let counts = users::table
            .find(user_id)
            .select((users::todos_active, users::todos_completed))
            .first::<(i64, i64)>(conn)
            .optional()?;
        Ok(
            counts.map_or_else(Counts::default, |(active, completed)| Counts {
                active,
                completed,
            }),
        )
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
