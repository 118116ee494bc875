//! Accounts.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
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
    pub created_at: PrimitiveDateTime,
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

    /// Inserts the account and returns its id, or which unique value was taken. The
    /// insert is a savepoint inside an enclosing transaction, so a taken name undoes
    /// only itself. (When two sign-ups race, the constraint decides.)
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<Result<i64, Taken>> {
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(users::table)
                .values(self)
                .returning(users::id)
                .get_result(conn)
        });
        match inserted {
            Ok(id) => Ok(Ok(id)),
            Err(e) => taken(&e).map(Err).ok_or(e),
        }
    }
}

/// Which of these values (each already valid, or `None` to skip it) another
/// account has, ignoring case: sign-up names them next to the other errors.
pub fn taken_values(
    conn: &mut DbConnection,
    username: Option<&str>,
    email: Option<&str>,
) -> QueryResult<Vec<Taken>> {
    let username_key = username.map(str::to_lowercase);
    let email_key = email.map(str::to_lowercase);
    let mut taken = Vec::new();
    if let Some(key) = &username_key {
        let query = users::table.filter(users::username_key.eq(key));
        if diesel::select(diesel::dsl::exists(query)).get_result(conn)? {
            taken.push(Taken::Username);
        }
    }
    if let Some(key) = &email_key {
        let query = users::table.filter(users::email_key.eq(key));
        if diesel::select(diesel::dsl::exists(query)).get_result(conn)? {
            taken.push(Taken::Email);
        }
    }
    Ok(taken)
}

/// The unique value a new account collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Username,
    Email,
}

impl Taken {
    /// The form field it belongs to.
    pub fn field(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
        }
    }
}

fn taken(error: &DieselError) -> Option<Taken> {
    let DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = error else {
        return None;
    };
    // PostgreSQL names the constraint (users_username_key_key); SQLite only says which
    // column failed (users.username_key).
    let text = info.constraint_name().unwrap_or(info.message());
    if text.contains("username_key") {
        Some(Taken::Username)
    } else if text.contains("email_key") {
        Some(Taken::Email)
    } else {
        None
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

    /// The account whose stored email is `email`, ignoring case (the HTML email rule
    /// admits ASCII only, so ASCII case is all there is).
    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email_key.eq(email.trim().to_lowercase()))
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

    /// [`Self::set_password_hash`], only while the password is still at the version
    /// that was checked: `false` (nothing changed) when it changed meanwhile.
    pub fn replace_checked_password(
        conn: &mut DbConnection,
        id: i64,
        checked_version: i64,
        hash: &str,
    ) -> QueryResult<bool> {
        let checked = users::table
            .find(id)
            .filter(users::password_version.eq(checked_version));
        let updated = diesel::update(checked)
            .set((
                users::password_hash.eq(hash),
                users::password_version.eq(users::password_version + 1),
            ))
            .execute(conn)?;
        Ok(updated == 1)
    }

    /// Deletes the account, only while its password is still at the version that was
    /// checked (`false`: nothing deleted). Its to-dos and sessions go with it (foreign
    /// keys `ON DELETE CASCADE`).
    pub fn delete_checked(
        conn: &mut DbConnection,
        id: i64,
        checked_version: i64,
    ) -> QueryResult<bool> {
        let checked = users::table
            .find(id)
            .filter(users::password_version.eq(checked_version));
        Ok(diesel::delete(checked).execute(conn)? == 1)
    }

    /// [`Self::set_password_hash`], only while the password is still at `version`
    /// (a reset link made for it); `false` when it has changed meanwhile.
    pub fn set_password_hash_at_version(
        conn: &mut DbConnection,
        id: i64,
        version: i64,
        hash: &str,
    ) -> QueryResult<bool> {
        diesel::update(
            users::table
                .find(id)
                .filter(users::password_version.eq(version)),
        )
        .set((
            users::password_hash.eq(hash),
            users::password_version.eq(users::password_version + 1),
        ))
        .execute(conn)
        .map(|n| n == 1)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn unique_violation(message: &str) -> DieselError {
        DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new(message.to_owned()),
        )
    }

    #[test]
    fn a_unique_violation_names_the_taken_field() {
        let on = |message: &str| taken(&unique_violation(message));
        assert_eq!(
            on("UNIQUE constraint failed: users.username_key"),
            Some(Taken::Username)
        );
        assert_eq!(
            on("UNIQUE constraint failed: users.email_key"),
            Some(Taken::Email)
        );
        assert_eq!(on("UNIQUE constraint failed: sessions.id"), None);
        assert_eq!(taken(&DieselError::NotFound), None);
    }
}
