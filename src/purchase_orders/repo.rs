//! Purchase-order rows: headers, lines and approvals.

use super::model::{PoApproval, PoLine, PoStatus, PurchaseOrder};
use crate::db::schema::{purchase_order_approvals, purchase_order_lines, purchase_orders};
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::money::storage::{
    decimal_from_text, decimal_to_text, money_from_units, money_to_units, sum_units,
};
use crate::money::{Currency, Money};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Queryable)]
struct HeaderRow {
    id: i64,
    number: String,
    vendor_id: i64,
    project_id: i64,
    contract_id: Option<i64>,
    currency: String,
    budget_currency: String,
    fx_rate: String,
    order_date: NaiveDate,
    status: String,
    revision: i64,
    requested_by: String,
    requested_by_token: i64,
    notes: Option<String>,
    net_units: i64,
    tax_units: i64,
    total_units: i64,
    net_budget_units: i64,
    approved_net_budget_units: i64,
    approvals_required: i64,
    status_reason: Option<String>,
    submitted_at: Option<NaiveDateTime>,
    approved_at: Option<NaiveDateTime>,
    issued_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A PO line as stored, with the exact values the services compute with.
#[derive(Debug, Clone, Queryable)]
pub struct LineRow {
    pub id: i64,
    pub po_id: i64,
    pub line_no: i64,
    pub description: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub tax_percent: String,
    pub budget_line_id: i64,
    pub is_asset: bool,
    pub asset_category: Option<String>,
    pub promised_date: Option<NaiveDate>,
    pub net_units: i64,
    pub tax_units: i64,
    pub net_budget_units: i64,
    pub quantity_received: String,
    pub quantity_invoiced: String,
    pub released_budget_units: i64,
    pub accrued_budget_units: i64,
}

fn corrupt(entity: &str, id: i64, what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("{entity} {id} has a corrupt {what}"))
}

impl LineRow {
    /// The ordered quantity.
    pub fn quantity(&self) -> AppResult<Decimal> {
        decimal_from_text(&self.quantity).map_err(|_| corrupt("PO line", self.id, "quantity"))
    }
    /// The unit price.
    pub fn unit_price(&self) -> AppResult<Decimal> {
        decimal_from_text(&self.unit_price).map_err(|_| corrupt("PO line", self.id, "unit price"))
    }
    /// Received so far, net of returns.
    pub fn received(&self) -> AppResult<Decimal> {
        decimal_from_text(&self.quantity_received)
            .map_err(|_| corrupt("PO line", self.id, "received quantity"))
    }
    /// Invoiced so far.
    pub fn invoiced(&self) -> AppResult<Decimal> {
        decimal_from_text(&self.quantity_invoiced)
            .map_err(|_| corrupt("PO line", self.id, "invoiced quantity"))
    }
    /// The open commitment in budget units (never below zero).
    pub fn open_budget_units(&self) -> i64 {
        (self.net_budget_units - self.released_budget_units).max(0)
    }

    fn view(&self, currency: Currency, budget: Currency, committed: bool) -> AppResult<PoLine> {
        let money = |units: i64, c: Currency| -> AppResult<String> {
            Ok(money_from_units(units, c)
                .map_err(|_| corrupt("PO line", self.id, "amount"))?
                .amount()
                .to_string())
        };
        Ok(PoLine {
            id: self.id,
            line_no: self.line_no,
            description: self.description.clone(),
            quantity: self.quantity.clone(),
            unit: self.unit.clone(),
            unit_price: self.unit_price.clone(),
            tax_percent: self.tax_percent.clone(),
            net_amount: money(self.net_units, currency)?,
            tax_amount: money(self.tax_units, currency)?,
            net_amount_budget: money(self.net_budget_units, budget)?,
            budget_line_id: self.budget_line_id,
            is_asset: self.is_asset,
            asset_category: self.asset_category.clone(),
            promised_date: self.promised_date,
            quantity_received: self.quantity_received.clone(),
            quantity_invoiced: self.quantity_invoiced.clone(),
            committed: money(
                if committed {
                    self.open_budget_units()
                } else {
                    0
                },
                budget,
            )?,
        })
    }
}

/// A PO header as stored, for the services.
#[derive(Debug, Clone)]
pub struct StoredPo {
    pub view: PurchaseOrder,
    pub status: PoStatus,
    pub currency: Currency,
    pub budget_currency: Currency,
    pub fx_rate: Decimal,
    pub requested_by_token: i64,
    pub net_budget: Money,
    /// The budget value last approved (what revisions are compared with), in units.
    pub approved_net_budget_units: i64,
    pub lines: Vec<LineRow>,
}

impl HeaderRow {
    fn into_stored(self, lines: Vec<LineRow>, approvals: Vec<PoApproval>) -> AppResult<StoredPo> {
        let id = self.id;
        let status = PoStatus::parse(&self.status).ok_or_else(|| corrupt("PO", id, "status"))?;
        let currency =
            Currency::parse(&self.currency).map_err(|_| corrupt("PO", id, "currency"))?;
        let budget_currency = Currency::parse(&self.budget_currency)
            .map_err(|_| corrupt("PO", id, "budget currency"))?;
        let fx_rate = decimal_from_text(&self.fx_rate).map_err(|_| corrupt("PO", id, "rate"))?;
        let money = |units: i64, c: Currency| -> AppResult<Money> {
            money_from_units(units, c).map_err(|_| corrupt("PO", id, "amount"))
        };
        let net_budget = money(self.net_budget_units, budget_currency)?;
        let committed_units: i64 = if status.is_committed() {
            lines.iter().map(LineRow::open_budget_units).sum()
        } else {
            0
        };
        let views = lines
            .iter()
            .map(|l| l.view(currency, budget_currency, status.is_committed()))
            .collect::<AppResult<Vec<_>>>()?;
        let view = PurchaseOrder {
            id,
            number: self.number,
            vendor_id: self.vendor_id,
            project_id: self.project_id,
            contract_id: self.contract_id,
            currency: self.currency,
            budget_currency: self.budget_currency,
            fx_rate: self.fx_rate,
            order_date: self.order_date,
            status,
            allowed_actions: status
                .allowed_actions()
                .iter()
                .map(|a| a.to_string())
                .collect(),
            revision: self.revision,
            requested_by: self.requested_by,
            notes: self.notes,
            lines: views,
            net_total: money(self.net_units, currency)?.amount().to_string(),
            tax_total: money(self.tax_units, currency)?.amount().to_string(),
            total: money(self.total_units, currency)?.amount().to_string(),
            net_total_budget: net_budget.amount().to_string(),
            committed: money(committed_units, budget_currency)?
                .amount()
                .to_string(),
            approvals_required: self.approvals_required,
            approvals,
            pending_revision: None,
            status_reason: self.status_reason,
            submitted_at: self.submitted_at.map(|t| t.and_utc()),
            approved_at: self.approved_at.map(|t| t.and_utc()),
            issued_at: self.issued_at.map(|t| t.and_utc()),
            closed_at: self.closed_at.map(|t| t.and_utc()),
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        };
        Ok(StoredPo {
            view,
            status,
            currency,
            budget_currency,
            fx_rate,
            requested_by_token: self.requested_by_token,
            net_budget,
            approved_net_budget_units: self.approved_net_budget_units,
            lines,
        })
    }
}

/// A line about to be stored.
#[derive(Debug, Clone)]
pub struct NewLine {
    pub description: String,
    pub quantity: Decimal,
    pub unit: String,
    pub unit_price: Decimal,
    pub tax_percent: Decimal,
    pub budget_line_id: i64,
    pub is_asset: bool,
    pub asset_category: Option<String>,
    pub promised_date: Option<NaiveDate>,
    pub net: Money,
    pub tax: Money,
    pub net_budget: Money,
}

/// A header about to be stored.
#[derive(Debug, Clone)]
pub struct NewPo {
    pub number: String,
    pub vendor_id: i64,
    pub project_id: i64,
    pub contract_id: Option<i64>,
    pub currency: Currency,
    pub budget_currency: Currency,
    pub fx_rate: Decimal,
    pub order_date: NaiveDate,
    pub requested_by: String,
    pub requested_by_token: i64,
    pub notes: Option<String>,
}

/// Totals of a set of lines, in storage units: each total (net, tax, net + tax, budget) must
/// itself be an amount Procura accepts, not only each line.
fn totals(lines: &[NewLine]) -> AppResult<(i64, i64, i64)> {
    let (Some(first), true) = (lines.first(), !lines.is_empty()) else {
        return Ok((0, 0, 0));
    };
    let mut net = Money::zero(first.net.currency());
    let mut tax = Money::zero(first.tax.currency());
    let mut budget = Money::zero(first.net_budget.currency());
    for line in lines {
        net = net.checked_add(&line.net).map_err(|_| overflow())?;
        tax = tax.checked_add(&line.tax).map_err(|_| overflow())?;
        budget = budget
            .checked_add(&line.net_budget)
            .map_err(|_| overflow())?;
    }
    net.checked_add(&tax).map_err(|_| overflow())?;
    Ok((
        money_to_units(&net)?,
        money_to_units(&tax)?,
        money_to_units(&budget)?,
    ))
}

fn overflow() -> AppError {
    AppError::invalid(
        "lines",
        "the purchase order's total is beyond the largest amount Procura stores",
    )
}

/// Stores a draft PO and its lines; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    po: &NewPo,
    lines: &[NewLine],
    now: NaiveDateTime,
) -> AppResult<i64> {
    let (net, tax, budget) = totals(lines)?;
    let id = diesel::insert_into(purchase_orders::table)
        .values((
            purchase_orders::number.eq(&po.number),
            purchase_orders::vendor_id.eq(po.vendor_id),
            purchase_orders::project_id.eq(po.project_id),
            purchase_orders::contract_id.eq(po.contract_id),
            purchase_orders::currency.eq(po.currency.code()),
            purchase_orders::budget_currency.eq(po.budget_currency.code()),
            purchase_orders::fx_rate.eq(decimal_to_text(po.fx_rate)),
            purchase_orders::order_date.eq(po.order_date),
            purchase_orders::status.eq(PoStatus::Draft.as_str()),
            purchase_orders::revision.eq(1),
            purchase_orders::requested_by.eq(&po.requested_by),
            purchase_orders::requested_by_token.eq(po.requested_by_token),
            purchase_orders::notes.eq(&po.notes),
            purchase_orders::net_units.eq(net),
            purchase_orders::tax_units.eq(tax),
            purchase_orders::total_units.eq(net.checked_add(tax).ok_or_else(overflow)?),
            purchase_orders::net_budget_units.eq(budget),
            purchase_orders::approved_net_budget_units.eq(0),
            purchase_orders::approvals_required.eq(0),
            purchase_orders::version.eq(1),
            purchase_orders::created_at.eq(now),
            purchase_orders::updated_at.eq(now),
        ))
        .returning(purchase_orders::id)
        .get_result(conn)?;
    insert_lines(conn, id, 1, lines)?;
    Ok(id)
}

fn insert_lines(
    conn: &mut DbConnection,
    po_id: i64,
    first_line_no: i64,
    lines: &[NewLine],
) -> AppResult<()> {
    // One statement per line: Diesel's multi-connection has no multi-row VALUES over both engines.
    for (i, line) in lines.iter().enumerate() {
        diesel::insert_into(purchase_order_lines::table)
            .values((
                purchase_order_lines::po_id.eq(po_id),
                purchase_order_lines::line_no.eq(first_line_no + i as i64),
                purchase_order_lines::description.eq(&line.description),
                purchase_order_lines::quantity.eq(decimal_to_text(line.quantity)),
                purchase_order_lines::unit.eq(&line.unit),
                purchase_order_lines::unit_price.eq(decimal_to_text(line.unit_price)),
                purchase_order_lines::tax_percent.eq(decimal_to_text(line.tax_percent)),
                purchase_order_lines::budget_line_id.eq(line.budget_line_id),
                purchase_order_lines::is_asset.eq(line.is_asset),
                purchase_order_lines::asset_category.eq(&line.asset_category),
                purchase_order_lines::promised_date.eq(line.promised_date),
                purchase_order_lines::net_units.eq(money_to_units(&line.net)?),
                purchase_order_lines::tax_units.eq(money_to_units(&line.tax)?),
                purchase_order_lines::net_budget_units.eq(money_to_units(&line.net_budget)?),
                purchase_order_lines::quantity_received.eq("0"),
                purchase_order_lines::quantity_invoiced.eq("0"),
                purchase_order_lines::released_budget_units.eq(0),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces a draft's header facts and lines (drafts have no receipts or invoices yet).
pub fn replace_draft(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    po: &NewPo,
    lines: &[NewLine],
    now: NaiveDateTime,
) -> AppResult<bool> {
    let (net, tax, budget) = totals(lines)?;
    let updated = diesel::update(
        purchase_orders::table
            .filter(purchase_orders::id.eq(id))
            .filter(purchase_orders::version.eq(expected_version)),
    )
    .set((
        purchase_orders::vendor_id.eq(po.vendor_id),
        purchase_orders::contract_id.eq(po.contract_id),
        purchase_orders::currency.eq(po.currency.code()),
        purchase_orders::fx_rate.eq(decimal_to_text(po.fx_rate)),
        purchase_orders::order_date.eq(po.order_date),
        purchase_orders::notes.eq(&po.notes),
        purchase_orders::net_units.eq(net),
        purchase_orders::tax_units.eq(tax),
        purchase_orders::total_units.eq(net.checked_add(tax).ok_or_else(overflow)?),
        purchase_orders::net_budget_units.eq(budget),
        purchase_orders::version.eq(expected_version + 1),
        purchase_orders::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated != 1 {
        return Ok(false);
    }
    diesel::delete(purchase_order_lines::table.filter(purchase_order_lines::po_id.eq(id)))
        .execute(conn)?;
    insert_lines(conn, id, 1, lines)?;
    Ok(true)
}

/// Loads a PO with its lines and approvals.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<StoredPo>> {
    let header: Option<HeaderRow> = purchase_orders::table
        .filter(purchase_orders::id.eq(id))
        .get_result(conn)
        .optional()?;
    let Some(header) = header else {
        return Ok(None);
    };
    let lines = lines_of(conn, id)?;
    let approvals = approvals_of(conn, id)?;
    header.into_stored(lines, approvals).map(Some)
}

/// The lines of a PO, by line number.
pub fn lines_of(conn: &mut DbConnection, po_id: i64) -> AppResult<Vec<LineRow>> {
    Ok(purchase_order_lines::table
        .filter(purchase_order_lines::po_id.eq(po_id))
        .order(purchase_order_lines::line_no)
        .load(conn)?)
}

/// Several PO lines at once (any order).
pub fn find_lines(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<LineRow>> {
    let mut out = Vec::with_capacity(ids.len());
    // Chunks keep the IN list well under both engines' bound-parameter limits.
    for chunk in ids.chunks(500) {
        let rows: Vec<LineRow> = purchase_order_lines::table
            .filter(purchase_order_lines::id.eq_any(chunk))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

/// One PO line.
pub fn find_line(conn: &mut DbConnection, line_id: i64) -> AppResult<Option<LineRow>> {
    Ok(purchase_order_lines::table
        .filter(purchase_order_lines::id.eq(line_id))
        .get_result(conn)
        .optional()?)
}

fn approvals_of(conn: &mut DbConnection, po_id: i64) -> AppResult<Vec<PoApproval>> {
    let rows: Vec<(String, String, i64, NaiveDateTime, Option<String>)> =
        purchase_order_approvals::table
            .filter(purchase_order_approvals::po_id.eq(po_id))
            .order(purchase_order_approvals::id)
            .select((
                purchase_order_approvals::approver,
                purchase_order_approvals::role,
                purchase_order_approvals::revision,
                purchase_order_approvals::approved_at,
                purchase_order_approvals::override_reason,
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(approver, role, revision, approved_at, override_reason)| PoApproval {
                approver,
                role,
                revision,
                approved_at: approved_at.and_utc(),
                override_reason,
            },
        )
        .collect())
}

/// Filters for the PO list.
#[derive(Debug, Clone, Default)]
pub struct PoFilter {
    pub status: Option<PoStatus>,
    pub vendor_id: Option<i64>,
    pub project_id: Option<i64>,
    pub contract_id: Option<i64>,
}

/// A page of POs by id.
pub fn list(
    conn: &mut DbConnection,
    filter: &PoFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<PurchaseOrder>> {
    let mut query = purchase_orders::table
        .select(purchase_orders::id)
        .into_boxed::<MultiBackend>();
    if let Some(status) = filter.status {
        query = query.filter(purchase_orders::status.eq(status.as_str()));
    }
    if let Some(vendor_id) = filter.vendor_id {
        query = query.filter(purchase_orders::vendor_id.eq(vendor_id));
    }
    if let Some(project_id) = filter.project_id {
        query = query.filter(purchase_orders::project_id.eq(project_id));
    }
    if let Some(contract_id) = filter.contract_id {
        query = query.filter(purchase_orders::contract_id.eq(contract_id));
    }
    let ids: Vec<i64> = query
        .filter(purchase_orders::id.gt(after))
        .order(purchase_orders::id)
        .limit(limit)
        .load(conn)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(po) = find(conn, id)? {
            out.push(po.view);
        }
    }
    Ok(out)
}

/// A status change of a PO header at `expected_version`.
#[derive(Debug, Clone, Default)]
pub struct StatusChange {
    pub status: Option<PoStatus>,
    pub status_reason: Option<Option<String>>,
    pub approvals_required: Option<i64>,
    pub approved_net_budget_units: Option<i64>,
    pub submitted_at: Option<NaiveDateTime>,
    pub approved_at: Option<NaiveDateTime>,
    pub issued_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

/// Applies a status change if the PO is at `expected_version`; false when it moved on.
pub fn change_status(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    change: &StatusChange,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let target = purchase_orders::table
        .filter(purchase_orders::id.eq(id))
        .filter(purchase_orders::version.eq(expected_version));
    let updated = diesel::update(target)
        .set((
            purchase_orders::version.eq(expected_version + 1),
            purchase_orders::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated != 1 {
        return Ok(false);
    }
    let row = purchase_orders::table.filter(purchase_orders::id.eq(id));
    if let Some(status) = change.status {
        diesel::update(row)
            .set(purchase_orders::status.eq(status.as_str()))
            .execute(conn)?;
    }
    if let Some(reason) = &change.status_reason {
        diesel::update(row)
            .set(purchase_orders::status_reason.eq(reason))
            .execute(conn)?;
    }
    if let Some(required) = change.approvals_required {
        diesel::update(row)
            .set(purchase_orders::approvals_required.eq(required))
            .execute(conn)?;
    }
    if let Some(units) = change.approved_net_budget_units {
        diesel::update(row)
            .set(purchase_orders::approved_net_budget_units.eq(units))
            .execute(conn)?;
    }
    if let Some(at) = change.submitted_at {
        diesel::update(row)
            .set(purchase_orders::submitted_at.eq(at))
            .execute(conn)?;
    }
    if let Some(at) = change.approved_at {
        diesel::update(row)
            .set(purchase_orders::approved_at.eq(at))
            .execute(conn)?;
    }
    if let Some(at) = change.issued_at {
        diesel::update(row)
            .set(purchase_orders::issued_at.eq(at))
            .execute(conn)?;
    }
    if let Some(at) = change.closed_at {
        diesel::update(row)
            .set(purchase_orders::closed_at.eq(at))
            .execute(conn)?;
    }
    Ok(true)
}

/// One approval about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct NewApproval<'a> {
    pub po_id: i64,
    pub revision: i64,
    pub approver: &'a str,
    pub approver_token: i64,
    pub role: &'a str,
    pub override_reason: Option<&'a str>,
}

/// Records one approval.
pub fn insert_approval(
    conn: &mut DbConnection,
    approval: NewApproval<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let NewApproval {
        po_id,
        revision,
        approver,
        approver_token,
        role,
        override_reason,
    } = approval;
    diesel::insert_into(purchase_order_approvals::table)
        .values((
            purchase_order_approvals::po_id.eq(po_id),
            purchase_order_approvals::revision.eq(revision),
            purchase_order_approvals::approver.eq(approver),
            purchase_order_approvals::approver_token.eq(approver_token),
            purchase_order_approvals::role.eq(role),
            purchase_order_approvals::approved_at.eq(now),
            purchase_order_approvals::override_reason.eq(override_reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// Who approved a revision (names and token ids).
pub fn approvers_of(
    conn: &mut DbConnection,
    po_id: i64,
    revision: Option<i64>,
) -> AppResult<Vec<(String, i64)>> {
    let mut query = purchase_order_approvals::table
        .filter(purchase_order_approvals::po_id.eq(po_id))
        .select((
            purchase_order_approvals::approver,
            purchase_order_approvals::approver_token,
        ))
        .into_boxed::<MultiBackend>();
    if let Some(revision) = revision {
        query = query.filter(purchase_order_approvals::revision.eq(revision));
    }
    Ok(query.load(conn)?)
}

/// Sets a line's received quantity.
pub fn set_received(conn: &mut DbConnection, line_id: i64, received: Decimal) -> AppResult<()> {
    diesel::update(purchase_order_lines::table.filter(purchase_order_lines::id.eq(line_id)))
        .set(purchase_order_lines::quantity_received.eq(decimal_to_text(received)))
        .execute(conn)?;
    refresh_accruals(conn, &[line_id])
}

/// Sets a line's invoiced quantity and released commitment.
pub fn set_invoiced(
    conn: &mut DbConnection,
    line_id: i64,
    invoiced: Decimal,
    released_budget_units: i64,
) -> AppResult<()> {
    diesel::update(purchase_order_lines::table.filter(purchase_order_lines::id.eq(line_id)))
        .set((
            purchase_order_lines::quantity_invoiced.eq(decimal_to_text(invoiced)),
            purchase_order_lines::released_budget_units.eq(released_budget_units),
        ))
        .execute(conn)?;
    refresh_accruals(conn, &[line_id])
}

/// Recomputes the stored accrual (received, not yet invoiced, at the line's budget value; see
/// [`crate::ledger::accrued`]) of the given lines after their quantities or value changed, so
/// the ledger can sum accruals in SQL.
pub fn refresh_accruals(conn: &mut DbConnection, line_ids: &[i64]) -> AppResult<()> {
    type Facts = (i64, String, i64, i64, String, String, String, i64);
    let rows: Vec<Facts> = purchase_order_lines::table
        .inner_join(purchase_orders::table)
        .filter(purchase_order_lines::id.eq_any(line_ids))
        .select((
            purchase_order_lines::id,
            purchase_orders::budget_currency,
            purchase_order_lines::net_budget_units,
            purchase_order_lines::released_budget_units,
            purchase_order_lines::quantity,
            purchase_order_lines::quantity_received,
            purchase_order_lines::quantity_invoiced,
            purchase_order_lines::accrued_budget_units,
        ))
        .load(conn)?;
    let corrupt = |what: &str| AppError::internal(anyhow::anyhow!("corrupt PO line {what}"));
    for (id, currency, net, released, ordered, received, invoiced, stored) in rows {
        let currency = Currency::parse(&currency).map_err(|_| corrupt("currency"))?;
        let quantity = |text: &str| decimal_from_text(text).map_err(|_| corrupt("quantity"));
        let accrued = crate::ledger::accrued(
            money_from_units(net, currency)?,
            money_from_units((net - released).max(0), currency)?,
            quantity(&ordered)?,
            quantity(&received)?,
            quantity(&invoiced)?,
        )?;
        let units = money_to_units(&accrued)?;
        if units != stored {
            diesel::update(purchase_order_lines::table.filter(purchase_order_lines::id.eq(id)))
                .set(purchase_order_lines::accrued_budget_units.eq(units))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Releases every open commitment of a PO (on close).
pub fn release_all(conn: &mut DbConnection, po_id: i64) -> AppResult<()> {
    diesel::update(purchase_order_lines::table.filter(purchase_order_lines::po_id.eq(po_id)))
        .set((
            purchase_order_lines::released_budget_units.eq(purchase_order_lines::net_budget_units),
            purchase_order_lines::accrued_budget_units.eq(0),
        ))
        .execute(conn)?;
    Ok(())
}

/// The open commitment on a budget line in budget units, from the PO lines behind it, leaving
/// out `except_po`.
pub fn committed_on_budget_line(
    conn: &mut DbConnection,
    budget_line_id: i64,
    except_po: Option<i64>,
) -> AppResult<i64> {
    let committed: Vec<&str> = PoStatus::COMMITTED.iter().map(|s| s.as_str()).collect();
    let rows: Vec<(i64, i64)> = purchase_order_lines::table
        .inner_join(purchase_orders::table)
        .filter(purchase_order_lines::budget_line_id.eq(budget_line_id))
        .filter(purchase_orders::status.eq_any(committed))
        .filter(purchase_orders::id.ne(except_po.unwrap_or(0)))
        .select((
            purchase_order_lines::net_budget_units,
            purchase_order_lines::released_budget_units,
        ))
        .load(conn)?;
    // Summed here rather than with SQL `sum`: Diesel maps `sum(BIGINT)` to a float on SQLite.
    Ok(sum_units(
        rows.iter().map(|(net, released)| (net - released).max(0)),
    )?)
}

/// Takes the PO's row lock for the rest of the transaction (PostgreSQL row lock; SQLite already
/// holds the write lock) and bumps its version, so receipts and invoices that change its lines
/// are serialised per PO. Read the lines after this, not before.
pub fn lock_for_update(conn: &mut DbConnection, po_id: i64, now: NaiveDateTime) -> AppResult<bool> {
    Ok(
        diesel::update(purchase_orders::table.filter(purchase_orders::id.eq(po_id)))
            .set((
                purchase_orders::version.eq(purchase_orders::version + 1),
                purchase_orders::updated_at.eq(now),
            ))
            .execute(conn)?
            == 1,
    )
}

/// Sets the status alone (after [`lock_for_update`]).
pub fn set_status(conn: &mut DbConnection, po_id: i64, status: PoStatus) -> AppResult<()> {
    diesel::update(purchase_orders::table.filter(purchase_orders::id.eq(po_id)))
        .set(purchase_orders::status.eq(status.as_str()))
        .execute(conn)?;
    Ok(())
}

/// PO lines promised before `as_of` and not fully received, on POs still expecting goods:
/// `(po_id, po_number, vendor_id, line)`.
pub fn promised_before(
    conn: &mut DbConnection,
    as_of: NaiveDate,
) -> AppResult<Vec<(i64, String, i64, LineRow)>> {
    let open = [
        PoStatus::Approved.as_str(),
        PoStatus::Issued.as_str(),
        PoStatus::PartiallyReceived.as_str(),
    ];
    let rows: Vec<(i64, String, i64, LineRow)> = purchase_order_lines::table
        .inner_join(purchase_orders::table)
        .filter(purchase_orders::status.eq_any(open))
        .filter(purchase_order_lines::promised_date.lt(as_of))
        .order((
            purchase_orders::vendor_id,
            purchase_order_lines::promised_date,
            purchase_order_lines::id,
        ))
        .select((
            purchase_orders::id,
            purchase_orders::number,
            purchase_orders::vendor_id,
            purchase_order_lines::all_columns,
        ))
        .load(conn)?;
    Ok(rows)
}

/// A revision as stored.
#[derive(Debug, Clone, Queryable)]
pub struct RevisionRow {
    pub id: i64,
    pub po_id: i64,
    pub revision: i64,
    pub status: String,
    pub snapshot: String,
    pub proposal: String,
    pub reason: String,
    pub changed_by: String,
    pub changed_by_token: i64,
    pub changed_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
}

/// A revision about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct NewRevision<'a> {
    pub po_id: i64,
    pub revision: i64,
    pub status: &'a str,
    pub snapshot: &'a str,
    pub proposal: &'a str,
    pub reason: &'a str,
    pub changed_by: &'a str,
    pub changed_by_token: i64,
}

/// Stores a revision.
pub fn insert_revision(
    conn: &mut DbConnection,
    revision: NewRevision<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    use crate::db::schema::purchase_order_revisions as r;
    diesel::insert_into(r::table)
        .values((
            r::po_id.eq(revision.po_id),
            r::revision.eq(revision.revision),
            r::status.eq(revision.status),
            r::snapshot.eq(revision.snapshot),
            r::proposal.eq(revision.proposal),
            r::reason.eq(revision.reason),
            r::changed_by.eq(revision.changed_by),
            r::changed_by_token.eq(revision.changed_by_token),
            r::changed_at.eq(now),
            r::decided_at.eq((revision.status != "pending").then_some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A PO's revisions, oldest first.
pub fn revisions_of(conn: &mut DbConnection, po_id: i64) -> AppResult<Vec<RevisionRow>> {
    use crate::db::schema::purchase_order_revisions as r;
    Ok(r::table
        .filter(r::po_id.eq(po_id))
        .order(r::id)
        .load(conn)?)
}

/// The revision of a PO waiting for approval, if any.
pub fn pending_revision(conn: &mut DbConnection, po_id: i64) -> AppResult<Option<RevisionRow>> {
    use crate::db::schema::purchase_order_revisions as r;
    Ok(r::table
        .filter(r::po_id.eq(po_id))
        .filter(r::status.eq("pending"))
        .get_result(conn)
        .optional()?)
}

/// Marks a revision applied or rejected.
pub fn decide_revision(
    conn: &mut DbConnection,
    id: i64,
    status: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    use crate::db::schema::purchase_order_revisions as r;
    diesel::update(r::table.filter(r::id.eq(id)))
        .set((r::status.eq(status), r::decided_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Writes a revision's lines over a PO: lines with an id are changed, lines without are added
/// after the last line number, and lines not named are removed (the service has checked that
/// nothing was received or invoiced on them). The header's totals, notes and revision follow.
#[allow(clippy::too_many_arguments)]
pub fn apply_revision(
    conn: &mut DbConnection,
    po_id: i64,
    revision: i64,
    notes: Option<&str>,
    lines: &[(Option<i64>, NewLine)],
    now: NaiveDateTime,
) -> AppResult<()> {
    let existing: Vec<i64> = purchase_order_lines::table
        .filter(purchase_order_lines::po_id.eq(po_id))
        .select(purchase_order_lines::id)
        .load(conn)?;
    let kept: Vec<i64> = lines.iter().filter_map(|(id, _)| *id).collect();
    for id in existing.iter().filter(|id| !kept.contains(id)) {
        diesel::delete(purchase_order_lines::table.filter(purchase_order_lines::id.eq(id)))
            .execute(conn)?;
    }
    let last_no: Option<i64> = purchase_order_lines::table
        .filter(purchase_order_lines::po_id.eq(po_id))
        .select(diesel::dsl::max(purchase_order_lines::line_no))
        .get_result(conn)?;
    let mut next_no = last_no.unwrap_or(0) + 1;
    for (id, line) in lines {
        match id {
            Some(id) => {
                diesel::update(purchase_order_lines::table.filter(purchase_order_lines::id.eq(id)))
                    .set((
                        purchase_order_lines::description.eq(&line.description),
                        purchase_order_lines::quantity.eq(decimal_to_text(line.quantity)),
                        purchase_order_lines::unit.eq(&line.unit),
                        purchase_order_lines::unit_price.eq(decimal_to_text(line.unit_price)),
                        purchase_order_lines::tax_percent.eq(decimal_to_text(line.tax_percent)),
                        purchase_order_lines::promised_date.eq(line.promised_date),
                        purchase_order_lines::net_units.eq(money_to_units(&line.net)?),
                        purchase_order_lines::tax_units.eq(money_to_units(&line.tax)?),
                        purchase_order_lines::net_budget_units
                            .eq(money_to_units(&line.net_budget)?),
                    ))
                    .execute(conn)?;
            }
            None => {
                insert_lines(conn, po_id, next_no, std::slice::from_ref(line))?;
                next_no += 1;
            }
        }
    }
    let all: Vec<NewLine> = lines.iter().map(|(_, l)| l.clone()).collect();
    let (net, tax, budget) = totals(&all)?;
    diesel::update(purchase_orders::table.filter(purchase_orders::id.eq(po_id)))
        .set((
            purchase_orders::notes.eq(notes),
            purchase_orders::net_units.eq(net),
            purchase_orders::tax_units.eq(tax),
            purchase_orders::total_units.eq(net + tax),
            purchase_orders::net_budget_units.eq(budget),
            purchase_orders::approved_net_budget_units.eq(budget),
            purchase_orders::revision.eq(revision),
            purchase_orders::updated_at.eq(now),
        ))
        .execute(conn)?;
    let all_lines: Vec<i64> = purchase_order_lines::table
        .filter(purchase_order_lines::po_id.eq(po_id))
        .select(purchase_order_lines::id)
        .load(conn)?;
    refresh_accruals(conn, &all_lines)?;
    Ok(())
}
