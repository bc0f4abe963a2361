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
//! - **by month**: the phased budget by its month, committed and accrued by the PO line's
//!   promised date (the order date without one), actual by invoice date; months add up to the
//!   line's figures exactly.
//! - **budget**: the current budget; `original_budget` is what it was before approved change
//!   requests, `approved_changes` their sum; pending requests do not move it.
//! - Figures are summed by the database ([`repo`]); only the documents of a drilled-into
//!   figure are read row by row.
//!
//! Forecasts build on these figures ([`projection`], with the calculators in [`forecast`]).

pub mod estimates;
pub mod forecast;
pub mod handlers;
pub mod portfolio;
pub mod projection;
pub mod repo;
pub mod thresholds;

use crate::budgets::model::month_of;
use crate::db::schema::{
    budget_line_months, budget_lines, invoice_lines, invoices, purchase_order_lines,
    purchase_orders,
};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::storage::{money_from_units, sum_units};
use crate::money::{Currency, Money, MoneyError, RoundingPoint};
use crate::purchase_orders::model::PoStatus;
use chrono::NaiveDate;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
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
    /// The budget as first set: `budget − approved_changes`.
    pub original_budget: String,
    /// The sum of approved budget change requests.
    pub approved_changes: String,
    /// The current budget.
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

/// One month of a line (or of the project): the phased budget, what is committed for the
/// month (by the PO line's promised date, or the order date), accrued (the same dates) and
/// actual (by invoice date). The months add up to the line's figures exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    /// The phased budget.
    pub budget: String,
    /// Open PO value promised (or ordered) in the month.
    pub committed: String,
    /// Of it, received and not yet invoiced.
    pub accrued: String,
    /// Approved invoices dated in the month.
    pub actual: String,
    /// `budget − actual − committed` for the month.
    pub remaining: String,
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
    /// Change requests waiting for a decision (they do not move `budget`).
    pub pending_change_requests: i64,
    /// Month by month.
    pub months: Vec<MonthFigures>,
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
    /// The date that places it in a month: the promised (or order) date of a PO line, the
    /// invoice date of an invoice line.
    pub date: NaiveDate,
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
    /// Its code.
    pub project_code: String,
    /// Its (the budget's) currency.
    pub currency: String,
    /// Per budget line.
    pub lines: Vec<LedgerLine>,
    /// The project's totals (sums of the lines).
    pub totals: Figures,
    /// The project's months (sums of the lines' months).
    pub months: Vec<MonthFigures>,
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

/// A budget line's figures in storage units (1/10,000), in total and month by month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineUnits {
    /// The budget line.
    pub budget_line_id: i64,
    /// `capex` or `opex`.
    pub category: String,
    /// Its cost center.
    pub cost_center: String,
    /// The current budget.
    pub budget: i64,
    /// The sum of approved change requests.
    pub approved_changes: i64,
    /// Change requests waiting for a decision.
    pub pending_changes: i64,
    /// Open PO value.
    pub committed: i64,
    /// Received, not invoiced.
    pub accrued: i64,
    /// Approved invoices net of credit memos.
    pub actual: i64,
    /// By `YYYY-MM`: the phased budget, committed, accrued and actual of the month.
    pub months: BTreeMap<String, MonthUnits>,
}

/// One month's figures in storage units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthUnits {
    /// The phased budget.
    pub budget: i64,
    /// Open PO value promised (or ordered) in the month.
    pub committed: i64,
    /// Of it, received and not invoiced.
    pub accrued: i64,
    /// Approved invoices dated in the month.
    pub actual: i64,
}

impl MonthUnits {
    fn add(&mut self, other: &MonthUnits) -> AppResult<()> {
        self.budget = sum_units([self.budget, other.budget])?;
        self.committed = sum_units([self.committed, other.committed])?;
        self.accrued = sum_units([self.accrued, other.accrued])?;
        self.actual = sum_units([self.actual, other.actual])?;
        Ok(())
    }
}

/// A project's budget lines with their figures, summed by the database.
#[derive(Debug, Clone)]
pub struct ProjectUnits {
    /// The project.
    pub project: crate::projects::model::Project,
    /// Its (the budget's) currency.
    pub currency: Currency,
    /// Its lines, by id.
    pub lines: Vec<LineUnits>,
}

/// Reads a project's lines and every figure behind them, aggregated in SQL (a handful of
/// queries whatever the number of documents).
pub fn project_units(conn: &mut DbConnection, project_id: i64) -> AppResult<ProjectUnits> {
    let project = crate::projects::service::get(conn, project_id)?;
    let currency = project.currency()?;
    let rows: Vec<(i64, String, String, i64)> = budget_lines::table
        .filter(budget_lines::project_id.eq(project_id))
        .order(budget_lines::id)
        .select((
            budget_lines::id,
            budget_lines::category,
            budget_lines::cost_center,
            budget_lines::amount_units,
        ))
        .load(conn)?;
    let mut lines: Vec<LineUnits> = rows
        .into_iter()
        .map(|(id, category, cost_center, budget)| LineUnits {
            budget_line_id: id,
            category,
            cost_center,
            budget,
            ..LineUnits::default()
        })
        .collect();
    let index: HashMap<i64, usize> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.budget_line_id, i))
        .collect();
    let phasing: Vec<(i64, String, i64)> = budget_line_months::table
        .inner_join(budget_lines::table)
        .filter(budget_lines::project_id.eq(project_id))
        .select((
            budget_line_months::budget_line_id,
            budget_line_months::month,
            budget_line_months::amount_units,
        ))
        .load(conn)?;
    for (line, month, units) in phasing {
        if let Some(m) = month_entry(&mut lines, &index, line, month) {
            m.budget = sum_units([m.budget, units])?;
        }
    }
    for row in repo::committed_by_day(conn, project_id)? {
        if let Some(&i) = index.get(&row.budget_line_id) {
            let line = &mut lines[i];
            line.committed = sum_units([line.committed, row.committed])?;
            line.accrued = sum_units([line.accrued, row.accrued])?;
        }
        if let Some(m) = month_entry(&mut lines, &index, row.budget_line_id, month_of(row.day)) {
            m.committed = sum_units([m.committed, row.committed])?;
            m.accrued = sum_units([m.accrued, row.accrued])?;
        }
    }
    for row in repo::actual_by_day(conn, project_id)? {
        if let Some(&i) = index.get(&row.budget_line_id) {
            lines[i].actual = sum_units([lines[i].actual, row.actual])?;
        }
        if let Some(m) = month_entry(&mut lines, &index, row.budget_line_id, month_of(row.day)) {
            m.actual = sum_units([m.actual, row.actual])?;
        }
    }
    for row in repo::approved_changes_by_line(conn, project_id)? {
        if let Some(&i) = index.get(&row.budget_line_id) {
            lines[i].approved_changes = row.units;
        }
    }
    for row in repo::pending_changes_by_line(conn, project_id)? {
        if let Some(&i) = index.get(&row.budget_line_id) {
            lines[i].pending_changes = row.units;
        }
    }
    Ok(ProjectUnits {
        project,
        currency,
        lines,
    })
}

fn month_entry<'a>(
    lines: &'a mut [LineUnits],
    index: &HashMap<i64, usize>,
    line: i64,
    month: String,
) -> Option<&'a mut MonthUnits> {
    let i = *index.get(&line)?;
    Some(lines[i].months.entry(month).or_default())
}

/// The ledger of a project; with `drill`, the documents behind one line's figure.
pub fn of_project(
    conn: &mut DbConnection,
    project_id: i64,
    drill: Option<(i64, Figure)>,
) -> AppResult<Ledger> {
    let units = project_units(conn, project_id)?;
    let currency = units.currency;
    if let Some((line, _)) = drill {
        if !units.lines.iter().any(|l| l.budget_line_id == line) {
            return Err(AppError::bad_request_field(
                "invalid_query",
                "line",
                format!(
                    "budget line {line} is not one of project {}'s",
                    units.project.code
                ),
            ));
        }
    }
    let mut total = LineUnits::default();
    let mut out_lines = Vec::with_capacity(units.lines.len());
    for line in &units.lines {
        total.budget = sum_units([total.budget, line.budget])?;
        total.approved_changes = sum_units([total.approved_changes, line.approved_changes])?;
        total.committed = sum_units([total.committed, line.committed])?;
        total.accrued = sum_units([total.accrued, line.accrued])?;
        total.actual = sum_units([total.actual, line.actual])?;
        for (month, m) in &line.months {
            total.months.entry(month.clone()).or_default().add(m)?;
        }
        out_lines.push(LedgerLine {
            budget_line_id: line.budget_line_id,
            category: line.category.clone(),
            cost_center: line.cost_center.clone(),
            figures: figures(line, currency)?,
            pending_change_requests: line.pending_changes,
            months: month_figures(&line.months, currency)?,
        });
    }
    let documents = match drill {
        None => None,
        Some((line, figure)) => Some(documents(conn, line, figure, currency)?),
    };
    Ok(Ledger {
        project_id,
        project_code: units.project.code.clone(),
        currency: currency.code().to_string(),
        lines: out_lines,
        totals: figures(&total, currency)?,
        months: month_figures(&total.months, currency)?,
        documents,
    })
}

fn text(units: i64, currency: Currency) -> AppResult<String> {
    Ok(money_from_units(units, currency)?.amount().to_string())
}

/// `used / budget` in percent, rounded for presentation (half-even, 2 places); 0 without a budget.
pub fn utilisation_percent(used: Money, budget: Money) -> Decimal {
    let mut percent = if budget.is_zero() {
        Decimal::ZERO
    } else {
        RoundingPoint::Presentation
            .policy()
            .round(used.amount() * Decimal::ONE_HUNDRED / budget.amount(), 2)
    };
    percent.rescale(2);
    percent
}

fn figures(line: &LineUnits, currency: Currency) -> AppResult<Figures> {
    let m = |u: i64| money_from_units(u, currency);
    let budget = m(line.budget)?;
    let used = m(line.actual)?.checked_add(&m(line.committed)?)?;
    let remaining = budget.checked_sub(&used)?;
    let original = budget.checked_sub(&m(line.approved_changes)?)?;
    Ok(Figures {
        original_budget: original.amount().to_string(),
        approved_changes: text(line.approved_changes, currency)?,
        budget: budget.amount().to_string(),
        committed: text(line.committed, currency)?,
        accrued: text(line.accrued, currency)?,
        actual: text(line.actual, currency)?,
        remaining: remaining.amount().to_string(),
        utilisation_percent: utilisation_percent(used, budget).to_string(),
    })
}

fn month_figures(
    months: &BTreeMap<String, MonthUnits>,
    currency: Currency,
) -> AppResult<Vec<MonthFigures>> {
    months
        .iter()
        .map(|(month, m)| {
            let remaining = m
                .budget
                .checked_sub(m.actual)
                .and_then(|r| r.checked_sub(m.committed))
                .ok_or(MoneyError::Overflow)?;
            Ok(MonthFigures {
                month: month.clone(),
                budget: text(m.budget, currency)?,
                committed: text(m.committed, currency)?,
                accrued: text(m.accrued, currency)?,
                actual: text(m.actual, currency)?,
                remaining: text(remaining, currency)?,
            })
        })
        .collect()
}

/// The documents behind one figure of one budget line, which add up to it exactly.
fn documents(
    conn: &mut DbConnection,
    budget_line_id: i64,
    figure: Figure,
    currency: Currency,
) -> AppResult<LedgerDocuments> {
    let mut documents = Vec::new();
    let mut total = 0i64;
    match figure {
        Figure::Committed | Figure::Accrued => {
            let open: Vec<&str> = PoStatus::COMMITTED.iter().map(|s| s.as_str()).collect();
            type PoLineFacts = (
                i64,
                String,
                i64,
                i64,
                String,
                Option<NaiveDate>,
                NaiveDate,
                i64,
                i64,
                i64,
            );
            let rows: Vec<PoLineFacts> = purchase_order_lines::table
                .inner_join(purchase_orders::table)
                .filter(purchase_order_lines::budget_line_id.eq(budget_line_id))
                .filter(purchase_orders::status.eq_any(open))
                .order((purchase_orders::id, purchase_order_lines::line_no))
                .select((
                    purchase_orders::id,
                    purchase_orders::number,
                    purchase_order_lines::id,
                    purchase_order_lines::line_no,
                    purchase_order_lines::description,
                    purchase_order_lines::promised_date,
                    purchase_orders::order_date,
                    purchase_order_lines::net_budget_units,
                    purchase_order_lines::released_budget_units,
                    purchase_order_lines::accrued_budget_units,
                ))
                .load(conn)?;
            for (
                po,
                number,
                line_id,
                line_no,
                description,
                promised,
                ordered,
                net,
                released,
                accrued,
            ) in rows
            {
                let units = match figure {
                    Figure::Committed => (net - released).max(0),
                    _ => accrued,
                };
                if units == 0 {
                    continue;
                }
                total = sum_units([total, units])?;
                documents.push(LedgerDocument {
                    kind: "po_line".into(),
                    document_id: po,
                    number,
                    line_id,
                    line_no,
                    description,
                    date: promised.unwrap_or(ordered),
                    amount: text(units, currency)?,
                });
            }
        }
        Figure::Actual => {
            type InvoiceLineFacts = (i64, String, i64, i64, String, NaiveDate, i64);
            let rows: Vec<InvoiceLineFacts> = invoice_lines::table
                .inner_join(invoices::table)
                .filter(invoice_lines::budget_line_id.eq(budget_line_id))
                .filter(invoices::status.eq_any(crate::invoices::repo::POSTED))
                .order((invoices::id, invoice_lines::line_no))
                .select((
                    invoices::id,
                    invoices::number,
                    invoice_lines::id,
                    invoice_lines::line_no,
                    invoice_lines::description,
                    invoices::invoice_date,
                    invoice_lines::net_budget_units,
                ))
                .load(conn)?;
            for (invoice, number, line_id, line_no, description, date, units) in rows {
                total = sum_units([total, units])?;
                documents.push(LedgerDocument {
                    kind: "invoice_line".into(),
                    document_id: invoice,
                    number,
                    line_id,
                    line_no,
                    description,
                    date,
                    amount: text(units, currency)?,
                });
            }
        }
    }
    Ok(LedgerDocuments {
        budget_line_id,
        figure,
        total: text(total, currency)?,
        documents,
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
