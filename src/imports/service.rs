//! The import pipeline: check the file, find the sheet and its header row, read and check every
//! row, then in one transaction resolve every reference and run every document through its
//! domain service. Any error, or a dry run, rolls the whole transaction back; the report is
//! the same either way. Every import that reaches its rows is recorded with its report.
//!
//! A kind that can ([`Kind::streams`]: invoices) has its file read on a second thread inside
//! the transaction while its documents are recorded as their rows arrive, so reading and
//! recording overlap; when the file's order does not allow that, what was recorded is undone
//! in its savepoint and the whole file is applied at once, to the same result. Other kinds read
//! the whole file before the transaction begins.

use super::cells::Row;
use super::guard::Format;
use super::headers::{match_headers, recognised, HeaderMap, HeaderProblem};
use super::kinds::{self, Applied, Apply, Errors, Fields, Kind, Progress, Quiet, Sheet, Streamed};
use super::limits::Limits;
use super::lookup::Lookups;
use super::model::{ImportKind, ImportReport, ImportStatus, RowError, REPORT_LIST_LIMIT};
use super::read::{CsvDialect, Flow, Workbook};
use super::repo;
use super::values::TextRules;
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::config::PurchasingRules;
use crate::db::{Db, Decision, Tx};
use crate::error::{AppError, AppResult, FieldError};
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::mpsc;

/// Rows searched for the header row (title rows above it are allowed).
const HEADER_SEARCH_ROWS: usize = 20;

/// What is asked of one import.
pub struct ImportRequest {
    /// What the file holds.
    pub kind: ImportKind,
    /// The file's name as uploaded.
    pub file_name: String,
    /// The file.
    pub bytes: Vec<u8>,
    /// Check only, write nothing.
    pub dry_run: bool,
    /// The sheet to read; by default the first whose header row fits the kind.
    pub sheet: Option<String>,
    /// How text values are written.
    pub rules: TextRules,
    /// How a CSV file is written.
    pub dialect: CsvDialect,
}

/// The settings an import runs under.
#[derive(Debug, Clone, Default)]
pub struct ImportSettings {
    /// Size and shape limits.
    pub limits: Limits,
    /// The purchasing rules the services apply.
    pub purchasing: PurchasingRules,
}

/// The SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Runs an import (blocking: call it on a blocking thread).
pub fn run(
    db: &Db,
    actor: &Actor,
    settings: &ImportSettings,
    request: ImportRequest,
    progress: &dyn Progress,
) -> AppResult<ImportReport> {
    match request.kind {
        ImportKind::Vendors => run_kind(
            &kinds::vendors::Vendors,
            db,
            actor,
            settings,
            request,
            progress,
        ),
        ImportKind::BudgetLines => run_kind(
            &kinds::budget_lines::BudgetLines,
            db,
            actor,
            settings,
            request,
            progress,
        ),
        ImportKind::FxRates => run_kind(
            &kinds::fx_rates::FxRates,
            db,
            actor,
            settings,
            request,
            progress,
        ),
        ImportKind::PurchaseOrders => run_kind(
            &kinds::purchase_orders::PurchaseOrders,
            db,
            actor,
            settings,
            request,
            progress,
        ),
        ImportKind::Invoices => run_kind(
            &kinds::invoices::Invoices,
            db,
            actor,
            settings,
            request,
            progress,
        ),
        ImportKind::Assets => run_kind(
            &kinds::assets::Assets,
            db,
            actor,
            settings,
            request,
            progress,
        ),
        ImportKind::SlaMeasurements => run_kind(
            &kinds::sla_measurements::SlaMeasurements,
            db,
            actor,
            settings,
            request,
            progress,
        ),
    }
}

/// The columns of a kind (for templates and documentation).
pub fn columns_of(kind: ImportKind) -> (&'static [super::headers::Column], bool) {
    fn of<K: Kind>(k: &K) -> (&'static [super::headers::Column], bool) {
        (k.columns(), k.months())
    }
    match kind {
        ImportKind::Vendors => of(&kinds::vendors::Vendors),
        ImportKind::BudgetLines => of(&kinds::budget_lines::BudgetLines),
        ImportKind::FxRates => of(&kinds::fx_rates::FxRates),
        ImportKind::PurchaseOrders => of(&kinds::purchase_orders::PurchaseOrders),
        ImportKind::Invoices => of(&kinds::invoices::Invoices),
        ImportKind::Assets => of(&kinds::assets::Assets),
        ImportKind::SlaMeasurements => of(&kinds::sla_measurements::SlaMeasurements),
    }
}

fn run_kind<K>(
    kind: &K,
    db: &Db,
    actor: &Actor,
    settings: &ImportSettings,
    request: ImportRequest,
    progress: &dyn Progress,
) -> AppResult<ImportReport>
where
    K: Kind + Sync,
    K::Line: Send,
{
    let sha256 = sha256_hex(&request.bytes);
    if let Some(earlier) = db.read_blocking(|conn| repo::committed_with_sha(conn, &sha256))? {
        return Err(duplicate(&earlier));
    }
    progress.phase("reading", None);
    let mut workbook = Workbook::open(
        &request.bytes,
        &request.file_name,
        request.dialect,
        settings.limits,
    )?;
    let (sheet_name, map) = find_sheet(&mut workbook, kind, request.sheet.as_deref())?;
    let epoch = workbook.epoch();
    let sheet = Sheet {
        name: &sheet_name,
        map: &map,
        columns: kind.columns(),
        epoch,
        rules: request.rules,
    };
    let context = Context {
        actor,
        purchasing: &settings.purchasing,
        sheet: &sheet,
    };
    // A kind that cannot stream has its file read before the transaction begins.
    let mut read_first = if kind.streams() {
        None
    } else {
        Some(read_whole(kind, &mut workbook, &sheet, progress)?)
    };
    let created_at = clock::now();
    let format = workbook.format();
    let mut summary = Summary {
        kind: request.kind,
        file_name: request.file_name.clone(),
        sha256: sha256.clone(),
        format,
        sheet: sheet_name.clone(),
        map: &map,
        dry_run: request.dry_run,
        rows_read: 0,
        actor: actor.name.clone(),
        created_at: DateTime::from_naive_utc_and_offset(created_at, Utc),
    };
    let mut errors = Errors::default();
    let decided = db.write_or_discard_blocking(|tx| {
        if let Some(earlier) = repo::committed_with_sha(tx, &sha256)? {
            return Err(duplicate(&earlier));
        }
        let started = std::time::Instant::now();
        let (applied, read) = match read_first.take() {
            Some(whole) => apply_whole(kind, tx, &context, whole, progress)?,
            None => match stream(kind, tx, &context, &mut workbook, progress)? {
                Some(streamed) => streamed,
                None => {
                    let whole = read_whole(kind, &mut workbook, &sheet, progress)?;
                    apply_whole(kind, tx, &context, whole, progress)?
                }
            },
        };
        tracing::debug!(
            kind = request.kind.as_str(),
            rows = read.rows,
            read_ms = read.took.as_millis() as u64,
            apply_ms = started.elapsed().as_millis() as u64,
            "import phases"
        );
        summary.rows_read = read.rows;
        errors = read.errors;
        let failed = !errors.is_empty();
        let status = match (failed, request.dry_run) {
            (true, _) => ImportStatus::Rejected,
            (false, true) => ImportStatus::Validated,
            (false, false) => ImportStatus::Committed,
        };
        let mut report = summary.report(status, applied.counts, applied.documents);
        if status != ImportStatus::Committed {
            return Ok(Decision::Discard(report));
        }
        let id = repo::insert(tx, &report, None, created_at)?;
        report.id = Some(id);
        audit::record(
            tx,
            &actor.name,
            "import.commit",
            "import",
            id,
            None::<&()>,
            Some(&json!({
                "kind": report.kind,
                "file_name": report.file_name,
                "sha256": report.sha256,
                "sheet": report.sheet,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            })),
        )?;
        Ok(Decision::Keep(report))
    })?;
    let report = match decided {
        Decision::Keep(report) => report,
        Decision::Discard(mut report) => {
            // Nothing of the import was kept: ids of records it would have made mean nothing.
            for document in &mut report.documents {
                document.id = None;
            }
            let workbook_bytes = if errors.is_empty() {
                None
            } else {
                let (mut kept, count) = std::mem::take(&mut errors).into_sorted();
                fill_values(&mut workbook, &sheet_name, &mut kept)?;
                let bytes =
                    super::report_xlsx::error_workbook(&mut workbook, &sheet_name, map.row, &kept)?;
                report.error_count = count;
                kept.truncate(REPORT_LIST_LIMIT);
                report.errors = kept;
                Some(bytes)
            };
            db.write_blocking(|tx| {
                let id = repo::insert(tx, &report, workbook_bytes.as_deref(), created_at)?;
                report.id = Some(id);
                if workbook_bytes.is_some() {
                    report.error_workbook = Some(format!("/api/v1/imports/{id}/errors.xlsx"));
                }
                repo::store_report(tx, id, &report)?;
                Ok(report)
            })?
        }
    };
    Ok(report)
}

/// Who imports, under which rules, from which sheet: what every apply phase starts from.
struct Context<'a> {
    actor: &'a Actor,
    purchasing: &'a PurchasingRules,
    sheet: &'a Sheet<'a>,
}

impl<'a> Context<'a> {
    fn apply<'t, 'c>(
        &'t self,
        tx: &'t mut Tx<'c>,
        errors: &'t mut Errors,
        progress: &'t dyn Progress,
    ) -> Apply<'t, 'c> {
        Apply {
            tx,
            actor: self.actor,
            purchasing: self.purchasing,
            sheet: self.sheet,
            lookups: Lookups::default(),
            errors,
            documents: Vec::new(),
            counts: Default::default(),
            progress,
        }
    }
}

/// What reading the file gave besides its lines.
struct Read {
    /// The errors of its rows (with, once applied, those of its documents).
    errors: Errors,
    /// Data rows read.
    rows: u64,
    /// How long reading took.
    took: std::time::Duration,
}

/// The file read whole.
struct Whole<L> {
    lines: Vec<L>,
    read: Read,
}

/// Reads every data row of the sheet and hands each parsed line to `take`, until it has had
/// enough.
fn read_lines<K: Kind>(
    kind: &K,
    workbook: &mut Workbook<'_>,
    sheet: &Sheet<'_>,
    progress: &dyn Progress,
    take: &mut dyn FnMut(K::Line) -> Flow,
) -> AppResult<Read> {
    let started = std::time::Instant::now();
    let mut errors = Errors::default();
    let mut rows: u64 = 0;
    workbook.rows(sheet.name, &mut |row: Row| {
        if row.number <= sheet.map.row {
            return Flow::More;
        }
        rows += 1;
        if rows % 1024 == 0 {
            progress.advance(1024);
        }
        let mut fields = Fields::new(sheet, &row, &mut errors);
        match kind.parse(&mut fields, &row) {
            Some(line) => take(line),
            None => Flow::More,
        }
    })?;
    progress.advance(rows % 1024);
    Ok(Read {
        errors,
        rows,
        took: started.elapsed(),
    })
}

fn read_whole<K: Kind>(
    kind: &K,
    workbook: &mut Workbook<'_>,
    sheet: &Sheet<'_>,
    progress: &dyn Progress,
) -> AppResult<Whole<K::Line>> {
    let mut lines = Vec::new();
    let read = read_lines(kind, workbook, sheet, progress, &mut |line| {
        lines.push(line);
        Flow::More
    })?;
    Ok(Whole { lines, read })
}

/// Applies the whole file's lines at once ([`Kind::apply`]).
fn apply_whole<K: Kind>(
    kind: &K,
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    Whole { lines, mut read }: Whole<K::Line>,
    progress: &dyn Progress,
) -> AppResult<(Applied, Read)> {
    let mut apply_errors = Errors::default();
    let mut apply = context.apply(tx, &mut apply_errors, progress);
    kind.apply(&mut apply, lines)?;
    let applied = apply.finish();
    read.errors.append(apply_errors);
    Ok((applied, read))
}

/// Lines the reader sends at a time.
const STREAM_CHUNK_LINES: usize = 1_024;
/// Chunks the reader may be ahead of the apply phase.
const STREAM_CHUNKS_AHEAD: usize = 16;

/// Reads the file on a second thread while this one applies its lines as they come
/// ([`Kind::apply_streamed`]) in a savepoint; the two overlap, so the import takes about as
/// long as the longer of them. `None` when the kind finds it needs the whole file: what it
/// applied is undone (and the reader stopped).
fn stream<K>(
    kind: &K,
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    workbook: &mut Workbook<'_>,
    progress: &dyn Progress,
) -> AppResult<Option<(Applied, Read)>>
where
    K: Kind + Sync,
    K::Line: Send,
{
    std::thread::scope(|scope| {
        let (send, receive) = mpsc::sync_channel::<Vec<K::Line>>(STREAM_CHUNKS_AHEAD);
        let sheet = context.sheet;
        let reader = scope.spawn(move || {
            let mut chunk = Vec::with_capacity(STREAM_CHUNK_LINES);
            let read = read_lines(kind, workbook, sheet, progress, &mut |line| {
                chunk.push(line);
                if chunk.len() < STREAM_CHUNK_LINES {
                    return Flow::More;
                }
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(STREAM_CHUNK_LINES));
                match send.send(full) {
                    Ok(()) => Flow::More,
                    // The apply phase stopped: nothing more is wanted.
                    Err(_) => Flow::Enough,
                }
            });
            if !chunk.is_empty() {
                let _ = send.send(chunk);
            }
            read
        });
        let mut apply_errors = Errors::default();
        let applied = tx.savepoint_deciding(|tx| {
            let mut apply = context.apply(tx, &mut apply_errors, &Quiet);
            let mut lines = receive.into_iter().flatten();
            Ok(match kind.apply_streamed(&mut apply, &mut lines)? {
                Streamed::Applied => Decision::Keep(Some(apply.finish())),
                Streamed::NeedsWholeFile => Decision::Discard(None),
            })
        });
        // The receiver is gone with the savepoint's work, so a reader still going stops at its
        // next chunk; a file the reader refused is the error to report.
        let read = reader.join().map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "the spreadsheet reader stopped unexpectedly"
            ))
        })?;
        match applied {
            Err(error) => Err(read.err().unwrap_or(error)),
            Ok(Decision::Keep(Some(applied))) => {
                let mut read = read?;
                read.errors.append(apply_errors);
                Ok(Some((applied, read)))
            }
            Ok(Decision::Keep(None) | Decision::Discard(_)) => Ok(None),
        }
    })
}

/// What every report says about the file, gathered before the transaction.
struct Summary<'a> {
    kind: ImportKind,
    file_name: String,
    sha256: String,
    format: Format,
    sheet: String,
    map: &'a HeaderMap,
    dry_run: bool,
    rows_read: u64,
    actor: String,
    created_at: DateTime<Utc>,
}

impl Summary<'_> {
    fn report(
        &self,
        status: ImportStatus,
        counts: kinds::Counts,
        documents: Vec<super::model::ImportedDocument>,
    ) -> ImportReport {
        ImportReport {
            id: None,
            kind: self.kind,
            file_name: self.file_name.clone(),
            sha256: self.sha256.clone(),
            format: self.format.as_str().to_string(),
            sheet: self.sheet.clone(),
            header_row: self.map.row,
            dry_run: self.dry_run,
            status,
            rows: self.rows_read,
            created: counts.created,
            updated: counts.updated,
            unchanged: counts.unchanged,
            columns: self.map.mapped.clone(),
            unknown_columns: self.map.unknown.clone(),
            error_count: 0,
            errors: Vec::new(),
            documents,
            error_workbook: None,
            created_by: self.actor.clone(),
            created_at: self.created_at,
        }
    }
}

fn duplicate(earlier: &repo::EarlierImport) -> AppError {
    AppError::conflict(
        "duplicate_import",
        format!(
            "this file (SHA-256 {}) was already imported: import {} of {} by {} at {}",
            earlier.sha256, earlier.id, earlier.file_name, earlier.created_by, earlier.created_at
        ),
    )
    .with_context(json!({ "import_id": earlier.id, "file_name": earlier.file_name, "created_by": earlier.created_by }))
}

/// Sets each error's `value` to its cell as written (errors found while applying know their
/// row and column but not the cell).
fn fill_values(workbook: &mut Workbook<'_>, sheet: &str, errors: &mut [RowError]) -> AppResult<()> {
    if errors
        .iter()
        .all(|e| !e.value.is_empty() || e.column.is_none())
    {
        return Ok(());
    }
    let mut next = 0;
    workbook.rows(sheet, &mut |row: Row| {
        while next < errors.len() && errors[next].row < row.number {
            next += 1;
        }
        let mut at = next;
        while at < errors.len() && errors[at].row == row.number {
            let error = &mut errors[at];
            if let Some(column) = &error.column {
                if error.value.is_empty() {
                    error.value = kinds::shorten(row.cell(column_index(column)).to_string());
                }
            }
            at += 1;
        }
        if next >= errors.len() {
            Flow::Enough
        } else {
            Flow::More
        }
    })
}

/// The 0-based index of a column letter.
pub fn column_index(letters: &str) -> usize {
    letters
        .bytes()
        .fold(0usize, |n, b| {
            n * 26 + (b.saturating_sub(b'A') as usize + 1)
        })
        .saturating_sub(1)
}

/// Finds the sheet to read and its header row.
fn find_sheet<K: Kind>(
    workbook: &mut Workbook<'_>,
    kind: &K,
    requested: Option<&str>,
) -> AppResult<(String, HeaderMap)> {
    let names = workbook.sheet_names();
    let candidates: Vec<String> = match requested {
        Some(wanted) => match names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(wanted.trim()))
        {
            Some(name) => vec![name.clone()],
            None => {
                return Err(AppError::unprocessable(
                    "sheet_not_found",
                    format!(
                        "the file has no sheet named `{wanted}`; its sheets are: {}",
                        names.join(", ")
                    ),
                )
                .with_context(json!({ "sheets": names })))
            }
        },
        None => names.clone(),
    };
    let epoch = workbook.epoch();
    let mut misses: Vec<(String, u32, HeaderProblem)> = Vec::new();
    for name in &candidates {
        let mut head: Vec<Row> = Vec::new();
        workbook.rows(name, &mut |row: Row| {
            head.push(row);
            if head.len() >= HEADER_SEARCH_ROWS {
                Flow::Enough
            } else {
                Flow::More
            }
        })?;
        // The header row: the first that names most of the kind's columns.
        let best = head
            .iter()
            .map(|row| (recognised(kind.columns(), row), row))
            .filter(|(n, _)| *n > 0)
            .fold(None::<(usize, &Row)>, |best, (n, row)| match best {
                Some((b, _)) if b >= n => best,
                _ => Some((n, row)),
            });
        let Some((_, header)) = best else {
            misses.push((
                name.clone(),
                0,
                HeaderProblem::Missing(kind.columns().iter().filter(|c| c.required).collect()),
            ));
            continue;
        };
        match match_headers(kind.columns(), header, kind.months(), epoch) {
            Ok(map) => return Ok((name.clone(), map)),
            Err(problem) => misses.push((name.clone(), header.number, problem)),
        }
    }
    Err(header_error(misses))
}

fn header_error(misses: Vec<(String, u32, HeaderProblem)>) -> AppError {
    let mut errors = Vec::new();
    let mut duplicate = None;
    for (sheet, row, problem) in &misses {
        match problem {
            HeaderProblem::Missing(columns) => {
                for column in columns {
                    let also = if column.aliases.is_empty() {
                        String::new()
                    } else {
                        format!(" (also accepted: {})", column.aliases.join(", "))
                    };
                    let place = if *row == 0 {
                        sheet.to_string()
                    } else {
                        format!("{sheet}!{row}")
                    };
                    errors.push(FieldError::new(
                        place,
                        format!("the required column {} is missing{also}", column.header),
                    ));
                }
            }
            HeaderProblem::Duplicate { header, columns } => {
                duplicate.get_or_insert((sheet.clone(), *header, columns.clone()));
                errors.push(FieldError::new(
                    format!("{sheet}!{row}"),
                    format!(
                        "columns {} and {} both mean {header}: keep one",
                        columns.0, columns.1
                    ),
                ));
            }
        }
    }
    if let (Some((sheet, header, columns)), 1) = (&duplicate, misses.len()) {
        return AppError::unprocessable_fields(
            "duplicate_column",
            format!(
                "sheet {sheet}: columns {} and {} both mean {header}",
                columns.0, columns.1
            ),
            errors,
        );
    }
    let detail = match misses.as_slice() {
        [(sheet, _, _)] => format!("sheet {sheet} lacks required columns; nothing was read"),
        _ => "no sheet has the columns this kind of import needs; nothing was read".to_string(),
    };
    AppError::unprocessable_fields("missing_columns", detail, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::headers::normalise;

    /// Within a kind, every header and alias means one column only, and none repeats.
    #[test]
    fn headers_and_aliases_are_unambiguous() {
        for kind in ImportKind::ALL {
            let (columns, _) = columns_of(kind);
            let mut seen = std::collections::HashMap::new();
            for column in columns {
                for name in std::iter::once(column.header).chain(column.aliases.iter().copied()) {
                    if let Some(other) = seen.insert(normalise(name), column.field) {
                        panic!(
                            "{}: `{name}` names both {other} and {}",
                            kind.as_str(),
                            column.field
                        );
                    }
                }
            }
        }
    }

    /// imports/README.md documents every column of every kind, with every alias.
    #[test]
    fn the_import_guide_lists_every_column() {
        let guide = include_str!("../../imports/README.md");
        for kind in ImportKind::ALL {
            let (columns, _) = columns_of(kind);
            for column in columns {
                assert!(
                    guide.contains(&format!("| {} |", column.header)),
                    "{}: {} is not documented",
                    kind.as_str(),
                    column.header
                );
                for alias in column.aliases {
                    assert!(
                        guide.contains(alias),
                        "{}: alias {alias} is not documented",
                        kind.as_str()
                    );
                }
            }
        }
    }
}
