//! Alert delivery: claim due alerts, mail them, record the outcome.
//!
//! Rules: a claim marks alerts as taken for a lease (their next attempt moves past it) in one
//! short transaction, so no transaction is held open while mail is sent and another instance
//! cannot take the same alert meanwhile (on PostgreSQL the claim also skips rows another
//! instance has locked: `FOR UPDATE SKIP LOCKED`). A sent alert is marked sent; a failure keeps
//! it pending with its error and retries after 30 s × 2^(attempts − 1), at most an hour. If the
//! process dies between sending and recording, the alert is sent again when its lease ends, with
//! the same Message-ID: SMTP has no way to make a send and a database commit one step, so a
//! crash in that window (a millisecond or so: the claim and the record take no writers' turn,
//! [`Db::bookkeeping_blocking`]) means a second copy the receiver can recognise by its
//! Message-ID, never a lost alert.

use crate::db::schema::alerts;
use crate::db::{Db, DbConnection};
use crate::email::{Email, Mailer};
use crate::error::{AppError, AppResult};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

/// How long a claimed alert is reserved for the instance sending it.
pub const LEASE_SECONDS: i64 = 120;

/// Alerts claimed per round.
const BATCH: i64 = 50;

/// What one delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeliveryReport {
    /// Alerts sent.
    pub sent: usize,
    /// Alerts whose attempt failed (they stay pending and retry).
    pub failed: usize,
}

/// The wait before the next attempt after `attempts` failures.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::seconds((30 * 2i64.pow(exponent)).min(3_600))
}

type Claimed = (i64, String, String, String, Option<String>, String);

/// Claims up to [`BATCH`] due alerts for [`LEASE_SECONDS`].
fn claim(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<Vec<Claimed>> {
    let due = alerts::table
        .filter(alerts::sent_at.is_null())
        .filter(alerts::next_attempt_at.le(now))
        .order(alerts::id)
        .limit(BATCH)
        .select(alerts::id);
    // The one engine-specific query here: PostgreSQL instances skip each other's locked rows;
    // SQLite has one writer at a time (BEGIN IMMEDIATE), so a plain read is enough.
    let ids: Vec<i64> = match conn {
        DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(lite) => due.load(lite)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(alerts::table.filter(alerts::id.eq_any(&ids)))
        .set((
            alerts::next_attempt_at.eq(now + Duration::seconds(LEASE_SECONDS)),
            alerts::attempts.eq(alerts::attempts + 1),
        ))
        .execute(conn)?;
    Ok(alerts::table
        .filter(alerts::id.eq_any(&ids))
        .order(alerts::id)
        .select((
            alerts::id,
            alerts::dedupe_key,
            alerts::subject,
            alerts::body,
            alerts::html_body,
            alerts::recipients,
        ))
        .load(conn)?)
}

/// Sends every due alert once; `extra_recipients` get every alert too.
pub fn deliver_due(
    db: &Db,
    mailer: &Mailer,
    extra_recipients: &[String],
) -> AppResult<DeliveryReport> {
    let mut report = DeliveryReport::default();
    loop {
        let now = crate::clock::now();
        let claimed = db.bookkeeping_blocking(|tx| claim(tx, now))?;
        if claimed.is_empty() {
            return Ok(report);
        }
        for (id, key, subject, body, html, recipients) in claimed {
            let mut to: Vec<String> =
                serde_json::from_str(&recipients).map_err(AppError::internal)?;
            to.extend(extra_recipients.iter().cloned());
            to.sort();
            to.dedup();
            let outcome = mailer.send(&Email {
                dedupe_key: key,
                to,
                subject,
                text: body,
                html,
            });
            let now = crate::clock::now();
            db.bookkeeping_blocking(|tx| match &outcome {
                Ok(()) => {
                    diesel::update(alerts::table.filter(alerts::id.eq(id)))
                        .set((
                            alerts::sent_at.eq(Some(now)),
                            alerts::last_error.eq(None::<String>),
                        ))
                        .execute(&mut **tx)?;
                    Ok(())
                }
                Err(error) => {
                    let attempts: i64 = alerts::table
                        .filter(alerts::id.eq(id))
                        .select(alerts::attempts)
                        .get_result(&mut **tx)?;
                    diesel::update(alerts::table.filter(alerts::id.eq(id)))
                        .set((
                            alerts::next_attempt_at.eq(now + backoff(attempts)),
                            alerts::last_error.eq(Some(error.clone())),
                        ))
                        .execute(&mut **tx)?;
                    Ok(())
                }
            })?;
            match outcome {
                Ok(()) => report.sent += 1,
                Err(error) => {
                    tracing::warn!(alert = id, %error, "alert delivery failed; will retry");
                    report.failed += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(8), Duration::seconds(3_600));
        assert_eq!(backoff(50), Duration::seconds(3_600));
    }
}
