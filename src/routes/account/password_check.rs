//! The account forms' password check (the password form's `current_password`, the
//! delete form's `password`): the log-in's check, under the log-in's throttle, so these
//! forms cannot guess a password faster than `POST /login` can (SPEC §3, §5).

use diesel::QueryResult;

use crate::auth::throttle;
use crate::db::{self, models::user::User, DbConnection};
use crate::error::AppError;
use crate::state::AppState;

/// What a check found.
pub enum Checked {
    /// The account's counter (or the address's) is at its limit: wait this many
    /// seconds. The password was not checked and nothing was counted.
    Throttled(u64),
    /// The wrong password: counted as a failed log-in.
    Wrong,
    Right(Verified),
}

/// The right password, of this version. Until [`Verified::succeeded`] is written,
/// the attempt stands as a failure, as a log-in's does.
pub struct Verified {
    pub user: User,
    keys: throttle::Keys,
    reservation: throttle::Reservation,
}

/// Counts the attempt against the account and the client address, then checks
/// `password` with the bounded hasher, exactly as a log-in does.
pub async fn check(
    state: &AppState,
    user_id: i64,
    ip: String,
    password: String,
) -> Result<Checked, AppError> {
    let counted = db::run(&state.pool, move |conn| {
        let user = User::find(conn, user_id)?.ok_or(AppError::NotFound)?;
        let keys = throttle::Keys::new(&user.username, Some(user.id), &ip);
        Ok(throttle::reserve(conn, &keys)?.map(|reservation| (user, keys, reservation)))
    })
    .await?;
    let (user, keys, reservation) = match counted {
        Ok(counted) => counted,
        Err(seconds) => return Ok(Checked::Throttled(seconds)),
    };
    let hash = Some(user.password_hash.clone());
    if !state.hasher.verify(password, hash).await? {
        throttle::failed(reservation);
        return Ok(Checked::Wrong);
    }
    Ok(Checked::Right(Verified {
        user,
        keys,
        reservation,
    }))
}

impl Verified {
    /// The attempt succeeded: not a failure, and the account's counter is cleared, as
    /// after a log-in. Write it in the transaction of what the password allowed (a
    /// change that finds the password changed meanwhile leaves it a failure).
    pub fn succeeded(self, conn: &mut DbConnection) -> QueryResult<()> {
        throttle::succeeded(conn, &self.keys, self.reservation)
    }

    /// What the password allowed did not happen after all (the password changed
    /// meanwhile): the attempt stays a failure, as a log-in's does then.
    pub fn failed(self) {
        throttle::failed(self.reservation);
    }
}
