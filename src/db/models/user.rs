//! Accounts.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::schema::users;
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub password_version: i64,
    pub theme: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub username_key: String,
    pub email: &'a str,
    pub email_key: String,
    pub password_hash: &'a str,
    pub theme: &'a str,
    pub created_at: PrimitiveDateTime,
}

impl<'a> NewUser<'a> {
    pub fn new(username: &'a str, email: &'a str, password_hash: &'a str, theme: &'a str) -> Self {
        Self {
            username,
            username_key: username.to_lowercase(),
            email,
            email_key: email.to_lowercase(),
            password_hash,
            theme,
            created_at: super::now(),
        }
    }

    /// Inserts the account; a taken name or email is an `AppError::Conflict` via `From`.
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<i64> {
        diesel::insert_into(users::table)
            .values(self)
            .returning(users::id)
            .get_result(conn)
    }
}

impl User {
    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Finds an account by username or email, ignoring case.
    pub fn find_by_login(conn: &mut DbConnection, login: &str) -> QueryResult<Option<User>> {
        // No name or email holds a NUL, and PostgreSQL text cannot even carry one.
        if login.contains('\0') {
            return Ok(None);
        }
        let key = login.trim().to_lowercase();
        users::table
            .filter(users::username_key.eq(&key).or(users::email_key.eq(&key)))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::username_key.eq(username.to_lowercase()))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn set_theme(conn: &mut DbConnection, id: i64, theme: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set(users::theme.eq(theme))
            .execute(conn)
    }

    /// Replaces the password; the version moves on, so a log-in that checked the old
    /// password can no longer create its session.
    pub fn set_password_hash(conn: &mut DbConnection, id: i64, hash: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::password_version.eq(users::password_version + 1),
            ))
            .execute(conn)
    }

    /// The password's current version (`None`: the account is gone).
    pub fn password_version(conn: &mut DbConnection, id: i64) -> QueryResult<Option<i64>> {
        users::table
            .find(id)
            .select(users::password_version)
            .first(conn)
            .optional()
    }
}
