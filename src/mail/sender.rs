//! The background sender: claims due outbox rows, sends them, marks them sent, and
//! retries failures with backoff (5 s, doubling up to 10 minutes) until a mail is an
//! hour old, then gives up with an error line. Requests never wait for it: they
//! commit their row and wake it ([`super::MailHandle::wake`]).
//!
//! Several instances on one PostgreSQL database each claim different rows (see
//! `outbox::claim_due`), so every mail goes out once.

use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use tokio::sync::{watch, Notify};

use super::message::{self, Mail};
use super::settings::MailSettings;
use super::transport::Mailer;
use crate::auth::reset_token;
use crate::db::models::outbox::{self, Claimed};
use crate::db::models::password_reset::{self, NewReset};
use crate::db::models::{now, user::User};
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::monitoring::Metrics;

/// Rows claimed per round trip.
const BATCH: i64 = 10;
/// A claimed row is not due again for this long (a sender that died mid-send).
const LEASE: time::Duration = time::Duration::minutes(10);
/// The first retry comes after this; each later one waits twice as long…
const FIRST_RETRY: time::Duration = time::Duration::seconds(5);
/// …up to this.
const MAX_RETRY: time::Duration = time::Duration::minutes(10);
/// A mail that still fails this long after it was written is given up.
const GIVE_UP_AFTER: time::Duration = time::Duration::hours(1);
/// Rows written by another process (the CLI, another instance) are seen this soon.
const POLL: Duration = Duration::from_secs(5);
/// How long a reset link works.
pub const LINK_LIFETIME: time::Duration = time::Duration::hours(1);

pub struct Sender {
    pub pool: DbPool,
    pub mailer: Mailer,
    pub settings: MailSettings,
    pub wake: Arc<Notify>,
    /// `tickbox_mail_outbox_depth` and `tickbox_mail_send_failures_total`.
    pub metrics: Metrics,
}

/// A mail ready to go, and the reset link to take back should it not go.
struct Prepared {
    mail: Mail,
    reset_id: Option<i64>,
}

impl Sender {
    /// Runs until `stop` turns true; a mail being sent then is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let wait = match self.send_due(&stop).await {
                Ok(wait) => {
                    self.report_depth().await;
                    wait
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the mail sender cannot reach the database");
                    FIRST_RETRY.try_into().unwrap_or(POLL)
                }
            };
            tokio::select! {
                _ = stop.changed() => {}
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The outbox's depth for the metrics (shared by every instance on the database).
    async fn report_depth(&self) {
        if !self.metrics.is_enabled() {
            return;
        }
        match db::run(&self.pool, |c| Ok(outbox::depth(c)?)).await {
            Ok(depth) => self
                .metrics
                .mail_outbox_depth(usize::try_from(depth).unwrap_or_default()),
            Err(e) => tracing::warn!(error = %e, "cannot count the mail outbox"),
        }
    }

    /// Sends every due row; returns how long until the next one falls due.
    async fn send_due(&self, stop: &watch::Receiver<bool>) -> Result<Duration, AppError> {
        while !*stop.borrow() {
            let at = now();
            let batch = db::run(&self.pool, move |c| {
                Ok(outbox::claim_due(c, at, at + LEASE, BATCH)?)
            })
            .await?;
            if batch.is_empty() {
                break;
            }
            let mut rows = batch.into_iter();
            for row in rows.by_ref() {
                self.deliver(row).await?;
                if *stop.borrow() {
                    break;
                }
            }
            // Stopping: what was claimed but not tried is due again at once (for
            // another instance, or this one's next start), not after its lease.
            let left: Vec<i64> = rows.map(|row| row.id).collect();
            if !left.is_empty() {
                db::run(&self.pool, move |c| Ok(outbox::release(c, &left, now())?)).await?;
            }
        }
        let next = db::run(&self.pool, |c| Ok(outbox::next_due(c)?)).await?;
        let wait = next.map_or(POLL, |at| {
            Duration::try_from(at - now()).unwrap_or(Duration::ZERO)
        });
        Ok(wait.min(POLL))
    }

    async fn deliver(&self, row: Claimed) -> Result<(), AppError> {
        let (id, attempt) = (row.id, row.attempts);
        let prepared = match self.prepare(&row).await? {
            Ok(Some(prepared)) => prepared,
            Ok(None) => {
                // A reset for an account deleted since: nothing to send.
                return db::run(&self.pool, move |c| {
                    Ok(outbox::mark_failed(c, id, None, "the account is gone")?)
                })
                .await;
            }
            Err(e) => {
                tracing::error!(mail = id, error = %e, "a mail cannot be sent; dropped");
                return db::run(&self.pool, move |c| {
                    Ok(outbox::mark_failed(c, id, None, &e)?)
                })
                .await;
            }
        };
        match self.mailer.send(&prepared.mail).await {
            Ok(()) => {
                tracing::info!(mail = id, attempt, "mail sent");
                db::run(&self.pool, move |c| Ok(outbox::mark_sent(c, id, now())?)).await
            }
            Err(e) => self.failed(&row, prepared.reset_id, e).await,
        }
    }

    /// Records a failed attempt: retried later, or given up once the mail is an hour old.
    async fn failed(
        &self,
        row: &Claimed,
        reset_id: Option<i64>,
        e: String,
    ) -> Result<(), AppError> {
        let (id, attempt, at) = (row.id, row.attempts, now());
        self.metrics.mail_send_failed();
        let retry_at = if at - row.created_at >= GIVE_UP_AFTER {
            tracing::error!(mail = id, attempt, error = %e, "mail not sent for an hour; giving up");
            None
        } else {
            let wait = retry_delay(attempt);
            tracing::warn!(mail = id, attempt, error = %e, retry_in_s = wait.whole_seconds(), "mail not sent; will retry");
            Some(at + wait)
        };
        db::run(&self.pool, move |c| {
            c.transaction(|c| {
                if let Some(reset) = reset_id {
                    password_reset::delete(c, reset)?;
                }
                outbox::mark_failed(c, id, retry_at, &e)
            })?;
            Ok(())
        })
        .await
    }

    /// The mail for a row. A reset gets its link now, for the account's address as
    /// stored now; `Ok(None)`: the account is gone. `Err`: it can never be sent.
    async fn prepare(&self, row: &Claimed) -> Result<Result<Option<Prepared>, String>, AppError> {
        let from = self.settings.from.clone();
        if row.kind != outbox::PASSWORD_RESET {
            let mail = message::build(&from, &row.recipient, &row.subject, &row.body);
            return Ok(mail.map(|mail| {
                Some(Prepared {
                    mail,
                    reset_id: None,
                })
            }));
        }
        let Some(user_id) = row.user_id else {
            return Ok(Ok(None));
        };
        let (token, hash) = reset_token::new();
        let made = now();
        let link = format!("{}/password/reset/{token}", self.settings.link_base);
        let found = db::run(&self.pool, move |c| {
            let Some(user) = User::find(c, user_id)? else {
                return Ok(None);
            };
            let reset = NewReset {
                token_hash: &hash,
                user_id,
                password_version: user.password_version,
                created_at: made,
                expires_at: made + LINK_LIFETIME,
            };
            Ok(Some((password_reset::insert(c, &reset)?, user)))
        })
        .await?;
        let Some((reset_id, user)) = found else {
            return Ok(Ok(None));
        };
        let text = message::reset_text(&user.username, &link);
        match message::build(&from, &user.email, message::RESET_SUBJECT, &text) {
            Ok(mail) => Ok(Ok(Some(Prepared {
                mail,
                reset_id: Some(reset_id),
            }))),
            Err(e) => {
                db::run(&self.pool, move |c| {
                    Ok(password_reset::delete(c, reset_id)?)
                })
                .await?;
                Ok(Err(e))
            }
        }
    }
}

/// The wait after failed attempt `attempt` (1 = the first): 5 s, 10 s, 20 s, … 10 min.
fn retry_delay(attempt: i32) -> time::Duration {
    let doublings = attempt.saturating_sub(1).clamp(0, 16) as u32;
    (FIRST_RETRY * 2_i32.pow(doublings)).min(MAX_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_start_within_seconds_and_settle_at_ten_minutes() {
        let secs: Vec<i64> = (1..=10).map(|n| retry_delay(n).whole_seconds()).collect();
        assert_eq!(secs, [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]);
        // The first two retries come within 30 seconds of the first failure.
        assert!(secs[0] + secs[1] <= 30);
    }
}
