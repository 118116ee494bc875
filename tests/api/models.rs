//! The to-do model against a real database (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`): counts kept by the triggers, the due-date order, and
//! PostgreSQL's plans for the list.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use tickbox::config::DatabaseUrl;
use tickbox::db::migrations;
use tickbox::db::models::now;
use tickbox::db::models::todo::{Counts, Filter, ListSpec, NewTodo, Sort, Todo, PAGE_SIZE};
use tickbox::db::models::user::NewUser;
use tickbox::db::{schema::todos, DbConnection, Manager};
use time::{Date, Duration};

use crate::helpers::TestDb;

fn connect(db: &TestDb) -> DbConnection {
    let url = DatabaseUrl::parse(&db.url).expect("a database URL");
    migrations::apply(&url).expect("migrations");
    Manager::new(url).connect().expect("a connection")
}

fn user(conn: &mut DbConnection, name: &str) -> i64 {
    NewUser::new(name, &format!("{name}@example.com"), "x", "light")
        .insert(conn)
        .expect("a user")
        .expect("a free name")
}

fn add(conn: &mut DbConnection, user_id: i64, title: &str, due: Option<Date>, done: bool) {
    let now = now();
    NewTodo {
        user_id,
        title,
        due,
        done,
        created_at: now,
        updated_at: now,
    }
    .insert(conn)
    .expect("a to-do");
}

/// What the counts must be: counted the slow way.
fn counted(conn: &mut DbConnection, user_id: i64) -> Counts {
    let done: Vec<bool> = todos::table
        .filter(todos::user_id.eq(user_id))
        .select(todos::done)
        .load(conn)
        .expect("to-dos");
    Counts {
        active: done.iter().filter(|d| !**d).count() as i64,
        completed: done.iter().filter(|d| **d).count() as i64,
    }
}

fn ids(conn: &mut DbConnection, user_id: i64, filter: Filter) -> Vec<i64> {
    let mine = todos::table.filter(todos::user_id.eq(user_id));
    match filter {
        Filter::All => mine.select(todos::id).order(todos::id).load(conn),
        Filter::Active => mine
            .filter(todos::done.eq(false))
            .select(todos::id)
            .order(todos::id)
            .load(conn),
        Filter::Completed => mine
            .filter(todos::done.eq(true))
            .select(todos::id)
            .order(todos::id)
            .load(conn),
    }
    .expect("ids")
}

#[test]
fn counts_follow_every_add_toggle_edit_delete_and_clear() {
    let db = TestDb::new();
    let conn = &mut connect(&db);
    let (ada, bob) = (user(conn, "ada"), user(conn, "bob"));
    assert_eq!(Todo::counts(conn, ada).unwrap(), Counts::default());

    for i in 0..6 {
        add(conn, ada, &format!("ada {i}"), None, i % 3 == 0);
    }
    add(conn, bob, "bob's", None, false);
    assert_eq!(
        Todo::counts(conn, ada).unwrap(),
        Counts {
            active: 4,
            completed: 2
        }
    );

    let all = ids(conn, ada, Filter::All);
    assert!(Todo::toggle(conn, ada, all[1], now()).unwrap());
    assert!(Todo::toggle(conn, ada, all[0], now()).unwrap());
    // Someone else's to-do is not touched, and neither are the counts.
    assert!(!Todo::toggle(conn, bob, all[2], now()).unwrap());
    assert_eq!(Todo::counts(conn, ada).unwrap(), counted(conn, ada));

    assert!(Todo::update(conn, ada, all[1], "renamed", None, now()).unwrap());
    assert_eq!(Todo::counts(conn, ada).unwrap(), counted(conn, ada));

    assert!(Todo::delete(conn, ada, all[2]).unwrap());
    assert_eq!(Todo::counts(conn, ada).unwrap(), counted(conn, ada));

    Todo::clear_completed(conn, ada).unwrap();
    let after = Todo::counts(conn, ada).unwrap();
    assert_eq!(after, counted(conn, ada));
    assert_eq!(after.completed, 0);
    assert_eq!(
        Todo::counts(conn, bob).unwrap(),
        Counts {
            active: 1,
            completed: 0
        }
    );
}

#[test]
fn deleting_an_account_removes_its_to_dos_without_error() {
    use tickbox::db::schema::users;
    let db = TestDb::new();
    let conn = &mut connect(&db);
    let ada = user(conn, "ada");
    add(conn, ada, "one", None, false);
    add(conn, ada, "two", None, true);
    diesel::delete(users::table.find(ada))
        .execute(conn)
        .expect("the cascade runs the count triggers on a vanished row");
    assert!(ids(conn, ada, Filter::All).is_empty());
}

/// The order SPEC §4 asks for, computed in Rust: dated first (by date, ties by id, in
/// the order's direction), undated last (by id in the order's direction).
fn expected_due_order(
    conn: &mut DbConnection,
    user_id: i64,
    filter: Filter,
    desc: bool,
) -> Vec<i64> {
    let mut rows: Vec<(i64, Option<Date>, bool)> = todos::table
        .filter(todos::user_id.eq(user_id))
        .select((todos::id, todos::due, todos::done))
        .load(conn)
        .expect("rows");
    rows.retain(|(_, _, done)| match filter {
        Filter::All => true,
        Filter::Active => !done,
        Filter::Completed => *done,
    });
    rows.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) if desc => (y, b.0).cmp(&(x, a.0)),
        (Some(x), Some(y)) => (x, a.0).cmp(&(y, b.0)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) if desc => b.0.cmp(&a.0),
        (None, None) => a.0.cmp(&b.0),
    });
    rows.into_iter().map(|(id, _, _)| id).collect()
}

#[test]
fn due_sort_pages_put_undated_last_in_both_orders_across_page_boundaries() {
    let db = TestDb::new();
    let conn = &mut connect(&db);
    let ada = user(conn, "ada");
    let day = Date::from_calendar_date(2026, time::Month::March, 1).unwrap();
    // 130 to-dos: dated ones with repeated dates (ties), undated ones in between.
    for i in 0..130 {
        let due = (i % 3 != 0).then(|| day + Duration::days((i % 17) as i64));
        add(conn, ada, &format!("t{i}"), due, i % 4 == 0);
    }
    for filter in [Filter::All, Filter::Active, Filter::Completed] {
        for desc in [false, true] {
            let expected = expected_due_order(conn, ada, filter, desc);
            let mut got = Vec::new();
            for page in 1..=4 {
                let spec = ListSpec {
                    filter,
                    sort: Sort::Due,
                    descending: desc,
                    page,
                };
                let rows = Todo::list(conn, ada, spec).unwrap();
                assert!(rows.len() as i64 <= PAGE_SIZE);
                got.extend(rows.into_iter().map(|t| t.id));
            }
            assert_eq!(got, expected, "{filter:?} desc={desc}");
        }
    }
}

/// PostgreSQL plans each of our statements once per connection (a generic plan). With
/// a bound LIMIT and OFFSET, as on every list page, a generic plan is costed above a
/// custom one, and PostgreSQL had planned the page's statement again on every request.
#[test]
fn postgres_plans_the_list_statements_once_per_connection() {
    let db = TestDb::postgres_required();
    let conn = &mut connect(&db);
    let ada = user(conn, "ada");
    for i in 0..60 {
        let due =
            (i % 2 == 0).then(|| Date::from_calendar_date(2027, time::Month::May, 1).unwrap());
        add(conn, ada, &format!("ada {i}"), due, i % 3 == 0);
    }
    for sort in [Sort::Created, Sort::Title, Sort::Due] {
        for filter in [Filter::All, Filter::Active, Filter::Completed] {
            for page in [1, 2, 1, 2, 1, 2, 1, 2] {
                let spec = ListSpec {
                    filter,
                    sort,
                    descending: page == 2,
                    page,
                };
                Todo::list(conn, ada, spec).unwrap();
            }
        }
    }
    let (custom, generic): (i64, i64) = diesel::select(diesel::dsl::sql::<(BigInt, BigInt)>(
        "CAST(COALESCE(SUM(custom_plans), 0) AS BIGINT), \
         CAST(COALESCE(SUM(generic_plans), 0) AS BIGINT) FROM pg_prepared_statements",
    ))
    .get_result(conn)
    .unwrap();
    assert_eq!(custom, 0, "statements planned again for their values");
    assert!(generic > 0, "the list's statements were prepared");
}

/// The undated half of a due-date page, planned once for every account (see above),
/// reads the account's own to-dos: with `ORDER BY id` alone its generic plan walked the
/// primary key through every account's rows (12.8 ms for a small account's page beside
/// one with 100,000 to-dos, PERFORMANCE.md).
#[test]
fn a_small_accounts_undated_page_reads_its_own_rows_beside_a_big_account() {
    let db = TestDb::postgres_required();
    let conn = &mut connect(&db);
    let (big, small) = (user(conn, "big"), user(conn, "small"));
    diesel::sql_query(
        "INSERT INTO todos (user_id, title, due, done, created_at, updated_at) \
         SELECT $1, 'bulk ' || g, NULL, false, now(), now() FROM generate_series(1, 5000) g",
    )
    .bind::<BigInt, _>(big)
    .execute(conn)
    .unwrap();
    for i in 0..3 {
        add(conn, small, &format!("small {i}"), None, false);
    }
    conn.batch_execute("ANALYZE todos").unwrap();
    let before = pkey_reads(conn);
    for descending in [false, true, false, true, false, true] {
        let spec = ListSpec {
            filter: Filter::All,
            sort: Sort::Due,
            descending,
            page: 1,
        };
        assert_eq!(Todo::list(conn, small, spec).unwrap().len(), 3);
    }
    let read = pkey_reads(conn) - before;
    assert!(read < 100, "the primary key handed out {read} entries");
}

/// Index entries the primary key of `todos` has handed out so far. A backend sends its
/// statistics at the end of the transaction after `pg_stat_force_next_flush()`.
fn pkey_reads(conn: &mut DbConnection) -> i64 {
    conn.batch_execute("SELECT pg_stat_force_next_flush()")
        .unwrap();
    diesel::select(diesel::dsl::sql::<BigInt>(
        "CAST(idx_tup_read AS BIGINT) FROM pg_stat_user_indexes \
         WHERE indexrelname = 'todos_pkey'",
    ))
    .get_result(conn)
    .unwrap()
}
