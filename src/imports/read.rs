//! Reading a sheet row by row, whatever the file format: xlsx, xlsm and xlsb stream their cells
//! (a sheet is never held whole); ods and xls come whole from calamine after [`super::guard`]
//! has bounded them; CSV is decoded once and streamed. Every reader enforces the row, column
//! and cell limits as it goes, and a panic inside a reader library becomes a 422, never a crash.

use super::cells::{column_letters, Cell, Row};
use super::guard::{self, too_many_cells, too_many_columns, too_many_rows, Format};
use super::limits::Limits;
use super::values::Epoch;
use crate::error::AppError;
use calamine::{Data, DataRef, Reader};
use rust_decimal::Decimal;
use serde_json::json;
use std::io::Cursor;

/// How a CSV file is written, as the importer states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvDialect {
    /// The field delimiter (`,` by default; `;` and tab are common).
    pub delimiter: u8,
    /// The text encoding when the file is not UTF-8 (`windows-1252`, `iso-8859-1`, …); UTF-8
    /// (with or without a byte-order mark) and UTF-16 with a byte-order mark need none.
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

impl Default for CsvDialect {
    fn default() -> Self {
        Self {
            delimiter: b',',
            encoding: None,
        }
    }
}

/// Whether a row visitor wants more rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Send the next row.
    More,
    /// Stop reading this sheet.
    Enough,
}

type Bytes<'a> = Cursor<&'a [u8]>;

enum Inner<'a> {
    Xlsx(Box<calamine::Xlsx<Bytes<'a>>>),
    Xlsb(Box<calamine::Xlsb<Bytes<'a>>>),
    Ods(Box<calamine::Ods<Bytes<'a>>>),
    Xls(Box<calamine::Xls<Bytes<'a>>>),
    Csv { text: String, name: String },
}

/// An opened file, ready to read its sheets.
pub struct Workbook<'a> {
    inner: Inner<'a>,
    format: Format,
    file_name: String,
    limits: Limits,
    dialect: CsvDialect,
}

fn unreadable(file_name: &str, why: impl std::fmt::Display) -> AppError {
    AppError::unprocessable(
        "unreadable_file",
        format!("{file_name} cannot be read as a spreadsheet: {why}"),
    )
}

/// How many times a reader library panicked on a file since the process started (each became a
/// 422); the fuzz tests report it.
pub static CAUGHT_PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs a reader library call, turning a panic inside it into a 422 for the file.
fn guarded<T>(file_name: &str, work: impl FnOnce() -> Result<T, AppError>) -> Result<T, AppError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(_) => Err({
            CAUGHT_PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(
                file = file_name,
                "a spreadsheet reader panicked; the file is refused"
            );
            unreadable(
                file_name,
                "the reader stopped on malformed content (the file is damaged)",
            )
        }),
    }
}

impl<'a> Workbook<'a> {
    /// Checks and opens `bytes` (named `file_name` by the uploader).
    pub fn open(
        bytes: &'a [u8],
        file_name: &str,
        dialect: CsvDialect,
        limits: Limits,
    ) -> Result<Self, AppError> {
        let format = guard::inspect(bytes, file_name, &limits)?;
        let damaged = |e: &dyn std::fmt::Display| unreadable(file_name, format!("{e}"));
        let inner = guarded(file_name, || {
            Ok(match format {
                Format::Xlsx | Format::Xlsm => Inner::Xlsx(Box::new(
                    calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| damaged(&e))?,
                )),
                Format::Xlsb => Inner::Xlsb(Box::new(
                    calamine::Xlsb::new(Cursor::new(bytes)).map_err(|e| damaged(&e))?,
                )),
                Format::Ods => Inner::Ods(Box::new(
                    calamine::Ods::new(Cursor::new(bytes)).map_err(|e| damaged(&e))?,
                )),
                Format::Xls => Inner::Xls(Box::new(
                    calamine::Xls::new(Cursor::new(bytes)).map_err(|e| damaged(&e))?,
                )),
                Format::Csv => Inner::Csv {
                    text: decode_csv(bytes, file_name, dialect)?,
                    name: csv_sheet_name(file_name),
                },
            })
        })?;
        Ok(Self {
            inner,
            format,
            file_name: file_name.to_string(),
            limits,
            dialect,
        })
    }

    /// What the file is.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The sheets in workbook order (a CSV file is one sheet named after the file).
    pub fn sheet_names(&self) -> Vec<String> {
        match &self.inner {
            Inner::Xlsx(wb) => wb.sheet_names(),
            Inner::Xlsb(wb) => wb.sheet_names(),
            Inner::Ods(wb) => wb.sheet_names(),
            Inner::Xls(wb) => wb.sheet_names(),
            Inner::Csv { name, .. } => vec![name.clone()],
        }
    }

    /// The workbook's date system.
    pub fn epoch(&self) -> Epoch {
        let is_1904 = match &self.inner {
            Inner::Xlsx(wb) => wb.has_1904_epoch(),
            Inner::Xlsb(wb) => wb.has_1904_epoch(),
            Inner::Xls(wb) => wb.has_1904_epoch(),
            Inner::Ods(_) | Inner::Csv { .. } => false,
        };
        if is_1904 {
            Epoch::Excel1904
        } else {
            Epoch::Excel1900
        }
    }

    /// Sends the non-blank rows of `sheet` to `visit`, in order, until it has had enough.
    /// Fails when the sheet passes a limit or cannot be read.
    pub fn rows(
        &mut self,
        sheet: &str,
        visit: &mut dyn FnMut(Row) -> Flow,
    ) -> Result<(), AppError> {
        let file_name = self.file_name.clone();
        let limits = self.limits;
        let dialect = self.dialect;
        let mut counter = RowCounter::new(sheet, limits);
        let mut visit = |row: Row| -> Result<Flow, AppError> {
            if row.is_blank() {
                return Ok(Flow::More);
            }
            counter.count(&row)?;
            Ok(visit(row))
        };
        guarded(&file_name, || match &mut self.inner {
            Inner::Xlsx(wb) => xlsx_rows(wb, sheet, &file_name, &limits, &mut visit),
            Inner::Xlsb(wb) => xlsb_rows(wb, sheet, &file_name, &limits, &mut visit),
            Inner::Ods(wb) => {
                let values = wb
                    .worksheet_range(sheet)
                    .map_err(|e| unreadable(&file_name, e))?;
                let formulas = wb
                    .worksheet_formula(sheet)
                    .map_err(|e| unreadable(&file_name, e))?;
                range_rows(sheet, &values, &formulas, &limits, &mut visit)
            }
            Inner::Xls(wb) => {
                let values = wb
                    .worksheet_range(sheet)
                    .map_err(|e| unreadable(&file_name, e))?;
                let formulas = wb
                    .worksheet_formula(sheet)
                    .map_err(|e| unreadable(&file_name, e))?;
                range_rows(sheet, &values, &formulas, &limits, &mut visit)
            }
            Inner::Csv { text, .. } => csv_rows(text, sheet, dialect, &limits, &mut visit),
        })
    }
}

/// Counts rows and cells as they are read and stops at the limits.
struct RowCounter<'s> {
    sheet: &'s str,
    limits: Limits,
    rows: usize,
    cells: usize,
}

impl<'s> RowCounter<'s> {
    fn new(sheet: &'s str, limits: Limits) -> Self {
        Self {
            sheet,
            limits,
            rows: 0,
            cells: 0,
        }
    }

    fn count(&mut self, row: &Row) -> Result<(), AppError> {
        self.rows += 1;
        // One header row besides the data.
        if self.rows > self.limits.max_rows + 1 {
            return Err(too_many_rows(self.sheet, self.rows as u64, &self.limits));
        }
        self.cells += row.cells.iter().filter(|c| !c.is_empty()).count();
        if self.cells > self.limits.max_cells {
            return Err(too_many_cells(self.sheet, &self.limits));
        }
        Ok(())
    }
}

fn cell_of(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Number(Decimal::from(*i)),
        DataRef::Float(f) => Cell::from_float(*f),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) if dt.is_datetime() => match Cell::from_float(dt.as_f64()) {
            Cell::Number(serial) => Cell::DateSerial(serial),
            other => other,
        },
        DataRef::DateTime(dt) => Cell::from_float(dt.as_f64()),
        DataRef::DateTimeIso(s) => Cell::IsoDate(s.clone()),
        DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn cell_of_data(value: &Data) -> Cell {
    match value {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(Decimal::from(*i)),
        Data::Float(f) => Cell::from_float(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => match Cell::from_float(dt.as_f64()) {
            Cell::Number(serial) => Cell::DateSerial(serial),
            other => other,
        },
        Data::DateTime(dt) => Cell::from_float(dt.as_f64()),
        Data::DateTimeIso(s) => Cell::IsoDate(s.clone()),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// Gathers streamed cells into rows.
struct RowBuilder<'s> {
    sheet: &'s str,
    limits: Limits,
    current: Option<Row>,
}

impl<'s> RowBuilder<'s> {
    fn new(sheet: &'s str, limits: Limits) -> Self {
        Self {
            sheet,
            limits,
            current: None,
        }
    }

    /// Adds a cell at 0-based `(row, column)`; returns the previous row when this one starts a
    /// new row.
    fn push(&mut self, row: u32, column: u32, cell: Cell) -> Result<Option<Row>, AppError> {
        let column = column as usize;
        if !cell.is_empty() && column >= self.limits.max_columns {
            return Err(too_many_columns(self.sheet, column as u64 + 1, &self.limits).with_context(
                json!({ "sheet": self.sheet, "cell": format!("{}{}", column_letters(column), row as u64 + 1), "limit_columns": self.limits.max_columns }),
            ));
        }
        let number = row.saturating_add(1);
        let finished = match &self.current {
            Some(current) if current.number != number => self.current.take(),
            _ => None,
        };
        if cell.is_empty() {
            if self.current.is_none() {
                self.current = Some(Row {
                    number,
                    cells: Vec::new(),
                });
            }
            return Ok(finished);
        }
        let current = self.current.get_or_insert_with(|| Row {
            number,
            cells: Vec::new(),
        });
        if current.cells.len() <= column {
            current.cells.resize(column + 1, Cell::Empty);
        }
        current.cells[column] = cell;
        Ok(finished)
    }

    fn finish(&mut self) -> Option<Row> {
        self.current.take()
    }
}

fn xlsx_rows(
    wb: &mut calamine::Xlsx<Bytes<'_>>,
    sheet: &str,
    file_name: &str,
    limits: &Limits,
    visit: &mut dyn FnMut(Row) -> Result<Flow, AppError>,
) -> Result<(), AppError> {
    let mut reader = wb
        .worksheet_cells_reader(sheet)
        .map_err(|e| unreadable(file_name, e))?;
    let mut rows = RowBuilder::new(sheet, *limits);
    while let Some(record) = reader
        .next_cell_with_formula()
        .map_err(|e| unreadable(file_name, e))?
    {
        let cell = match (&record.value, record.formula) {
            (DataRef::Empty, Some(formula)) if !formula.is_empty() => {
                Cell::FormulaWithoutValue(formula)
            }
            (value, _) => cell_of(value),
        };
        if let Some(row) = rows.push(record.pos.0, record.pos.1, cell)? {
            if visit(row)? == Flow::Enough {
                return Ok(());
            }
        }
    }
    if let Some(row) = rows.finish() {
        visit(row)?;
    }
    Ok(())
}

fn xlsb_rows(
    wb: &mut calamine::Xlsb<Bytes<'_>>,
    sheet: &str,
    file_name: &str,
    limits: &Limits,
    visit: &mut dyn FnMut(Row) -> Result<Flow, AppError>,
) -> Result<(), AppError> {
    // Binary workbooks always store a formula's last result beside it.
    let mut reader = wb
        .worksheet_cells_reader(sheet)
        .map_err(|e| unreadable(file_name, e))?;
    let mut rows = RowBuilder::new(sheet, *limits);
    while let Some(cell) = reader.next_cell().map_err(|e| unreadable(file_name, e))? {
        let (row, column) = cell.get_position();
        if let Some(row) = rows.push(row, column, cell_of(cell.get_value()))? {
            if visit(row)? == Flow::Enough {
                return Ok(());
            }
        }
    }
    if let Some(row) = rows.finish() {
        visit(row)?;
    }
    Ok(())
}

fn range_rows(
    sheet: &str,
    values: &calamine::Range<Data>,
    formulas: &calamine::Range<String>,
    limits: &Limits,
    visit: &mut dyn FnMut(Row) -> Result<Flow, AppError>,
) -> Result<(), AppError> {
    let Some((first_row, first_column)) = values.start() else {
        return Ok(());
    };
    let (height, width) = values.get_size();
    let last_column = first_column as usize + width;
    if last_column > limits.max_columns {
        return Err(too_many_columns(sheet, last_column as u64, limits));
    }
    if height.saturating_mul(width) > limits.max_cells.saturating_mul(4) {
        return Err(too_many_cells(sheet, limits));
    }
    for (offset, cells) in values.rows().enumerate() {
        let row_number = first_row + offset as u32;
        let mut row = Row {
            number: row_number + 1,
            cells: vec![Cell::Empty; first_column as usize],
        };
        for (index, value) in cells.iter().enumerate() {
            let column = first_column + index as u32;
            let cell = match value {
                Data::Empty => match formulas.get_value((row_number, column)) {
                    Some(formula) if !formula.is_empty() => {
                        Cell::FormulaWithoutValue(formula.clone())
                    }
                    _ => Cell::Empty,
                },
                other => cell_of_data(other),
            };
            row.cells.push(cell);
        }
        while row.cells.last().is_some_and(Cell::is_empty) {
            row.cells.pop();
        }
        if visit(row)? == Flow::Enough {
            return Ok(());
        }
    }
    Ok(())
}

fn csv_sheet_name(file_name: &str) -> String {
    let stem = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .rsplit_once('.')
        .map(|(stem, _)| stem)
        .unwrap_or(file_name);
    if stem.is_empty() {
        "CSV".to_string()
    } else {
        stem.to_string()
    }
}

/// The text of a CSV file: UTF-8 (a byte-order mark is dropped), UTF-16 with a byte-order
/// mark, or the encoding the importer stated. Bytes that are not UTF-8 without a stated
/// encoding are a 422 naming the line and byte, never guessed at.
fn decode_csv(bytes: &[u8], file_name: &str, dialect: CsvDialect) -> Result<String, AppError> {
    if let Some(encoding) = dialect.encoding {
        let (text, _, had_errors) = encoding.decode(bytes);
        if had_errors {
            return Err(AppError::unprocessable(
                "bad_encoding",
                format!(
                    "{file_name} has bytes that are not {}: check the stated encoding",
                    encoding.name()
                ),
            ));
        }
        return Ok(text.into_owned());
    }
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        if encoding != encoding_rs::UTF_8 {
            let (text, _, had_errors) = encoding.decode(bytes);
            if had_errors {
                return Err(AppError::unprocessable(
                    "bad_encoding",
                    format!(
                        "{file_name} starts as {} but has bytes that are not",
                        encoding.name()
                    ),
                ));
            }
            return Ok(text.into_owned());
        }
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_string()),
        Err(error) => {
            let at = error.valid_up_to();
            let line = body[..at].iter().filter(|b| **b == b'\n').count() + 1;
            let column = at
                - body[..at]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map(|p| p + 1)
                    .unwrap_or(0)
                + 1;
            Err(AppError::unprocessable(
                "not_utf8",
                format!(
                    "{file_name} is not UTF-8: line {line}, byte {column} (0x{:02X}) is not valid; save it as UTF-8 or state its encoding (for example encoding=windows-1252)",
                    body[at]
                ),
            )
            .with_context(json!({ "line": line, "byte": column })))
        }
    }
}

fn csv_rows(
    text: &str,
    sheet: &str,
    dialect: CsvDialect,
    limits: &Limits,
    visit: &mut dyn FnMut(Row) -> Result<Flow, AppError>,
) -> Result<(), AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    // Rows are counted by record, as a spreadsheet program shows a CSV file (a quoted field
    // may span lines).
    let mut number: u32 = 0;
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            AppError::unprocessable("unreadable_file", format!("{sheet} is not valid CSV: {e}"))
        })?;
        if !more {
            return Ok(());
        }
        number += 1;
        let line = number;
        if record.len() > limits.max_columns
            && record
                .iter()
                .skip(limits.max_columns)
                .any(|f| !f.trim().is_empty())
        {
            return Err(
                too_many_columns(sheet, record.len() as u64, limits).with_context(
                    json!({ "sheet": sheet, "line": line, "limit_columns": limits.max_columns }),
                ),
            );
        }
        let cells = record
            .iter()
            .take(limits.max_columns)
            .map(|field| {
                if field.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(field.to_string())
                }
            })
            .collect();
        if visit(Row {
            number: line,
            cells,
        })? == Flow::Enough
        {
            return Ok(());
        }
    }
}
