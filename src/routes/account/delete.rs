//! `POST /account/delete`: delete the account, knowing its password (SPEC §5).

use actix_identity::Identity;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::{Connection, QueryResult};
use serde::Deserialize;

use super::password_check::{self, Checked, Verified};
use super::{invalid, throttled, AccountPage};
use crate::auth::guard::CurrentUser;
use crate::db::models::{session, user::User};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::session_state::{Level, TypedSession};
use crate::state::State;
use crate::web::client::ClientInfo;
use crate::web::form::see_other;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    password: String,
}

pub async fn delete_account(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    identity: Option<Identity>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let ip = ClientInfo::of(&req).ip_text();
    let checked = password_check::check(&state, user.id, ip, form.into_inner().password).await?;
    let deleted = match checked {
        Checked::Throttled(seconds) => {
            let page = AccountPage::of(&req, &state, &user).await?;
            return throttled(&req, &state, page, "password", seconds);
        }
        Checked::Wrong => false,
        Checked::Right(verified) => {
            db::run(&state.pool, move |conn| Ok(erase_account(conn, verified)?)).await?
        }
    };
    if !deleted {
        let page = AccountPage::of(&req, &state, &user).await?;
        return invalid(
            &req,
            &state,
            &page.with_error("password", super::WRONG_PASSWORD),
        );
    }
    let session = TypedSession::of(&req);
    session.log_out(identity)?;
    // `info`: the level SPEC §6 gives this message.
    session.push_flash(Level::Info, "Your account has been deleted.");
    Ok(see_other("/", None))
}

/// In one transaction: the account (only while its password is still the one checked,
/// else `false` and nothing is deleted), its to-dos (by foreign key), all its sessions,
/// remembered ones too, and its log-in throttle rows. Its username and email are free
/// at once.
fn erase_account(conn: &mut DbConnection, verified: Verified) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let (id, version) = (verified.user.id, verified.user.password_version);
        if !User::delete_checked(conn, id, version)? {
            verified.failed();
            return Ok(false);
        }
        // The foreign key would end them too; said here, not left to the schema.
        session::delete_for_user(conn, id, None)?;
        // Clears the account's counter and this attempt's rows.
        verified.succeeded(conn)?;
        Ok(true)
    })
}
