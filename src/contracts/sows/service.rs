//! SOW use cases: add a SOW with milestones under a contract (within its ceiling), submit,
//! accept and reject milestones. Changes run in the caller's transaction with audit rows.

use super::model::{Milestone, MilestoneStatus, Sow};
use super::repo::{self, MilestoneChange, NewMilestone, NewSow};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::contracts::model::{Contract, ContractStatus};
use crate::contracts::service::with_status_on;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::money::storage::money_from_units;
use crate::money::{parse_decimal, Currency, Money};
use crate::validate::{optional_text, required_text, Validator};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A milestone as received.
#[derive(Debug, Clone)]
pub struct MilestoneInput {
    pub name: String,
    pub amount: Decimal,
    pub due_date: NaiveDate,
    pub acceptance_criteria: String,
}

/// A SOW as received.
#[derive(Debug, Clone)]
pub struct SowInput {
    pub project_id: i64,
    pub title: String,
    pub scope: Option<String>,
    pub deliverables: Vec<String>,
    pub value: Decimal,
    pub milestones: Vec<MilestoneInput>,
}

fn contract(conn: &mut DbConnection, id: i64, today: NaiveDate) -> AppResult<Contract> {
    let stored = crate::contracts::repo::find(conn, id)?
        .ok_or_else(|| AppError::not_found("contract", id))?;
    with_status_on(stored, today)
}

fn currency_of(contract: &Contract) -> AppResult<Currency> {
    Currency::parse(&contract.currency).map_err(AppError::internal)
}

fn positive(amount: Decimal, currency: Currency, allow_zero: bool) -> Result<Money, String> {
    let money = Money::new(amount, currency).map_err(|e| e.to_string())?;
    if money.amount().is_sign_negative() || (!allow_zero && money.is_zero()) {
        return Err(format!(
            "{} must be {}",
            money.amount(),
            if allow_zero {
                "zero or more"
            } else {
                "more than zero"
            }
        ));
    }
    Ok(money)
}

/// Checks milestones as sent, recording every bad field in `v`; returns the good ones.
fn new_milestones(
    v: &mut Validator,
    currency: Currency,
    input: &[MilestoneInput],
) -> Vec<NewMilestone> {
    let mut milestones = Vec::new();
    for (i, m) in input.iter().enumerate() {
        let name = v.check(format!("milestones[{i}].name"), required_text(&m.name, 200));
        let amount = v.check(
            format!("milestones[{i}].amount"),
            positive(m.amount, currency, false),
        );
        let criteria = v.check(
            format!("milestones[{i}].acceptance_criteria"),
            required_text(&m.acceptance_criteria, 2_000),
        );
        if let (Some(name), Some(amount), Some(acceptance_criteria)) = (name, amount, criteria) {
            milestones.push(NewMilestone {
                name,
                amount,
                due_date: m.due_date,
                acceptance_criteria,
            });
        }
    }
    milestones
}

/// Adds a SOW to a draft or active contract, refusing milestones beyond its value and SOWs
/// beyond the contract's ceiling.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Actor,
    contract_id: i64,
    input: SowInput,
    today: NaiveDate,
) -> AppResult<Sow> {
    crate::projects::service::ensure_open(tx, input.project_id)?;
    let contract = contract(tx, contract_id, today)?;
    if !matches!(
        contract.status,
        ContractStatus::Draft | ContractStatus::Active
    ) {
        return Err(contract.refuse("add a statement of work to"));
    }
    let currency = currency_of(&contract)?;
    let mut v = Validator::new();
    if !contract.project_ids.contains(&input.project_id) {
        v.fail(
            "project_id",
            format!(
                "project {} is not one of contract {}'s projects",
                input.project_id, contract.number
            ),
        );
    }
    let title = v.check("title", required_text(&input.title, 200));
    let scope = v
        .check("scope", optional_text(input.scope.as_deref(), 10_000))
        .flatten();
    let mut deliverables = Vec::new();
    for (i, text) in input.deliverables.iter().enumerate() {
        if let Some(text) = v.check(format!("deliverables[{i}]"), required_text(text, 500)) {
            deliverables.push(text);
        }
    }
    let value = v.check("value", positive(input.value, currency, true));
    if input.milestones.len() > 100 {
        v.fail("milestones", "at most 100 milestones");
    }
    let milestones = new_milestones(&mut v, currency, &input.milestones);
    v.finish()?;
    let value = value.ok_or_else(|| AppError::invalid("value", "is required"))?;
    let milestones_total: i128 = milestones.iter().map(|m| m.amount.minor_units()).sum();
    if milestones_total > value.minor_units() {
        let total = Money::from_minor_units(milestones_total, currency)?;
        return Err(AppError::conflict(
            "milestones_exceed_sow",
            format!(
                "the milestones add up to {} but the SOW is worth {}",
                total, value
            ),
        )
        .with_context(serde_json::json!({
            "sow_value": value.amount().to_string(),
            "milestones_total": total.amount().to_string(),
            "over_by": total.checked_sub(&value)?.amount().to_string(),
        })));
    }
    let ceiling = Money::new(
        parse_decimal(&contract.ceiling).map_err(AppError::internal)?,
        currency,
    )?;
    let mut other_sows = Money::zero(currency);
    for units in repo::values_of_contract(tx, contract_id)? {
        other_sows = other_sows.checked_add(&money_from_units(units, currency)?)?;
    }
    let committed = other_sows.checked_add(&value)?;
    if committed.amount() > ceiling.amount() {
        return Err(AppError::conflict(
            "sows_exceed_ceiling",
            format!(
                "contract {} has a ceiling of {}; its other SOWs take {} and this one {}, {} over",
                contract.number,
                ceiling,
                other_sows,
                value,
                committed.checked_sub(&ceiling)?
            ),
        )
        .with_context(serde_json::json!({
            "ceiling": ceiling.amount().to_string(),
            "other_sows": other_sows.amount().to_string(),
            "this_sow": value.amount().to_string(),
            "over_by": committed.checked_sub(&ceiling)?.amount().to_string(),
        })));
    }
    let sow = NewSow {
        project_id: input.project_id,
        title: title.unwrap_or_default(),
        scope,
        deliverables,
        value,
        milestones,
    };
    let id = repo::insert(tx, contract_id, &sow, clock::now())?;
    let created = repo::of_contract(tx, contract_id, currency)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("SOW {id} vanished")))?;
    audit::record(
        tx,
        &actor.name,
        "sow.create",
        "sow",
        id,
        None::<&()>,
        Some(&created),
    )?;
    Ok(created)
}

/// Adds milestones to a SOW of a draft or active contract; all of its milestones together never
/// add up to more than the SOW (409 `milestones_exceed_sow` with the figures).
pub fn add_milestones(
    tx: &mut Tx<'_>,
    actor: &Actor,
    sow_id: i64,
    input: Vec<MilestoneInput>,
    today: NaiveDate,
) -> AppResult<Sow> {
    let contract_id =
        repo::contract_of_sow(tx, sow_id)?.ok_or_else(|| AppError::not_found("SOW", sow_id))?;
    if let Some(project_id) = repo::project_of_sow(tx, sow_id)? {
        crate::projects::service::ensure_open(tx, project_id)?;
    }
    let contract = contract(tx, contract_id, today)?;
    if !matches!(
        contract.status,
        ContractStatus::Draft | ContractStatus::Active
    ) {
        return Err(contract.refuse("add milestones to a statement of work of"));
    }
    let currency = currency_of(&contract)?;
    let find = |tx: &mut Tx<'_>| -> AppResult<Sow> {
        repo::of_contract(tx, contract_id, currency)?
            .into_iter()
            .find(|s| s.id == sow_id)
            .ok_or_else(|| AppError::not_found("SOW", sow_id))
    };
    let before = find(tx)?;
    let mut v = Validator::new();
    if input.is_empty() || input.len() + before.milestones.len() > 100 {
        v.fail("milestones", "give 1 to 100 milestones in all");
    }
    let added = new_milestones(&mut v, currency, &input);
    v.finish()?;
    let value = Money::new(
        parse_decimal(&before.value).map_err(AppError::internal)?,
        currency,
    )?;
    let existing = Money::new(
        parse_decimal(&before.milestones_total).map_err(AppError::internal)?,
        currency,
    )?;
    let mut total = existing;
    for m in &added {
        total = total.checked_add(&m.amount)?;
    }
    if total.amount() > value.amount() {
        return Err(AppError::conflict(
            "milestones_exceed_sow",
            format!(
                "the milestones would add up to {total} (existing {existing}) but the SOW is worth {value}"
            ),
        )
        .with_context(serde_json::json!({
            "sow_value": value.amount().to_string(),
            "existing_milestones": existing.amount().to_string(),
            "milestones_total": total.amount().to_string(),
            "over_by": total.checked_sub(&value)?.amount().to_string(),
        })));
    }
    repo::insert_milestones(tx, sow_id, &added)?;
    repo::touch(tx, sow_id, clock::now())?;
    let after = find(tx)?;
    audit::record(
        tx,
        &actor.name,
        "sow.add_milestones",
        "sow",
        sow_id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// The SOWs of a contract.
pub fn list(conn: &mut DbConnection, contract_id: i64, today: NaiveDate) -> AppResult<Vec<Sow>> {
    let contract = contract(conn, contract_id, today)?;
    repo::of_contract(conn, contract_id, currency_of(&contract)?)
}

/// A milestone move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MilestoneStep {
    /// Delivered: submitted for acceptance (from pending or rejected).
    Submit,
    /// Accepted, with an optional comment.
    Accept { comment: Option<String> },
    /// Rejected, with a reason.
    Reject { reason: String },
}

fn milestone(conn: &mut DbConnection, id: i64) -> AppResult<Milestone> {
    let found = repo::find_milestone(conn, id, |conn, contract_id| {
        let contract = crate::contracts::repo::find(conn, contract_id)?
            .ok_or_else(|| AppError::not_found("contract", contract_id))?;
        currency_of(&contract)
    })?;
    found
        .map(|(m, _)| m)
        .ok_or_else(|| AppError::not_found("milestone", id))
}

/// Acceptance belongs to the project's PM: when the SOW's project names one (`pm_name`), a PM
/// token must carry that name (admins may always decide); a project without a named PM accepts
/// any PM.
fn check_project_pm(
    conn: &mut DbConnection,
    actor: &Actor,
    milestone: &Milestone,
) -> AppResult<()> {
    if actor.role != crate::auth::Role::Pm {
        return Ok(());
    }
    let Some(project_id) = repo::project_of_sow(conn, milestone.sow_id)? else {
        return Ok(());
    };
    let project = crate::projects::service::get(conn, project_id)?;
    if crate::projects::model::acts_as_pm(&project, actor.role, &actor.name) {
        return Ok(());
    }
    Err(AppError::forbidden(format!(
        "milestone {} is on project {}, whose PM is {}: only they (or an admin) accept or reject it",
        milestone.id,
        project.code,
        project.pm_name.as_deref().unwrap_or_default()
    )))
}

/// Moves a milestone at `expected_version`.
pub fn step(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    step: MilestoneStep,
) -> AppResult<Milestone> {
    let before = milestone(tx, id)?;
    if let Some(project_id) = repo::project_of_sow(tx, before.sow_id)? {
        crate::projects::service::ensure_open(tx, project_id)?;
    }
    crate::lifecycle::check_version("milestone", id, before.version, expected_version)?;
    let action = match step {
        MilestoneStep::Submit => "submit",
        MilestoneStep::Accept { .. } => "accept",
        MilestoneStep::Reject { .. } => "reject",
    };
    if !before.status.allowed_actions().contains(&action) {
        let allowed = before.status.allowed_actions();
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "milestone {id} is {}: `{action}` is not allowed (allowed: {})",
                before.status.as_str(),
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            ),
        )
        .with_context(serde_json::json!({ "status": before.status, "allowed_actions": allowed })));
    }
    if matches!(
        step,
        MilestoneStep::Accept { .. } | MilestoneStep::Reject { .. }
    ) {
        check_project_pm(tx, actor, &before)?;
    }
    let now = clock::now();
    let (status, comment) = match step {
        MilestoneStep::Submit => (MilestoneStatus::Submitted, None),
        MilestoneStep::Accept { comment } => (
            MilestoneStatus::Accepted,
            optional_text(comment.as_deref(), 2_000)
                .map_err(|m| AppError::invalid("comment", m))?,
        ),
        MilestoneStep::Reject { reason } => (
            MilestoneStatus::Rejected,
            Some(required_text(&reason, 2_000).map_err(|m| AppError::invalid("reason", m))?),
        ),
    };
    let change = match status {
        MilestoneStatus::Submitted => MilestoneChange {
            status,
            submitted_at: Some(now),
            decided_by: None,
            decided_at: None,
            decision_comment: None,
        },
        _ => MilestoneChange {
            status,
            submitted_at: before.submitted_at.map(|t| t.naive_utc()),
            decided_by: Some(&actor.name),
            decided_at: Some(now),
            decision_comment: comment.as_deref(),
        },
    };
    if !repo::update_milestone(tx, id, expected_version, &change)? {
        return Err(AppError::conflict(
            "version_conflict",
            format!("milestone {id} changed while it was being updated"),
        ));
    }
    let after = milestone(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        &format!("milestone.{action}"),
        "milestone",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}
