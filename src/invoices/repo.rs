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

/// An invoice header row as written.
#[derive(Insertable)]
#[diesel(table_name = invoices, treat_none_as_default_value = false)]
struct InvoiceRecord<'a> {
    number: &'a str,
    normalised_number: &'a str,
    vendor_id: i64,
    kind: &'a str,
    original_invoice_id: Option<i64>,
    sla_measurement_id: Option<i64>,
    invoice_date: NaiveDate,
    due_date: Option<NaiveDate>,
    currency: &'a str,
    net_units: i64,
    tax_units: i64,
    total_units: i64,
    status: &'a str,
    hold_reasons: &'a str,
    created_by: &'a str,
    created_by_token: i64,
    paid_units: i64,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// An invoice line row as written.
#[derive(Insertable)]
#[diesel(table_name = invoice_lines, treat_none_as_default_value = false)]
struct InvoiceLineRecord<'a> {
    invoice_id: i64,
    line_no: i64,
    po_line_id: Option<i64>,
    milestone_id: Option<i64>,
    budget_line_id: i64,
    description: &'a str,
    quantity: &'a str,
    unit_price: &'a str,
    tax_percent: &'a str,
    net_units: i64,
    tax_units: i64,
    fx_rate: &'a str,
    net_budget_units: i64,
    match_result: &'a str,
}

/// Ids read back per query (an `IN` list well under both engines' bound-value limits).
const IDS_PER_QUERY: usize = 1_000;

/// Stores invoices with their lines in multi-row statements (a few for a thousand invoices);
/// returns their ids in the order given. Each vendor's normalised numbers are unique (the
/// table says so), which is how the new rows are found again on both engines.
pub fn insert_many(
    conn: &mut DbConnection,
    documents: &[(NewInvoice<'_>, &[NewInvoiceLine])],
    now: NaiveDateTime,
) -> AppResult<Vec<i64>> {
    let headers: Vec<InvoiceRecord<'_>> = documents
        .iter()
        .map(|(invoice, _)| InvoiceRecord {
            number: invoice.number,
            normalised_number: invoice.normalised_number,
            vendor_id: invoice.vendor_id,
            kind: invoice.kind,
            original_invoice_id: invoice.original_invoice_id,
            sla_measurement_id: invoice.sla_measurement_id,
            invoice_date: invoice.invoice_date,
            due_date: invoice.due_date,
            currency: invoice.currency,
            net_units: invoice.net_units,
            tax_units: invoice.tax_units,
            total_units: invoice.total_units,
            status: invoice.status,
            hold_reasons: invoice.hold_reasons,
            created_by: invoice.created_by,
            created_by_token: invoice.created_by_token,
            paid_units: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    crate::insert_rows!(conn, invoices::table, headers, 20);
    let ids = ids_by_number(
        conn,
        documents
            .iter()
            .map(|(i, _)| (i.vendor_id, i.normalised_number)),
    )?;
    let lines: Vec<InvoiceLineRecord<'_>> = documents
        .iter()
        .zip(&ids)
        .flat_map(|((_, lines), id)| {
            lines.iter().enumerate().map(|(i, line)| InvoiceLineRecord {
                invoice_id: *id,
                line_no: i as i64 + 1,
                po_line_id: line.po_line_id,
                milestone_id: line.milestone_id,
                budget_line_id: line.budget_line_id,
                description: &line.description,
                quantity: &line.quantity,
                unit_price: &line.unit_price,
                tax_percent: &line.tax_percent,
                net_units: line.net_units,
                tax_units: line.tax_units,
                fx_rate: &line.fx_rate,
                net_budget_units: line.net_budget_units,
                match_result: &line.match_result,
            })
        })
        .collect();
    crate::insert_rows!(conn, invoice_lines::table, lines, 14);
    Ok(ids)
}

/// The ids of invoices by vendor and normalised number, in the order asked; an invoice that
/// is not there is an error (the caller has just written it).
fn ids_by_number<'a>(
    conn: &mut DbConnection,
    keys: impl Iterator<Item = (i64, &'a str)>,
) -> AppResult<Vec<i64>> {
    let keys: Vec<(i64, &str)> = keys.collect();
    let mut found: std::collections::HashMap<(i64, &str), i64> =
        std::collections::HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(IDS_PER_QUERY) {
        let mut vendors: Vec<i64> = chunk.iter().map(|(v, _)| *v).collect();
        vendors.sort_unstable();
        vendors.dedup();
        let numbers: Vec<&str> = chunk.iter().map(|(_, n)| *n).collect();
        let rows: Vec<(i64, i64, String)> = invoices::table
            .filter(invoices::vendor_id.eq_any(&vendors))
            .filter(invoices::normalised_number.eq_any(&numbers))
            .select((
                invoices::id,
                invoices::vendor_id,
                invoices::normalised_number,
            ))
            .load(conn)?;
        for (id, vendor, number) in rows {
            if let Some(key) = chunk
                .iter()
                .find(|(v, n)| *v == vendor && *n == number.as_str())
            {
                found.insert(*key, id);
            }
        }
    }
    keys.iter()
        .map(|key| {
            found.get(key).copied().ok_or_else(|| {
                crate::error::AppError::internal(anyhow::anyhow!(
                    "invoice {} of vendor {} was written but is not there",
                    key.1,
                    key.0
                ))
            })
        })
        .collect()
}

/// Sets the status and holds of an invoice just recorded (a hold naming another invoice of
/// the same batch, whose id was not known before both were written).
pub fn set_holds(
    conn: &mut DbConnection,
    id: i64,
    status: &str,
    hold_reasons: &str,
) -> AppResult<()> {
    diesel::update(invoices::table.filter(invoices::id.eq(id)))
        .set((
            invoices::status.eq(status),
            invoices::hold_reasons.eq(hold_reasons),
        ))
        .execute(conn)?;
    Ok(())
}

/// The ids of the lines of these invoices, per invoice in line order.
pub fn line_ids(
    conn: &mut DbConnection,
    invoice_ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, Vec<i64>>> {
    let mut out: std::collections::HashMap<i64, Vec<(i64, i64)>> =
        std::collections::HashMap::with_capacity(invoice_ids.len());
    for chunk in invoice_ids.chunks(IDS_PER_QUERY) {
        let rows: Vec<(i64, i64, i64)> = invoice_lines::table
            .filter(invoice_lines::invoice_id.eq_any(chunk))
            .select((
                invoice_lines::invoice_id,
                invoice_lines::line_no,
                invoice_lines::id,
            ))
            .load(conn)?;
        for (invoice, line_no, id) in rows {
            out.entry(invoice).or_default().push((line_no, id));
        }
    }
    Ok(out
        .into_iter()
        .map(|(invoice, mut lines)| {
            lines.sort_unstable();
            (invoice, lines.into_iter().map(|(_, id)| id).collect())
        })
        .collect())
}

/// One invoice with its lines and payments, as stored.
pub type StoredInvoice = (InvoiceRow, Vec<InvoiceLineRow>, Vec<PaymentRow>);

/// One invoice with its lines and payments.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<StoredInvoice>> {
    Ok(find_many(conn, &[id])?.pop())
}

/// Invoices with their lines and payments, in the order of `ids` (missing ones left out), in
/// three queries per thousand.
pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<StoredInvoice>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let rows: Vec<InvoiceRow> = if let [id] = chunk {
            // `= ?` for one: a fixed statement that Diesel prepares once and caches.
            invoices::table.filter(invoices::id.eq(id)).load(conn)?
        } else {
            invoices::table
                .filter(invoices::id.eq_any(chunk))
                .load(conn)?
        };
        let mut lines: Vec<InvoiceLineRow> = if let [id] = chunk {
            invoice_lines::table
                .filter(invoice_lines::invoice_id.eq(id))
                .load(conn)?
        } else {
            invoice_lines::table
                .filter(invoice_lines::invoice_id.eq_any(chunk))
                .load(conn)?
        };
        lines.sort_unstable_by_key(|l| (l.invoice_id, l.line_no));
        let payments: Vec<(i64, i64, PaymentRow)> = invoice_payments::table
            .filter(invoice_payments::invoice_id.eq_any(chunk))
            .order(invoice_payments::id)
            .select((
                invoice_payments::invoice_id,
                invoice_payments::id,
                (
                    invoice_payments::amount_units,
                    invoice_payments::paid_on,
                    invoice_payments::reference,
                    invoice_payments::recorded_by,
                ),
            ))
            .load(conn)?;
        let mut by_id: std::collections::HashMap<i64, StoredInvoice> = rows
            .into_iter()
            .map(|row| (row.id, (row, Vec::new(), Vec::new())))
            .collect();
        for line in lines {
            if let Some(entry) = by_id.get_mut(&line.invoice_id) {
                entry.1.push(line);
            }
        }
        for (invoice_id, _, payment) in payments {
            if let Some(entry) = by_id.get_mut(&invoice_id) {
                entry.2.push(payment);
            }
        }
        out.extend(chunk.iter().filter_map(|id| by_id.remove(id)));
    }
    Ok(out)
}

/// The earlier invoices of vendors with these normalised numbers: `(vendor_id, normalised,
/// id, number)`.
pub fn by_normalised_numbers(
    conn: &mut DbConnection,
    keys: &[(i64, String)],
) -> AppResult<Vec<(i64, String, i64, String)>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(IDS_PER_QUERY) {
        let mut vendors: Vec<i64> = chunk.iter().map(|(v, _)| *v).collect();
        vendors.sort_unstable();
        vendors.dedup();
        let numbers: Vec<&str> = chunk.iter().map(|(_, n)| n.as_str()).collect();
        let rows: Vec<(i64, String, i64, String)> = invoices::table
            .filter(invoices::vendor_id.eq_any(&vendors))
            .filter(invoices::normalised_number.eq_any(&numbers))
            .select((
                invoices::vendor_id,
                invoices::normalised_number,
                invoices::id,
                invoices::number,
            ))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

/// A live invoice with a total some new invoice also has.
#[derive(Debug, Clone, Queryable)]
pub struct SameTotal {
    pub id: i64,
    pub vendor_id: i64,
    pub kind: String,
    pub total_units: i64,
    pub number: String,
    pub invoice_date: NaiveDate,
}

/// Live (not rejected) invoices of these vendors with one of these totals dated between two
/// dates, by id.
pub fn live_with_totals_between(
    conn: &mut DbConnection,
    vendor_ids: &[i64],
    totals: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<SameTotal>> {
    let mut out = Vec::new();
    for chunk in totals.chunks(IDS_PER_QUERY) {
        let rows: Vec<SameTotal> = invoices::table
            .filter(invoices::vendor_id.eq_any(vendor_ids))
            .filter(invoices::total_units.eq_any(chunk))
            .filter(invoices::invoice_date.between(from, to))
            .filter(invoices::status.ne("rejected"))
            .select((
                invoices::id,
                invoices::vendor_id,
                invoices::kind,
                invoices::total_units,
                invoices::number,
                invoices::invoice_date,
            ))
            .load(conn)?;
        out.extend(rows);
    }
    out.sort_unstable_by_key(|r| r.id);
    Ok(out)
}

/// Quantities on lines of pending invoices (recorded, matched or held, not yet approved) billing
/// these PO lines: `(po_line_id, quantity text)`.
///
/// Two plain queries rather than a join: the lines by their PO line (an index range), then
/// which of their invoices are pending (primary keys). As one join, PostgreSQL sometimes drove
/// the plan from the invoices by status instead, which a bulk import, adding invoices faster
/// than statistics follow, made quadratic.
pub fn pending_quantities_on_po_lines(
    conn: &mut DbConnection,
    po_line_ids: &[i64],
) -> AppResult<Vec<(Option<i64>, String)>> {
    let mut lines: Vec<(i64, Option<i64>, String)> = Vec::new();
    for chunk in po_line_ids.chunks(500) {
        let rows: Vec<(i64, Option<i64>, String)> = invoice_lines::table
            .filter(invoice_lines::po_line_id.eq_any(chunk))
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
