//! The alert outbox: alerts are rows written in the same transaction as the change that caused
//! them, each with a dedupe key so a crossing alerts once. Delivery (email) reads this table.

use crate::db::schema::alerts;
use crate::db::DbConnection;
use crate::error::AppResult;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An alert to raise.
#[derive(Debug, Clone)]
pub struct NewAlert<'a> {
    /// Identifies the event: the same key is never raised twice.
    pub dedupe_key: String,
    /// What kind of alert (`budget_overrun_approved`, …).
    pub kind: &'a str,
    /// The project it concerns.
    pub project_id: Option<i64>,
    /// The email subject.
    pub subject: String,
    /// The email body (plain text).
    pub body: String,
    /// Who should hear of it.
    pub recipients: Vec<String>,
}

/// Raises an alert unless one with the same key exists; true when it was raised now.
pub fn raise(conn: &mut DbConnection, alert: &NewAlert<'_>, now: NaiveDateTime) -> AppResult<bool> {
    let exists: Option<i64> = alerts::table
        .filter(alerts::dedupe_key.eq(&alert.dedupe_key))
        .select(alerts::id)
        .get_result(conn)
        .optional()?;
    if exists.is_some() {
        return Ok(false);
    }
    diesel::insert_into(alerts::table)
        .values((
            alerts::dedupe_key.eq(&alert.dedupe_key),
            alerts::kind.eq(alert.kind),
            alerts::project_id.eq(alert.project_id),
            alerts::subject.eq(&alert.subject),
            alerts::body.eq(&alert.body),
            alerts::recipients.eq(serde_json::to_string(&alert.recipients)
                .map_err(crate::error::AppError::internal)?),
            alerts::created_at.eq(now),
            alerts::attempts.eq(0),
            alerts::next_attempt_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// The dedupe keys and kinds of a project's alerts, oldest first (for tests and reports).
pub fn of_project(conn: &mut DbConnection, project_id: i64) -> AppResult<Vec<(String, String)>> {
    Ok(alerts::table
        .filter(alerts::project_id.eq(project_id))
        .order(alerts::id)
        .select((alerts::dedupe_key, alerts::kind))
        .load(conn)?)
}
