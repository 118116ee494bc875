//! Notices that go out with a change (SPEC §9): written to the outbox inside the
//! change's own transaction, so the mail goes if and only if the change commits.
//!
//! Call inside the transaction that changes the password, then, once it has
//! committed, wake the sender (`MailHandle::wake`; the CLI needs not: a running
//! server sees the row within seconds).

use diesel::QueryResult;
use time::OffsetDateTime;

use super::message::{self, ChangedBy};
use super::settings::MailSettings;
use crate::db::models::{now, outbox, user::User};
use crate::db::DbConnection;

/// Queues "Your tickbox password was changed" for `user`, with the time in UTC and
/// who changed it. Does nothing when mail is off (`mail` is `None`).
pub fn password_changed(
    conn: &mut DbConnection,
    mail: Option<&MailSettings>,
    user: &User,
    by: &ChangedBy,
) -> QueryResult<()> {
    let Some(mail) = mail else {
        return Ok(());
    };
    let forgot = format!("{}/password/forgot", mail.link_base);
    let body = message::changed_text(&user.username, OffsetDateTime::now_utc(), by, &forgot);
    let client_ip = match by {
        ChangedBy::Client(ip) => ip.as_str(),
        ChangedBy::Operator => "",
    };
    let notice = outbox::NewMessage {
        user_id: Some(user.id),
        recipient: &user.email,
        subject: message::CHANGED_SUBJECT,
        body: &body,
        client_ip,
    };
    outbox::insert_message(conn, &notice, now())
}
