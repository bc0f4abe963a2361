//! Budget change request use cases: propose, approve (applying the change), reject, list.
//! Every change runs in the caller's transaction and writes its audit row.

use super::repo::{self, NewRequest, StoredRequest};
use super::{BudgetChangeRequest, ChangeRequestStatus};
use crate::audit;
use crate::auth::Actor;
use crate::budgets::service as lines;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::validate::{optional_text, required_text, Validator};
use rust_decimal::Decimal;

/// A change as proposed.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub reason: String,
    pub amount: Option<Decimal>,
    pub months: Option<Vec<(String, Decimal)>>,
}

/// Proposes a change to line `line_id`; the budget stays as it is until approval.
pub fn propose(
    tx: &mut Tx<'_>,
    actor: &Actor,
    line_id: i64,
    proposal: Proposal,
) -> AppResult<BudgetChangeRequest> {
    let reason = required_text(&proposal.reason, 2_000)
        .map_err(|message| AppError::invalid("reason", message))?;
    let (before, amount, phasing) =
        lines::rephased(tx, line_id, proposal.amount, proposal.months.as_deref())?;
    if amount == before.amount && phasing == before.phasing {
        return Err(AppError::invalid(
            "amount",
            "the proposal is the line's current amount and phasing: nothing would change",
        ));
    }
    let id = repo::insert(
        tx,
        &NewRequest {
            budget_line_id: line_id,
            base_version: before.line.version,
            base_amount: before.amount,
            base_phasing: &before.phasing,
            amount,
            phasing: &phasing,
            reason: &reason,
            proposed_by: &actor.name,
            proposed_by_token: actor.token_id,
        },
        clock::now(),
    )?;
    let request = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "budget_change_request.propose",
        "budget_change_request",
        id,
        None::<&()>,
        Some(&request),
    )?;
    Ok(request)
}

fn stored(conn: &mut DbConnection, id: i64) -> AppResult<StoredRequest> {
    repo::find(conn, id)?.ok_or_else(|| AppError::not_found("budget change request", id))
}

fn still_proposed(request: &StoredRequest, action: &str) -> AppResult<()> {
    if request.request.status == ChangeRequestStatus::Proposed {
        return Ok(());
    }
    Err(AppError::conflict(
        "invalid_transition",
        format!(
            "budget change request {} is {}: `{action}` is not allowed (allowed: none)",
            request.request.id,
            request.request.status.as_str()
        ),
    )
    .with_context(serde_json::json!({
        "status": request.request.status,
        "allowed_actions": [],
    })))
}

fn not_the_proposer(actor: &Actor, request: &StoredRequest) -> AppResult<()> {
    if actor.token_id == request.proposed_by_token || actor.name == request.request.proposed_by {
        return Err(AppError::segregation_of_duties(format!(
            "{} proposed budget change request {}; someone else must decide it",
            request.request.proposed_by, request.request.id
        )));
    }
    Ok(())
}

/// Approves a proposed change and applies it to its line (which must not have changed since).
pub fn approve(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    comment: Option<String>,
) -> AppResult<BudgetChangeRequest> {
    let before = stored(tx, id)?;
    still_proposed(&before, "approve")?;
    not_the_proposer(actor, &before)?;
    let comment = optional_text(comment.as_deref(), 2_000)
        .map_err(|message| AppError::invalid("reason", message))?;
    lines::apply_change(
        tx,
        actor,
        before.request.budget_line_id,
        before.request.base_version,
        before.amount,
        &before.phasing,
        id,
    )?;
    decide(tx, actor, before, ChangeRequestStatus::Approved, comment)
}

/// Rejects a proposed change, with a reason; the budget is unchanged.
pub fn reject(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    reason: String,
) -> AppResult<BudgetChangeRequest> {
    let mut v = Validator::new();
    let reason = v.check("reason", required_text(&reason, 2_000));
    v.finish()?;
    let before = stored(tx, id)?;
    still_proposed(&before, "reject")?;
    not_the_proposer(actor, &before)?;
    decide(tx, actor, before, ChangeRequestStatus::Rejected, reason)
}

fn decide(
    tx: &mut Tx<'_>,
    actor: &Actor,
    before: StoredRequest,
    status: ChangeRequestStatus,
    reason: Option<String>,
) -> AppResult<BudgetChangeRequest> {
    let id = before.request.id;
    if !repo::decide(
        tx,
        id,
        status,
        (&actor.name, actor.token_id),
        reason.as_deref(),
        clock::now(),
    )? {
        // Another transaction decided it first.
        still_proposed(&stored(tx, id)?, "decide")?;
        return Err(AppError::internal(anyhow::anyhow!(
            "change request {id} could not be decided"
        )));
    }
    let after = get(tx, id)?;
    let action = match status {
        ChangeRequestStatus::Approved => "budget_change_request.approve",
        _ => "budget_change_request.reject",
    };
    audit::record(
        tx,
        &actor.name,
        action,
        "budget_change_request",
        id,
        Some(&before.request),
        Some(&after),
    )?;
    Ok(after)
}

/// The request with this id, or 404.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<BudgetChangeRequest> {
    stored(conn, id).map(|s| s.request)
}

/// Every change request of a line, oldest first: the line's history.
pub fn of_line(conn: &mut DbConnection, line_id: i64) -> AppResult<Vec<BudgetChangeRequest>> {
    let line = lines::stored(conn, line_id)?;
    repo::of_line(conn, line_id, line.amount.currency())
}
