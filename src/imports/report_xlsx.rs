//! The error workbook: a copy of the imported sheet with every bad cell shaded and an
//! "Import errors" column saying what is wrong with each row, plus an "Errors" sheet listing
//! every error. Fix the copy and import it again.
//!
//! Numbers are written as spreadsheet numbers, which xlsx stores as binary doubles: the
//! conversion happens once, here at the export edge, from the exact decimal's text. The copy
//! is for reading and correcting; the amounts that count are those in the corrected file.

use super::cells::{Cell, Row};
use super::model::RowError;
use super::read::{Flow, Workbook};
use super::service::column_index;
use super::values::Epoch;
use crate::error::{AppError, AppResult};
use rust_xlsxwriter::{
    Color, Format, FormatBorder, Workbook as XlsxWorkbook, Worksheet, XlsxError,
};
use std::collections::HashMap;

fn failed(error: XlsxError) -> AppError {
    AppError::internal(anyhow::anyhow!("writing the error workbook: {error}"))
}

/// Builds the error workbook for `sheet` of `workbook`.
pub fn error_workbook(
    workbook: &mut Workbook<'_>,
    sheet: &str,
    header_row: u32,
    errors: &[RowError],
) -> AppResult<Vec<u8>> {
    let mut by_row: HashMap<u32, Vec<&RowError>> = HashMap::new();
    for error in errors {
        by_row.entry(error.row).or_default().push(error);
    }
    let mut book = XlsxWorkbook::new();
    let bad = Format::new()
        .set_background_color(Color::RGB(0xFFC7CE))
        .set_font_color(Color::RGB(0x9C0006))
        .set_border(FormatBorder::Thin);
    let bad_date = bad.clone().set_num_format("yyyy-mm-dd");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let note = Format::new()
        .set_font_color(Color::RGB(0x9C0006))
        .set_text_wrap();
    let bold = Format::new().set_bold();

    // The error column goes right of the widest row, so it never covers data.
    let mut rows: Vec<Row> = Vec::new();
    workbook.rows(sheet, &mut |row: Row| {
        rows.push(row);
        Flow::More
    })?;
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let epoch = workbook.epoch();
    let copy = book.add_worksheet();
    copy.set_name(safe_sheet_name(sheet)).map_err(failed)?;
    let error_column = width as u16;
    for row in &rows {
        let r = row.number.saturating_sub(1);
        let row_errors = by_row.get(&row.number);
        let bad_columns: Vec<usize> = row_errors
            .map(|list| {
                list.iter()
                    .filter_map(|e| e.column.as_deref().map(column_index))
                    .collect()
            })
            .unwrap_or_default();
        for (index, cell) in row.cells.iter().enumerate() {
            let shaded = bad_columns.contains(&index);
            write_cell(
                copy,
                r,
                index as u16,
                cell,
                shaded.then_some((&bad, &bad_date)),
                &date,
                epoch,
            )?;
        }
        for index in &bad_columns {
            if *index >= row.cells.len() {
                copy.write_blank(r, *index as u16, &bad).map_err(failed)?;
            }
        }
        if let Some(list) = row_errors {
            let text = list
                .iter()
                .map(|e| match &e.column {
                    Some(column) => format!("{column}: {}", e.message),
                    None => e.message.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n");
            copy.write_string_with_format(r, error_column, text, &note)
                .map_err(failed)?;
        } else if row.number == header_row {
            copy.write_string_with_format(r, error_column, "Import errors", &bold)
                .map_err(failed)?;
        }
    }
    copy.set_column_width(error_column, 60).map_err(failed)?;

    let list = book.add_worksheet();
    list.set_name("Errors").map_err(failed)?;
    for (c, title) in [
        "Sheet", "Row", "Column", "Header", "Value", "Rule", "Message",
    ]
    .iter()
    .enumerate()
    {
        list.write_string_with_format(0, c as u16, *title, &bold)
            .map_err(failed)?;
    }
    for (i, error) in errors.iter().enumerate() {
        let r = i as u32 + 1;
        list.write_string(r, 0, &error.sheet).map_err(failed)?;
        list.write_number(r, 1, error.row).map_err(failed)?;
        list.write_string(r, 2, error.column.as_deref().unwrap_or(""))
            .map_err(failed)?;
        list.write_string(r, 3, error.header.as_deref().unwrap_or(""))
            .map_err(failed)?;
        list.write_string(r, 4, &error.value).map_err(failed)?;
        list.write_string(r, 5, &error.rule).map_err(failed)?;
        list.write_string(r, 6, &error.message).map_err(failed)?;
    }
    list.set_column_width(6, 80).map_err(failed)?;
    book.save_to_buffer().map_err(failed)
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    cell: &Cell,
    shaded: Option<(&Format, &Format)>,
    date: &Format,
    epoch: Epoch,
) -> AppResult<()> {
    let plain = Format::new();
    let format = shaded.map(|(f, _)| f).unwrap_or(&plain);
    match cell {
        Cell::Empty => match shaded {
            Some((f, _)) => sheet.write_blank(row, column, f).map(|_| ()),
            None => Ok(()),
        },
        Cell::Number(value) => {
            // The export edge: a decimal becomes an xlsx number (a double) here.
            let number: f64 = value.to_string().parse().unwrap_or(f64::NAN); // allow-float: xlsx export edge
            sheet
                .write_number_with_format(row, column, number, format)
                .map(|_| ())
        }
        Cell::DateSerial(value) => {
            // The copy is written in the 1900 date system: a 1904 serial counts 1,462 days
            // fewer for the same day.
            let value = match epoch {
                Epoch::Excel1900 => *value,
                Epoch::Excel1904 => *value + rust_decimal::Decimal::from(DAYS_1900_TO_1904),
            };
            let serial: f64 = value.to_string().parse().unwrap_or(f64::NAN); // allow-float: a date serial
            let f = shaded.map(|(_, d)| d).unwrap_or(date);
            sheet
                .write_number_with_format(row, column, serial, f)
                .map(|_| ())
        }
        Cell::Bool(value) => sheet
            .write_boolean_with_format(row, column, *value, format)
            .map(|_| ()),
        other => sheet
            .write_string_with_format(row, column, other.to_string(), format)
            .map(|_| ()),
    }
    .map_err(failed)
}

/// Days from the 1900 system's day 0 (1899-12-30 for serials after February 1900) to the
/// 1904 system's (1904-01-01).
const DAYS_1900_TO_1904: i64 = 1_462;

/// A sheet name xlsx accepts: at most 31 characters, none of `[]:*?/\`.
fn safe_sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    if cleaned.trim().is_empty() || cleaned.eq_ignore_ascii_case("Errors") {
        "Data".to_string()
    } else {
        cleaned
    }
}
