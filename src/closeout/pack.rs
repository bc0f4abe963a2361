//! The closeout pack: a frozen snapshot as an xlsx workbook. A summary sheet (the project, the
//! proof, the budget lines with their totals, each section's counts and totals), then one sheet
//! per checklist section and one of the commitments the close released. Amounts are numbers
//! with the currency's number format; totals are written as values, the same the API shows
//! (never as formulas a reader would have to recalculate).

use super::model::{BudgetLineCloseout, ChecklistSection, CloseoutItem, CurrencyTotal, ItemState};
use super::service::FrozenSnapshot;
use crate::error::{AppError, AppResult};
use crate::money::Currency;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// An xlsx number cell: xlsx stores binary doubles, so the exact decimal text the API shows is
/// converted once, here.
type CellNumber = f64; // allow-float: xlsx stores numbers as binary doubles; this is the export edge

fn xlsx(e: XlsxError) -> AppError {
    AppError::internal(anyhow::anyhow!(e))
}

fn number(text: &str) -> AppResult<CellNumber> {
    text.parse::<CellNumber>()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{text}: {e}")))
}

/// The number format of amounts in `code`: thousands separators, the currency's decimals, the
/// code after the number.
fn money_format(code: &str) -> Format {
    let decimals = Currency::parse(code).map(|c| c.minor_units()).unwrap_or(2);
    let fraction = if decimals == 0 {
        String::new()
    } else {
        format!(".{}", "0".repeat(decimals as usize))
    };
    Format::new().set_num_format(format!(
        "#,##0{fraction} \"{code}\";-#,##0{fraction} \"{code}\""
    ))
}

/// The sheet name of a section (at most 31 characters, as xlsx requires).
fn sheet_name(section: &ChecklistSection) -> &'static str {
    use super::model::Section::*;
    match section.section {
        OpenCommitments => "Open commitments",
        Accruals => "Accruals",
        InvoicesOnHoldOrUnmatched => "Invoices on hold",
        InvoicesUnpaid => "Invoices unpaid",
        InvoicesWithoutReceipts => "Invoices without receipts",
        MilestonesNotAccepted => "Milestones not accepted",
        SlaCreditsNotApplied => "SLA credits",
        AssetsPending => "Assets pending",
        ContractsActive => "Contracts active",
    }
}

/// The workbook of a frozen snapshot.
pub fn workbook(frozen: &FrozenSnapshot) -> AppResult<Vec<u8>> {
    let s = &frozen.snapshot;
    let bold = Format::new().set_bold();
    let budget_money = money_format(&s.currency);
    let mut book = Workbook::new();

    let sheet = book.add_worksheet().set_name("Summary").map_err(xlsx)?;
    let facts: [(&str, String); 7] = [
        (
            "Project",
            format!("{} — {}", s.project_code, s.project_name),
        ),
        ("Currency", s.currency.clone()),
        ("Closed at (UTC)", s.closed_at.to_rfc3339()),
        ("Closed by", s.closed_by.clone()),
        ("Closeout", frozen.closeout_id.to_string()),
        ("Snapshot SHA-256", frozen.sha256.clone()),
        (
            "Audit row",
            frozen
                .audit_seq
                .map(|seq| seq.to_string())
                .unwrap_or_default(),
        ),
    ];
    let mut row = 0u32;
    for (label, value) in facts {
        sheet
            .write_string_with_format(row, 0, label, &bold)
            .map_err(xlsx)?;
        sheet.write_string(row, 1, value).map_err(xlsx)?;
        row += 1;
    }
    row += 1;
    row = budget_table(
        sheet,
        row,
        &s.budget_lines,
        &s.budget_totals,
        &bold,
        &budget_money,
    )?;
    row += 1;
    for (col, title) in ["Section", "Items", "Waived", "Currency", "Total"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string_with_format(row, col as u16, *title, &bold)
            .map_err(xlsx)?;
    }
    row += 1;
    for section in &s.checklist {
        sheet.write_string(row, 0, &section.title).map_err(xlsx)?;
        sheet
            .write_number(row, 1, section.items.len() as u32)
            .map_err(xlsx)?;
        sheet
            .write_number(row, 2, section.waived as u32)
            .map_err(xlsx)?;
        if section.totals.is_empty() {
            row += 1;
        }
        for total in &section.totals {
            sheet.write_string(row, 3, &total.currency).map_err(xlsx)?;
            sheet
                .write_number_with_format(
                    row,
                    4,
                    number(&total.amount)?,
                    &money_format(&total.currency),
                )
                .map_err(xlsx)?;
            row += 1;
        }
    }
    sheet
        .write_string_with_format(row, 0, "Commitments released at close", &bold)
        .map_err(xlsx)?;
    sheet.write_string(row, 3, &s.currency).map_err(xlsx)?;
    sheet
        .write_number_with_format(row, 4, number(&s.released_total)?, &budget_money)
        .map_err(xlsx)?;
    sheet.set_column_width(0, 34).map_err(xlsx)?;
    sheet.set_column_width(1, 18).map_err(xlsx)?;
    for col in 2..=8 {
        sheet.set_column_width(col, 16).map_err(xlsx)?;
    }

    for section in &s.checklist {
        let sheet = book
            .add_worksheet()
            .set_name(sheet_name(section))
            .map_err(xlsx)?;
        section_sheet(sheet, section, &bold)?;
    }

    let sheet = book
        .add_worksheet()
        .set_name("Released commitments")
        .map_err(xlsx)?;
    for (col, title) in ["Purchase order", "Number", "Released"].iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *title, &bold)
            .map_err(xlsx)?;
    }
    let mut row = 1;
    for released in &s.released_commitments {
        sheet
            .write_number(row, 0, released.purchase_order_id as CellNumber)
            .map_err(xlsx)?;
        sheet.write_string(row, 1, &released.number).map_err(xlsx)?;
        sheet
            .write_number_with_format(row, 2, number(&released.amount)?, &budget_money)
            .map_err(xlsx)?;
        row += 1;
    }
    sheet
        .write_string_with_format(row, 1, "Total", &bold)
        .map_err(xlsx)?;
    sheet
        .write_number_with_format(row, 2, number(&s.released_total)?, &budget_money)
        .map_err(xlsx)?;
    sheet.set_column_width(1, 20).map_err(xlsx)?;
    sheet.set_column_width(2, 18).map_err(xlsx)?;

    book.save_to_buffer().map_err(xlsx)
}

/// The budget-line table with its totals row; returns the next free row.
fn budget_table(
    sheet: &mut Worksheet,
    mut row: u32,
    lines: &[BudgetLineCloseout],
    totals: &BudgetLineCloseout,
    bold: &Format,
    money: &Format,
) -> AppResult<u32> {
    let titles = [
        "Budget line",
        "Category",
        "Cost center",
        "Budget",
        "Actual",
        "Committed",
        "Accrued",
        "Forecast EAC",
        "Variance",
    ];
    for (col, title) in titles.iter().enumerate() {
        sheet
            .write_string_with_format(row, col as u16, *title, bold)
            .map_err(xlsx)?;
    }
    row += 1;
    for line in lines.iter().chain(std::iter::once(totals)) {
        let is_total = line.budget_line_id.is_none();
        match line.budget_line_id {
            Some(id) => sheet.write_number(row, 0, id as CellNumber).map_err(xlsx)?,
            None => sheet
                .write_string_with_format(row, 0, "Total", bold)
                .map_err(xlsx)?,
        };
        if !is_total {
            sheet.write_string(row, 1, &line.category).map_err(xlsx)?;
            sheet
                .write_string(row, 2, &line.cost_center)
                .map_err(xlsx)?;
        }
        let figures = [
            &line.budget,
            &line.actual,
            &line.committed,
            &line.accrued,
            &line.forecast_eac,
            &line.variance,
        ];
        for (i, figure) in figures.into_iter().enumerate() {
            sheet
                .write_number_with_format(row, 3 + i as u16, number(figure)?, money)
                .map_err(xlsx)?;
        }
        row += 1;
    }
    Ok(row)
}

fn section_sheet(
    sheet: &mut Worksheet,
    section: &ChecklistSection,
    bold: &Format,
) -> AppResult<()> {
    let titles = [
        "Item",
        "Number",
        "Description",
        "Status",
        "Date",
        "Amount",
        "Currency",
        "State",
        "Waiver reason",
        "Waived by",
        "Waived at (UTC)",
    ];
    for (col, title) in titles.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *title, bold)
            .map_err(xlsx)?;
    }
    let mut row = 1;
    for item in &section.items {
        item_row(sheet, row, item)?;
        row += 1;
    }
    for CurrencyTotal { currency, amount } in &section.totals {
        sheet
            .write_string_with_format(row, 4, "Total", bold)
            .map_err(xlsx)?;
        sheet
            .write_number_with_format(row, 5, number(amount)?, &money_format(currency))
            .map_err(xlsx)?;
        sheet.write_string(row, 6, currency).map_err(xlsx)?;
        row += 1;
    }
    sheet.set_column_width(0, 40).map_err(xlsx)?;
    sheet.set_column_width(1, 22).map_err(xlsx)?;
    sheet.set_column_width(2, 60).map_err(xlsx)?;
    sheet.set_column_width(5, 16).map_err(xlsx)?;
    sheet.set_column_width(8, 40).map_err(xlsx)?;
    Ok(())
}

fn item_row(sheet: &mut Worksheet, row: u32, item: &CloseoutItem) -> AppResult<()> {
    sheet.write_string(row, 0, &item.key).map_err(xlsx)?;
    sheet.write_string(row, 1, &item.number).map_err(xlsx)?;
    sheet
        .write_string(row, 2, &item.description)
        .map_err(xlsx)?;
    sheet.write_string(row, 3, &item.status).map_err(xlsx)?;
    if let Some(date) = item.date {
        let serial = crate::export::xlsx::serial(date) as CellNumber;
        sheet
            .write_number_with_format(row, 4, serial, &Format::new().set_num_format("yyyy-mm-dd"))
            .map_err(xlsx)?;
    }
    if let (Some(amount), Some(currency)) = (&item.amount, &item.currency) {
        sheet
            .write_number_with_format(row, 5, number(amount)?, &money_format(currency))
            .map_err(xlsx)?;
        sheet.write_string(row, 6, currency).map_err(xlsx)?;
    }
    let state = match item.state {
        ItemState::Open => "open",
        ItemState::Waived => "waived",
    };
    sheet.write_string(row, 7, state).map_err(xlsx)?;
    if let Some(w) = &item.waiver {
        sheet.write_string(row, 8, &w.reason).map_err(xlsx)?;
        sheet.write_string(row, 9, &w.waived_by).map_err(xlsx)?;
        sheet
            .write_string(row, 10, w.waived_at.to_rfc3339())
            .map_err(xlsx)?;
    }
    Ok(())
}
