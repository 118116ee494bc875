//! The mail outbox: one row per mail, written in the transaction of the change that
//! causes it, and claimed, sent and marked by the background sender (crate::mail).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use time::PrimitiveDateTime;

use crate::db::schema::mail_outbox;
use crate::db::DbConnection;

/// A mail written out in full (a notice).
pub const MESSAGE: &str = "message";
/// A password-reset request: the link is made, and the address read, when it is sent.
pub const PASSWORD_RESET: &str = "password_reset";

/// A mail ready to go.
pub struct NewMessage<'a> {
    pub user_id: Option<i64>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub client_ip: &'a str,
}

/// Queues a mail, due at once.
pub fn insert_message(
    conn: &mut DbConnection,
    mail: &NewMessage<'_>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    insert(conn, MESSAGE, mail, Some(now), now)
}

/// Records a reset request: due at once when `account` is given, else a row that only
/// counts toward the per-address limit. The same statement either way.
pub fn insert_reset_request(
    conn: &mut DbConnection,
    account: Option<i64>,
    client_ip: &str,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let mail = NewMessage {
        user_id: account,
        recipient: "",
        subject: "",
        body: "",
        client_ip,
    };
    insert(conn, PASSWORD_RESET, &mail, account.map(|_| now), now)
}

fn insert(
    conn: &mut DbConnection,
    kind: &str,
    mail: &NewMessage<'_>,
    due: Option<PrimitiveDateTime>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::kind.eq(kind),
            mail_outbox::user_id.eq(mail.user_id),
            mail_outbox::recipient.eq(mail.recipient),
            mail_outbox::subject.eq(mail.subject),
            mail_outbox::body.eq(mail.body),
            mail_outbox::client_ip.eq(mail.client_ip),
            mail_outbox::created_at.eq(now),
            mail_outbox::next_attempt_at.eq(due),
        ))
        .execute(conn)
        .map(drop)
}

/// Reset mails queued for `account` since `since` (0 when there is no account: the
/// same query runs either way).
pub fn resets_for_account_since(
    conn: &mut DbConnection,
    account: Option<i64>,
    since: PrimitiveDateTime,
) -> QueryResult<i64> {
    mail_outbox::table
        .filter(mail_outbox::kind.eq(PASSWORD_RESET))
        .filter(mail_outbox::user_id.eq(account.unwrap_or(0)))
        .filter(mail_outbox::created_at.gt(since))
        .count()
        .get_result(conn)
}

/// The `n`-th newest reset request from `ip` since `since`, if there are that many.
pub fn nth_reset_from_ip_since(
    conn: &mut DbConnection,
    ip: &str,
    since: PrimitiveDateTime,
    n: i64,
) -> QueryResult<Option<PrimitiveDateTime>> {
    mail_outbox::table
        .filter(mail_outbox::client_ip.eq(ip))
        .filter(mail_outbox::kind.eq(PASSWORD_RESET))
        .filter(mail_outbox::created_at.gt(since))
        .order(mail_outbox::created_at.desc())
        .offset(n - 1)
        .select(mail_outbox::created_at)
        .first(conn)
        .optional()
}

/// A row the sender has claimed.
#[derive(Debug, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub user_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub recipient: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: PrimitiveDateTime,
    /// Including this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Claims up to `limit` due rows for one attempt each: they are not due again before
/// `lease_until` (so a sender that dies mid-send is retried after it), and no other
/// sender gets them meanwhile. PostgreSQL skips rows another instance is claiming
/// (`FOR UPDATE SKIP LOCKED`), and the outer condition is re-checked on a row that
/// was claimed concurrently; SQLite runs one writer at a time.
pub fn claim_due(
    conn: &mut DbConnection,
    now: PrimitiveDateTime,
    lease_until: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    const UPDATE: &str = "UPDATE mail_outbox SET next_attempt_at = $1, attempts = attempts + 1 \
        WHERE next_attempt_at <= $2 AND id IN (SELECT id FROM mail_outbox \
        WHERE next_attempt_at <= $3 ORDER BY next_attempt_at, id LIMIT $4";
    const RETURNING: &str =
        "RETURNING id, kind, user_id, recipient, subject, body, created_at, attempts";
    macro_rules! claim {
        ($conn:expr, $sql:expr) => {
            diesel::sql_query($sql)
                .bind::<Timestamp, _>(lease_until)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .load($conn)
        };
    }
    match conn {
        DbConnection::Pg(c) => claim!(c, format!("{UPDATE} FOR UPDATE SKIP LOCKED) {RETURNING}")),
        DbConnection::Sqlite(c) => claim!(c, format!("{UPDATE}) {RETURNING}")),
    }
}

/// Gives back claimed rows that were not tried: due again at `now`, their claim not
/// counted as an attempt.
pub fn release(conn: &mut DbConnection, ids: &[i64], now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(mail_outbox::table.filter(mail_outbox::id.eq_any(ids)))
        .set((
            mail_outbox::next_attempt_at.eq(Some(now)),
            mail_outbox::attempts.eq(mail_outbox::attempts - 1),
        ))
        .execute(conn)
        .map(drop)
}

/// Delivered: never sent again.
pub fn mark_sent(conn: &mut DbConnection, id: i64, now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::sent_at.eq(Some(now)),
            mail_outbox::next_attempt_at.eq(None::<PrimitiveDateTime>),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}

/// Not delivered: tried again at `retry_at`, or never (`None`: given up, or nothing to
/// send any more).
pub fn mark_failed(
    conn: &mut DbConnection,
    id: i64,
    retry_at: Option<PrimitiveDateTime>,
    error: &str,
) -> QueryResult<()> {
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::next_attempt_at.eq(retry_at),
            mail_outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
        .map(drop)
}

/// When the next row falls due, if any is waiting.
pub fn next_due(conn: &mut DbConnection) -> QueryResult<Option<PrimitiveDateTime>> {
    mail_outbox::table
        .select(diesel::dsl::min(mail_outbox::next_attempt_at))
        .first(conn)
}

/// Rows waiting to be sent (sent, given-up and counting-only rows excluded).
pub fn depth(conn: &mut DbConnection) -> QueryResult<i64> {
    mail_outbox::table
        .filter(mail_outbox::next_attempt_at.is_not_null())
        .count()
        .get_result(conn)
}

/// Forgets finished rows (sent, given up, or with nothing to send) made before `before`.
pub fn purge_finished_before(
    conn: &mut DbConnection,
    before: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        mail_outbox::table
            .filter(mail_outbox::next_attempt_at.is_null())
            .filter(mail_outbox::created_at.lt(before)),
    )
    .execute(conn)
}
