//! Two-factor authentication (SPEC §10): a TOTP secret per account, sealed at rest,
//! and ten single-use recovery codes kept as hashes. Each code is spent by one
//! conditional statement, so a code used by two requests at once passes once.

pub mod cipher;
pub mod recovery;
pub mod totp;

use diesel::{Connection, QueryResult};

pub use cipher::SecretCipher;
pub use totp::TotpSecret;

use crate::db::models::{recovery_code, two_factor};
use crate::db::DbConnection;

/// What a sealed value is for (its associated data): an account's secret, a secret
/// pending setup, recovery codes waiting to be shown.
pub mod purpose {
    pub fn account(user_id: i64) -> String {
        format!("totp:user:{user_id}")
    }
    pub fn pending(user_id: i64) -> String {
        format!("totp:pending:{user_id}")
    }
    pub fn codes_to_show(user_id: i64) -> String {
        format!("recovery:show:{user_id}")
    }
}

/// The account's secret, when 2FA is on and it opens with this key.
fn secret_of(
    cipher: &SecretCipher,
    user_id: i64,
    state: &two_factor::TwoFactor,
) -> Option<TotpSecret> {
    let sealed = state.totp_secret_enc.as_deref()?;
    let bytes = cipher.open(sealed, &purpose::account(user_id));
    if bytes.is_none() {
        // The key changed (SECRET_KEY was replaced) or the row was damaged.
        tracing::warn!(user_id, "a TOTP secret does not open with this SECRET_KEY");
    }
    bytes.map(TotpSecret::from_bytes)
}

/// Spends `code`: a TOTP code of a step later than the last one accepted (that step
/// becomes the last), or an unused recovery code (it is used up). `false`: wrong,
/// replayed or spent already, or 2FA is off; nothing changed.
pub fn spend_code(
    conn: &mut DbConnection,
    cipher: &SecretCipher,
    user_id: i64,
    code: &str,
) -> QueryResult<bool> {
    let Some(state) = two_factor::find(conn, user_id)?.filter(|s| s.is_on()) else {
        return Ok(false);
    };
    if let Some(secret) = secret_of(cipher, user_id, &state) {
        if let Some(step) = secret.step_of(code, totp::unix_now(), state.totp_last_step) {
            return two_factor::accept_step(conn, user_id, step);
        }
    }
    if recovery::looks_like_one(code) {
        return recovery_code::spend(conn, user_id, &recovery::hash(code));
    }
    Ok(false)
}

/// Whether [`spend_code`] would accept `code` now; spends nothing.
pub fn code_is_right(
    conn: &mut DbConnection,
    cipher: &SecretCipher,
    user_id: i64,
    code: &str,
) -> QueryResult<bool> {
    let Some(state) = two_factor::find(conn, user_id)?.filter(|s| s.is_on()) else {
        return Ok(false);
    };
    let totp_ok = secret_of(cipher, user_id, &state)
        .and_then(|s| s.step_of(code, totp::unix_now(), state.totp_last_step))
        .is_some();
    Ok(totp_ok
        || (recovery::looks_like_one(code)
            && recovery_code::exists(conn, user_id, &recovery::hash(code))?))
}

/// Turns 2FA on with `secret`, whose code of `step` was just confirmed (it counts as
/// used), and makes ten recovery codes. `None`: it was on already; nothing changed.
pub fn turn_on(
    conn: &mut DbConnection,
    cipher: &SecretCipher,
    user_id: i64,
    secret: &TotpSecret,
    step: i64,
) -> QueryResult<Option<Vec<String>>> {
    let sealed = cipher.seal(secret.as_bytes(), &purpose::account(user_id));
    conn.transaction(|conn| {
        if !two_factor::enable(conn, user_id, &sealed, step)? {
            return Ok(None);
        }
        new_codes(conn, user_id).map(Some)
    })
}

/// Ten new recovery codes replace the old ones. `None`: 2FA is off.
pub fn renew_codes(conn: &mut DbConnection, user_id: i64) -> QueryResult<Option<Vec<String>>> {
    conn.transaction(|conn| {
        if !two_factor::bump_version(conn, user_id)? {
            return Ok(None);
        }
        new_codes(conn, user_id).map(Some)
    })
}

/// Turns 2FA off: the secret and the recovery codes go. `false`: it was off.
pub fn turn_off(conn: &mut DbConnection, user_id: i64) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let was_on = two_factor::disable(conn, user_id)?;
        recovery_code::delete_all(conn, user_id)?;
        Ok(was_on)
    })
}

fn new_codes(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<String>> {
    let codes = recovery::generate();
    let hashes: Vec<String> = codes.iter().map(|c| recovery::hash(c)).collect();
    recovery_code::replace(conn, user_id, &hashes)?;
    Ok(codes)
}
