//! Closeout rows: the loose ends of one project read from its documents (a project's documents
//! are few enough to list; every amount is a stored BIGINT in 1/10,000 units), its waivers, and
//! its frozen snapshots.

use super::model::{RawItem, RawLine, Section, StoredWaiver};
use crate::db::schema::{
    assets, budget_lines, closeout_waivers, contract_projects, contracts, invoice_lines, invoices,
    milestones, project_closeouts, purchase_order_lines, purchase_orders, sla_measurements, slas,
    sows,
};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::storage::{decimal_from_text, sum_units};
use crate::money::{Currency, Money, RoundingPoint};
use crate::purchase_orders::model::PoStatus;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Invoice statuses whose cost is not yet in the actuals.
const UNPOSTED: [&str; 3] = ["received", "matched", "on_hold"];

fn committed_statuses() -> Vec<&'static str> {
    PoStatus::COMMITTED.iter().map(|s| s.as_str()).collect()
}

fn currency(code: &str) -> AppResult<Currency> {
    Currency::parse(code).map_err(AppError::internal)
}

// Rows in the order of their queries' `select`.

#[derive(Queryable)]
struct OpenPoLine {
    po_id: i64,
    number: String,
    status: String,
    date: NaiveDate,
    line_id: i64,
    line_no: i64,
    description: String,
    net: i64,
    released: i64,
}

#[derive(Queryable)]
struct AccruingPoLine {
    po_id: i64,
    number: String,
    status: String,
    date: NaiveDate,
    line_id: i64,
    line_no: i64,
    description: String,
    received: String,
    invoiced: String,
    accrued: i64,
}

#[derive(Queryable)]
struct BilledPoLine {
    po_id: i64,
    number: String,
    status: String,
    line_id: i64,
    line_no: i64,
    description: String,
    ordered: String,
    received: String,
    invoiced: String,
    net: i64,
}

#[derive(Queryable)]
struct MilestoneRow {
    id: i64,
    name: String,
    amount: i64,
    due: NaiveDate,
    status: String,
    sow_id: i64,
    sow_title: String,
    code: String,
    contract_id: i64,
}

#[derive(Queryable)]
struct CreditRow {
    id: i64,
    period: String,
    credit: i64,
    sla: String,
    code: String,
    contract_id: i64,
    contract: String,
}

#[derive(Queryable)]
struct AssetRow {
    id: i64,
    tag: String,
    description: String,
    cost: Option<i64>,
    code: String,
    serial: Option<String>,
    site: Option<String>,
}

#[derive(Queryable)]
struct ContractRow {
    id: i64,
    number: String,
    title: String,
    ceiling: i64,
    code: String,
    start: NaiveDate,
}

#[derive(Queryable)]
struct WaiverRow {
    id: i64,
    item_key: String,
    amount_units: Option<i64>,
    currency: Option<String>,
    reason: String,
    waived_by: String,
    at: NaiveDateTime,
}

/// Approved purchase orders with open value, one item per PO, its open lines behind it.
pub fn open_commitments(
    conn: &mut DbConnection,
    project_id: i64,
    budget_currency: Currency,
) -> AppResult<Vec<RawItem>> {
    let rows: Vec<OpenPoLine> = purchase_order_lines::table
        .inner_join(purchase_orders::table)
        .filter(purchase_orders::project_id.eq(project_id))
        .filter(purchase_orders::status.eq_any(committed_statuses()))
        .filter(
            purchase_order_lines::net_budget_units.gt(purchase_order_lines::released_budget_units),
        )
        .order((purchase_orders::id, purchase_order_lines::line_no))
        .select((
            purchase_orders::id,
            purchase_orders::number,
            purchase_orders::status,
            purchase_orders::order_date,
            purchase_order_lines::id,
            purchase_order_lines::line_no,
            purchase_order_lines::description,
            purchase_order_lines::net_budget_units,
            purchase_order_lines::released_budget_units,
        ))
        .load(conn)?;
    let mut items: Vec<RawItem> = Vec::new();
    for OpenPoLine {
        po_id,
        number,
        status,
        date,
        line_id,
        line_no,
        description,
        net,
        released,
    } in rows
    {
        let line = RawLine {
            document_type: "po_line",
            id: line_id,
            line_no,
            description,
            amount_units: net - released,
        };
        match items.last_mut() {
            Some(item) if item.document_id == po_id => item.lines.push(line),
            _ => items.push(RawItem {
                section: Section::OpenCommitments,
                document_type: "purchase_order",
                document_id: po_id,
                description: format!("{number} still commits budget; closing releases it"),
                number,
                status,
                date: Some(date),
                amount_units: None,
                currency: Some(budget_currency),
                href: format!("/api/v1/purchase-orders/{po_id}"),
                lines: vec![line],
            }),
        }
    }
    total_lines(&mut items)?;
    Ok(items)
}

/// Sets each item's amount to the sum of its lines.
fn total_lines(items: &mut [RawItem]) -> AppResult<()> {
    for item in items {
        item.amount_units = Some(sum_units(item.lines.iter().map(|l| l.amount_units))?);
    }
    Ok(())
}

/// PO lines received and not invoiced: one item per line, at its accrued budget value.
pub fn accruals(
    conn: &mut DbConnection,
    project_id: i64,
    budget_currency: Currency,
) -> AppResult<Vec<RawItem>> {
    let rows: Vec<AccruingPoLine> = purchase_order_lines::table
        .inner_join(purchase_orders::table)
        .filter(purchase_orders::project_id.eq(project_id))
        .filter(purchase_orders::status.eq_any(committed_statuses()))
        .filter(purchase_order_lines::accrued_budget_units.gt(0))
        .order((purchase_orders::id, purchase_order_lines::line_no))
        .select((
            purchase_orders::id,
            purchase_orders::number,
            purchase_orders::status,
            purchase_orders::order_date,
            purchase_order_lines::id,
            purchase_order_lines::line_no,
            purchase_order_lines::description,
            purchase_order_lines::quantity_received,
            purchase_order_lines::quantity_invoiced,
            purchase_order_lines::accrued_budget_units,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |AccruingPoLine {
                 po_id,
                 number,
                 status,
                 date,
                 line_id,
                 line_no,
                 description,
                 received,
                 invoiced,
                 accrued,
             }| {
                RawItem {
                    section: Section::Accruals,
                    document_type: "po_line",
                    document_id: line_id,
                    number: format!("{number}/{line_no}"),
                    description: format!("{description}: received {received}, invoiced {invoiced}"),
                    status,
                    date: Some(date),
                    amount_units: Some(accrued),
                    currency: Some(budget_currency),
                    href: format!("/api/v1/purchase-orders/{po_id}"),
                    lines: vec![],
                }
            },
        )
        .collect())
}

type InvoiceLineRow = (
    i64,
    String,
    String,
    NaiveDate,
    String,
    i64,
    i64,
    String,
    i64,
    i64,
    i64,
);

fn invoice_lines_on_project(
    conn: &mut DbConnection,
    project_id: i64,
    statuses: &[&str],
) -> AppResult<Vec<InvoiceLineRow>> {
    Ok(invoice_lines::table
        .inner_join(invoices::table)
        .inner_join(budget_lines::table)
        .filter(budget_lines::project_id.eq(project_id))
        .filter(invoices::status.eq_any(statuses))
        .order((invoices::id, invoice_lines::line_no))
        .select((
            invoices::id,
            invoices::number,
            invoices::status,
            invoices::invoice_date,
            invoices::hold_reasons,
            invoices::total_units,
            invoices::paid_units,
            invoices::currency,
            invoice_lines::id,
            invoice_lines::line_no,
            invoice_lines::net_budget_units,
        ))
        .load(conn)?)
}

/// Invoices with lines on the project that are not posted yet (received, matched, on hold): one
/// item per invoice, its lines on the project behind it, in the budget's currency.
pub fn invoices_unposted(
    conn: &mut DbConnection,
    project_id: i64,
    budget_currency: Currency,
) -> AppResult<Vec<RawItem>> {
    let rows = invoice_lines_on_project(conn, project_id, &UNPOSTED)?;
    let descriptions = invoice_line_descriptions(conn, rows.iter().map(|r| r.8).collect())?;
    let mut items: Vec<RawItem> = Vec::new();
    for (id, number, status, date, holds, _, _, _, line_id, line_no, net_budget) in rows {
        let line = RawLine {
            document_type: "invoice_line",
            id: line_id,
            line_no,
            description: descriptions.get(&line_id).cloned().unwrap_or_default(),
            amount_units: net_budget,
        };
        match items.last_mut() {
            Some(item) if item.document_id == id => item.lines.push(line),
            _ => items.push(RawItem {
                section: Section::InvoicesOnHoldOrUnmatched,
                document_type: "invoice",
                document_id: id,
                description: unposted_reason(&status, &holds),
                number,
                status,
                date: Some(date),
                amount_units: None,
                currency: Some(budget_currency),
                href: format!("/api/v1/invoices/{id}"),
                lines: vec![line],
            }),
        }
    }
    total_lines(&mut items)?;
    Ok(items)
}

fn invoice_line_descriptions(
    conn: &mut DbConnection,
    ids: Vec<i64>,
) -> AppResult<BTreeMap<i64, String>> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String)> = invoice_lines::table
            .filter(invoice_lines::id.eq_any(chunk))
            .select((invoice_lines::id, invoice_lines::description))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

fn unposted_reason(status: &str, holds: &str) -> String {
    match status {
        "on_hold" => {
            let reasons: Vec<serde_json::Value> = serde_json::from_str(holds).unwrap_or_default();
            let messages: Vec<&str> = reasons
                .iter()
                .filter_map(|r| r.get("message").and_then(|m| m.as_str()))
                .collect();
            if messages.is_empty() {
                "on hold".to_string()
            } else {
                format!("on hold: {}", messages.join("; "))
            }
        }
        "matched" => "matched, not approved: not yet in the actuals".to_string(),
        _ => "received, not matched: not yet in the actuals".to_string(),
    }
}

/// Approved invoices with lines on the project and an amount still unpaid, in the invoice's
/// own currency (what is owed to the vendor; the invoice may bill other projects too).
pub fn invoices_unpaid(conn: &mut DbConnection, project_id: i64) -> AppResult<Vec<RawItem>> {
    let rows = invoice_lines_on_project(conn, project_id, &["approved"])?;
    let mut items: Vec<RawItem> = Vec::new();
    for (id, number, status, date, _, total, paid, code, ..) in rows {
        if items.last().map(|i| i.document_id) == Some(id) || total == paid {
            continue;
        }
        let code = currency(&code)?;
        items.push(RawItem {
            section: Section::InvoicesUnpaid,
            document_type: "invoice",
            document_id: id,
            description: format!(
                "approved; {} of {} {} unpaid",
                super::model::text(total - paid, code)?,
                super::model::text(total, code)?,
                code.code()
            ),
            number,
            status,
            date: Some(date),
            amount_units: Some(total - paid),
            currency: Some(code),
            href: format!("/api/v1/invoices/{id}"),
            lines: vec![],
        });
    }
    Ok(items)
}

/// PO lines of the project invoiced beyond what was received (posted invoices): one item per PO
/// line, valued at its budget amount × (invoiced − received) / ordered, rounded at the
/// allocation point, with the posted invoice lines billing it behind the description.
pub fn invoices_without_receipts(
    conn: &mut DbConnection,
    project_id: i64,
    budget_currency: Currency,
) -> AppResult<Vec<RawItem>> {
    let rows: Vec<BilledPoLine> = purchase_order_lines::table
        .inner_join(purchase_orders::table)
        .filter(purchase_orders::project_id.eq(project_id))
        .filter(purchase_order_lines::quantity_invoiced.ne("0"))
        .order((purchase_orders::id, purchase_order_lines::line_no))
        .select((
            purchase_orders::id,
            purchase_orders::number,
            purchase_orders::status,
            purchase_order_lines::id,
            purchase_order_lines::line_no,
            purchase_order_lines::description,
            purchase_order_lines::quantity,
            purchase_order_lines::quantity_received,
            purchase_order_lines::quantity_invoiced,
            purchase_order_lines::net_budget_units,
        ))
        .load(conn)?;
    let mut items = Vec::new();
    for BilledPoLine {
        po_id,
        number,
        status,
        line_id,
        line_no,
        description,
        ordered,
        received,
        invoiced,
        net,
    } in rows
    {
        let (ordered, received, invoiced) = (
            decimal_from_text(&ordered)?,
            decimal_from_text(&received)?,
            decimal_from_text(&invoiced)?,
        );
        if received >= invoiced || ordered <= Decimal::ZERO {
            continue;
        }
        let line_value = crate::money::storage::money_from_units(net, budget_currency)?;
        let value = Money::round(
            line_value.amount() * (invoiced - received) / ordered,
            budget_currency,
            RoundingPoint::Allocation,
        )?;
        let invoices: Vec<String> = invoice_lines::table
            .inner_join(invoices::table)
            .filter(invoice_lines::po_line_id.eq(line_id))
            .filter(invoices::status.eq_any(crate::invoices::repo::POSTED))
            .select(invoices::number)
            .distinct()
            .order(invoices::number)
            .load(conn)?;
        items.push(RawItem {
            section: Section::InvoicesWithoutReceipts,
            document_type: "po_line",
            document_id: line_id,
            number: format!("{number}/{line_no}"),
            description: format!(
                "{description}: invoiced {invoiced} ({}), received {received}",
                invoices.join(", ")
            ),
            status,
            date: None,
            amount_units: Some(crate::money::storage::money_to_units(&value)?),
            currency: Some(budget_currency),
            href: format!("/api/v1/purchase-orders/{po_id}"),
            lines: vec![],
        });
    }
    Ok(items)
}

/// Milestones of the project's statements of work not accepted, in the contract's currency.
pub fn milestones_not_accepted(
    conn: &mut DbConnection,
    project_id: i64,
) -> AppResult<Vec<RawItem>> {
    let rows: Vec<MilestoneRow> = milestones::table
        .inner_join(sows::table.inner_join(contracts::table))
        .filter(sows::project_id.eq(project_id))
        .filter(milestones::status.ne("accepted"))
        .order(milestones::id)
        .select((
            milestones::id,
            milestones::name,
            milestones::amount_units,
            milestones::due_date,
            milestones::status,
            sows::id,
            sows::title,
            contracts::currency,
            contracts::id,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |MilestoneRow {
                 id,
                 name,
                 amount,
                 due,
                 status,
                 sow_id,
                 sow_title,
                 code,
                 contract_id,
             }| {
                Ok(RawItem {
                    section: Section::MilestonesNotAccepted,
                    document_type: "milestone",
                    document_id: id,
                    description: format!("SOW {sow_id} {sow_title}: {name} is {status}"),
                    number: name,
                    status,
                    date: Some(due),
                    amount_units: Some(amount),
                    currency: Some(currency(&code)?),
                    href: format!("/api/v1/contracts/{contract_id}/sows"),
                    lines: vec![],
                })
            },
        )
        .collect()
}

/// SLA periods of the project's contracts with a credit owed and not applied, in the SLA's
/// currency.
pub fn sla_credits_not_applied(
    conn: &mut DbConnection,
    project_id: i64,
) -> AppResult<Vec<RawItem>> {
    let rows: Vec<CreditRow> = sla_measurements::table
        .inner_join(slas::table.inner_join(contracts::table.inner_join(contract_projects::table)))
        .filter(contract_projects::project_id.eq(project_id))
        .filter(sla_measurements::credit_status.eq("receivable"))
        .filter(sla_measurements::credit_units.gt(0))
        .order(sla_measurements::id)
        .select((
            sla_measurements::id,
            sla_measurements::period,
            sla_measurements::credit_units,
            slas::name,
            slas::currency,
            contracts::id,
            contracts::number,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|CreditRow { id, period, credit, sla, code, contract_id, contract }| {
            Ok(RawItem {
                section: Section::SlaCreditsNotApplied,
                document_type: "sla_period",
                document_id: id,
                number: format!("{contract} {sla} {period}"),
                description: format!(
                    "service credit for {period} owed by the vendor, not yet applied as a credit memo"
                ),
                status: "receivable".to_string(),
                date: None,
                amount_units: Some(credit),
                currency: Some(currency(&code)?),
                href: format!("/api/v1/contracts/{contract_id}/sla-report"),
                lines: vec![],
            })
        })
        .collect()
}

/// The project's assets still pending (no serial number or location), at their cost if known.
pub fn assets_pending(conn: &mut DbConnection, project_id: i64) -> AppResult<Vec<RawItem>> {
    let rows: Vec<AssetRow> = assets::table
        .filter(assets::project_id.eq(project_id))
        .filter(assets::status.eq("pending"))
        .order(assets::id)
        .select((
            assets::id,
            assets::tag,
            assets::description,
            assets::cost_units,
            assets::cost_currency,
            assets::serial_number,
            assets::site,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |AssetRow {
                 id,
                 tag,
                 description,
                 cost,
                 code,
                 serial,
                 site,
             }| {
                let mut missing = Vec::new();
                if serial.is_none() {
                    missing.push("serial number");
                }
                if site.is_none() {
                    missing.push("location");
                }
                let missing = if missing.is_empty() {
                    "not put in service".to_string()
                } else {
                    format!("no {}", missing.join(" or "))
                };
                Ok(RawItem {
                    section: Section::AssetsPending,
                    document_type: "asset",
                    document_id: id,
                    number: tag,
                    description: format!("{description}: {missing}"),
                    status: "pending".to_string(),
                    date: None,
                    currency: cost.map(|_| currency(&code)).transpose()?,
                    amount_units: cost,
                    href: format!("/api/v1/assets/{id}"),
                    lines: vec![],
                })
            },
        )
        .collect()
}

/// Active contracts serving the project, at their ceiling.
pub fn contracts_active(conn: &mut DbConnection, project_id: i64) -> AppResult<Vec<RawItem>> {
    let rows: Vec<ContractRow> = contracts::table
        .inner_join(contract_projects::table)
        .filter(contract_projects::project_id.eq(project_id))
        .filter(contracts::status.eq("active"))
        .order(contracts::id)
        .select((
            contracts::id,
            contracts::number,
            contracts::title,
            contracts::ceiling_units,
            contracts::currency,
            contracts::start_date,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |ContractRow {
                 id,
                 number,
                 title,
                 ceiling,
                 code,
                 start,
             }| {
                Ok(RawItem {
                    section: Section::ContractsActive,
                    document_type: "contract",
                    document_id: id,
                    number,
                    description: format!("{title}: active; give notice, let it expire or waive"),
                    status: "active".to_string(),
                    date: Some(start),
                    amount_units: Some(ceiling),
                    currency: Some(currency(&code)?),
                    href: format!("/api/v1/contracts/{id}"),
                    lines: vec![],
                })
            },
        )
        .collect()
}

/// The project's waivers, by item key.
pub fn waivers(
    conn: &mut DbConnection,
    project_id: i64,
) -> AppResult<BTreeMap<String, StoredWaiver>> {
    let rows: Vec<WaiverRow> = closeout_waivers::table
        .filter(closeout_waivers::project_id.eq(project_id))
        .order(closeout_waivers::id)
        .select((
            closeout_waivers::id,
            closeout_waivers::item_key,
            closeout_waivers::amount_units,
            closeout_waivers::currency,
            closeout_waivers::reason,
            closeout_waivers::waived_by,
            closeout_waivers::waived_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |WaiverRow {
                 id,
                 item_key,
                 amount_units,
                 currency,
                 reason,
                 waived_by,
                 at,
             }| {
                (
                    item_key.clone(),
                    StoredWaiver {
                        id,
                        item_key,
                        amount_units,
                        currency,
                        reason,
                        waived_by,
                        waived_at: at.and_utc(),
                    },
                )
            },
        )
        .collect())
}

/// Records a waiver, replacing an earlier one of the same item; returns its id.
pub fn put_waiver(
    conn: &mut DbConnection,
    project_id: i64,
    waiver: &StoredWaiver,
) -> AppResult<i64> {
    let at = waiver.waived_at.naive_utc();
    let existing: Option<i64> = closeout_waivers::table
        .filter(closeout_waivers::project_id.eq(project_id))
        .filter(closeout_waivers::item_key.eq(&waiver.item_key))
        .select(closeout_waivers::id)
        .first(conn)
        .optional()?;
    let values = (
        closeout_waivers::amount_units.eq(waiver.amount_units),
        closeout_waivers::currency.eq(waiver.currency.as_deref()),
        closeout_waivers::reason.eq(&waiver.reason),
        closeout_waivers::waived_by.eq(&waiver.waived_by),
        closeout_waivers::waived_at.eq(at),
    );
    match existing {
        Some(id) => {
            diesel::update(closeout_waivers::table.find(id))
                .set(values)
                .execute(conn)?;
            Ok(id)
        }
        None => Ok(diesel::insert_into(closeout_waivers::table)
            .values((
                closeout_waivers::project_id.eq(project_id),
                closeout_waivers::item_key.eq(&waiver.item_key),
                values,
            ))
            .returning(closeout_waivers::id)
            .get_result(conn)?),
    }
}

/// A frozen snapshot as stored.
#[derive(Debug, Clone, Queryable)]
pub struct CloseoutRow {
    pub id: i64,
    pub project_id: i64,
    pub closed_by: String,
    pub closed_at: NaiveDateTime,
    pub snapshot: String,
    pub sha256: String,
    pub reopened_by: Option<String>,
    pub reopened_at: Option<NaiveDateTime>,
    pub reopen_reason: Option<String>,
}

/// Stores a snapshot; returns its id.
pub fn insert_closeout(
    conn: &mut DbConnection,
    project_id: i64,
    closed_by: &str,
    closed_at: NaiveDateTime,
    snapshot: &str,
    sha256: &str,
) -> AppResult<i64> {
    Ok(diesel::insert_into(project_closeouts::table)
        .values((
            project_closeouts::project_id.eq(project_id),
            project_closeouts::closed_by.eq(closed_by),
            project_closeouts::closed_at.eq(closed_at),
            project_closeouts::snapshot.eq(snapshot),
            project_closeouts::sha256.eq(sha256),
        ))
        .returning(project_closeouts::id)
        .get_result(conn)?)
}

/// The project's snapshots, newest first.
pub fn closeouts(conn: &mut DbConnection, project_id: i64) -> AppResult<Vec<CloseoutRow>> {
    Ok(project_closeouts::table
        .filter(project_closeouts::project_id.eq(project_id))
        .order(project_closeouts::id.desc())
        .select((
            project_closeouts::id,
            project_closeouts::project_id,
            project_closeouts::closed_by,
            project_closeouts::closed_at,
            project_closeouts::snapshot,
            project_closeouts::sha256,
            project_closeouts::reopened_by,
            project_closeouts::reopened_at,
            project_closeouts::reopen_reason,
        ))
        .load(conn)?)
}

/// Marks a snapshot as ended by a reopen.
pub fn mark_reopened(
    conn: &mut DbConnection,
    closeout_id: i64,
    by: &str,
    at: NaiveDateTime,
    reason: &str,
) -> AppResult<()> {
    diesel::update(project_closeouts::table.find(closeout_id))
        .set((
            project_closeouts::reopened_by.eq(by),
            project_closeouts::reopened_at.eq(at),
            project_closeouts::reopen_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// The audit row that froze closeout `closeout_id`: its sequence and the SHA-256 it recorded.
pub fn recorded_sha256(
    conn: &mut DbConnection,
    closeout_id: i64,
) -> AppResult<Option<(i64, String)>> {
    use crate::db::schema::audit_log;
    let row: Option<(i64, Option<String>)> = audit_log::table
        .filter(audit_log::entity.eq("project_closeout"))
        .filter(audit_log::entity_id.eq(closeout_id.to_string()))
        .filter(audit_log::action.eq("project.closeout.freeze"))
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::after_state))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(seq, after)| {
        let after: serde_json::Value = serde_json::from_str(after.as_deref()?).ok()?;
        Some((seq, after.get("sha256")?.as_str()?.to_string()))
    }))
}
