//! What the project manager tells the forecast: an estimate to complete per budget line, and
//! progress (percent complete) per line or for the whole project and month, for earned value.
//!
//! Rules: entries are never overwritten: a new entry supersedes the last (the latest estimate
//! of a line counts; for progress, the latest entry for a month counts), so the history of who
//! said what and when stays. Only a PM (the project's named PM when it has one) or an admin
//! enters them. An estimate is an amount in the budget's currency, zero or more; percent
//! complete is 0 to 100 with at most 4 decimals. Entering either moves EAC, so the project's
//! thresholds are evaluated in the same transaction.

use crate::audit;
use crate::auth::Actor;
use crate::budgets::model::parse_month;
use crate::clock;
use crate::db::schema::{budget_line_estimates as estimates, progress_records as progress};
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::money::storage::{decimal_from_text, decimal_to_text, money_from_units, money_to_units};
use crate::projects::model::Project;
use crate::validate::{optional_text, Validator};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// An estimate to complete as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Estimate {
    /// The entry's id.
    pub id: i64,
    /// The budget line.
    pub budget_line_id: i64,
    /// What is still to be spent on the line beyond actual and committed, in the budget's
    /// currency.
    pub estimate_to_complete: String,
    /// Why.
    pub note: Option<String>,
    /// Who entered it.
    pub entered_by: String,
    /// When (UTC).
    pub entered_at: DateTime<Utc>,
}

/// Progress as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Progress {
    /// The entry's id.
    pub id: i64,
    /// The project.
    pub project_id: i64,
    /// The budget line, or none for the project as a whole.
    pub budget_line_id: Option<i64>,
    /// The month it describes (`YYYY-MM`): progress at its end.
    pub month: String,
    /// Percent complete, 0 to 100.
    pub percent_complete: String,
    /// Why.
    pub note: Option<String>,
    /// Who entered it.
    pub entered_by: String,
    /// When (UTC).
    pub entered_at: DateTime<Utc>,
}

/// Only a PM or an admin enters forecasts; a PM must be the project's named PM when it has one.
fn check_project_pm(actor: &Actor, project: &Project) -> AppResult<()> {
    if crate::projects::model::acts_as_pm(project, actor.role, &actor.name) {
        return Ok(());
    }
    Err(AppError::forbidden(format!(
        "project {}'s PM is {}: only they (or an admin) enter its forecast",
        project.code,
        project.pm_name.as_deref().unwrap_or_default()
    )))
}

/// Records a new estimate to complete for a budget line.
pub fn enter_estimate(
    tx: &mut Tx<'_>,
    actor: &Actor,
    budget_line_id: i64,
    amount: Decimal,
    note: Option<String>,
) -> AppResult<Estimate> {
    let line = crate::budgets::service::stored(tx, budget_line_id)?;
    let project = crate::projects::service::get_writable(tx, line.line.project_id)?;
    check_project_pm(actor, &project)?;
    let mut v = Validator::new();
    let amount = v.check(
        "estimate_to_complete",
        crate::budgets::model::budget_amount(amount, line.amount.currency()),
    );
    let note = v.check("note", optional_text(note.as_deref(), 2_000));
    v.finish()?;
    let (Some(amount), Some(note)) = (amount, note) else {
        return Err(AppError::invalid("estimate_to_complete", "is required"));
    };
    let id: i64 = diesel::insert_into(estimates::table)
        .values((
            estimates::budget_line_id.eq(budget_line_id),
            estimates::amount_units.eq(money_to_units(&amount)?),
            estimates::note.eq(&note),
            estimates::entered_by.eq(&actor.name),
            estimates::entered_at.eq(clock::now()),
        ))
        .returning(estimates::id)
        .get_result(&mut **tx)?;
    let entered = estimates_of(tx, budget_line_id)?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("estimate {id} vanished")))?;
    audit::record(
        tx,
        &actor.name,
        "budget_line.estimate",
        "budget_line",
        budget_line_id,
        None::<&()>,
        Some(&entered),
    )?;
    super::thresholds::evaluate(tx, project.id, clock::now())?;
    Ok(entered)
}

type EstimateRow = (i64, i64, i64, Option<String>, String, NaiveDateTime);

/// A line's estimates, oldest first.
pub fn estimates_of(conn: &mut DbConnection, budget_line_id: i64) -> AppResult<Vec<Estimate>> {
    let line = crate::budgets::service::stored(conn, budget_line_id)?;
    let currency = line.amount.currency();
    let rows: Vec<EstimateRow> = estimates::table
        .filter(estimates::budget_line_id.eq(budget_line_id))
        .order(estimates::id)
        .select((
            estimates::id,
            estimates::budget_line_id,
            estimates::amount_units,
            estimates::note,
            estimates::entered_by,
            estimates::entered_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, line, units, note, entered_by, entered_at)| {
            Ok(Estimate {
                id,
                budget_line_id: line,
                estimate_to_complete: money_from_units(units, currency)?.amount().to_string(),
                note,
                entered_by,
                entered_at: entered_at.and_utc(),
            })
        })
        .collect()
}

/// Parses percent complete: 0 to 100, at most 4 decimals.
pub fn percent_complete(value: Decimal) -> Result<Decimal, String> {
    if value.is_sign_negative() && !value.is_zero() || value > Decimal::ONE_HUNDRED {
        return Err(format!("{value} is not between 0 and 100"));
    }
    if value.normalize().scale() > 4 {
        return Err(format!("{value} has more than 4 decimals"));
    }
    Ok(value.normalize())
}

/// Progress as sent.
#[derive(Debug, Clone)]
pub struct NewProgress {
    pub budget_line_id: Option<i64>,
    pub month: String,
    pub percent_complete: Decimal,
    pub note: Option<String>,
}

/// Records progress for a project (or one of its lines) at the end of a month.
pub fn enter_progress(
    tx: &mut Tx<'_>,
    actor: &Actor,
    project_id: i64,
    input: NewProgress,
) -> AppResult<Progress> {
    let project = crate::projects::service::get_writable(tx, project_id)?;
    check_project_pm(actor, &project)?;
    let mut v = Validator::new();
    let month = v.check("month", parse_month(input.month.trim()));
    let percent = v.check("percent_complete", percent_complete(input.percent_complete));
    let note = v.check("note", optional_text(input.note.as_deref(), 2_000));
    if let Some(line) = input.budget_line_id {
        match crate::budgets::repo::owner_and_currency(tx, line)? {
            Some((owner, _)) if owner == project_id => {}
            _ => v.fail(
                "budget_line_id",
                format!(
                    "budget line {line} is not one of project {}'s",
                    project.code
                ),
            ),
        }
    }
    v.finish()?;
    let (Some(month), Some(percent), Some(note)) = (month, percent, note) else {
        return Err(AppError::invalid("month", "is required"));
    };
    let id: i64 = diesel::insert_into(progress::table)
        .values((
            progress::project_id.eq(project_id),
            progress::budget_line_id.eq(input.budget_line_id),
            progress::month.eq(&month),
            progress::percent_complete.eq(decimal_to_text(percent)),
            progress::note.eq(&note),
            progress::entered_by.eq(&actor.name),
            progress::entered_at.eq(clock::now()),
        ))
        .returning(progress::id)
        .get_result(&mut **tx)?;
    let entered = progress_of(tx, project_id)?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("progress {id} vanished")))?;
    audit::record(
        tx,
        &actor.name,
        "project.progress",
        "project",
        project_id,
        None::<&()>,
        Some(&entered),
    )?;
    Ok(entered)
}

type ProgressRow = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    Option<String>,
    String,
    NaiveDateTime,
);

/// A project's progress entries, oldest first.
pub fn progress_of(conn: &mut DbConnection, project_id: i64) -> AppResult<Vec<Progress>> {
    crate::projects::service::get(conn, project_id)?;
    let rows: Vec<ProgressRow> = progress::table
        .filter(progress::project_id.eq(project_id))
        .order(progress::id)
        .select((
            progress::id,
            progress::project_id,
            progress::budget_line_id,
            progress::month,
            progress::percent_complete,
            progress::note,
            progress::entered_by,
            progress::entered_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, project_id, budget_line_id, month, percent, note, entered_by, entered_at)| {
                let percent = decimal_from_text(&percent)
                    .map_err(|_| AppError::internal(anyhow::anyhow!("corrupt progress {id}")))?;
                Ok(Progress {
                    id,
                    project_id,
                    budget_line_id,
                    month,
                    percent_complete: percent.to_string(),
                    note,
                    entered_by,
                    entered_at: entered_at.and_utc(),
                })
            },
        )
        .collect()
}
