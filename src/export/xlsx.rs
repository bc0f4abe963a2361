//! A table model and its xlsx writer: columns of a kind (text, amount with currency, date,
//! integer, percent), a bold header row, data rows, bold totals rows and notes below.

use crate::error::{AppError, AppResult};
use crate::money::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// The media type of an xlsx workbook.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text.
    Text,
    /// An amount in the currency its cell names.
    Amount,
    /// A calendar day.
    Date,
    /// A whole number (a count, an id, days).
    Integer,
    /// A percentage given as its number of percent (`"66.67"`), written as the fraction
    /// (0.6667) with a percent format.
    Percent,
}

/// A column: its title and kind.
#[derive(Debug, Clone)]
pub struct Column {
    /// The header.
    pub title: String,
    /// What it holds.
    pub kind: ColumnKind,
}

impl Column {
    /// A column.
    pub fn new(title: impl Into<String>, kind: ColumnKind) -> Self {
        Self {
            title: title.into(),
            kind,
        }
    }
}

/// One cell's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// An exact decimal amount (as the JSON shows it) in a currency.
    Amount(String, Currency),
    /// A day.
    Date(NaiveDate),
    /// A whole number.
    Integer(i64),
    /// Percent, as the JSON shows it (`"66.67"`).
    Percent(String),
}

impl Cell {
    /// A text cell.
    pub fn text(value: impl Into<String>) -> Self {
        Cell::Text(value.into())
    }
}

/// A sheet: columns, rows, totals rows and notes.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet name (at most 31 characters, none of `[]:*?/\`).
    pub name: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The data rows, each as wide as `columns`.
    pub rows: Vec<Vec<Cell>>,
    /// Totals rows (one per currency, say), written bold below the data.
    pub totals: Vec<Vec<Cell>>,
    /// Lines of text written below the table, one blank row after it.
    pub notes: Vec<String>,
}

impl Table {
    /// An empty table.
    pub fn new(name: impl Into<String>, columns: Vec<Column>) -> Self {
        Self {
            name: name.into(),
            columns,
            rows: Vec::new(),
            totals: Vec::new(),
            notes: Vec::new(),
        }
    }
}

fn failed(error: XlsxError) -> AppError {
    AppError::internal(anyhow::anyhow!("writing a workbook: {error}"))
}

/// The number format of amounts in `currency`: thousands separated, its minor units.
pub fn amount_format(currency: Currency) -> String {
    match currency.minor_units() {
        0 => "#,##0".to_string(),
        places => format!("#,##0.{}", "0".repeat(places as usize)),
    }
}

/// An xlsx number cell: a binary double.
type CellNumber = f64; // allow-float: xlsx export edge

/// The xlsx number of an exact decimal, converted once from its text.
fn number(text: &str) -> AppResult<CellNumber> {
    text.trim()
        .parse::<CellNumber>()
        .map_err(|e| AppError::internal(anyhow::anyhow!("`{text}` is not a number: {e}")))
}

/// Days from the 1900 date system's day 0 (1899-12-30, for serials after February 1900).
pub fn serial(day: NaiveDate) -> i64 {
    let zero = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or(NaiveDate::MIN);
    (day - zero).num_days()
}

struct Formats {
    bold: Format,
    date: Format,
    bold_date: Format,
    integer: Format,
    bold_integer: Format,
    percent: Format,
    bold_percent: Format,
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    cell: &Cell,
    bold: bool,
    f: &Formats,
) -> AppResult<()> {
    let plain = Format::new();
    let text_format = if bold { &f.bold } else { &plain };
    match cell {
        Cell::Empty => Ok(()),
        Cell::Text(text) => sheet
            .write_string_with_format(row, column, text, text_format)
            .map(|_| ())
            .map_err(failed),
        Cell::Amount(text, currency) => {
            let mut format = Format::new().set_num_format(amount_format(*currency));
            if bold {
                format = format.set_bold();
            }
            sheet
                .write_number_with_format(row, column, number(text)?, &format)
                .map(|_| ())
                .map_err(failed)
        }
        Cell::Date(day) => {
            let format = if bold { &f.bold_date } else { &f.date };
            sheet
                .write_number_with_format(row, column, serial(*day) as f64, format) // allow-float: xlsx export edge
                .map(|_| ())
                .map_err(failed)
        }
        Cell::Integer(value) => {
            let format = if bold { &f.bold_integer } else { &f.integer };
            sheet
                .write_number_with_format(row, column, *value as f64, format) // allow-float: xlsx export edge
                .map(|_| ())
                .map_err(failed)
        }
        Cell::Percent(text) => {
            let fraction = text
                .trim()
                .parse::<Decimal>()
                .map_err(|e| AppError::internal(anyhow::anyhow!("`{text}`: {e}")))?
                / Decimal::ONE_HUNDRED;
            let format = if bold { &f.bold_percent } else { &f.percent };
            sheet
                .write_number_with_format(row, column, number(&fraction.to_string())?, format)
                .map(|_| ())
                .map_err(failed)
        }
    }
}

/// Writes the tables as the sheets of one workbook, in order.
pub fn workbook(tables: &[Table]) -> AppResult<Vec<u8>> {
    let f = Formats {
        bold: Format::new().set_bold(),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        bold_date: Format::new().set_num_format("yyyy-mm-dd").set_bold(),
        integer: Format::new().set_num_format("0"),
        bold_integer: Format::new().set_num_format("0").set_bold(),
        percent: Format::new().set_num_format("0.00%"),
        bold_percent: Format::new().set_num_format("0.00%").set_bold(),
    };
    let mut book = Workbook::new();
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(&table.name).map_err(failed)?;
        for (c, column) in table.columns.iter().enumerate() {
            let c = c as u16;
            sheet
                .write_string_with_format(0, c, &column.title, &f.bold)
                .map_err(failed)?;
            let width = match column.kind {
                ColumnKind::Text => 28,
                ColumnKind::Amount => 16,
                ColumnKind::Date => 12,
                ColumnKind::Integer | ColumnKind::Percent => 10,
            };
            sheet
                .set_column_width(c, width.max(column.title.len() + 2) as u16)
                .map_err(failed)?;
        }
        let mut row = 1u32;
        for (cells, bold) in table
            .rows
            .iter()
            .map(|r| (r, false))
            .chain(table.totals.iter().map(|r| (r, true)))
        {
            for (c, cell) in cells.iter().enumerate() {
                write_cell(sheet, row, c as u16, cell, bold, &f)?;
            }
            row += 1;
        }
        row += 1;
        for note in &table.notes {
            sheet.write_string(row, 0, note).map_err(failed)?;
            row += 1;
        }
    }
    book.save_to_buffer().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_currency() {
        assert_eq!(amount_format(Currency::parse("JPY").unwrap()), "#,##0");
        assert_eq!(amount_format(Currency::parse("EUR").unwrap()), "#,##0.00");
        assert_eq!(amount_format(Currency::parse("KWD").unwrap()), "#,##0.000");
    }

    #[test]
    fn a_table_reads_back() {
        use calamine::Reader;
        let eur = Currency::parse("EUR").unwrap();
        let mut table = Table::new(
            "Spend",
            vec![
                Column::new("Vendor", ColumnKind::Text),
                Column::new("Amount", ColumnKind::Amount),
                Column::new("Day", ColumnKind::Date),
                Column::new("Count", ColumnKind::Integer),
                Column::new("Share", ColumnKind::Percent),
            ],
        );
        table.rows.push(vec![
            Cell::text("Acme"),
            Cell::Amount("19.99".into(), eur),
            Cell::Date(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
            Cell::Integer(3),
            Cell::Percent("66.67".into()),
        ]);
        table.totals.push(vec![
            Cell::text("Total"),
            Cell::Amount("19.99".into(), eur),
            Cell::Empty,
            Cell::Integer(3),
            Cell::Empty,
        ]);
        let bytes = workbook(&[table]).unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Spend").unwrap();
        assert_eq!(range.get_value((0, 0)).unwrap().to_string(), "Vendor");
        assert_eq!(range.get_value((1, 1)).unwrap().to_string(), "19.99");
        assert_eq!(range.get_value((1, 4)).unwrap().to_string(), "0.6667");
        assert_eq!(range.get_value((2, 0)).unwrap().to_string(), "Total");
        assert_eq!(range.get_value((2, 3)).unwrap().to_string(), "3");
    }
}
