//! Checks a file must pass before a spreadsheet library opens it: what it really is (by its
//! bytes, not its name), that no part of a zip package expands beyond the limit (zip bombs,
//! including ones whose headers understate their size), and that an OpenDocument sheet does not
//! repeat rows or columns past the limits (a few bytes can ask for a million rows).

use super::limits::Limits;
use crate::error::AppError;
use quick_xml::events::Event;
use serde_json::json;
use std::io::{Cursor, Read};

/// What a file is, judged by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Office Open XML workbook.
    Xlsx,
    /// Office Open XML workbook with macros (read like xlsx; macros never run).
    Xlsm,
    /// Excel binary workbook.
    Xlsb,
    /// Excel 97–2003 workbook (a compound file).
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
    /// Comma- (or otherwise) separated text.
    Csv,
}

impl Format {
    /// The format's usual name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Csv => "csv",
        }
    }
}

const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_MAGIC: [u8; 4] = [b'P', b'K', 3, 4];

fn unreadable(file_name: &str, why: impl std::fmt::Display) -> AppError {
    AppError::unprocessable(
        "unreadable_file",
        format!("{file_name} cannot be read as a spreadsheet: {why}"),
    )
}

/// Decides what the file is, checks its size, and for zip packages checks every part.
pub fn inspect(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Format, AppError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(AppError::payload_too_large(limits.max_bytes as usize)
            .with_context(json!({ "limit_bytes": limits.max_bytes, "size_bytes": bytes.len() })));
    }
    if bytes.is_empty() {
        return Err(AppError::unprocessable(
            "empty_file",
            format!("{file_name} is empty"),
        ));
    }
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if bytes.starts_with(&ZIP_MAGIC) {
        return inspect_zip(bytes, file_name, limits);
    }
    if bytes.starts_with(&CFB_MAGIC) {
        check_xls_extent(bytes, file_name, limits)?;
        return Ok(Format::Xls);
    }
    if matches!(extension.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods") {
        return Err(unreadable(
            file_name,
            format!("its name says .{extension}, but its content is not a workbook of that kind (renamed or damaged file)"),
        ));
    }
    let head = &bytes[..bytes.len().min(8192)];
    let nul_bytes = head.iter().filter(|b| **b == 0).count();
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if nul_bytes > 0 && !utf16 {
        return Err(unreadable(
            file_name,
            "it is binary data, neither a workbook (xlsx, xlsm, xlsb, xls, ods) nor CSV text",
        ));
    }
    Ok(Format::Csv)
}

fn inspect_zip(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Format, AppError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        unreadable(
            file_name,
            format!("the zip package is damaged or truncated ({e})"),
        )
    })?;
    let mut names = Vec::with_capacity(archive.len());
    let mut expanded: u64 = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| unreadable(file_name, format!("part {index} is damaged ({e})")))?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        if entry.encrypted() {
            return Err(unreadable(file_name, "it is password-protected"));
        }
        // Count what the part really expands to, whatever its header claims.
        loop {
            let read = entry.read(&mut buffer).map_err(|e| {
                unreadable(
                    file_name,
                    format!("part {name} is damaged or truncated ({e})"),
                )
            })?;
            if read == 0 {
                break;
            }
            expanded += read as u64;
            if expanded > limits.max_expanded_bytes {
                return Err(AppError::unprocessable(
                    "file_expands_too_far",
                    format!(
                        "{file_name} expands to more than {} bytes when unpacked (the limit): it is not a plausible spreadsheet",
                        limits.max_expanded_bytes
                    ),
                )
                .with_context(json!({ "limit_expanded_bytes": limits.max_expanded_bytes })));
            }
        }
        names.push(name);
    }
    let has = |wanted: &str| names.iter().any(|n| n.eq_ignore_ascii_case(wanted));
    let format = if has("xl/workbook.bin") {
        Format::Xlsb
    } else if has("xl/workbook.xml") {
        if has("xl/vbaProject.bin") {
            Format::Xlsm
        } else {
            Format::Xlsx
        }
    } else if has("content.xml") && ods_mimetype(&mut archive) {
        Format::Ods
    } else {
        return Err(unreadable(
            file_name,
            "it is a zip package, but not a workbook (no xl/workbook.xml or OpenDocument spreadsheet content)",
        ));
    };
    if format == Format::Ods {
        check_ods_extent(&mut archive, file_name, limits)?;
    }
    Ok(format)
}

fn ods_mimetype(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> bool {
    let Ok(mut entry) = archive.by_name("mimetype") else {
        // Some writers omit it; content.xml alone decides then.
        return true;
    };
    let mut text = String::new();
    let _ = entry.by_ref().take(200).read_to_string(&mut text);
    text.trim() == "application/vnd.oasis.opendocument.spreadsheet"
}

/// Walks content.xml and counts each table's rows and columns as the repeat attributes expand
/// them, up to the last non-empty cell (trailing blank repeats, which LibreOffice writes to
/// fill a sheet, cost nothing).
fn check_ods_extent(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    file_name: &str,
    limits: &Limits,
) -> Result<(), AppError> {
    let entry = archive
        .by_name("content.xml")
        .map_err(|e| unreadable(file_name, format!("content.xml is missing ({e})")))?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(entry));
    let mut buf = Vec::new();
    let mut table = String::new();
    let mut rows: u64 = 0; // rows so far in this table, repeats expanded
    let mut used_rows: u64 = 0; // up to the last row with content
    let mut row_repeat: u64 = 1;
    let mut row_columns: u64 = 0;
    let mut row_used_columns: u64 = 0;
    let mut row_has_content = false;
    let mut cells: u64 = 0;
    let mut in_cell: Option<u64> = None;
    let repeat = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> u64 {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|a| a.value.trim().parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let has_value = |e: &quick_xml::events::BytesStart<'_>| {
        e.try_get_attribute("office:value-type")
            .ok()
            .flatten()
            .is_some()
            || e.try_get_attribute("table:formula")
                .ok()
                .flatten()
                .is_some()
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| unreadable(file_name, format!("content.xml is not well-formed ({e})")))?;
        match event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table" => {
                table = e
                    .try_get_attribute("table:name")
                    .ok()
                    .flatten()
                    .map(|a| a.value.into_owned())
                    .unwrap_or_default();
                rows = 0;
                used_rows = 0;
            }
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                row_repeat = repeat(&e, "table:number-rows-repeated");
                row_columns = 0;
                row_used_columns = 0;
                row_has_content = false;
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                rows += repeat(&e, "table:number-rows-repeated");
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                rows += row_repeat;
                if row_has_content {
                    used_rows = rows;
                    cells += row_used_columns.saturating_mul(row_repeat);
                }
                if used_rows > limits.max_rows as u64 + 1 {
                    return Err(too_many_rows(&table, used_rows, limits));
                }
                if cells > limits.max_cells as u64 {
                    return Err(too_many_cells(&table, limits));
                }
            }
            Event::Start(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let n = repeat(&e, "table:number-columns-repeated");
                row_columns += n;
                if has_value(&e) {
                    row_has_content = true;
                    row_used_columns = row_columns;
                    in_cell = None;
                } else {
                    // Text-only cells (no value type) still count once their text shows up.
                    in_cell = Some(row_columns);
                }
                if row_used_columns > limits.max_columns as u64 {
                    return Err(too_many_columns(&table, row_used_columns, limits));
                }
            }
            Event::Empty(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                row_columns += repeat(&e, "table:number-columns-repeated");
                if has_value(&e) {
                    row_has_content = true;
                    row_used_columns = row_columns;
                    if row_used_columns > limits.max_columns as u64 {
                        return Err(too_many_columns(&table, row_used_columns, limits));
                    }
                }
            }
            Event::Text(_) => {
                if let Some(columns) = in_cell.take() {
                    row_has_content = true;
                    row_used_columns = columns;
                    if row_used_columns > limits.max_columns as u64 {
                        return Err(too_many_columns(&table, row_used_columns, limits));
                    }
                }
            }
            Event::End(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                in_cell = None;
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// Reads the DIMENSIONS records of an Excel 97–2003 workbook stream before calamine does:
/// calamine reserves room for every cell a sheet claims (rows × columns), so a damaged or
/// hostile record claiming billions of cells would abort the process on an allocation that
/// cannot be caught.
fn check_xls_extent(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<(), AppError> {
    let damaged = |why: String| unreadable(file_name, why);
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| damaged(format!("the compound file is damaged ({e})")))?;
    let stream_name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|name| file.exists(name))
        .ok_or_else(|| {
            damaged("it is a compound file without an Excel workbook stream".to_string())
        })?;
    let mut stream = Vec::new();
    file.open_stream(stream_name)
        .map_err(|e| damaged(format!("the workbook stream is damaged ({e})")))?
        .take(limits.max_expanded_bytes)
        .read_to_end(&mut stream)
        .map_err(|e| damaged(format!("the workbook stream is damaged ({e})")))?;
    let u16_at = |data: &[u8], at: usize| u16::from_le_bytes([data[at], data[at + 1]]) as u64;
    let u32_at = |data: &[u8], at: usize| {
        u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]) as u64
    };
    let mut at = 0usize;
    while at + 4 <= stream.len() {
        let kind = u16_at(&stream, at);
        let len = u16_at(&stream, at + 2) as usize;
        let Some(data) = stream.get(at + 4..at + 4 + len) else {
            break;
        };
        at += 4 + len;
        if kind != 0x0200 {
            continue;
        }
        // DIMENSIONS: first row, row after the last, first column, column after the last.
        let (first_row, end_row, first_column, end_column) = match data.len() {
            10 => (
                u16_at(data, 0),
                u16_at(data, 2),
                u16_at(data, 4),
                u16_at(data, 6),
            ),
            14 | 16 => (
                u32_at(data, 0),
                u32_at(data, 4),
                u16_at(data, 8),
                u16_at(data, 10),
            ),
            _ => continue,
        };
        // As calamine reads it: an impossible first column counts from 0.
        let first_column = if first_column > 0xFF || end_column < first_column {
            0
        } else {
            first_column
        };
        if end_row == 0 || end_column == 0 {
            continue;
        }
        if end_row <= first_row || end_row > 65_536 || end_column > 256 {
            return Err(damaged(format!(
                "a sheet claims rows {first_row} to {end_row} and columns {first_column} to {end_column}, which no Excel 97–2003 sheet has"
            )));
        }
        let cells = (end_row - first_row) * (end_column - first_column);
        if cells > (limits.max_cells as u64).saturating_mul(4) {
            return Err(too_many_cells("(xls)", limits));
        }
    }
    Ok(())
}

/// 422 `too_many_rows`.
pub fn too_many_rows(sheet: &str, rows: u64, limits: &Limits) -> AppError {
    AppError::unprocessable(
        "too_many_rows",
        format!(
            "sheet {sheet} has {rows} or more rows; an import takes at most {} rows of data (PROCURA_IMPORT_MAX_ROWS): split the file",
            limits.max_rows
        ),
    )
    .with_context(json!({ "sheet": sheet, "limit_rows": limits.max_rows }))
}

/// 422 `too_many_columns`.
pub fn too_many_columns(sheet: &str, columns: u64, limits: &Limits) -> AppError {
    AppError::unprocessable(
        "too_many_columns",
        format!(
            "sheet {sheet} uses {columns} columns; an import reads at most {} (PROCURA_IMPORT_MAX_COLUMNS): delete the columns beyond the data",
            limits.max_columns
        ),
    )
    .with_context(json!({ "sheet": sheet, "limit_columns": limits.max_columns }))
}

/// 422 `too_many_cells`.
pub fn too_many_cells(sheet: &str, limits: &Limits) -> AppError {
    AppError::unprocessable(
        "too_many_cells",
        format!(
            "sheet {sheet} holds more than {} cells (PROCURA_IMPORT_MAX_CELLS): split the file",
            limits.max_cells
        ),
    )
    .with_context(json!({ "sheet": sheet, "limit_cells": limits.max_cells }))
}
