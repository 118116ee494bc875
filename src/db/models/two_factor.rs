//! The two-factor columns of `users` (SPEC §10). Each change is one conditional
//! statement, so two requests racing on one account cannot both win.

use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::DbConnection;

/// An account's two-factor state.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct TwoFactor {
    /// The sealed TOTP secret (`auth::two_factor::cipher`); `None`: 2FA is off.
    pub totp_secret_enc: Option<String>,
    pub totp_last_step: i64,
    pub two_factor_version: i64,
}

impl TwoFactor {
    pub fn is_on(&self) -> bool {
        self.totp_secret_enc.is_some()
    }
}

pub fn find(conn: &mut DbConnection, user_id: i64) -> QueryResult<Option<TwoFactor>> {
    users::table
        .find(user_id)
        .select(TwoFactor::as_select())
        .first(conn)
        .optional()
}

/// Turns 2FA on with this sealed secret, only while it is off; the enabling code's
/// step counts as used. `false`: it was on already.
pub fn enable(
    conn: &mut DbConnection,
    user_id: i64,
    sealed_secret: &str,
    step: i64,
) -> QueryResult<bool> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::totp_secret_enc.is_null()),
    )
    .set((
        users::totp_secret_enc.eq(sealed_secret),
        users::totp_last_step.eq(step),
        users::two_factor_version.eq(users::two_factor_version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Turns 2FA off (the caller deletes the recovery codes). `false`: it was off.
pub fn disable(conn: &mut DbConnection, user_id: i64) -> QueryResult<bool> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::totp_secret_enc.is_not_null()),
    )
    .set((
        users::totp_secret_enc.eq(None::<String>),
        users::totp_last_step.eq(0),
        users::two_factor_version.eq(users::two_factor_version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// A new version while 2FA stays on (renewed codes): pending second steps fail.
pub fn bump_version(conn: &mut DbConnection, user_id: i64) -> QueryResult<bool> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::totp_secret_enc.is_not_null()),
    )
    .set(users::two_factor_version.eq(users::two_factor_version + 1))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records `step` as the last accepted one, only if it is later than the last one:
/// of two requests with one code, exactly one gets `true`.
pub fn accept_step(conn: &mut DbConnection, user_id: i64, step: i64) -> QueryResult<bool> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::totp_secret_enc.is_not_null())
            .filter(users::totp_last_step.lt(step)),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)
    .map(|n| n == 1)
}
