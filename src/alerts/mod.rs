//! The alert outbox: alerts are rows written in the same transaction as the change that caused
//! them, each with a dedupe key so an event alerts once however often it is detected. A delivery
//! worker ([`delivery`]) claims due rows, mails them and records the outcome; failures retry with
//! backoff, and nothing is lost while the mail server is down.

pub mod delivery;
pub mod handlers;

use crate::db::schema::alerts;
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An alert to raise.
#[derive(Debug, Clone)]
pub struct NewAlert<'a> {
    /// Identifies the event: the same key is never raised twice.
    pub dedupe_key: String,
    /// What kind of alert (`budget_overrun_approved`, `contract_notice_deadline`, …).
    pub kind: &'a str,
    /// The project it concerns.
    pub project_id: Option<i64>,
    /// The email subject.
    pub subject: String,
    /// The email body (plain text).
    pub body: String,
    /// An HTML alternative of the body (escaped by whoever built it); without one the text is
    /// shown as HTML.
    pub html_body: Option<String>,
    /// Who should hear of it.
    pub recipients: Vec<String>,
}

/// Raises an alert unless one with the same key exists; true when it was raised now. Two
/// transactions racing to raise the same key (two instances running the same check) both
/// succeed: the insert runs in a savepoint, and the one that loses on the unique key rolls back
/// only that savepoint and reports `false`.
pub fn raise(conn: &mut DbConnection, alert: &NewAlert<'_>, now: NaiveDateTime) -> AppResult<bool> {
    let exists: Option<i64> = alerts::table
        .filter(alerts::dedupe_key.eq(&alert.dedupe_key))
        .select(alerts::id)
        .get_result(conn)
        .optional()?;
    if exists.is_some() {
        return Ok(false);
    }
    let mut recipients = alert.recipients.clone();
    recipients.sort();
    recipients.dedup();
    let recipients = serde_json::to_string(&recipients).map_err(AppError::internal)?;
    let inserted = conn.transaction(|savepoint| {
        diesel::insert_into(alerts::table)
            .values((
                alerts::dedupe_key.eq(&alert.dedupe_key),
                alerts::kind.eq(alert.kind),
                alerts::project_id.eq(alert.project_id),
                alerts::subject.eq(&alert.subject),
                alerts::body.eq(&alert.body),
                alerts::html_body.eq(&alert.html_body),
                alerts::recipients.eq(&recipients),
                alerts::created_at.eq(now),
                alerts::attempts.eq(0),
                alerts::next_attempt_at.eq(now),
            ))
            .execute(savepoint)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Where an alert's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// Sent.
    Sent,
}

/// An alert as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Alert {
    /// The alert's id.
    pub id: i64,
    /// What happened, as a stable key: the same event never alerts twice.
    pub dedupe_key: String,
    /// The kind of alert.
    pub kind: String,
    /// The project it concerns.
    pub project_id: Option<i64>,
    /// The email subject.
    pub subject: String,
    /// The email body.
    pub body: String,
    /// Who it goes to.
    pub recipients: Vec<String>,
    /// `pending` or `sent`.
    pub status: AlertStatus,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was raised (UTC).
    pub created_at: DateTime<Utc>,
    /// When it was sent (UTC).
    pub sent_at: Option<DateTime<Utc>>,
    /// When the next attempt is due (UTC), while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The email's Message-ID (stable for the alert).
    pub message_id: String,
}

type AlertRow = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    i64,
    NaiveDateTime,
    Option<String>,
);

fn view(row: AlertRow) -> AppResult<Alert> {
    let (
        id,
        key,
        kind,
        project_id,
        subject,
        body,
        recipients,
        created,
        sent,
        attempts,
        next,
        error,
    ) = row;
    Ok(Alert {
        id,
        message_id: crate::email::message_id(&key),
        dedupe_key: key,
        kind,
        project_id,
        subject,
        body,
        recipients: serde_json::from_str(&recipients).map_err(AppError::internal)?,
        status: if sent.is_some() {
            AlertStatus::Sent
        } else {
            AlertStatus::Pending
        },
        attempts,
        last_error: error,
        created_at: created.and_utc(),
        sent_at: sent.map(|t| t.and_utc()),
        next_attempt_at: sent.is_none().then(|| next.and_utc()),
    })
}

/// Filters for the alert list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub id: Option<i64>,
    pub status: Option<AlertStatus>,
    pub kind: Option<String>,
    pub project_id: Option<i64>,
}

/// A page of alerts by id.
pub fn list(
    conn: &mut DbConnection,
    filter: &AlertFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<Alert>> {
    let mut query = alerts::table
        .select((
            alerts::id,
            alerts::dedupe_key,
            alerts::kind,
            alerts::project_id,
            alerts::subject,
            alerts::body,
            alerts::recipients,
            alerts::created_at,
            alerts::sent_at,
            alerts::attempts,
            alerts::next_attempt_at,
            alerts::last_error,
        ))
        .into_boxed::<MultiBackend>();
    if let Some(id) = filter.id {
        query = query.filter(alerts::id.eq(id));
    }
    match filter.status {
        Some(AlertStatus::Sent) => query = query.filter(alerts::sent_at.is_not_null()),
        Some(AlertStatus::Pending) => query = query.filter(alerts::sent_at.is_null()),
        None => {}
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(alerts::kind.eq(kind.clone()));
    }
    if let Some(project_id) = filter.project_id {
        query = query.filter(alerts::project_id.eq(project_id));
    }
    let rows: Vec<AlertRow> = query
        .filter(alerts::id.gt(after))
        .order(alerts::id)
        .limit(limit)
        .load(conn)?;
    rows.into_iter().map(view).collect()
}

/// One alert.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Alert> {
    let filter = AlertFilter {
        id: Some(id),
        ..Default::default()
    };
    list(conn, &filter, i64::MIN, 1)?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("alert", id))
}

/// Queues an alert to be sent again (for a lost or bounced message): pending, due now, with its
/// attempt count kept.
pub fn resend(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> AppResult<Alert> {
    let updated = diesel::update(alerts::table.filter(alerts::id.eq(id)))
        .set((
            alerts::sent_at.eq(None::<NaiveDateTime>),
            alerts::next_attempt_at.eq(now),
            alerts::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(AppError::not_found("alert", id));
    }
    get(conn, id)
}

/// What one run of the scheduled work did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RunReport {
    /// Alerts raised by the contract check.
    pub raised: usize,
    /// Alerts sent.
    pub sent: usize,
    /// Alerts whose delivery failed (they stay pending and retry).
    pub failed: usize,
}

/// The scheduled work, once: the contract check for `today`, then delivery of everything due.
pub fn run_once(
    db: &crate::db::Db,
    settings: &crate::config::AlertSettings,
    today: chrono::NaiveDate,
) -> AppResult<RunReport> {
    let raised =
        db.write_blocking(|tx| crate::contracts::alerts::check(tx, &settings.contracts, today))?;
    let mailer = crate::email::Mailer::new(&settings.mail)
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let delivered = delivery::deliver_due(db, &mailer, &settings.extra_recipients)?;
    Ok(RunReport {
        raised,
        sent: delivered.sent,
        failed: delivered.failed,
    })
}
