//! Invoice rows: headers, lines, payments and tolerances.

use crate::db::schema::{invoice_lines, invoices};
use crate::db::DbConnection;
use crate::error::AppResult;
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
    Ok(rows.iter().sum())
}
