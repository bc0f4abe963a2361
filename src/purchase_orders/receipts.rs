//! Receipts and returns against issued purchase orders.
//!
//! Rules: a receipt records quantities per PO line, partial and repeated, up to the ordered
//! quantity plus the over-receipt tolerance (a percentage of the ordered quantity, 0 by
//! default); asset lines are received in whole units and each unit becomes a pending asset. A
//! return reverses one whole receipt (once), never below what has been invoiced, and disposes of
//! its still-pending assets. Whoever approved the PO may not receive against it unless the
//! organisation allows it. The PO's status follows its lines: every line received → `received`,
//! some → `partially_received`, none → `issued`.

use super::model::PoStatus;
use super::receipts_repo::{self as store, NewReceipt, ReceiptRow};
use super::repo::{self, LineRow};
use super::service::{refuse, stored};
use crate::assets::service::{self as assets, ReceivedUnits};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::config::PurchasingRules;
use crate::db::sequences::document_number;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::money::storage::decimal_from_text;
use crate::validate::{optional_text, required_text, Validator};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// A receipt line as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReceiptLine {
    /// The PO line.
    pub po_line_id: i64,
    /// Quantity received (negative on a return).
    pub quantity: String,
}

/// A receipt or return as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Receipt {
    /// The receipt's id.
    pub id: i64,
    /// Its human number (`GR-…` for receipts, `RT-…` for returns).
    pub number: String,
    /// The purchase order.
    pub po_id: i64,
    /// `receipt` or `return`.
    pub kind: String,
    /// The receipt a return reverses.
    pub reverses_receipt_id: Option<i64>,
    /// The return that reversed this receipt, if any.
    pub returned_by_receipt_id: Option<i64>,
    /// When the goods arrived (or left).
    pub received_on: NaiveDate,
    /// Who recorded it (token name).
    pub received_by: String,
    /// A note or the return's reason.
    pub note: Option<String>,
    /// Quantities per PO line.
    pub lines: Vec<ReceiptLine>,
    /// Tags of the assets it created.
    pub asset_tags: Vec<String>,
    /// When it was recorded (UTC).
    pub created_at: DateTime<Utc>,
}

/// A receipt as received.
#[derive(Debug, Clone)]
pub struct ReceiptInput {
    pub received_on: NaiveDate,
    pub note: Option<String>,
    pub lines: Vec<(i64, Decimal)>,
}

fn view(conn: &mut DbConnection, row: ReceiptRow) -> AppResult<Receipt> {
    let lines = store::lines_of(conn, row.id)?
        .into_iter()
        .map(|(po_line_id, quantity)| ReceiptLine {
            po_line_id,
            quantity,
        })
        .collect();
    let asset_tags = crate::assets::repo::of_receipt(conn, row.id)?
        .into_iter()
        .map(|(_, tag, _, _)| tag)
        .collect();
    let returned_by_receipt_id = store::reversal_of(conn, row.id)?;
    Ok(Receipt {
        id: row.id,
        number: row.number,
        po_id: row.po_id,
        kind: row.kind,
        reverses_receipt_id: row.reverses_receipt_id,
        returned_by_receipt_id,
        received_on: row.received_on,
        received_by: row.received_by,
        note: row.note,
        lines,
        asset_tags,
        created_at: row.created_at.and_utc(),
    })
}

/// Reads a receipt.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Receipt> {
    let row = store::find(conn, id)?.ok_or_else(|| AppError::not_found("receipt", id))?;
    view(conn, row)
}

/// A PO's receipts and returns, oldest first.
pub fn of_po(conn: &mut DbConnection, po_id: i64) -> AppResult<Vec<Receipt>> {
    stored(conn, po_id)?;
    store::of_po(conn, po_id)?
        .into_iter()
        .map(|row| view(conn, row))
        .collect()
}

pub(super) fn status_from_lines(lines: &[LineRow]) -> AppResult<PoStatus> {
    let mut all = true;
    let mut any = false;
    for line in lines {
        let received = line.received()?;
        if received > Decimal::ZERO {
            any = true;
        }
        if received < line.quantity()? {
            all = false;
        }
    }
    Ok(match (all, any) {
        (true, _) => PoStatus::Received,
        (false, true) => PoStatus::PartiallyReceived,
        (false, false) => PoStatus::Issued,
    })
}

fn check_receiver(
    conn: &mut DbConnection,
    actor: &Actor,
    rules: &PurchasingRules,
    po_id: i64,
    number: &str,
) -> AppResult<()> {
    if rules.approver_may_receive {
        return Ok(());
    }
    let approvers = repo::approvers_of(conn, po_id, None)?;
    if approvers
        .iter()
        .any(|(name, token)| *token == actor.token_id || *name == actor.name)
    {
        return Err(AppError::segregation_of_duties(format!(
            "{} approved purchase order {number} and may not receive against it",
            actor.name
        )));
    }
    Ok(())
}

/// Records a receipt against an issued purchase order.
pub fn receive(
    tx: &mut Tx<'_>,
    actor: &Actor,
    rules: &PurchasingRules,
    po_id: i64,
    input: ReceiptInput,
) -> AppResult<Receipt> {
    let now = clock::now();
    if !repo::lock_for_update(tx, po_id, now)? {
        return Err(AppError::not_found("purchase order", po_id));
    }
    let po = stored(tx, po_id)?;
    crate::projects::service::ensure_open(tx, po.view.project_id)?;
    if !po.status.allowed_actions().contains(&"receive") {
        return Err(refuse(&po.view, "receive"));
    }
    check_receiver(tx, actor, rules, po_id, &po.view.number)?;
    let mut v = Validator::new();
    let note = v
        .check("note", optional_text(input.note.as_deref(), 2_000))
        .flatten();
    if input.lines.is_empty() {
        v.fail("lines", "a receipt needs at least one line");
    }
    let mut accepted: Vec<(usize, Decimal)> = Vec::new();
    for (i, (po_line_id, quantity)) in input.lines.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let Some(index) = po.lines.iter().position(|l| l.id == *po_line_id) else {
            v.fail(
                at("po_line_id"),
                format!(
                    "line {po_line_id} is not on purchase order {}",
                    po.view.number
                ),
            );
            continue;
        };
        if accepted.iter().any(|(j, _)| *j == index) {
            v.fail(at("po_line_id"), format!("line {po_line_id} appears twice"));
            continue;
        }
        let line = &po.lines[index];
        if let Err(message) = super::service::quantity(*quantity) {
            v.fail(at("quantity"), message);
            continue;
        }
        if line.is_asset && quantity.fract() != Decimal::ZERO {
            v.fail(
                at("quantity"),
                format!("{quantity}: asset lines are received in whole units"),
            );
            continue;
        }
        accepted.push((index, *quantity));
    }
    v.finish()?;
    for (index, quantity) in &accepted {
        let line = &po.lines[*index];
        let ordered = line.quantity()?;
        let limit = ordered + ordered * rules.over_receipt_percent / Decimal::ONE_HUNDRED;
        let after = line.received()? + quantity;
        if after > limit {
            return Err(AppError::conflict(
                "over_receipt",
                format!(
                    "line {} of {} ordered {ordered}, has received {} and would reach {after}: beyond the {}% over-receipt tolerance ({limit})",
                    line.line_no,
                    po.view.number,
                    line.received()?,
                    rules.over_receipt_percent
                ),
            )
            .with_context(serde_json::json!({
                "po_line_id": line.id,
                "ordered": ordered.to_string(),
                "received": line.received()?.to_string(),
                "this_receipt": quantity.to_string(),
                "limit": limit.to_string(),
            })));
        }
    }
    let number = document_number(tx, "GR", input.received_on.year())?;
    let lines: Vec<(i64, Decimal)> = accepted
        .iter()
        .map(|(index, q)| (po.lines[*index].id, *q))
        .collect();
    let receipt_id = store::insert(
        tx,
        &NewReceipt {
            number: &number,
            po_id,
            kind: "receipt",
            reverses_receipt_id: None,
            received_on: input.received_on,
            received_by: &actor.name,
            note: note.as_deref(),
        },
        &lines,
        now,
    )?;
    let project = crate::projects::service::get(tx, po.view.project_id)?;
    for (index, quantity) in &accepted {
        let line = &po.lines[*index];
        repo::set_received(tx, line.id, line.received()? + quantity)?;
        if line.is_asset {
            let units = u32::try_from(quantity.trunc().mantissa()).map_err(AppError::internal)?;
            assets::create_for_receipt(
                tx,
                actor,
                &rules.asset_tag_pattern,
                &ReceivedUnits {
                    po_line_id: line.id,
                    receipt_id,
                    vendor_id: po.view.vendor_id,
                    project_id: po.view.project_id,
                    project_code: &project.code,
                    contract_id: po.view.contract_id,
                    category: line.asset_category.as_deref().unwrap_or("asset"),
                    description: &line.description,
                    budget_currency: po.budget_currency.code(),
                    units,
                    received_on: input.received_on,
                },
            )?;
        }
    }
    let status = status_from_lines(&repo::lines_of(tx, po_id)?)?;
    repo::set_status(tx, po_id, status)?;
    let receipt = get(tx, receipt_id)?;
    audit::record(
        tx,
        &actor.name,
        "receipt.create",
        "receipt",
        receipt_id,
        None::<&()>,
        Some(&receipt),
    )?;
    // Receipts move accruals, which neither threshold measure counts today; evaluating here
    // keeps the rule "every change that moves the ledger" true if one ever does.
    crate::ledger::thresholds::evaluate(tx, po.view.project_id, clock::now())?;
    Ok(receipt)
}

/// Returns the goods of one receipt to the vendor, with a reason.
pub fn return_receipt(
    tx: &mut Tx<'_>,
    actor: &Actor,
    receipt_id: i64,
    reason: String,
    returned_on: NaiveDate,
) -> AppResult<Receipt> {
    let reason = required_text(&reason, 2_000).map_err(|m| AppError::invalid("reason", m))?;
    let original =
        store::find(tx, receipt_id)?.ok_or_else(|| AppError::not_found("receipt", receipt_id))?;
    let project_id = stored(tx, original.po_id)?.view.project_id;
    crate::projects::service::ensure_open(tx, project_id)?;
    if original.kind != "receipt" {
        return Err(AppError::conflict(
            "invalid_transition",
            format!("{} is itself a return", original.number),
        ));
    }
    if let Some(id) = store::reversal_of(tx, receipt_id)? {
        return Err(AppError::conflict(
            "already_returned",
            format!(
                "receipt {} was already returned (return {id})",
                original.number
            ),
        ));
    }
    let now = clock::now();
    repo::lock_for_update(tx, original.po_id, now)?;
    let po = stored(tx, original.po_id)?;
    if matches!(po.status, PoStatus::Closed | PoStatus::Cancelled) {
        return Err(refuse(&po.view, "return"));
    }
    let mut reversed = Vec::new();
    for (po_line_id, text) in store::lines_of(tx, receipt_id)? {
        let quantity = decimal_from_text(&text).map_err(AppError::internal)?;
        let line = po
            .lines
            .iter()
            .find(|l| l.id == po_line_id)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("receipt line without PO line")))?;
        let after = line.received()? - quantity;
        if after < line.invoiced()? {
            return Err(AppError::conflict(
                "return_below_invoiced",
                format!(
                    "line {} of {} has {} invoiced: returning {quantity} would leave {after} received",
                    line.line_no,
                    po.view.number,
                    line.invoiced()?
                ),
            ));
        }
        reversed.push((line.id, -quantity, after));
    }
    assets::return_with_receipt(tx, actor, receipt_id)?;
    let number = document_number(tx, "RT", returned_on.year())?;
    let lines: Vec<(i64, Decimal)> = reversed.iter().map(|(id, q, _)| (*id, *q)).collect();
    let return_id = store::insert(
        tx,
        &NewReceipt {
            number: &number,
            po_id: po.view.id,
            kind: "return",
            reverses_receipt_id: Some(receipt_id),
            received_on: returned_on,
            received_by: &actor.name,
            note: Some(&reason),
        },
        &lines,
        now,
    )?;
    for (line_id, _, after) in &reversed {
        repo::set_received(tx, *line_id, *after)?;
    }
    let status = status_from_lines(&repo::lines_of(tx, po.view.id)?)?;
    repo::set_status(tx, po.view.id, status)?;
    let created = get(tx, return_id)?;
    audit::record(
        tx,
        &actor.name,
        "receipt.return",
        "receipt",
        return_id,
        None::<&()>,
        Some(&created),
    )?;
    crate::ledger::thresholds::evaluate(tx, po.view.project_id, now)?;
    Ok(created)
}

/// One late line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OverdueLine {
    /// The purchase order.
    pub po_id: i64,
    /// Its number.
    pub po_number: String,
    /// The PO line.
    pub po_line_id: i64,
    /// Its number on the PO.
    pub line_no: i64,
    /// What was ordered.
    pub description: String,
    /// When it was promised.
    pub promised_date: NaiveDate,
    /// Ordered quantity.
    pub ordered: String,
    /// Received so far.
    pub received: String,
    /// Still to come.
    pub outstanding: String,
    /// Days past the promised date.
    pub days_late: i64,
}

/// A vendor's late lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OverdueVendor {
    /// The vendor.
    pub vendor_id: i64,
    /// Its late lines, by promised date.
    pub lines: Vec<OverdueLine>,
}

/// Lines past their promised date and not fully received, per vendor, as of a day.
pub fn overdue(conn: &mut DbConnection, as_of: NaiveDate) -> AppResult<Vec<OverdueVendor>> {
    let mut out: Vec<OverdueVendor> = Vec::new();
    for (po_id, po_number, vendor_id, line) in repo::promised_before(conn, as_of)? {
        let ordered = line.quantity()?;
        let received = line.received()?;
        if received >= ordered {
            continue;
        }
        let Some(promised) = line.promised_date else {
            continue;
        };
        let item = OverdueLine {
            po_id,
            po_number,
            po_line_id: line.id,
            line_no: line.line_no,
            description: line.description.clone(),
            promised_date: promised,
            ordered: ordered.to_string(),
            received: received.to_string(),
            outstanding: (ordered - received).to_string(),
            days_late: (as_of - promised).num_days(),
        };
        match out.iter_mut().find(|v| v.vendor_id == vendor_id) {
            Some(vendor) => vendor.lines.push(item),
            None => out.push(OverdueVendor {
                vendor_id,
                lines: vec![item],
            }),
        }
    }
    Ok(out)
}
