//! The ledger's queries: every figure is summed by the database, grouped by budget line (and by
//! day, which the caller folds into months), so a project with a million invoice lines returns a
//! few thousand rows at most. `SUM` over BIGINT units is exact on both engines (SQLite sums
//! integers as integers; PostgreSQL returns NUMERIC, cast back to BIGINT); the cast also keeps
//! Diesel from reading a sum as a float on SQLite. Ids are integers formatted into the text and
//! the status lists are the code's own constants, so the statements need no engine-specific
//! placeholders.

use crate::db::DbConnection;
use crate::error::AppResult;
use crate::purchase_orders::model::PoStatus;
use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Date, Nullable};
use diesel::RunQueryDsl;

/// The PO statuses whose lines commit budget, as an SQL list.
fn committed_statuses() -> String {
    quoted(PoStatus::COMMITTED.iter().map(|s| s.as_str()))
}

/// The invoice statuses whose lines are actuals, as an SQL list.
fn posted_statuses() -> String {
    quoted(crate::invoices::repo::POSTED.iter().copied())
}

fn quoted<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Open commitments and accruals of one budget line on one day (the PO line's promised date, or
/// the order date without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct CommittedOnDay {
    /// The budget line.
    #[diesel(sql_type = BigInt)]
    pub budget_line_id: i64,
    /// The day.
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    /// Open PO value, in units.
    #[diesel(sql_type = BigInt)]
    pub committed: i64,
    /// Received and not invoiced, in units.
    #[diesel(sql_type = BigInt)]
    pub accrued: i64,
}

/// Actuals of one budget line on one invoice date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct ActualOnDay {
    /// The budget line.
    #[diesel(sql_type = BigInt)]
    pub budget_line_id: i64,
    /// The invoice date.
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    /// Approved invoice lines net of credit memos, in units.
    #[diesel(sql_type = BigInt)]
    pub actual: i64,
}

/// One budget line's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct LineTotal {
    /// The budget line.
    #[diesel(sql_type = BigInt)]
    pub budget_line_id: i64,
    /// The sum, in units.
    #[diesel(sql_type = BigInt)]
    pub units: i64,
}

/// The latest estimate to complete of a budget line.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct LatestEstimate {
    /// The budget line.
    #[diesel(sql_type = BigInt)]
    pub budget_line_id: i64,
    /// The estimate, in units.
    #[diesel(sql_type = BigInt)]
    pub units: i64,
    /// Who entered it.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub entered_by: String,
    /// When (UTC).
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub entered_at: chrono::NaiveDateTime,
    /// Why.
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    pub note: Option<String>,
}

/// Open commitments and accruals of a project's budget lines, by line and day.
pub fn committed_by_day(
    conn: &mut DbConnection,
    project_id: i64,
) -> AppResult<Vec<CommittedOnDay>> {
    let sql = format!(
        "SELECT l.budget_line_id AS budget_line_id, \
                COALESCE(l.promised_date, p.order_date) AS day, \
                CAST(COALESCE(SUM(CASE WHEN l.net_budget_units > l.released_budget_units \
                     THEN l.net_budget_units - l.released_budget_units ELSE 0 END), 0) AS BIGINT) AS committed, \
                CAST(COALESCE(SUM(l.accrued_budget_units), 0) AS BIGINT) AS accrued \
         FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
         WHERE p.project_id = {project_id} AND p.status IN ({}) \
         GROUP BY l.budget_line_id, COALESCE(l.promised_date, p.order_date) \
         ORDER BY 1, 2",
        committed_statuses()
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Actuals of a project's budget lines, by line and invoice date.
pub fn actual_by_day(conn: &mut DbConnection, project_id: i64) -> AppResult<Vec<ActualOnDay>> {
    let sql = format!(
        "SELECT il.budget_line_id AS budget_line_id, i.invoice_date AS day, \
                CAST(COALESCE(SUM(il.net_budget_units), 0) AS BIGINT) AS actual \
         FROM invoice_lines il JOIN invoices i ON i.id = il.invoice_id \
         JOIN budget_lines b ON b.id = il.budget_line_id \
         WHERE b.project_id = {project_id} AND i.status IN ({}) \
         GROUP BY il.budget_line_id, i.invoice_date \
         ORDER BY 1, 2",
        posted_statuses()
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Open commitments of a project's budget lines (for the threshold check: no grouping by day).
pub fn committed_by_line(conn: &mut DbConnection, project_id: i64) -> AppResult<Vec<LineTotal>> {
    let sql = format!(
        "SELECT l.budget_line_id AS budget_line_id, \
                CAST(COALESCE(SUM(CASE WHEN l.net_budget_units > l.released_budget_units \
                     THEN l.net_budget_units - l.released_budget_units ELSE 0 END), 0) AS BIGINT) AS units \
         FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
         WHERE p.project_id = {project_id} AND p.status IN ({}) \
         GROUP BY l.budget_line_id ORDER BY 1",
        committed_statuses()
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Actuals of a project's budget lines (for the threshold check: no grouping by day).
pub fn actual_by_line(conn: &mut DbConnection, project_id: i64) -> AppResult<Vec<LineTotal>> {
    let sql = format!(
        "SELECT il.budget_line_id AS budget_line_id, \
                CAST(COALESCE(SUM(il.net_budget_units), 0) AS BIGINT) AS units \
         FROM invoice_lines il JOIN invoices i ON i.id = il.invoice_id \
         JOIN budget_lines b ON b.id = il.budget_line_id \
         WHERE b.project_id = {project_id} AND i.status IN ({}) \
         GROUP BY il.budget_line_id ORDER BY 1",
        posted_statuses()
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Approved budget changes per line: the sum of `new − base` of approved change requests.
pub fn approved_changes_by_line(
    conn: &mut DbConnection,
    project_id: i64,
) -> AppResult<Vec<LineTotal>> {
    let sql = format!(
        "SELECT c.budget_line_id AS budget_line_id, \
                CAST(COALESCE(SUM(c.amount_units - c.base_amount_units), 0) AS BIGINT) AS units \
         FROM budget_change_requests c JOIN budget_lines b ON b.id = c.budget_line_id \
         WHERE b.project_id = {project_id} AND c.status = 'approved' \
         GROUP BY c.budget_line_id ORDER BY 1"
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Pending (proposed) budget change requests per line: how many.
pub fn pending_changes_by_line(
    conn: &mut DbConnection,
    project_id: i64,
) -> AppResult<Vec<LineTotal>> {
    let sql = format!(
        "SELECT c.budget_line_id AS budget_line_id, CAST(COUNT(*) AS BIGINT) AS units \
         FROM budget_change_requests c JOIN budget_lines b ON b.id = c.budget_line_id \
         WHERE b.project_id = {project_id} AND c.status = 'proposed' \
         GROUP BY c.budget_line_id ORDER BY 1"
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// The latest estimate to complete of each of a project's budget lines that has one.
pub fn latest_estimates(
    conn: &mut DbConnection,
    project_id: i64,
) -> AppResult<Vec<LatestEstimate>> {
    let sql = format!(
        "SELECT e.budget_line_id AS budget_line_id, e.amount_units AS units, \
                e.entered_by AS entered_by, e.entered_at AS entered_at, e.note AS note \
         FROM budget_line_estimates e JOIN budget_lines b ON b.id = e.budget_line_id \
         WHERE b.project_id = {project_id} AND e.id = ( \
             SELECT MAX(e2.id) FROM budget_line_estimates e2 \
             WHERE e2.budget_line_id = e.budget_line_id) \
         ORDER BY 1"
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// One project's total of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct ProjectTotal {
    /// The project.
    #[diesel(sql_type = BigInt)]
    pub project_id: i64,
    /// The sum, in units.
    #[diesel(sql_type = BigInt)]
    pub units: i64,
}

/// Every project's budget, committed, actual and approved changes, each one grouped query.
pub fn portfolio_totals(conn: &mut DbConnection) -> AppResult<[Vec<ProjectTotal>; 5]> {
    let mut load =
        |sql: String| -> AppResult<Vec<ProjectTotal>> { Ok(diesel::sql_query(sql).load(conn)?) };
    Ok([
        load("SELECT project_id, CAST(COALESCE(SUM(amount_units), 0) AS BIGINT) AS units \
              FROM budget_lines GROUP BY project_id ORDER BY 1"
            .into())?,
        load(format!(
            "SELECT p.project_id AS project_id, \
                    CAST(COALESCE(SUM(CASE WHEN l.net_budget_units > l.released_budget_units \
                         THEN l.net_budget_units - l.released_budget_units ELSE 0 END), 0) AS BIGINT) AS units \
             FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
             WHERE p.status IN ({}) GROUP BY p.project_id ORDER BY 1",
            committed_statuses()
        ))?,
        load(format!(
            "SELECT p.project_id AS project_id, \
                    CAST(COALESCE(SUM(l.accrued_budget_units), 0) AS BIGINT) AS units \
             FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
             WHERE p.status IN ({}) GROUP BY p.project_id ORDER BY 1",
            committed_statuses()
        ))?,
        load(format!(
            "SELECT b.project_id AS project_id, \
                    CAST(COALESCE(SUM(il.net_budget_units), 0) AS BIGINT) AS units \
             FROM invoice_lines il JOIN invoices i ON i.id = il.invoice_id \
             JOIN budget_lines b ON b.id = il.budget_line_id \
             WHERE i.status IN ({}) GROUP BY b.project_id ORDER BY 1",
            posted_statuses()
        ))?,
        load("SELECT b.project_id AS project_id, \
                     CAST(COALESCE(SUM(c.amount_units - c.base_amount_units), 0) AS BIGINT) AS units \
              FROM budget_change_requests c JOIN budget_lines b ON b.id = c.budget_line_id \
              WHERE c.status = 'approved' GROUP BY b.project_id ORDER BY 1"
            .into())?,
    ])
}
