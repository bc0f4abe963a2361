//! Budget line use cases. Every change runs inside the caller's transaction and writes its
//! audit row.

use super::model::{
    budget_amount, even_phasing, given_phasing, month_of, rephase, BudgetCategory, BudgetLine,
    Phasing,
};
use super::repo::{self, LineFilter, LineValues, StoredLine};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::http::responses::{Page, PageWindow};
use crate::money::Money;
use crate::projects::model::{months_between, Project};
use crate::projects::service as projects;
use crate::validate::{optional_text, required_text, Validator};
use rust_decimal::Decimal;

/// A new line as received: amounts are exact decimals, not yet tied to a currency.
#[derive(Debug, Clone)]
pub struct NewLine {
    pub project_id: i64,
    pub category: BudgetCategory,
    pub cost_center: String,
    pub description: Option<String>,
    pub amount: Decimal,
    pub months: Option<Vec<(String, Decimal)>>,
}

/// Requested changes; `None` leaves a field, `Some(None)` clears the description.
#[derive(Debug, Clone, Default)]
pub struct LineChanges {
    pub category: Option<BudgetCategory>,
    pub cost_center: Option<String>,
    pub description: Option<Option<String>>,
    pub amount: Option<Decimal>,
    pub months: Option<Vec<(String, Decimal)>>,
}

/// Creates a budget line in its project's currency.
pub fn create(tx: &mut Tx<'_>, actor: &Actor, input: NewLine) -> AppResult<BudgetLine> {
    let project = match projects::get_writable(tx, input.project_id) {
        Err(error) if error.code() == "not_found" => {
            return Err(AppError::invalid(
                "project_id",
                format!("project {} does not exist", input.project_id),
            ))
        }
        other => other?,
    };
    let mut v = Validator::new();
    let cost_center = v.check("cost_center", required_text(&input.cost_center, 64));
    let description = v.check(
        "description",
        optional_text(input.description.as_deref(), 500),
    );
    let amount = v.check("amount", budget_amount(input.amount, project.currency()?));
    v.finish()?;
    let (cost_center, description) = (cost_center.unwrap_or_default(), description.flatten());
    let amount = amount.ok_or_else(|| AppError::invalid("amount", "is required"))?;
    let phasing = match &input.months {
        Some(months) => given_phasing(amount, months, project_bounds(&project))?,
        None => even_phasing(amount, &project_months(&project)?)?,
    };
    ensure_key_free(tx, project.id, input.category, &cost_center, None)?;
    let values = LineValues {
        category: input.category,
        cost_center: &cost_center,
        description: description.as_deref(),
        amount,
    };
    let id = repo::insert(tx, project.id, &values, &phasing, clock::now())?;
    let line = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "budget_line.create",
        "budget_line",
        id,
        None::<&()>,
        Some(&line),
    )?;
    crate::ledger::thresholds::evaluate(tx, line.project_id, clock::now())?;
    Ok(line)
}

/// Applies `changes` to line `id` if it is still at `expected_version`.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    changes: LineChanges,
) -> AppResult<BudgetLine> {
    let before = stored(tx, id)?;
    let project = projects::get_writable(tx, before.line.project_id)?;
    crate::lifecycle::check_version("budget line", id, before.line.version, expected_version)?;
    if changes.amount.is_some() || changes.months.is_some() {
        return Err(AppError::conflict(
            "change_request_required",
            format!(
                "a budget line's amount and phasing change only by an approved change request: \
                 POST /api/v1/budget-lines/{id}/change-requests"
            ),
        )
        .with_context(serde_json::json!({ "budget_line_id": id })));
    }
    let mut v = Validator::new();
    let cost_center = match &changes.cost_center {
        Some(text) => v.check("cost_center", required_text(text, 64)),
        None => Some(before.line.cost_center.clone()),
    };
    let description = match &changes.description {
        Some(text) => v
            .check("description", optional_text(text.as_deref(), 500))
            .flatten(),
        None => before.line.description.clone(),
    };
    v.finish()?;
    let cost_center = cost_center.unwrap_or_default();
    let (amount, phasing) = (before.amount, before.phasing.clone());
    let category = changes.category.unwrap_or(before.line.category);
    ensure_key_free(tx, project.id, category, &cost_center, Some(id))?;
    let values = LineValues {
        category,
        cost_center: &cost_center,
        description: description.as_deref(),
        amount,
    };
    if !repo::update(tx, id, expected_version, &values, &phasing, clock::now())? {
        let current = stored(tx, id)?;
        return Err(AppError::version_conflict(
            "budget line",
            id,
            expected_version,
            current.line.version,
        ));
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "budget_line.update",
        "budget_line",
        id,
        Some(&before.line),
        Some(&after),
    )?;
    crate::ledger::thresholds::evaluate(tx, after.project_id, clock::now())?;
    Ok(after)
}

/// A new amount and/or phasing for a line, worked out and validated as for a new line: an
/// amount alone is re-spread over the current months in proportion; months must add up to the
/// (new or current) amount exactly. The line's project must be writable.
pub fn rephased(
    conn: &mut DbConnection,
    id: i64,
    amount: Option<Decimal>,
    months: Option<&[(String, Decimal)]>,
) -> AppResult<(StoredLine, Money, Phasing)> {
    let before = stored(conn, id)?;
    let project = projects::get_writable(conn, before.line.project_id)?;
    if amount.is_none() && months.is_none() {
        return Err(AppError::invalid(
            "amount",
            "give a new `amount`, new `months`, or both",
        ));
    }
    let amount = match amount {
        Some(amount) => budget_amount(amount, before.amount.currency())
            .map_err(|message| AppError::invalid("amount", message))?,
        None => before.amount,
    };
    let phasing = match months {
        Some(months) => given_phasing(amount, months, project_bounds(&project))?,
        None => rephase(amount, &before.phasing)?,
    };
    Ok((before, amount, phasing))
}

/// Writes an approved new amount and phasing over line `id` at `expected_version`, with its
/// audit row, then evaluates the project's thresholds; a 409 `stale_change_request` when the
/// line changed since.
pub fn apply_change(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    amount: Money,
    phasing: &Phasing,
    request_id: i64,
) -> AppResult<BudgetLine> {
    let before = stored(tx, id)?;
    projects::get_writable(tx, before.line.project_id)?;
    let values = LineValues {
        category: before.line.category,
        cost_center: &before.line.cost_center,
        description: before.line.description.as_deref(),
        amount,
    };
    if !repo::update(tx, id, expected_version, &values, phasing, clock::now())? {
        return Err(AppError::conflict(
            "stale_change_request",
            format!(
                "budget line {id} changed since change request {request_id} was made (version \
                 {expected_version}, now {}): reject it and propose the change again",
                before.line.version
            ),
        )
        .with_context(serde_json::json!({
            "budget_line_id": id,
            "request_version": expected_version,
            "current_version": before.line.version,
        })));
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "budget_line.change",
        "budget_line",
        id,
        Some(&before.line),
        Some(&after),
    )?;
    crate::ledger::thresholds::evaluate(tx, after.project_id, clock::now())?;
    Ok(after)
}

/// The line with this id, or 404.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<BudgetLine> {
    stored(conn, id).map(|s| s.line)
}

/// The line with this id as stored (amount and phasing as money), or 404.
pub fn stored(conn: &mut DbConnection, id: i64) -> AppResult<StoredLine> {
    repo::find(conn, id)?.ok_or_else(|| AppError::not_found("budget line", id))
}

/// A page of budget lines.
pub fn list(
    conn: &mut DbConnection,
    filter: &LineFilter,
    window: PageWindow,
) -> AppResult<Page<BudgetLine>> {
    let rows = repo::list(conn, filter, window.after, window.fetch())?;
    Ok(window.page(rows, |l| l.id, |l| l))
}

fn project_bounds(project: &Project) -> Option<(String, String)> {
    Some((month_of(project.start_date?), month_of(project.end_date?)))
}

fn project_months(project: &Project) -> AppResult<Vec<String>> {
    match (project.start_date, project.end_date) {
        (Some(start), Some(end)) => Ok(months_between(start, end)),
        _ => Err(AppError::invalid(
            "months",
            format!(
                "is required: project {} has no start and end date to spread the amount over",
                project.code
            ),
        )),
    }
}

fn ensure_key_free(
    conn: &mut DbConnection,
    project_id: i64,
    category: BudgetCategory,
    cost_center: &str,
    except: Option<i64>,
) -> AppResult<()> {
    match repo::id_by_key(conn, project_id, category, cost_center)? {
        Some(holder) if Some(holder) != except => Err(AppError::conflict(
            "duplicate_budget_line",
            format!(
                "project {project_id} already has a {} line for cost center {cost_center} (budget line {holder})",
                category.as_str()
            ),
        )
        .with_context(serde_json::json!({ "budget_line_id": holder }))),
        _ => Ok(()),
    }
}
