//! The reports' queries. Amounts are BIGINT units (1/10,000) summed by the database and cast
//! back to BIGINT (PostgreSQL's `SUM` of BIGINT is NUMERIC; the cast also keeps Diesel from
//! reading a sum as a float on SQLite), so every sum is exact on both engines. Quantities are
//! decimal text and never summed or compared in SQL (text compares as text on SQLite): rows that
//! need a quantity compared carry it out as text. Ids are integers and days `YYYY-MM-DD`,
//! formatted into the statements; status lists are the code's own constants.

use crate::db::DbConnection;
use crate::error::AppResult;
use crate::purchase_orders::model::PoStatus;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};
use diesel::RunQueryDsl;

fn quoted<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The PO statuses whose lines commit budget (the ledger's), as an SQL list.
fn committed_statuses() -> String {
    quoted(PoStatus::COMMITTED.iter().map(|s| s.as_str()))
}

/// `AND <column> = <id>` when an id is given.
fn and_id(column: &str, id: Option<i64>) -> String {
    id.map(|id| format!(" AND {column} = {id}"))
        .unwrap_or_default()
}

/// A PO line with open value or an accrual, with its order, project and vendor.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct PoLineRow {
    #[diesel(sql_type = BigInt)]
    pub project_id: i64,
    #[diesel(sql_type = Text)]
    pub project_code: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub po_id: i64,
    #[diesel(sql_type = Text)]
    pub po_number: String,
    #[diesel(sql_type = Text)]
    pub po_status: String,
    #[diesel(sql_type = Date)]
    pub order_date: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub vendor_id: i64,
    #[diesel(sql_type = Text)]
    pub vendor_name: String,
    #[diesel(sql_type = BigInt)]
    pub po_line_id: i64,
    #[diesel(sql_type = BigInt)]
    pub line_no: i64,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = BigInt)]
    pub budget_line_id: i64,
    #[diesel(sql_type = Nullable<Date>)]
    pub promised_date: Option<NaiveDate>,
    #[diesel(sql_type = Text)]
    pub quantity: String,
    #[diesel(sql_type = Text)]
    pub quantity_received: String,
    #[diesel(sql_type = Text)]
    pub quantity_invoiced: String,
    #[diesel(sql_type = BigInt)]
    pub net_budget_units: i64,
    #[diesel(sql_type = BigInt)]
    pub released_budget_units: i64,
    #[diesel(sql_type = BigInt)]
    pub accrued_budget_units: i64,
}

/// Which PO lines of committing orders to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoLineKind {
    /// Lines with received, not invoiced value.
    Accrued,
    /// Lines with open (not yet invoiced) value.
    Open,
}

impl PoLineKind {
    fn condition(self) -> &'static str {
        match self {
            PoLineKind::Accrued => "l.accrued_budget_units <> 0",
            PoLineKind::Open => "l.net_budget_units > l.released_budget_units",
        }
    }
}

/// The PO lines of committing orders (approved, issued, partly or fully received) with an
/// accrual or open value, by project, order and line.
pub fn po_lines(
    conn: &mut DbConnection,
    kind: PoLineKind,
    project_id: Option<i64>,
) -> AppResult<Vec<PoLineRow>> {
    let sql = format!(
        "SELECT p.project_id AS project_id, j.code AS project_code, p.budget_currency AS currency, \
                p.id AS po_id, p.number AS po_number, p.status AS po_status, \
                p.order_date AS order_date, p.vendor_id AS vendor_id, v.name AS vendor_name, \
                l.id AS po_line_id, l.line_no AS line_no, l.description AS description, \
                l.budget_line_id AS budget_line_id, l.promised_date AS promised_date, \
                l.quantity AS quantity, l.quantity_received AS quantity_received, \
                l.quantity_invoiced AS quantity_invoiced, \
                l.net_budget_units AS net_budget_units, \
                l.released_budget_units AS released_budget_units, \
                l.accrued_budget_units AS accrued_budget_units \
         FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
         JOIN projects j ON j.id = p.project_id JOIN vendors v ON v.id = p.vendor_id \
         WHERE p.status IN ({}) AND {}{} \
         ORDER BY p.project_id, p.id, l.line_no",
        committed_statuses(),
        kind.condition(),
        and_id("p.project_id", project_id),
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// A receipt or return line of a PO line.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct ReceiptRow {
    #[diesel(sql_type = BigInt)]
    pub po_line_id: i64,
    #[diesel(sql_type = BigInt)]
    pub receipt_id: i64,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub reverses_receipt_id: Option<i64>,
    #[diesel(sql_type = Date)]
    pub received_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub quantity: String,
}

/// The receipts and returns of the PO lines [`po_lines`] lists for `kind`, by line and receipt.
pub fn receipts_of_po_lines(
    conn: &mut DbConnection,
    kind: PoLineKind,
    project_id: Option<i64>,
) -> AppResult<Vec<ReceiptRow>> {
    let sql = format!(
        "SELECT rl.po_line_id AS po_line_id, r.id AS receipt_id, r.number AS number, \
                r.kind AS kind, r.reverses_receipt_id AS reverses_receipt_id, \
                r.received_on AS received_on, rl.quantity AS quantity \
         FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
         JOIN receipts r ON r.po_id = p.id \
         JOIN receipt_lines rl ON rl.receipt_id = r.id AND rl.po_line_id = l.id \
         WHERE p.status IN ({}) AND {}{} \
         ORDER BY rl.po_line_id, r.id",
        committed_statuses(),
        kind.condition(),
        and_id("p.project_id", project_id),
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// One group's posted invoice or credit-memo lines of one currency, kind and day.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct SpendOnDay {
    /// The vendor or contract (none: no contract; month grouping: 0).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub group_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// How many documents.
    #[diesel(sql_type = BigInt)]
    pub documents: i64,
    /// Net of their lines, in units of the currency.
    #[diesel(sql_type = BigInt)]
    pub net: i64,
}

/// What spend is grouped by, in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendKey {
    /// The invoice's vendor.
    Vendor,
    /// The contract of the PO line, milestone or SLA period the line bills.
    Contract,
    /// None (the caller folds days into months).
    Day,
}

/// Approved and paid invoices and credit memos dated `from..=to`, their lines' net summed per
/// group, currency, day and kind.
pub fn spend_by_day(
    conn: &mut DbConnection,
    key: SpendKey,
    from: NaiveDate,
    to: NaiveDate,
    vendor_id: Option<i64>,
) -> AppResult<Vec<SpendOnDay>> {
    let (group, joins) = match key {
        SpendKey::Vendor => ("i.vendor_id", ""),
        SpendKey::Contract => (
            "COALESCE(po.contract_id, w.contract_id, sl.contract_id)",
            " LEFT JOIN purchase_order_lines pl ON pl.id = il.po_line_id \
              LEFT JOIN purchase_orders po ON po.id = pl.po_id \
              LEFT JOIN milestones m ON m.id = il.milestone_id \
              LEFT JOIN sows w ON w.id = m.sow_id \
              LEFT JOIN sla_measurements sm ON sm.id = i.sla_measurement_id \
              LEFT JOIN slas sl ON sl.id = sm.sla_id",
        ),
        SpendKey::Day => ("CAST(0 AS BIGINT)", ""),
    };
    let sql = format!(
        "SELECT {group} AS group_id, i.currency AS currency, i.invoice_date AS day, \
                i.kind AS kind, CAST(COUNT(DISTINCT i.id) AS BIGINT) AS documents, \
                CAST(COALESCE(SUM(il.net_units), 0) AS BIGINT) AS net \
         FROM invoice_lines il JOIN invoices i ON i.id = il.invoice_id{joins} \
         WHERE i.status IN ({}) AND i.invoice_date >= '{from}' AND i.invoice_date <= '{to}'{} \
         GROUP BY {group}, i.currency, i.invoice_date, i.kind \
         ORDER BY 1, 2, 3, 4",
        quoted(crate::invoices::repo::POSTED.iter().copied()),
        and_id("i.vendor_id", vendor_id),
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// A held invoice.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct HeldRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = BigInt)]
    pub vendor_id: i64,
    #[diesel(sql_type = Text)]
    pub vendor_name: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Date)]
    pub invoice_date: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    pub due_date: Option<NaiveDate>,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub total_units: i64,
    #[diesel(sql_type = Text)]
    pub hold_reasons: String,
}

/// The invoices on hold now that were recorded on or before `as_of`, oldest first.
pub fn held_invoices(conn: &mut DbConnection, as_of: NaiveDate) -> AppResult<Vec<HeldRow>> {
    use chrono::Datelike;
    // Recorded on or before `as_of`: before the next day's midnight (none after 9999-12-31,
    // which PostgreSQL would not read as a timestamp).
    let recorded = match as_of.succ_opt() {
        Some(next) if next.year() <= 9999 => format!(" AND i.created_at < '{next}'"),
        _ => String::new(),
    };
    let sql = format!(
        "SELECT i.id AS id, i.number AS number, i.vendor_id AS vendor_id, v.name AS vendor_name, \
                i.kind AS kind, i.invoice_date AS invoice_date, i.due_date AS due_date, \
                i.created_at AS created_at, i.currency AS currency, \
                i.total_units AS total_units, i.hold_reasons AS hold_reasons \
         FROM invoices i JOIN vendors v ON v.id = i.vendor_id \
         WHERE i.status = 'on_hold'{recorded} \
         ORDER BY i.created_at, i.id"
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// An SLA period with a credit.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct CreditRow {
    #[diesel(sql_type = BigInt)]
    pub measurement_id: i64,
    #[diesel(sql_type = BigInt)]
    pub vendor_id: i64,
    #[diesel(sql_type = Text)]
    pub vendor_name: String,
    #[diesel(sql_type = BigInt)]
    pub contract_id: i64,
    #[diesel(sql_type = Text)]
    pub contract_number: String,
    #[diesel(sql_type = BigInt)]
    pub sla_id: i64,
    #[diesel(sql_type = Text)]
    pub sla_name: String,
    #[diesel(sql_type = Text)]
    pub measurement_period: String,
    #[diesel(sql_type = Text)]
    pub period: String,
    #[diesel(sql_type = Text)]
    pub value: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub tier: Option<i32>,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub credit_units: i64,
    #[diesel(sql_type = Text)]
    pub credit_status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub credit_memo_number: Option<String>,
}

/// Every period text starts with its four-digit year (`2027-03`, `2027-Q1`, `2027`), so
/// `period >= 'YYYY' AND period < 'YYYY+1'` keeps the periods of the window's years, whatever
/// their kind; the caller keeps those whose first day is in the window.
fn period_years(from: NaiveDate, to: NaiveDate) -> String {
    use chrono::Datelike;
    format!(
        "m.period >= '{:04}' AND m.period < '{:04}'",
        from.year(),
        to.year() + 1
    )
}

/// The SLA periods with a credit (receivable or applied) of the window's years, by vendor,
/// contract, SLA and period.
pub fn sla_credits(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    vendor_id: Option<i64>,
) -> AppResult<Vec<CreditRow>> {
    let sql = format!(
        "SELECT m.id AS measurement_id, c.vendor_id AS vendor_id, v.name AS vendor_name, \
                c.id AS contract_id, c.number AS contract_number, s.id AS sla_id, \
                s.name AS sla_name, s.measurement_period AS measurement_period, \
                m.period AS period, m.value AS value, m.tier AS tier, s.currency AS currency, \
                m.credit_units AS credit_units, m.credit_status AS credit_status, \
                (SELECT MIN(i.number) FROM invoices i WHERE i.sla_measurement_id = m.id \
                   AND i.status <> 'rejected') AS credit_memo_number \
         FROM sla_measurements m JOIN slas s ON s.id = m.sla_id \
         JOIN contracts c ON c.id = s.contract_id JOIN vendors v ON v.id = c.vendor_id \
         WHERE m.credit_status <> 'none' AND {}{} \
         ORDER BY c.vendor_id, c.id, s.id, m.period, m.id",
        period_years(from, to),
        and_id("c.vendor_id", vendor_id),
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// A vendor's SLA periods of one SLA kind, period text and currency, counted and summed.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct SlaPeriodCounts {
    #[diesel(sql_type = BigInt)]
    pub vendor_id: i64,
    #[diesel(sql_type = Text)]
    pub measurement_period: String,
    #[diesel(sql_type = Text)]
    pub period: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub measured: i64,
    #[diesel(sql_type = BigInt)]
    pub met: i64,
    #[diesel(sql_type = BigInt)]
    pub receivable: i64,
    #[diesel(sql_type = BigInt)]
    pub applied: i64,
}

/// SLA periods of the window's years per vendor, period and currency: measured, met, credits
/// receivable and applied.
pub fn sla_period_counts(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    vendor_id: Option<i64>,
) -> AppResult<Vec<SlaPeriodCounts>> {
    let sql = format!(
        "SELECT c.vendor_id AS vendor_id, s.measurement_period AS measurement_period, \
                m.period AS period, s.currency AS currency, \
                CAST(COUNT(*) AS BIGINT) AS measured, \
                CAST(COALESCE(SUM(CASE WHEN m.met THEN 1 ELSE 0 END), 0) AS BIGINT) AS met, \
                CAST(COALESCE(SUM(CASE WHEN m.credit_status = 'receivable' \
                     THEN m.credit_units ELSE 0 END), 0) AS BIGINT) AS receivable, \
                CAST(COALESCE(SUM(CASE WHEN m.credit_status = 'applied' \
                     THEN m.credit_units ELSE 0 END), 0) AS BIGINT) AS applied \
         FROM sla_measurements m JOIN slas s ON s.id = m.sla_id \
         JOIN contracts c ON c.id = s.contract_id \
         WHERE {}{} \
         GROUP BY c.vendor_id, s.measurement_period, m.period, s.currency \
         ORDER BY 1, 2, 3, 4",
        period_years(from, to),
        and_id("c.vendor_id", vendor_id),
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// A PO line promised in the window, with the day of its last receipt not reversed.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct DueLine {
    #[diesel(sql_type = BigInt)]
    pub vendor_id: i64,
    #[diesel(sql_type = Text)]
    pub po_status: String,
    #[diesel(sql_type = Date)]
    pub promised_date: NaiveDate,
    #[diesel(sql_type = Text)]
    pub quantity: String,
    #[diesel(sql_type = Text)]
    pub quantity_received: String,
    #[diesel(sql_type = Nullable<Date>)]
    pub delivered_on: Option<NaiveDate>,
}

/// The lines of approved (or later, but not cancelled) orders promised `from..=to`. The last
/// receipt is found through the order's receipts (indexed by order), not by scanning receipt
/// lines.
pub fn due_lines(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    vendor_id: Option<i64>,
) -> AppResult<Vec<DueLine>> {
    let statuses = format!("{}, 'closed'", committed_statuses());
    let sql = format!(
        "SELECT p.vendor_id AS vendor_id, p.status AS po_status, \
                l.promised_date AS promised_date, l.quantity AS quantity, \
                l.quantity_received AS quantity_received, \
                (SELECT MAX(r.received_on) FROM receipts r \
                   JOIN receipt_lines rl ON rl.receipt_id = r.id \
                  WHERE r.po_id = p.id AND rl.po_line_id = l.id AND r.kind = 'receipt' \
                    AND NOT EXISTS (SELECT 1 FROM receipts x WHERE x.po_id = p.id \
                                    AND x.reverses_receipt_id = r.id)) AS delivered_on \
         FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
         WHERE p.status IN ({statuses}) AND l.promised_date >= '{from}' \
           AND l.promised_date <= '{to}'{} \
         ORDER BY p.vendor_id, l.id",
        and_id("p.vendor_id", vendor_id),
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// A vendor's invoices dated in the window: how many, how many were held, how many as
/// suspected duplicates.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct InvoiceCounts {
    #[diesel(sql_type = BigInt)]
    pub vendor_id: i64,
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub invoices: i64,
    #[diesel(sql_type = BigInt)]
    pub held: i64,
    #[diesel(sql_type = BigInt)]
    pub duplicates: i64,
}

/// Invoices (not credit memos) dated `from..=to` per vendor and invoice date. `hold_reasons` is written at
/// recording and never cleared (a release or rejection keeps it), so it tells every invoice
/// that was ever held.
pub fn invoice_counts(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    vendor_id: Option<i64>,
) -> AppResult<Vec<InvoiceCounts>> {
    let sql = format!(
        "SELECT i.vendor_id AS vendor_id, i.invoice_date AS day, \
                CAST(COUNT(*) AS BIGINT) AS invoices, \
                CAST(COALESCE(SUM(CASE WHEN i.hold_reasons <> '[]' THEN 1 ELSE 0 END), 0) \
                     AS BIGINT) AS held, \
                CAST(COALESCE(SUM(CASE WHEN i.hold_reasons LIKE '%\"suspected_duplicate\"%' \
                     THEN 1 ELSE 0 END), 0) AS BIGINT) AS duplicates \
         FROM invoices i \
         WHERE i.kind = 'invoice' AND i.invoice_date >= '{from}' AND i.invoice_date <= '{to}'{} \
         GROUP BY i.vendor_id, i.invoice_date ORDER BY 1, 2",
        and_id("i.vendor_id", vendor_id),
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Names of vendors by id.
pub fn vendor_names(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
    use crate::db::schema::vendors;
    use diesel::prelude::*;
    Ok(vendors::table
        .filter(vendors::id.eq_any(ids))
        .select((vendors::id, vendors::name))
        .load(conn)?)
}

/// Numbers of contracts by id.
pub fn contract_numbers(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
    use crate::db::schema::contracts;
    use diesel::prelude::*;
    Ok(contracts::table
        .filter(contracts::id.eq_any(ids))
        .select((contracts::id, contracts::number))
        .load(conn)?)
}
