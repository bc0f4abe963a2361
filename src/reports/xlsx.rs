//! Each report as a workbook: the same rows and totals as its JSON, through the shared table
//! writer ([`crate::export::xlsx`]).

use super::model::*;
use crate::error::{AppError, AppResult};
use crate::export::xlsx::{workbook, Cell, Column, ColumnKind, Table};
use crate::money::Currency;

use ColumnKind::{Amount, Date, Integer, Percent, Text};

fn cols(spec: &[(&str, ColumnKind)]) -> Vec<Column> {
    spec.iter().map(|(t, k)| Column::new(*t, *k)).collect()
}

fn amount(text: &str, code: &str) -> AppResult<Cell> {
    let currency = Currency::parse(code)
        .map_err(|_| AppError::internal(anyhow::anyhow!("currency {code}")))?;
    Ok(Cell::Amount(text.to_string(), currency))
}

fn t(value: impl Into<String>) -> Cell {
    Cell::text(value)
}

fn opt_date(day: Option<chrono::NaiveDate>) -> Cell {
    day.map(Cell::Date).unwrap_or(Cell::Empty)
}

fn opt_percent(value: &Option<String>) -> Cell {
    value.clone().map(Cell::Percent).unwrap_or(Cell::Empty)
}

fn budget_cells(f: &BudgetFigures, code: &str) -> AppResult<Vec<Cell>> {
    Ok(vec![
        amount(&f.budget, code)?,
        amount(&f.actual, code)?,
        amount(&f.committed, code)?,
        amount(&f.accrued, code)?,
        amount(&f.remaining, code)?,
        amount(&f.estimate_to_complete, code)?,
        amount(&f.eac, code)?,
        amount(&f.variance, code)?,
        Cell::Percent(f.utilisation_percent.clone()),
        Cell::Percent(f.eac_percent.clone()),
    ])
}

/// Budget vs actual vs forecast: one row per line, then each project's total and each
/// currency's total.
pub fn budget_vs_actual(report: &BudgetVsActual) -> AppResult<Vec<u8>> {
    let mut table = Table::new(
        "Budget vs actual",
        cols(&[
            ("Project", Text),
            ("Currency", Text),
            ("Budget line", Integer),
            ("Category", Text),
            ("Cost center", Text),
            ("ETC source", Text),
            ("Budget", Amount),
            ("Actual", Amount),
            ("Committed", Amount),
            ("Accrued", Amount),
            ("Remaining", Amount),
            ("ETC", Amount),
            ("EAC", Amount),
            ("Variance", Amount),
            ("Utilisation", Percent),
            ("EAC %", Percent),
        ]),
    );
    for p in &report.projects {
        for l in &p.lines {
            let mut row = vec![
                t(&p.project_code),
                t(&p.currency),
                Cell::Integer(l.budget_line_id),
                t(&l.category),
                t(&l.cost_center),
                t(&l.estimate_source),
            ];
            row.extend(budget_cells(&l.figures, &p.currency)?);
            table.rows.push(row);
        }
    }
    for p in &report.projects {
        let mut row = vec![
            t(format!("{} total", p.project_code)),
            t(&p.currency),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ];
        row.extend(budget_cells(&p.totals, &p.currency)?);
        table.totals.push(row);
    }
    for c in &report.totals {
        let mut row = vec![
            t(format!("Total {}", c.currency)),
            t(&c.currency),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ];
        row.extend(budget_cells(&c.figures, &c.currency)?);
        table.totals.push(row);
    }
    table.notes = vec![
        format!(
            "Forecast as of {}; ledger figures as recorded now.",
            report.as_of
        ),
        crate::ledger::projection::ESTIMATE_DEFAULT.to_string(),
    ];
    workbook(&[table])
}

/// Accruals: one row per PO line, totals per currency.
pub fn accruals(report: &Accruals) -> AppResult<Vec<u8>> {
    let mut table = Table::new(
        "Accruals",
        cols(&[
            ("Project", Text),
            ("PO", Text),
            ("Line", Integer),
            ("Description", Text),
            ("Vendor", Text),
            ("Budget line", Integer),
            ("Ordered", Text),
            ("Received", Text),
            ("Invoiced", Text),
            ("Last received", Date),
            ("Receipts", Text),
            ("Currency", Text),
            ("Accrued", Amount),
        ]),
    );
    for r in &report.rows {
        let receipts: Vec<&str> = r.receipts.iter().map(|d| d.number.as_str()).collect();
        table.rows.push(vec![
            t(&r.project_code),
            t(&r.po_number),
            Cell::Integer(r.line_no),
            t(&r.description),
            t(&r.vendor_name),
            Cell::Integer(r.budget_line_id),
            t(&r.quantity),
            t(&r.quantity_received),
            t(&r.quantity_invoiced),
            opt_date(r.last_received_on),
            t(receipts.join(", ")),
            t(&r.currency),
            amount(&r.accrued, &r.currency)?,
        ]);
    }
    for c in &report.totals {
        let mut row = vec![t(format!("Total {}", c.currency))];
        row.extend(std::iter::repeat_n(Cell::Empty, 10));
        row.push(t(&c.currency));
        row.push(amount(&c.accrued, &c.currency)?);
        table.totals.push(row);
    }
    workbook(&[table])
}

/// Open commitments: one row per PO line, totals per currency.
pub fn open_commitments(report: &OpenCommitments) -> AppResult<Vec<u8>> {
    let mut table = Table::new(
        "Open commitments",
        cols(&[
            ("Project", Text),
            ("PO", Text),
            ("Status", Text),
            ("Order date", Date),
            ("Vendor", Text),
            ("Line", Integer),
            ("Description", Text),
            ("Budget line", Integer),
            ("Promised", Date),
            ("Ordered", Text),
            ("Received", Text),
            ("Invoiced", Text),
            ("Currency", Text),
            ("Value", Amount),
            ("Released", Amount),
            ("Open", Amount),
            ("Accrued", Amount),
        ]),
    );
    for r in &report.rows {
        table.rows.push(vec![
            t(&r.project_code),
            t(&r.po_number),
            t(&r.po_status),
            Cell::Date(r.order_date),
            t(&r.vendor_name),
            Cell::Integer(r.line_no),
            t(&r.description),
            Cell::Integer(r.budget_line_id),
            opt_date(r.promised_date),
            t(&r.quantity),
            t(&r.quantity_received),
            t(&r.quantity_invoiced),
            t(&r.currency),
            amount(&r.value, &r.currency)?,
            amount(&r.released, &r.currency)?,
            amount(&r.open, &r.currency)?,
            amount(&r.accrued, &r.currency)?,
        ]);
    }
    for c in &report.totals {
        let mut row = vec![t(format!("Total {}", c.currency))];
        row.extend(std::iter::repeat_n(Cell::Empty, 11));
        row.push(t(&c.currency));
        row.push(amount(&c.value, &c.currency)?);
        row.push(amount(&c.released, &c.currency)?);
        row.push(amount(&c.open, &c.currency)?);
        row.push(amount(&c.accrued, &c.currency)?);
        table.totals.push(row);
    }
    workbook(&[table])
}

/// Vendor spend: one row per group and currency, totals per currency (and converted).
pub fn vendor_spend(report: &VendorSpend) -> AppResult<Vec<u8>> {
    let mut spec = vec![
        ("Group", Text),
        ("Currency", Text),
        ("Invoices", Integer),
        ("Credit memos", Integer),
        ("Invoiced", Amount),
        ("Credited", Amount),
        ("Net", Amount),
    ];
    let reporting = report.reporting_currency.clone();
    let title = reporting.as_ref().map(|c| format!("Net in {c}"));
    if let Some(title) = &title {
        spec.push((title.as_str(), Amount));
    }
    let mut table = Table::new("Vendor spend", cols(&spec));
    for r in &report.rows {
        let mut row = vec![
            t(&r.group),
            t(&r.currency),
            Cell::Integer(r.invoices),
            Cell::Integer(r.credit_memos),
            amount(&r.invoiced, &r.currency)?,
            amount(&r.credited, &r.currency)?,
            amount(&r.net, &r.currency)?,
        ];
        if let (Some(code), Some(converted)) = (&reporting, &r.converted) {
            row.push(amount(converted, code)?);
        }
        table.rows.push(row);
    }
    for c in &report.totals {
        table.totals.push(vec![
            t(format!("Total {}", c.currency)),
            t(&c.currency),
            Cell::Integer(c.invoices),
            Cell::Integer(c.credit_memos),
            amount(&c.invoiced, &c.currency)?,
            amount(&c.credited, &c.currency)?,
            amount(&c.net, &c.currency)?,
        ]);
    }
    if let (Some(code), Some(total)) = (&reporting, &report.converted_total) {
        let mut row = vec![t(format!("Total in {code}")), t(code)];
        row.extend(std::iter::repeat_n(Cell::Empty, 5));
        row.push(amount(total, code)?);
        table.totals.push(row);
    }
    table.notes = vec![format!(
        "Approved and paid invoices and credit memos dated {} to {}, net of tax, grouped by {}.",
        report.from,
        report.to,
        report.group.as_str()
    )];
    workbook(&[table])
}

/// Invoices on hold: one row per invoice, totals per bucket and currency, then per currency.
pub fn invoices_on_hold(report: &InvoicesOnHold) -> AppResult<Vec<u8>> {
    let mut table = Table::new(
        "Invoices on hold",
        cols(&[
            ("Invoice", Text),
            ("Vendor", Text),
            ("Kind", Text),
            ("Invoice date", Date),
            ("Due date", Date),
            ("Held since", Date),
            ("Age (days)", Integer),
            ("Bucket", Text),
            ("Currency", Text),
            ("Total", Amount),
            ("Hold reasons", Text),
        ]),
    );
    for i in &report.invoices {
        let reasons: Vec<String> = i
            .hold_reasons
            .iter()
            .map(|h| format!("{}: {}", h.code, h.message))
            .collect();
        table.rows.push(vec![
            t(&i.number),
            t(&i.vendor_name),
            t(&i.kind),
            Cell::Date(i.invoice_date),
            opt_date(i.due_date),
            Cell::Date(i.held_since),
            Cell::Integer(i.age_days),
            t(&i.age_bucket),
            t(&i.currency),
            amount(&i.total, &i.currency)?,
            t(reasons.join("\n")),
        ]);
    }
    for b in report.buckets.iter().chain(&report.totals) {
        let mut row = vec![t(format!("Total {} {}", b.bucket, b.currency))];
        row.extend(std::iter::repeat_n(Cell::Empty, 5));
        row.push(Cell::Integer(b.invoices));
        row.push(t(&b.bucket));
        row.push(t(&b.currency));
        row.push(amount(&b.total, &b.currency)?);
        table.totals.push(row);
    }
    table.notes = vec![format!(
        "Aged from the day each invoice was recorded (and held) to {}; the integer column of a total row counts its invoices.",
        report.as_of
    )];
    workbook(&[table])
}

/// SLA credits: one row per period, totals per currency (all, receivable, applied).
pub fn sla_credits(report: &SlaCredits) -> AppResult<Vec<u8>> {
    let mut table = Table::new(
        "SLA credits",
        cols(&[
            ("Vendor", Text),
            ("Contract", Text),
            ("SLA", Text),
            ("Period", Text),
            ("Period start", Date),
            ("Period end", Date),
            ("Measured", Text),
            ("Tier", Integer),
            ("Currency", Text),
            ("Credit", Amount),
            ("Status", Text),
            ("Credit memo", Text),
        ]),
    );
    for r in &report.rows {
        table.rows.push(vec![
            t(&r.vendor_name),
            t(&r.contract_number),
            t(&r.sla_name),
            t(&r.period),
            Cell::Date(r.period_start),
            Cell::Date(r.period_end),
            t(&r.value),
            r.tier
                .map(|v| Cell::Integer(v.into()))
                .unwrap_or(Cell::Empty),
            t(&r.currency),
            amount(&r.credit, &r.currency)?,
            t(&r.credit_status),
            t(r.credit_memo_number.clone().unwrap_or_default()),
        ]);
    }
    for c in &report.totals {
        for (label, value) in [
            ("all", &c.credit),
            ("receivable", &c.receivable),
            ("applied", &c.applied),
        ] {
            let mut row = vec![t(format!("Total {label} {}", c.currency))];
            row.extend(std::iter::repeat_n(Cell::Empty, 7));
            row.push(t(&c.currency));
            row.push(amount(value, &c.currency)?);
            row.push(t(label));
            table.totals.push(row);
        }
    }
    workbook(&[table])
}

fn score_cells(c: &ScoreCounts) -> Vec<Cell> {
    vec![
        Cell::Integer(c.po_lines_due),
        Cell::Integer(c.delivered_on_time),
        Cell::Integer(c.delivered_late),
        Cell::Integer(c.open_past_due),
        Cell::Integer(c.closed_short),
        Cell::Integer(c.not_yet_due),
        opt_percent(&c.on_time_percent),
        Cell::Integer(c.sla_periods_measured),
        Cell::Integer(c.sla_periods_met),
        opt_percent(&c.sla_met_percent),
        Cell::Integer(c.invoices),
        Cell::Integer(c.invoices_held),
        Cell::Integer(c.duplicates_held),
    ]
}

/// The vendor scorecard: a sheet of counts per vendor and one of credits per vendor and
/// currency.
pub fn vendor_scorecard(report: &VendorScorecard) -> AppResult<Vec<u8>> {
    let mut scores = Table::new(
        "Scorecard",
        cols(&[
            ("Vendor id", Integer),
            ("Vendor", Text),
            ("Period", Text),
            ("PO lines due", Integer),
            ("On time", Integer),
            ("Late", Integer),
            ("Open past due", Integer),
            ("Closed short", Integer),
            ("Not yet due", Integer),
            ("On time %", Percent),
            ("SLA periods", Integer),
            ("SLA met", Integer),
            ("SLA met %", Percent),
            ("Invoices", Integer),
            ("Invoices held", Integer),
            ("Duplicates held", Integer),
        ]),
    );
    for v in &report.vendors {
        let mut row = vec![Cell::Integer(v.vendor_id), t(&v.vendor_name), t(&v.period)];
        row.extend(score_cells(&v.counts));
        scores.rows.push(row);
    }
    let mut total = vec![t("Total"), Cell::Empty, Cell::Empty];
    total.extend(score_cells(&report.totals));
    scores.totals.push(total);
    scores.notes = std::iter::once(format!(
        "Window {} to {}; past due judged on {}.",
        report.from, report.to, report.as_of
    ))
    .chain(report.notes.iter().cloned())
    .collect();
    let mut credits = Table::new(
        "Credits",
        cols(&[
            ("Vendor id", Integer),
            ("Vendor", Text),
            ("Period", Text),
            ("Currency", Text),
            ("Receivable", Amount),
            ("Applied", Amount),
        ]),
    );
    for v in &report.vendors {
        for c in &v.credits {
            credits.rows.push(vec![
                Cell::Integer(v.vendor_id),
                t(&v.vendor_name),
                t(&v.period),
                t(&c.currency),
                amount(&c.receivable, &c.currency)?,
                amount(&c.applied, &c.currency)?,
            ]);
        }
    }
    for c in &report.credit_totals {
        credits.totals.push(vec![
            t(format!("Total {}", c.currency)),
            Cell::Empty,
            Cell::Empty,
            t(&c.currency),
            amount(&c.receivable, &c.currency)?,
            amount(&c.applied, &c.currency)?,
        ]);
    }
    workbook(&[scores, credits])
}
