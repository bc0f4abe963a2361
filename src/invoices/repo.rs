//! Invoice rows: headers, lines, payments and tolerances.

use crate::db::schema::{invoice_lines, invoice_payments, invoices, match_tolerances};
use crate::db::{DbConnection, MultiBackend};
use crate::error::AppResult;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Invoice statuses whose lines are posted as actuals.
pub const POSTED: [&str; 2] = ["approved", "paid"];

/// The actual posted on a budget line in budget units: approved invoice lines net of credit
/// memos (whose lines are negative).
pub fn actual_on_budget_line(conn: &mut DbConnection, budget_line_id: i64) -> AppResult<i64> {
    let rows: Vec<i64> = invoice_lines::table
        .inner_join(invoices::table)
        .filter(invoice_lines::budget_line_id.eq(budget_line_id))
        .filter(invoices::status.eq_any(POSTED))
        .select(invoice_lines::net_budget_units)
        .load(conn)?;
    // Summed here rather than with SQL `sum`: Diesel maps `sum(BIGINT)` to a float on SQLite.
    Ok(crate::money::storage::sum_units(rows)?)
}

/// An invoice header as stored.
#[derive(Debug, Clone, Queryable)]
pub struct InvoiceRow {
    pub id: i64,
    pub number: String,
    pub normalised_number: String,
    pub vendor_id: i64,
    pub kind: String,
    pub original_invoice_id: Option<i64>,
    pub sla_measurement_id: Option<i64>,
    pub invoice_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub currency: String,
    pub net_units: i64,
    pub tax_units: i64,
    pub total_units: i64,
    pub status: String,
    pub hold_reasons: String,
    pub created_by: String,
    pub created_by_token: i64,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub paid_units: i64,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An invoice line as stored.
#[derive(Debug, Clone, Queryable)]
pub struct InvoiceLineRow {
    pub id: i64,
    pub invoice_id: i64,
    pub line_no: i64,
    pub po_line_id: Option<i64>,
    pub milestone_id: Option<i64>,
    pub budget_line_id: i64,
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub tax_percent: String,
    pub net_units: i64,
    pub tax_units: i64,
    pub fx_rate: String,
    pub net_budget_units: i64,
    pub match_result: String,
}

/// A payment as stored: amount units, date, reference, who.
pub type PaymentRow = (i64, NaiveDate, Option<String>, String);

/// An invoice header about to be stored.
#[derive(Debug, Clone)]
pub struct NewInvoice<'a> {
    pub number: &'a str,
    pub normalised_number: &'a str,
    pub vendor_id: i64,
    pub kind: &'a str,
    pub original_invoice_id: Option<i64>,
    pub sla_measurement_id: Option<i64>,
    pub invoice_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub currency: &'a str,
    pub net_units: i64,
    pub tax_units: i64,
    pub total_units: i64,
    pub status: &'a str,
    pub hold_reasons: &'a str,
    pub created_by: &'a str,
    pub created_by_token: i64,
}

/// An invoice line about to be stored.
#[derive(Debug, Clone)]
pub struct NewInvoiceLine {
    pub po_line_id: Option<i64>,
    pub milestone_id: Option<i64>,
    pub budget_line_id: i64,
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub tax_percent: String,
    pub net_units: i64,
    pub tax_units: i64,
    pub fx_rate: String,
    pub net_budget_units: i64,
    pub match_result: String,
}

/// Stores an invoice and its lines; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    invoice: &NewInvoice<'_>,
    lines: &[NewInvoiceLine],
    now: NaiveDateTime,
) -> AppResult<i64> {
    let id = diesel::insert_into(invoices::table)
        .values((
            invoices::number.eq(invoice.number),
            invoices::normalised_number.eq(invoice.normalised_number),
            invoices::vendor_id.eq(invoice.vendor_id),
            invoices::kind.eq(invoice.kind),
            invoices::original_invoice_id.eq(invoice.original_invoice_id),
            invoices::sla_measurement_id.eq(invoice.sla_measurement_id),
            invoices::invoice_date.eq(invoice.invoice_date),
            invoices::due_date.eq(invoice.due_date),
            invoices::currency.eq(invoice.currency),
            invoices::net_units.eq(invoice.net_units),
            invoices::tax_units.eq(invoice.tax_units),
            invoices::total_units.eq(invoice.total_units),
            invoices::status.eq(invoice.status),
            invoices::hold_reasons.eq(invoice.hold_reasons),
            invoices::created_by.eq(invoice.created_by),
            invoices::created_by_token.eq(invoice.created_by_token),
            invoices::paid_units.eq(0),
            invoices::version.eq(1),
            invoices::created_at.eq(now),
            invoices::updated_at.eq(now),
        ))
        .returning(invoices::id)
        .get_result(conn)?;
    // One statement per line: Diesel's multi-connection has no multi-row VALUES over both engines.
    for (i, line) in lines.iter().enumerate() {
        diesel::insert_into(invoice_lines::table)
            .values((
                invoice_lines::invoice_id.eq(id),
                invoice_lines::line_no.eq(i as i64 + 1),
                invoice_lines::po_line_id.eq(line.po_line_id),
                invoice_lines::milestone_id.eq(line.milestone_id),
                invoice_lines::budget_line_id.eq(line.budget_line_id),
                invoice_lines::description.eq(&line.description),
                invoice_lines::quantity.eq(&line.quantity),
                invoice_lines::unit_price.eq(&line.unit_price),
                invoice_lines::tax_percent.eq(&line.tax_percent),
                invoice_lines::net_units.eq(line.net_units),
                invoice_lines::tax_units.eq(line.tax_units),
                invoice_lines::fx_rate.eq(&line.fx_rate),
                invoice_lines::net_budget_units.eq(line.net_budget_units),
                invoice_lines::match_result.eq(&line.match_result),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// An invoice with its lines and payments, as stored.
pub type StoredInvoice = (InvoiceRow, Vec<InvoiceLineRow>, Vec<PaymentRow>);

/// One invoice with its lines and payments.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<StoredInvoice>> {
    let row: Option<InvoiceRow> = invoices::table
        .filter(invoices::id.eq(id))
        .get_result(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let lines = invoice_lines::table
        .filter(invoice_lines::invoice_id.eq(id))
        .order(invoice_lines::line_no)
        .load(conn)?;
    let payments = invoice_payments::table
        .filter(invoice_payments::invoice_id.eq(id))
        .order(invoice_payments::id)
        .select((
            invoice_payments::amount_units,
            invoice_payments::paid_on,
            invoice_payments::reference,
            invoice_payments::recorded_by,
        ))
        .load(conn)?;
    Ok(Some((row, lines, payments)))
}

/// The earlier invoice of a vendor with this normalised number: `(id, number)`.
pub fn by_normalised_number(
    conn: &mut DbConnection,
    vendor_id: i64,
    normalised: &str,
) -> AppResult<Option<(i64, String)>> {
    Ok(invoices::table
        .filter(invoices::vendor_id.eq(vendor_id))
        .filter(invoices::normalised_number.eq(normalised))
        .select((invoices::id, invoices::number))
        .get_result(conn)
        .optional()?)
}

/// A vendor's live (not rejected) invoices of this kind with this total between two dates:
/// `(id, number, date)`.
pub fn same_total_between(
    conn: &mut DbConnection,
    vendor_id: i64,
    kind: &str,
    total_units: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<(i64, String, NaiveDate)>> {
    Ok(invoices::table
        .filter(invoices::vendor_id.eq(vendor_id))
        .filter(invoices::kind.eq(kind))
        .filter(invoices::total_units.eq(total_units))
        .filter(invoices::invoice_date.between(from, to))
        .filter(invoices::status.ne("rejected"))
        .order(invoices::id)
        .select((invoices::id, invoices::number, invoices::invoice_date))
        .load(conn)?)
}

/// Quantities on lines of pending invoices (recorded, matched or held, not yet approved) billing
/// these PO lines: `(po_line_id, quantity text)`, excluding `except_invoice`.
///
/// Two plain queries rather than a join: the lines by their PO line (an index range), then
/// which of their invoices are pending (primary keys). As one join, PostgreSQL sometimes drove
/// the plan from the invoices by status instead, which a bulk import, adding invoices faster
/// than statistics follow, made quadratic.
pub fn pending_quantities_on_po_lines(
    conn: &mut DbConnection,
    po_line_ids: &[i64],
    except_invoice: i64,
) -> AppResult<Vec<(Option<i64>, String)>> {
    let mut lines: Vec<(i64, Option<i64>, String)> = Vec::new();
    for chunk in po_line_ids.chunks(500) {
        let rows: Vec<(i64, Option<i64>, String)> = invoice_lines::table
            .filter(invoice_lines::po_line_id.eq_any(chunk))
            .filter(invoice_lines::invoice_id.ne(except_invoice))
            .select((
                invoice_lines::invoice_id,
                invoice_lines::po_line_id,
                invoice_lines::quantity,
            ))
            .load(conn)?;
        lines.extend(rows);
    }
    let mut invoice_ids: Vec<i64> = lines.iter().map(|(id, _, _)| *id).collect();
    invoice_ids.sort_unstable();
    invoice_ids.dedup();
    let mut pending = std::collections::HashSet::with_capacity(invoice_ids.len());
    for chunk in invoice_ids.chunks(500) {
        let ids: Vec<i64> = invoices::table
            .filter(invoices::id.eq_any(chunk))
            .filter(invoices::kind.eq("invoice"))
            .filter(invoices::status.eq_any(["received", "matched", "on_hold"]))
            .select(invoices::id)
            .load(conn)?;
        pending.extend(ids);
    }
    Ok(lines
        .into_iter()
        .filter(|(invoice, _, _)| pending.contains(invoice))
        .map(|(_, po_line, quantity)| (po_line, quantity))
        .collect())
}

/// Net amounts on lines billing a milestone, by invoice status, excluding `except_invoice`.
pub fn amounts_on_milestone(
    conn: &mut DbConnection,
    milestone_id: i64,
    except_invoice: i64,
) -> AppResult<Vec<(String, i64)>> {
    Ok(invoice_lines::table
        .inner_join(invoices::table)
        .filter(invoice_lines::milestone_id.eq(milestone_id))
        .filter(invoices::id.ne(except_invoice))
        .filter(invoices::kind.eq("invoice"))
        .select((invoices::status, invoice_lines::net_units))
        .load(conn)?)
}

/// Credit memos against an invoice: their total units (negative), excluding rejected ones.
pub fn credits_of(conn: &mut DbConnection, invoice_id: i64) -> AppResult<Vec<i64>> {
    Ok(invoices::table
        .filter(invoices::original_invoice_id.eq(invoice_id))
        .filter(invoices::status.ne("rejected"))
        .select(invoices::total_units)
        .load(conn)?)
}

/// A decision on an invoice at `expected_version`.
#[derive(Debug, Clone, Default)]
pub struct InvoiceChange {
    pub status: Option<String>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub paid_units: Option<i64>,
}

/// Applies a change if the invoice is at `expected_version`; false when it moved on.
pub fn change(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    change: &InvoiceChange,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let updated = diesel::update(
        invoices::table
            .filter(invoices::id.eq(id))
            .filter(invoices::version.eq(expected_version)),
    )
    .set((
        invoices::version.eq(expected_version + 1),
        invoices::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated != 1 {
        return Ok(false);
    }
    let row = invoices::table.filter(invoices::id.eq(id));
    if let Some(status) = &change.status {
        diesel::update(row)
            .set(invoices::status.eq(status))
            .execute(conn)?;
    }
    if let Some(by) = &change.decided_by {
        diesel::update(row)
            .set((
                invoices::decided_by.eq(by),
                invoices::decision_reason.eq(&change.decision_reason),
            ))
            .execute(conn)?;
    }
    if let Some(by) = &change.approved_by {
        diesel::update(row)
            .set((
                invoices::approved_by.eq(by),
                invoices::approved_at.eq(change.approved_at),
            ))
            .execute(conn)?;
    }
    if let Some(units) = change.paid_units {
        diesel::update(row)
            .set(invoices::paid_units.eq(units))
            .execute(conn)?;
    }
    Ok(true)
}

/// Records a payment.
pub fn insert_payment(
    conn: &mut DbConnection,
    invoice_id: i64,
    amount_units: i64,
    paid_on: NaiveDate,
    reference: Option<&str>,
    recorded_by: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(invoice_payments::table)
        .values((
            invoice_payments::invoice_id.eq(invoice_id),
            invoice_payments::amount_units.eq(amount_units),
            invoice_payments::paid_on.eq(paid_on),
            invoice_payments::reference.eq(reference),
            invoice_payments::recorded_by.eq(recorded_by),
            invoice_payments::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Filters for the invoice list.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub status: Option<String>,
    pub vendor_id: Option<i64>,
    pub kind: Option<String>,
}

/// A page of invoice ids.
pub fn list_ids(
    conn: &mut DbConnection,
    filter: &InvoiceFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<i64>> {
    let mut query = invoices::table
        .select(invoices::id)
        .into_boxed::<MultiBackend>();
    if let Some(status) = &filter.status {
        query = query.filter(invoices::status.eq(status.clone()));
    }
    if let Some(vendor_id) = filter.vendor_id {
        query = query.filter(invoices::vendor_id.eq(vendor_id));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(invoices::kind.eq(kind.clone()));
    }
    Ok(query
        .filter(invoices::id.gt(after))
        .order(invoices::id)
        .limit(limit)
        .load(conn)?)
}

/// A stored tolerance: `(scope_key, vendor, contract, price %, price abs, qty %, qty abs, by, at)`.
pub type ToleranceRow = (
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    NaiveDateTime,
);

/// Every stored tolerance, global first.
pub fn tolerances(conn: &mut DbConnection) -> AppResult<Vec<ToleranceRow>> {
    Ok(match_tolerances::table
        .order(match_tolerances::id)
        .select((
            match_tolerances::scope_key,
            match_tolerances::vendor_id,
            match_tolerances::contract_id,
            match_tolerances::price_percent,
            match_tolerances::price_absolute,
            match_tolerances::quantity_percent,
            match_tolerances::quantity_absolute,
            match_tolerances::updated_by,
            match_tolerances::updated_at,
        ))
        .load(conn)?)
}

/// Stored limits: `(price %, price abs, qty %, qty abs)` as decimal text.
pub type StoredLimits = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The tolerance stored for a scope key.
pub fn tolerance(conn: &mut DbConnection, scope_key: &str) -> AppResult<Option<StoredLimits>> {
    Ok(match_tolerances::table
        .filter(match_tolerances::scope_key.eq(scope_key))
        .select((
            match_tolerances::price_percent,
            match_tolerances::price_absolute,
            match_tolerances::quantity_percent,
            match_tolerances::quantity_absolute,
        ))
        .get_result(conn)
        .optional()?)
}

/// Stores a tolerance for a scope (replacing what was there).
#[allow(clippy::too_many_arguments)]
pub fn put_tolerance(
    conn: &mut DbConnection,
    scope_key: &str,
    vendor_id: Option<i64>,
    contract_id: Option<i64>,
    limits: [Option<String>; 4],
    by: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::delete(match_tolerances::table.filter(match_tolerances::scope_key.eq(scope_key)))
        .execute(conn)?;
    let [price_percent, price_absolute, quantity_percent, quantity_absolute] = limits;
    diesel::insert_into(match_tolerances::table)
        .values((
            match_tolerances::scope_key.eq(scope_key),
            match_tolerances::vendor_id.eq(vendor_id),
            match_tolerances::contract_id.eq(contract_id),
            match_tolerances::price_percent.eq(price_percent),
            match_tolerances::price_absolute.eq(price_absolute),
            match_tolerances::quantity_percent.eq(quantity_percent),
            match_tolerances::quantity_absolute.eq(quantity_absolute),
            match_tolerances::updated_by.eq(by),
            match_tolerances::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The live (not rejected) credit memo already crediting an SLA period, if any: `(id, number)`.
pub fn credit_for_measurement(
    conn: &mut DbConnection,
    measurement_id: i64,
) -> AppResult<Option<(i64, String)>> {
    Ok(invoices::table
        .filter(invoices::sla_measurement_id.eq(measurement_id))
        .filter(invoices::status.ne("rejected"))
        .select((invoices::id, invoices::number))
        .first(conn)
        .optional()?)
}
