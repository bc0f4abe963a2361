//! The budget ledger: per budget line, what is budgeted, committed, accrued and actual, in the
//! budget's currency, exactly, with the documents behind every figure.
//!
//! Rules:
//! - **committed**: approved purchase orders not yet invoiced: per PO line of an approved,
//!   issued or (partly) received PO, its budget amount less what invoices released.
//! - **accrued** (part of committed): received and not yet invoiced: per PO line, its budget
//!   amount × (received − invoiced) / ordered, rounded at the allocation point, never more than
//!   what the line still commits.
//! - **actual**: approved and paid invoice lines, credit memos negative.
//! - **remaining** = budget − actual − committed; **utilisation** = (actual + committed) /
//!   budget, in percent, rounded half-even to 2 places for display.
//! - Every figure is the exact sum of the documents listed for it (`?line=…&figure=…`).
//!
//! Still to come (the ledger issue): the split by month, budget change requests, forecasts.

pub mod handlers;
pub mod thresholds;

use crate::db::schema::{
    budget_lines, invoice_lines, invoices, purchase_order_lines, purchase_orders,
};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::storage::{decimal_from_text, money_from_units, money_to_units, sum_units};
use crate::money::{Currency, Money, MoneyError, RoundingPoint};
use crate::purchase_orders::model::PoStatus;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A ledger figure that can be drilled into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Open purchase-order value.
    Committed,
    /// Received, not yet invoiced.
    Accrued,
    /// Approved invoices.
    Actual,
}

/// The figures of one budget line (or of the project).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Figures {
    /// The budget.
    pub budget: String,
    /// Open purchase-order value.
    pub committed: String,
    /// Of `committed`, received and not yet invoiced.
    pub accrued: String,
    /// Approved invoices, net of credit memos.
    pub actual: String,
    /// `budget − actual − committed`.
    pub remaining: String,
    /// `(actual + committed) / budget` in percent, 2 places (0 without a budget).
    pub utilisation_percent: String,
}

/// One budget line in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LedgerLine {
    /// The budget line.
    pub budget_line_id: i64,
    /// `capex` or `opex`.
    pub category: String,
    /// Its cost center.
    pub cost_center: String,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// A document behind a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LedgerDocument {
    /// `po_line` or `invoice_line`.
    pub kind: String,
    /// The purchase order or invoice.
    pub document_id: i64,
    /// Its number.
    pub number: String,
    /// The line.
    pub line_id: i64,
    /// Its position on the document.
    pub line_no: i64,
    /// What it is.
    pub description: String,
    /// What it adds to the figure, in the budget's currency.
    pub amount: String,
}

/// The documents behind one figure of one line; their amounts add up to `total` exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LedgerDocuments {
    /// The budget line.
    pub budget_line_id: i64,
    /// The figure.
    pub figure: Figure,
    /// The figure's value (the sum of the documents).
    pub total: String,
    /// The documents, by document and line.
    pub documents: Vec<LedgerDocument>,
}

/// A project's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Ledger {
    /// The project.
    pub project_id: i64,
    /// Its (the budget's) currency.
    pub currency: String,
    /// Per budget line.
    pub lines: Vec<LedgerLine>,
    /// The project's totals (sums of the lines).
    pub totals: Figures,
    /// The documents behind a figure, when `line` and `figure` were asked for.
    pub documents: Option<LedgerDocuments>,
}

/// What a PO line has received and not yet had invoiced, valued at its budget amount:
/// `line budget × (received − invoiced) / ordered`, rounded at the allocation point, at most
/// `open` (what the line still commits).
pub fn accrued(
    line_budget: Money,
    open: Money,
    ordered: Decimal,
    received: Decimal,
    invoiced: Decimal,
) -> Result<Money, MoneyError> {
    let waiting = received - invoiced;
    if waiting <= Decimal::ZERO || ordered <= Decimal::ZERO {
        return Ok(Money::zero(line_budget.currency()));
    }
    let value = Money::round(
        line_budget
            .amount()
            .checked_mul(waiting)
            .ok_or(MoneyError::Overflow)?
            / ordered,
        line_budget.currency(),
        RoundingPoint::Allocation,
    )?;
    Ok(if value.amount() > open.amount() {
        open
    } else {
        value
    })
}

struct Doc {
    kind: &'static str,
    document_id: i64,
    number: String,
    line_id: i64,
    line_no: i64,
    description: String,
    budget_line_id: i64,
    figure: Figure,
    units: i64,
}

/// The ledger of a project; with `drill`, the documents behind one line's figure.
pub fn of_project(
    conn: &mut DbConnection,
    project_id: i64,
    drill: Option<(i64, Figure)>,
) -> AppResult<Ledger> {
    let project = crate::projects::service::get(conn, project_id)?;
    let currency = project.currency()?;
    let lines: Vec<(i64, String, String, i64)> = budget_lines::table
        .filter(budget_lines::project_id.eq(project_id))
        .order(budget_lines::id)
        .select((
            budget_lines::id,
            budget_lines::category,
            budget_lines::cost_center,
            budget_lines::amount_units,
        ))
        .load(conn)?;
    if let Some((line, _)) = drill {
        if !lines.iter().any(|(id, ..)| *id == line) {
            return Err(AppError::bad_request_field(
                "invalid_query",
                "line",
                format!(
                    "budget line {line} is not one of project {}'s",
                    project.code
                ),
            ));
        }
    }
    let docs = documents(conn, project_id, currency)?;
    let mut out_lines = Vec::with_capacity(lines.len());
    let mut totals = [0i64; 4];
    for (id, category, cost_center, budget_units) in &lines {
        let sum = |figure: Figure| {
            sum_units(
                docs.iter()
                    .filter(|d| d.budget_line_id == *id && d.figure == figure)
                    .map(|d| d.units),
            )
        };
        let values = [
            *budget_units,
            sum(Figure::Committed)?,
            sum(Figure::Accrued)?,
            sum(Figure::Actual)?,
        ];
        for (total, value) in totals.iter_mut().zip(values) {
            *total = sum_units([*total, value])?;
        }
        out_lines.push(LedgerLine {
            budget_line_id: *id,
            category: category.clone(),
            cost_center: cost_center.clone(),
            figures: figures(values, currency)?,
        });
    }
    let documents = match drill {
        None => None,
        Some((line, figure)) => {
            let chosen: Vec<&Doc> = docs
                .iter()
                .filter(|d| d.budget_line_id == line && d.figure == figure)
                .collect();
            let total = money_from_units(sum_units(chosen.iter().map(|d| d.units))?, currency)?;
            Some(LedgerDocuments {
                budget_line_id: line,
                figure,
                total: total.amount().to_string(),
                documents: chosen
                    .into_iter()
                    .map(|d| {
                        Ok(LedgerDocument {
                            kind: d.kind.to_string(),
                            document_id: d.document_id,
                            number: d.number.clone(),
                            line_id: d.line_id,
                            line_no: d.line_no,
                            description: d.description.clone(),
                            amount: money_from_units(d.units, currency)?.amount().to_string(),
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()?,
            })
        }
    };
    Ok(Ledger {
        project_id,
        currency: currency.code().to_string(),
        lines: out_lines,
        totals: figures(totals, currency)?,
        documents,
    })
}

fn figures(units: [i64; 4], currency: Currency) -> AppResult<Figures> {
    let [budget, committed, accrued, actual] = units;
    let m = |u: i64| money_from_units(u, currency);
    let remaining = m(budget)?
        .checked_sub(&m(actual)?)?
        .checked_sub(&m(committed)?)?;
    let used = m(actual)?.checked_add(&m(committed)?)?;
    let mut percent = if budget == 0 {
        Decimal::ZERO
    } else {
        RoundingPoint::Presentation.policy().round(
            used.amount() * Decimal::ONE_HUNDRED / m(budget)?.amount(),
            2,
        )
    };
    percent.rescale(2);
    Ok(Figures {
        budget: m(budget)?.amount().to_string(),
        committed: m(committed)?.amount().to_string(),
        accrued: m(accrued)?.amount().to_string(),
        actual: m(actual)?.amount().to_string(),
        remaining: remaining.amount().to_string(),
        utilisation_percent: percent.to_string(),
    })
}

/// Every document line behind the project's figures, valued in the budget's currency.
fn documents(conn: &mut DbConnection, project_id: i64, currency: Currency) -> AppResult<Vec<Doc>> {
    let open: Vec<&str> = PoStatus::COMMITTED.iter().map(|s| s.as_str()).collect();
    type PoLineFacts = (
        i64,
        String,
        i64,
        i64,
        String,
        i64,
        String,
        String,
        String,
        i64,
        i64,
    );
    let po_lines: Vec<PoLineFacts> = purchase_order_lines::table
        .inner_join(purchase_orders::table)
        .filter(purchase_orders::project_id.eq(project_id))
        .filter(purchase_orders::status.eq_any(open))
        .order((purchase_orders::id, purchase_order_lines::line_no))
        .select((
            purchase_orders::id,
            purchase_orders::number,
            purchase_order_lines::id,
            purchase_order_lines::line_no,
            purchase_order_lines::description,
            purchase_order_lines::budget_line_id,
            purchase_order_lines::quantity,
            purchase_order_lines::quantity_received,
            purchase_order_lines::quantity_invoiced,
            purchase_order_lines::net_budget_units,
            purchase_order_lines::released_budget_units,
        ))
        .load(conn)?;
    let corrupt = || AppError::internal(anyhow::anyhow!("corrupt PO line quantity"));
    let mut out = Vec::new();
    for (po_id, number, line_id, line_no, description, budget_line_id, q, r, i, net, released) in
        po_lines
    {
        let open_units = (net - released).max(0);
        if open_units == 0 {
            continue;
        }
        let line_budget = money_from_units(net, currency)?;
        let open = money_from_units(open_units, currency)?;
        let accrued = accrued(
            line_budget,
            open,
            decimal_from_text(&q).map_err(|_| corrupt())?,
            decimal_from_text(&r).map_err(|_| corrupt())?,
            decimal_from_text(&i).map_err(|_| corrupt())?,
        )?;
        let doc = |figure: Figure, units: i64| Doc {
            kind: "po_line",
            document_id: po_id,
            number: number.clone(),
            line_id,
            line_no,
            description: description.clone(),
            budget_line_id,
            figure,
            units,
        };
        out.push(doc(Figure::Committed, open_units));
        if !accrued.is_zero() {
            out.push(doc(Figure::Accrued, money_to_units(&accrued)?));
        }
    }
    type InvoiceLineFacts = (i64, String, i64, i64, String, i64, i64);
    let posted: Vec<InvoiceLineFacts> = invoice_lines::table
        .inner_join(invoices::table)
        .inner_join(budget_lines::table)
        .filter(budget_lines::project_id.eq(project_id))
        .filter(invoices::status.eq_any(crate::invoices::repo::POSTED))
        .order((invoices::id, invoice_lines::line_no))
        .select((
            invoices::id,
            invoices::number,
            invoice_lines::id,
            invoice_lines::line_no,
            invoice_lines::description,
            invoice_lines::budget_line_id,
            invoice_lines::net_budget_units,
        ))
        .load(conn)?;
    for (invoice_id, number, line_id, line_no, description, budget_line_id, units) in posted {
        out.push(Doc {
            kind: "invoice_line",
            document_id: invoice_id,
            number,
            line_id,
            line_no,
            description,
            budget_line_id,
            figure: Figure::Actual,
            units,
        });
    }
    Ok(out)
}

/// A project's budget, commitments and actuals in storage units, summed by the database (for
/// the threshold check, which runs in every transaction that moves them and must not read every
/// document line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub budget: i64,
    pub committed: i64,
    pub actual: i64,
}

#[derive(diesel::QueryableByName)]
struct Units {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    units: i64,
}

/// The project's totals, by three aggregate queries. `SUM` over BIGINT is exact on both engines
/// (SQLite sums integers as integers; PostgreSQL returns NUMERIC, cast back); the cast also keeps
/// Diesel from reading the sum as a float on SQLite. The project id is an integer formatted into
/// the text, so the statements need no engine-specific placeholders.
pub fn project_totals(conn: &mut DbConnection, project_id: i64) -> AppResult<Totals> {
    let open = PoStatus::COMMITTED
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let posted = crate::invoices::repo::POSTED
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sum = |sql: String| -> AppResult<i64> {
        let row: Units = diesel::sql_query(sql).get_result(conn)?;
        Ok(row.units)
    };
    Ok(Totals {
        budget: sum(format!(
            "SELECT CAST(COALESCE(SUM(amount_units), 0) AS BIGINT) AS units \
             FROM budget_lines WHERE project_id = {project_id}"
        ))?,
        committed: sum(format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN l.net_budget_units > l.released_budget_units \
             THEN l.net_budget_units - l.released_budget_units ELSE 0 END), 0) AS BIGINT) AS units \
             FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id \
             WHERE p.project_id = {project_id} AND p.status IN ({open})"
        ))?,
        actual: sum(format!(
            "SELECT CAST(COALESCE(SUM(il.net_budget_units), 0) AS BIGINT) AS units \
             FROM invoice_lines il JOIN invoices i ON i.id = il.invoice_id \
             JOIN budget_lines b ON b.id = il.budget_line_id \
             WHERE b.project_id = {project_id} AND i.status IN ({posted})"
        ))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn eur(s: &str) -> Money {
        Money::new(parse_decimal(s).unwrap(), Currency::parse("EUR").unwrap()).unwrap()
    }

    fn d(s: &str) -> Decimal {
        parse_decimal(s).unwrap()
    }

    #[test]
    fn accruals_value_what_arrived_and_was_not_billed() {
        // 3 of 10 received, 1 invoiced: 2/10 of 1000.00.
        assert_eq!(
            accrued(eur("1000.00"), eur("900.00"), d("10"), d("3"), d("1")).unwrap(),
            eur("200.00")
        );
        // A third of 100.00 rounds half-even to the cent.
        assert_eq!(
            accrued(eur("100.00"), eur("100.00"), d("3"), d("1"), d("0")).unwrap(),
            eur("33.33")
        );
        // Never more than the line still commits; nothing when all received was billed.
        assert_eq!(
            accrued(eur("100.00"), eur("10.00"), d("10"), d("5"), d("0")).unwrap(),
            eur("10.00")
        );
        assert!(
            accrued(eur("100.00"), eur("50.00"), d("10"), d("5"), d("5"))
                .unwrap()
                .is_zero()
        );
    }
}
