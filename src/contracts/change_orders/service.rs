//! Change order use cases: propose, approve (applying it to the contract), reject, list, and
//! the contract's baseline history. Changes run in the caller's transaction with audit rows.

use super::model::{Baseline, BaselineChange, BaselinePoint, ChangeOrder, ChangeOrderStatus};
use super::repo::{self, Decision, NewOrder, StoredOrder};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::contracts::model::{to_rules, Contract, ContractStatus};
use crate::contracts::service::with_status_on;
use crate::contracts::terms;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::money::storage::{money_from_units, money_to_units};
use crate::money::{Currency, Money};
use crate::validate::{optional_text, required_text, Validator};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A change as proposed: any of a new ceiling, initial term or scope.
#[derive(Debug, Clone, Default)]
pub struct Proposal {
    pub reason: String,
    pub ceiling: Option<Decimal>,
    pub initial_term_months: Option<u32>,
    pub scope: Option<String>,
}

fn contract(conn: &mut DbConnection, id: i64, today: NaiveDate) -> AppResult<Contract> {
    let stored = crate::contracts::repo::find(conn, id)?
        .ok_or_else(|| AppError::not_found("contract", id))?;
    with_status_on(stored, today)
}

fn currency_of(contract: &Contract) -> AppResult<Currency> {
    Currency::parse(&contract.currency).map_err(AppError::internal)
}

fn small(value: u32) -> i32 {
    // Validation keeps terms at 600 months or fewer.
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Proposes a change to an active contract.
pub fn propose(
    tx: &mut Tx<'_>,
    actor: &Actor,
    contract_id: i64,
    proposal: Proposal,
    today: NaiveDate,
) -> AppResult<ChangeOrder> {
    let contract = contract(tx, contract_id, today)?;
    if contract.status != ContractStatus::Active {
        return Err(contract.refuse("propose a change order"));
    }
    let currency = currency_of(&contract)?;
    let mut v = Validator::new();
    let reason = v.check("reason", required_text(&proposal.reason, 2_000));
    let ceiling = proposal.ceiling.and_then(|amount| {
        v.check(
            "ceiling",
            Money::new(amount, currency)
                .map_err(|e| e.to_string())
                .and_then(|m| {
                    if m.amount().is_sign_negative() && !m.is_zero() {
                        Err("must not be negative".to_string())
                    } else {
                        Ok(m)
                    }
                }),
        )
    });
    if let Some(months) = proposal.initial_term_months {
        if !(1..=600).contains(&months) {
            v.fail("initial_term_months", "must be 1 to 600 months");
        }
    }
    let scope = match &proposal.scope {
        Some(text) => v
            .check("scope", optional_text(Some(text), 10_000))
            .flatten(),
        None => None,
    };
    if proposal.ceiling.is_none() && proposal.initial_term_months.is_none() && scope.is_none() {
        v.fail(
            "changes",
            "propose at least one of `ceiling`, `initial_term_months` and `scope`",
        );
    }
    v.finish()?;
    let reason = reason.unwrap_or_default();
    let id = repo::insert(
        tx,
        &NewOrder {
            contract_id,
            reason: &reason,
            new_ceiling_units: ceiling.as_ref().map(money_to_units).transpose()?,
            new_initial_term_months: proposal.initial_term_months.map(small),
            new_scope: scope.as_deref(),
            proposed_by: &actor.name,
        },
        clock::now(),
    )?;
    let order = stored(tx, id)?.order;
    audit::record(
        tx,
        &actor.name,
        "change_order.propose",
        "change_order",
        id,
        None::<&()>,
        Some(&order),
    )?;
    Ok(order)
}

fn stored(conn: &mut DbConnection, id: i64) -> AppResult<StoredOrder> {
    repo::find(conn, id)?.ok_or_else(|| AppError::not_found("change order", id))
}

fn proposed(order: &StoredOrder, expected_version: i64, action: &str) -> AppResult<()> {
    crate::lifecycle::check_version(
        "change order",
        order.order.id,
        order.order.version,
        expected_version,
    )?;
    if order.order.status != ChangeOrderStatus::Proposed {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "change order {} is {}: `{action}` is not allowed (allowed: none)",
                order.order.id,
                order.order.status.as_str()
            ),
        )
        .with_context(serde_json::json!({ "status": order.order.status, "allowed_actions": [] })));
    }
    Ok(())
}

/// Approves a proposed change order and applies it to its (still active) contract. The
/// proposer cannot approve their own change.
pub fn approve(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    reason: Option<String>,
    today: NaiveDate,
) -> AppResult<ChangeOrder> {
    let order = stored(tx, id)?;
    proposed(&order, expected_version, "approve")?;
    if order.order.proposed_by == actor.name {
        return Err(AppError::segregation_of_duties(format!(
            "change order {id} was proposed by {}; someone else must approve it",
            actor.name
        )));
    }
    let before = contract(tx, order.order.contract_id, today)?;
    if before.status != ContractStatus::Active {
        return Err(before.refuse("approve a change order on"));
    }
    let reason =
        optional_text(reason.as_deref(), 2_000).map_err(|m| AppError::invalid("reason", m))?;
    let currency = currency_of(&before)?;
    let ceiling_now = money_to_units(&Money::new(parse(&before.ceiling)?, currency)?)?;
    let changes = &order.order.changes;
    let decision = Decision {
        status: ChangeOrderStatus::Approved,
        decided_by: &actor.name,
        reason: reason.as_deref(),
        before_ceiling_units: order.new_ceiling_units.map(|_| ceiling_now),
        before_initial_term_months: changes
            .initial_term_months
            .map(|_| small(before.initial_term_months)),
        before_scope: changes.scope.as_ref().map(|_| before.scope.clone()),
    };
    let now = clock::now();
    if !repo::decide(tx, id, expected_version, &decision, now)? {
        return Err(AppError::conflict(
            "version_conflict",
            format!("change order {id} changed while it was being approved"),
        ));
    }
    let applied = repo::apply_to_contract(
        tx,
        before.id,
        before.version,
        order.new_ceiling_units.unwrap_or(ceiling_now),
        small(
            changes
                .initial_term_months
                .unwrap_or(before.initial_term_months),
        ),
        changes.scope.as_deref().or(before.scope.as_deref()),
        now,
    )?;
    if !applied {
        return Err(AppError::conflict(
            "version_conflict",
            format!(
                "contract {} changed while the change order was approved",
                before.number
            ),
        ));
    }
    let after = contract(tx, before.id, today)?;
    audit::record(
        tx,
        &actor.name,
        "contract.change",
        "contract",
        before.id,
        Some(&before),
        Some(&after),
    )?;
    let decided = stored(tx, id)?.order;
    audit::record(
        tx,
        &actor.name,
        "change_order.approve",
        "change_order",
        id,
        Some(&order.order),
        Some(&decided),
    )?;
    Ok(decided)
}

/// Rejects a proposed change order, with a reason.
pub fn reject(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    reason: &str,
) -> AppResult<ChangeOrder> {
    let order = stored(tx, id)?;
    proposed(&order, expected_version, "reject")?;
    let reason = required_text(reason, 2_000).map_err(|m| AppError::invalid("reason", m))?;
    let decision = Decision {
        status: ChangeOrderStatus::Rejected,
        decided_by: &actor.name,
        reason: Some(&reason),
        before_ceiling_units: None,
        before_initial_term_months: None,
        before_scope: None,
    };
    if !repo::decide(tx, id, expected_version, &decision, clock::now())? {
        return Err(AppError::conflict(
            "version_conflict",
            format!("change order {id} changed while it was being rejected"),
        ));
    }
    let decided = stored(tx, id)?.order;
    audit::record(
        tx,
        &actor.name,
        "change_order.reject",
        "change_order",
        id,
        Some(&order.order),
        Some(&decided),
    )?;
    Ok(decided)
}

/// The change orders of a contract, by sequence.
pub fn list(
    conn: &mut DbConnection,
    contract_id: i64,
    today: NaiveDate,
) -> AppResult<Vec<ChangeOrder>> {
    let contract = contract(conn, contract_id, today)?;
    Ok(
        repo::of_contract(conn, contract_id, currency_of(&contract)?)?
            .into_iter()
            .map(|s| s.order)
            .collect(),
    )
}

fn parse(text: &str) -> AppResult<Decimal> {
    crate::money::parse_decimal(text).map_err(AppError::internal)
}

/// The contract's baseline: as signed, after each approved change order, and now. Walking the
/// approved changes back from the current figures gives the original exactly.
pub fn baseline(
    conn: &mut DbConnection,
    contract_id: i64,
    today: NaiveDate,
) -> AppResult<Baseline> {
    let contract = contract(conn, contract_id, today)?;
    let currency = currency_of(&contract)?;
    let approved: Vec<StoredOrder> = repo::of_contract(conn, contract_id, currency)?
        .into_iter()
        .filter(|s| s.order.status == ChangeOrderStatus::Approved)
        .collect();
    let current_ceiling = money_to_units(&Money::new(parse(&contract.ceiling)?, currency)?)?;
    // Undo the approved changes, newest first, to reach the figures as signed.
    let (mut ceiling, mut term, mut scope) = (
        current_ceiling,
        contract.initial_term_months,
        contract.scope.clone(),
    );
    for order in approved.iter().rev() {
        if let Some(before) = order.before_ceiling_units {
            ceiling = before;
        }
        if let Some(replaced) = &order.order.replaced {
            if let Some(months) = replaced.initial_term_months {
                term = months;
            }
            if order.order.changes.scope.is_some() {
                scope = replaced.scope.clone();
            }
        }
    }
    let point = |ceiling: i64, term: u32, scope: Option<String>| -> AppResult<BaselinePoint> {
        let rules = to_rules(contract.start_date, term, contract.renewal, contract.notice);
        Ok(BaselinePoint {
            ceiling: money_from_units(ceiling, currency)?.amount().to_string(),
            initial_term_months: term,
            initial_term_end: terms::term(&rules, 0).map_err(AppError::internal)?.end,
            scope,
        })
    };
    let original = point(ceiling, term, scope.clone())?;
    let mut changes = Vec::with_capacity(approved.len());
    for order in &approved {
        if let Some(units) = order.new_ceiling_units {
            ceiling = units;
        }
        if let Some(months) = order.order.changes.initial_term_months {
            term = months;
        }
        if let Some(new_scope) = &order.order.changes.scope {
            scope = Some(new_scope.clone());
        }
        changes.push(BaselineChange {
            change_order_id: order.order.id,
            sequence: order.order.sequence,
            reason: order.order.reason.clone(),
            approved_by: order.order.decided_by.clone().unwrap_or_default(),
            approved_at: order.order.decided_at.unwrap_or(order.order.proposed_at),
            figures: point(ceiling, term, scope.clone())?,
        });
    }
    Ok(Baseline {
        contract_id,
        currency: contract.currency.clone(),
        original,
        changes,
        current: point(
            current_ceiling,
            contract.initial_term_months,
            contract.scope.clone(),
        )?,
    })
}
