//! Revisions of approved purchase orders.
//!
//! Rules: a change to an approved (issued, partly or fully received) PO is a revision with a
//! reason, kept in the history with the PO as it was. Existing lines keep their budget line and
//! asset flag; their quantity never drops below what was received or invoiced, and their price
//! does not change once invoiced; a line with receipts or invoices cannot be removed. A revision
//! that does not raise the approved value applies at once; one that raises it waits for approval
//! (the bands of its new value, never by whoever revised it, with the budget check on its open
//! value), while the PO keeps running on its approved revision.

use super::approval::ApprovalPolicy;
use super::model::{PendingRevision, PoStatus, ProposedLine, PurchaseOrder, RevisionRecord};
use super::repo::{self, NewLine, NewRevision, RevisionRow, StoredPo};
use super::service::{prepare, refuse, stored, PoInput, PoLineInput};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::money::storage::{amount_from_units, decimal_from_text, money_to_units};
use crate::money::{Currency, Money};
use crate::validate::{optional_text, required_text, Validator};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;

/// A line of a revision as received: `id` names the existing line it changes.
#[derive(Debug, Clone)]
pub struct RevisedLineInput {
    pub id: Option<i64>,
    pub line: PoLineInput,
}

/// A revision as received: every line as it should be.
#[derive(Debug, Clone)]
pub struct RevisionInput {
    pub reason: String,
    pub notes: Option<String>,
    pub lines: Vec<RevisedLineInput>,
}

/// What a stored revision proposes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Proposal {
    notes: Option<String>,
    lines: Vec<ProposedLine>,
}

fn proposed(id: Option<i64>, line: &NewLine) -> ProposedLine {
    ProposedLine {
        id,
        description: line.description.clone(),
        quantity: line.quantity.normalize().to_string(),
        unit: line.unit.clone(),
        unit_price: line.unit_price.normalize().to_string(),
        tax_percent: line.tax_percent.normalize().to_string(),
        budget_line_id: line.budget_line_id,
        is_asset: line.is_asset,
        asset_category: line.asset_category.clone(),
        promised_date: line.promised_date,
        net_amount: line.net.amount().to_string(),
        tax_amount: line.tax.amount().to_string(),
        net_amount_budget: line.net_budget.amount().to_string(),
    }
}

fn to_new_line(line: &ProposedLine, currency: Currency, budget: Currency) -> AppResult<NewLine> {
    let d = |t: &str| decimal_from_text(t).map_err(AppError::internal);
    Ok(NewLine {
        description: line.description.clone(),
        quantity: d(&line.quantity)?,
        unit: line.unit.clone(),
        unit_price: d(&line.unit_price)?,
        tax_percent: d(&line.tax_percent)?,
        budget_line_id: line.budget_line_id,
        is_asset: line.is_asset,
        asset_category: line.asset_category.clone(),
        promised_date: line.promised_date,
        net: Money::new(d(&line.net_amount)?, currency)?,
        tax: Money::new(d(&line.tax_amount)?, currency)?,
        net_budget: Money::new(d(&line.net_amount_budget)?, budget)?,
    })
}

fn parse_proposal(row: &RevisionRow) -> AppResult<Proposal> {
    serde_json::from_str(&row.proposal).map_err(AppError::internal)
}

fn sum(lines: &[ProposedLine], field: fn(&ProposedLine) -> &str) -> AppResult<Decimal> {
    lines.iter().try_fold(Decimal::ZERO, |acc, l| {
        Ok(acc + decimal_from_text(field(l)).map_err(AppError::internal)?)
    })
}

/// The pending revision of a PO as shown.
pub fn pending_view(conn: &mut DbConnection, po: &StoredPo) -> AppResult<Option<PendingRevision>> {
    let Some(row) = repo::pending_revision(conn, po.view.id)? else {
        return Ok(None);
    };
    let proposal = parse_proposal(&row)?;
    let net_budget = sum(&proposal.lines, |l| &l.net_amount_budget)?;
    Ok(Some(PendingRevision {
        revision: row.revision,
        reason: row.reason.clone(),
        requested_by: row.changed_by.clone(),
        notes: proposal.notes.clone(),
        net_total: sum(&proposal.lines, |l| &l.net_amount)?.to_string(),
        tax_total: sum(&proposal.lines, |l| &l.tax_amount)?.to_string(),
        net_total_budget: net_budget.to_string(),
        approvals_required: po.view.approvals_required,
        lines: proposal.lines,
    }))
}

/// The revision history of a PO.
pub fn history(conn: &mut DbConnection, po_id: i64) -> AppResult<Vec<RevisionRecord>> {
    stored(conn, po_id)?;
    repo::revisions_of(conn, po_id)?
        .into_iter()
        .map(|row| {
            let proposal = parse_proposal(&row)?;
            Ok(RevisionRecord {
                revision: row.revision,
                status: row.status,
                reason: row.reason,
                changed_by: row.changed_by,
                changed_at: row.changed_at.and_utc(),
                before: serde_json::from_str(&row.snapshot).map_err(AppError::internal)?,
                lines: proposal.lines,
            })
        })
        .collect()
}

/// Revises an approved purchase order at `expected_version`.
pub fn revise(
    tx: &mut Tx<'_>,
    actor: &Actor,
    policy: &ApprovalPolicy,
    id: i64,
    expected_version: i64,
    input: RevisionInput,
) -> AppResult<PurchaseOrder> {
    let before = stored(tx, id)?;
    crate::projects::service::ensure_open(tx, before.view.project_id)?;
    crate::lifecycle::check_version("purchase order", id, before.view.version, expected_version)?;
    if !before.view.allowed_actions.iter().any(|a| a == "revise") {
        if before.view.pending_revision.is_some() {
            return Err(AppError::conflict(
                "revision_pending",
                format!(
                    "purchase order {} has a revision waiting for approval: approve or reject it first",
                    before.view.number
                ),
            ));
        }
        return Err(refuse(&before.view, "revise"));
    }
    let reason = required_text(&input.reason, 2_000).map_err(|m| AppError::invalid("reason", m))?;
    let notes =
        optional_text(input.notes.as_deref(), 5_000).map_err(|m| AppError::invalid("notes", m))?;
    let po_input = PoInput {
        vendor_id: before.view.vendor_id,
        project_id: before.view.project_id,
        contract_id: before.view.contract_id,
        currency: before.view.currency.clone(),
        order_date: before.view.order_date,
        notes: notes.clone(),
        lines: input.lines.iter().map(|l| l.line.clone()).collect(),
    };
    let (_, new_lines, _) = prepare(tx, actor, &po_input, None)?;
    let mut v = Validator::new();
    let mut seen = Vec::new();
    for (i, revised) in input.lines.iter().enumerate() {
        let Some(line_id) = revised.id else { continue };
        let at = |f: &str| format!("lines[{i}].{f}");
        let Some(current) = before.lines.iter().find(|l| l.id == line_id) else {
            v.fail(
                at("id"),
                format!("line {line_id} is not on {}", before.view.number),
            );
            continue;
        };
        if seen.contains(&line_id) {
            v.fail(at("id"), format!("line {line_id} appears twice"));
            continue;
        }
        seen.push(line_id);
        let new = &new_lines[i];
        if new.budget_line_id != current.budget_line_id {
            v.fail(
                at("budget_line_id"),
                "cannot change on an existing line: add a new line",
            );
        }
        if new.is_asset != current.is_asset || new.asset_category != current.asset_category {
            v.fail(
                at("is_asset"),
                "the asset flag and category cannot change on an existing line",
            );
        }
        let floor = current.received()?.max(current.invoiced()?);
        if new.quantity < floor {
            v.fail(
                at("quantity"),
                format!(
                    "{} is below the {floor} already received or invoiced",
                    new.quantity
                ),
            );
        }
        if current.invoiced()? > Decimal::ZERO && new.unit_price != current.unit_price()? {
            v.fail(
                at("unit_price"),
                "cannot change once the line has been invoiced",
            );
        }
    }
    for current in &before.lines {
        if !seen.contains(&current.id)
            && (current.received()? > Decimal::ZERO || current.invoiced()? > Decimal::ZERO)
        {
            v.fail(
                "lines",
                format!(
                    "line {} has receipts or invoices and cannot be removed",
                    current.line_no
                ),
            );
        }
    }
    v.finish()?;
    let lines: Vec<(Option<i64>, NewLine)> = input
        .lines
        .iter()
        .zip(new_lines)
        .map(|(r, l)| (r.id, l))
        .collect();
    let new_budget: i64 = lines
        .iter()
        .map(|(_, l)| money_to_units(&l.net_budget))
        .sum::<Result<i64, _>>()?;
    let approved = before.approved_net_budget_units;
    let proposal = Proposal {
        notes,
        lines: lines.iter().map(|(id, l)| proposed(*id, l)).collect(),
    };
    let now = clock::now();
    let revision = before.view.revision + 1;
    let raises = new_budget > approved;
    repo::insert_revision(
        tx,
        NewRevision {
            po_id: id,
            revision,
            status: if raises { "pending" } else { "applied" },
            snapshot: &serde_json::to_string(&before.view).map_err(AppError::internal)?,
            proposal: &serde_json::to_string(&proposal).map_err(AppError::internal)?,
            reason: &reason,
            changed_by: &actor.name,
            changed_by_token: actor.token_id,
        },
        now,
    )?;
    let change = super::repo::StatusChange {
        approvals_required: raises
            .then(|| i64::from(policy.band_for(amount_from_units(new_budget)).approvals)),
        ..Default::default()
    };
    if !repo::change_status(tx, id, expected_version, &change, now)? {
        return Err(AppError::version_conflict(
            "purchase order",
            id,
            expected_version,
            before.view.version,
        ));
    }
    if !raises {
        apply(
            tx,
            &before,
            revision,
            proposal.notes.as_deref(),
            &lines,
            now,
        )?;
        crate::ledger::thresholds::evaluate(tx, before.view.project_id, now)?;
    }
    let after = super::service::get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        if raises {
            "purchase_order.revise_pending"
        } else {
            "purchase_order.revise"
        },
        "purchase_order",
        id,
        Some(&before.view),
        Some(&after),
    )?;
    Ok(after)
}

fn apply(
    tx: &mut Tx<'_>,
    before: &StoredPo,
    revision: i64,
    notes: Option<&str>,
    lines: &[(Option<i64>, NewLine)],
    now: NaiveDateTime,
) -> AppResult<()> {
    repo::apply_revision(tx, before.view.id, revision, notes, lines, now)?;
    if matches!(
        before.status,
        PoStatus::PartiallyReceived | PoStatus::Received
    ) {
        let status = super::receipts::status_from_lines(&repo::lines_of(tx, before.view.id)?)?;
        repo::set_status(tx, before.view.id, status)?;
    }
    Ok(())
}

/// The pending revision's figures for the approval checks: its revision number, who revised,
/// its lines and the open budget amount per budget line (new value less what invoices already
/// released, which is in actuals).
pub struct PendingTarget {
    pub row: RevisionRow,
    pub lines: Vec<(Option<i64>, NewLine)>,
    pub net_budget: Money,
    pub net_total: Money,
    pub open_per_budget_line: Vec<(i64, i64)>,
}

/// Loads the pending revision of `po` as an approval target.
pub fn pending_target(conn: &mut DbConnection, po: &StoredPo) -> AppResult<Option<PendingTarget>> {
    let Some(row) = repo::pending_revision(conn, po.view.id)? else {
        return Ok(None);
    };
    let proposal = parse_proposal(&row)?;
    let mut lines = Vec::with_capacity(proposal.lines.len());
    let mut net_budget = Money::zero(po.budget_currency);
    let mut net_total = Money::zero(po.currency);
    let mut open: Vec<(i64, i64)> = Vec::new();
    for p in &proposal.lines {
        let line = to_new_line(p, po.currency, po.budget_currency)?;
        net_budget = net_budget.checked_add(&line.net_budget)?;
        net_total = net_total.checked_add(&line.net)?;
        let released =
            p.id.and_then(|id| po.lines.iter().find(|l| l.id == id))
                .map_or(0, |l| l.released_budget_units);
        let units = (money_to_units(&line.net_budget)? - released).max(0);
        match open.iter_mut().find(|(b, _)| *b == line.budget_line_id) {
            Some((_, u)) => *u += units,
            None => open.push((line.budget_line_id, units)),
        }
        lines.push((p.id, line));
    }
    Ok(Some(PendingTarget {
        row,
        lines,
        net_budget,
        net_total,
        open_per_budget_line: open,
    }))
}

/// Applies an approved pending revision.
pub fn apply_pending(
    tx: &mut Tx<'_>,
    po: &StoredPo,
    target: &PendingTarget,
    now: NaiveDateTime,
) -> AppResult<()> {
    let proposal = parse_proposal(&target.row)?;
    apply(
        tx,
        po,
        target.row.revision,
        proposal.notes.as_deref(),
        &target.lines,
        now,
    )?;
    repo::decide_revision(tx, target.row.id, "applied", now)
}

/// Drops a pending revision (the PO stays as approved).
pub fn reject_pending(
    tx: &mut Tx<'_>,
    target: &PendingTarget,
    now: NaiveDateTime,
) -> AppResult<()> {
    repo::decide_revision(tx, target.row.id, "rejected", now)
}
