//! `POST /account/password`: change the password, knowing the current one (SPEC §5).

use actix_web::{web, HttpRequest, HttpResponse};
use diesel::{Connection, QueryResult};
use serde::Deserialize;

use super::password_check::{self, Checked, Verified};
use super::{invalid, throttled, AccountPage, WRONG_PASSWORD};
use crate::auth::guard::CurrentUser;
use crate::auth::validation;
use crate::db::models::{session, user::User};
use crate::db::{self, request::begin_request_transaction, DbConnection};
use crate::error::AppError;
use crate::mail::{notices, settings::MailSettings, ChangedBy};
use crate::session_state::{Level, TypedSession};
use crate::state::State;
use crate::web::client::ClientInfo;
use crate::web::form::{see_other, FieldErrors};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_confirm: String,
    logout_others: Option<String>,
}

pub async fn change_password(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let ip = ClientInfo::of(&req).ip_text();
    let checked = password_check::check(&state, user.id, ip, form.current_password.clone()).await?;
    let verified = match checked {
        Checked::Throttled(seconds) => {
            let page = refilled(&req, &state, &user, &form).await?;
            return throttled(&req, &state, page, "current_password", seconds);
        }
        Checked::Wrong => {
            let mut page = refilled(&req, &state, &user, &form).await?;
            page.errors = new_password_errors(&form, &page.username, &page.email, false);
            let page = page.with_error("current_password", WRONG_PASSWORD);
            return invalid(&req, &state, &page);
        }
        Checked::Right(verified) => verified,
    };
    let errors = new_password_errors(&form, &verified.user.username, &verified.user.email, true);
    if !errors.is_empty() {
        // The current password was right: that attempt is not a failure.
        db::run(&state.pool, move |conn| Ok(verified.succeeded(conn)?)).await?;
        let mut page = refilled(&req, &state, &user, &form).await?;
        page.errors = errors;
        return invalid(&req, &state, &page);
    }
    let end_others_except = match form.logout_others {
        Some(_) => Some(TypedSession::of(&req).own_public_id()?),
        None => None,
    };
    let hash = state.hasher.hash(form.new_password.clone()).await?;
    let mail = state.mail.as_ref().map(|m| m.settings.clone());
    let by = ChangedBy::Client(ClientInfo::of(&req).ip_text());
    // The change and this session's new id (saved by actix-session after the handler)
    // commit together. Begun after the hash: its connection is held until the commit.
    begin_request_transaction(&state.pool).await?;
    let changed = db::run(&state.pool, move |conn| {
        let notice = (mail.as_ref(), &by);
        Ok(commit_password_change(
            conn,
            verified,
            &hash,
            end_others_except.as_deref(),
            notice,
        )?)
    })
    .await?;
    if !changed {
        // Someone changed the password since it was checked: the one typed is no
        // longer the current one.
        let page = refilled(&req, &state, &user, &form).await?;
        return invalid(
            &req,
            &state,
            &page.with_error("current_password", WRONG_PASSWORD),
        );
    }
    if let Some(mail) = &state.mail {
        // The notice commits with the request; should the sender wake before that, it
        // finds the row at its next look (a few seconds).
        mail.wake();
    }
    let session = TypedSession::of(&req);
    session.renew_id()?;
    session.push_flash(Level::Success, "Your password has been changed.");
    Ok(see_other("/account", None))
}

/// THE place where a password change commits, in one transaction: the new hash (only
/// while the password is still the one checked, else `false` and nothing changes), the
/// other sessions ended when asked (`end_others_except`: this session's public
/// handle), the check counted as a success, and the notice mail to the account's
/// owner (SPEC §9) queued.
fn commit_password_change(
    conn: &mut DbConnection,
    verified: Verified,
    hash: &str,
    end_others_except: Option<&str>,
    (mail, by): (Option<&MailSettings>, &ChangedBy),
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let (id, version) = (verified.user.id, verified.user.password_version);
        if !User::replace_checked_password(conn, id, version, hash)? {
            verified.failed();
            return Ok(false);
        }
        if let Some(keep) = end_others_except {
            session::delete_for_user(conn, id, Some(keep))?;
        }
        notices::password_changed(conn, mail, &verified.user, by)?;
        verified.succeeded(conn)?;
        Ok(true)
    })
}

/// The new password's rules (SPEC §3 with this account's username and email), its
/// confirmation, and, once the current password is known to be `current_password`
/// (`current_known`), that it differs from it: comparing the texts is comparing with
/// the stored password then, without a second hash.
fn new_password_errors(
    form: &PasswordForm,
    username: &str,
    email: &str,
    current_known: bool,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let rules = validation::new_password(&form.new_password, username, email);
    if let Err(message) = rules {
        errors.insert("new_password", message);
    } else if current_known && form.new_password == form.current_password {
        errors.insert(
            "new_password",
            "The new password must differ from the current one.".to_owned(),
        );
    }
    if form.new_password != form.new_password_confirm {
        errors.insert("new_password_confirm", "Passwords do not match.".to_owned());
    }
    errors
}

/// The page again with the form's checkbox as it was sent (never a password).
async fn refilled(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    form: &PasswordForm,
) -> Result<AccountPage, AppError> {
    let mut page = AccountPage::of(req, state, user).await?;
    page.logout_others = form.logout_others.is_some();
    Ok(page)
}
