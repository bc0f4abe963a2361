//! One module per kind of import: its columns, how a row becomes a typed line (pure), and how
//! lines reach the domain services. The framework here collects every error with its sheet,
//! row, column and rule, and runs each document's service call in a savepoint so that one bad
//! document neither stops the check of the others nor leaves anything of itself behind.

pub mod assets;
pub mod budget_lines;
pub mod fx_rates;
pub mod invoices;
pub mod purchase_orders;
pub mod sla_measurements;
pub mod vendors;

use super::cells::{column_letters, Cell, Row};
use super::headers::{Column, HeaderMap};
use super::lookup::Lookups;
use super::model::{DocumentAction, ImportedDocument, RowError};
use super::values::{self, Epoch, Parsed, Problem, TextRules};
use crate::auth::Actor;
use crate::config::PurchasingRules;
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::money::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// At most this many errors are kept (all are counted).
pub const MAX_KEPT_ERRORS: usize = 50_000;

/// Errors found so far, in the order found.
#[derive(Debug, Default)]
pub struct Errors {
    kept: Vec<RowError>,
    count: u64,
}

impl Errors {
    /// Adds an error.
    pub fn push(&mut self, error: RowError) {
        self.count += 1;
        if self.kept.len() < MAX_KEPT_ERRORS {
            self.kept.push(error);
        }
    }

    /// How many there are in all.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds `later`'s errors after these.
    pub fn append(&mut self, later: Errors) {
        let room = MAX_KEPT_ERRORS.saturating_sub(self.kept.len());
        self.kept.extend(later.kept.into_iter().take(room));
        self.count += later.count;
    }

    /// The kept errors, sorted by row and column.
    pub fn into_sorted(mut self) -> (Vec<RowError>, u64) {
        self.kept.sort_by(|a, b| {
            (a.row, column_index(a.column.as_deref()))
                .cmp(&(b.row, column_index(b.column.as_deref())))
        });
        (self.kept, self.count)
    }
}

fn column_index(letters: Option<&str>) -> usize {
    letters
        .map(|l| {
            l.bytes()
                .fold(0usize, |n, b| n * 26 + (b - b'A' + 1) as usize)
        })
        .unwrap_or(0)
}

/// A value as reports show it: at most [`MAX_VALUE_CHARS`] characters.
pub fn shorten(value: String) -> String {
    if value.chars().count() <= MAX_VALUE_CHARS {
        return value;
    }
    let mut short: String = value.chars().take(MAX_VALUE_CHARS).collect();
    short.push('…');
    short
}

/// Longest value a report repeats from a cell.
pub const MAX_VALUE_CHARS: usize = 200;

/// What every kind's parsing needs to know about the sheet.
pub struct Sheet<'a> {
    /// The sheet's name.
    pub name: &'a str,
    /// Its header map.
    pub map: &'a HeaderMap,
    /// The kind's columns.
    pub columns: &'static [Column],
    /// The workbook's date system.
    pub epoch: Epoch,
    /// How text values are written.
    pub rules: TextRules,
}

impl Sheet<'_> {
    fn index_of(&self, field: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.field == field)
    }

    /// The file's column letter and header for a field (or a phasing column, `month:2027-03`),
    /// if the file has it.
    pub fn locate(&self, field: &str) -> Option<(String, String)> {
        let position = match field.strip_prefix("month:") {
            Some(month) => self.map.months.iter().find(|(_, m)| m == month)?.0,
            None => self.map.position(self.index_of(field)?)?,
        };
        Some((column_letters(position), self.map.header_of(position)))
    }

    /// The template header of a field.
    pub fn header(&self, field: &str) -> &'static str {
        self.index_of(field)
            .map(|i| self.columns[i].header)
            .unwrap_or("?")
    }

    /// An error at `row` on `field`'s column (or the whole row when the file lacks it).
    pub fn error(
        &self,
        row: u32,
        field: Option<&str>,
        value: String,
        problem: Problem,
    ) -> RowError {
        let located = field.and_then(|f| self.locate(f));
        RowError {
            sheet: self.name.to_string(),
            row,
            column: located.as_ref().map(|(letter, _)| letter.clone()),
            header: located
                .map(|(_, header)| header)
                .or_else(|| field.map(|f| self.header(f).to_string())),
            value,
            rule: problem.rule.to_string(),
            message: problem.message,
        }
    }
}

/// One row being parsed: typed reads that record what they refuse.
pub struct Fields<'a> {
    sheet: &'a Sheet<'a>,
    row: &'a Row,
    errors: &'a mut Errors,
    failed: bool,
}

impl<'a> Fields<'a> {
    /// Starts reading `row`.
    pub fn new(sheet: &'a Sheet<'a>, row: &'a Row, errors: &'a mut Errors) -> Self {
        Self {
            sheet,
            row,
            errors,
            failed: false,
        }
    }

    /// The row's number.
    pub fn row(&self) -> u32 {
        self.row.number
    }

    /// Whether every read so far succeeded.
    pub fn ok(&self) -> bool {
        !self.failed
    }

    /// The sheet being read.
    pub fn sheet(&self) -> &Sheet<'a> {
        self.sheet
    }

    /// The cell of `field` in this row (empty when the file has no such column).
    pub fn cell(&self, field: &str) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        let position = match field.strip_prefix("month:") {
            Some(month) => self
                .sheet
                .map
                .months
                .iter()
                .find(|(_, m)| m == month)
                .map(|(p, _)| *p),
            None => self
                .sheet
                .index_of(field)
                .and_then(|i| self.sheet.map.position(i)),
        };
        match position {
            Some(position) => self.row.cell(position),
            None => &EMPTY,
        }
    }

    /// Records that `field` broke `problem`.
    pub fn fail(&mut self, field: &str, problem: Problem) {
        self.failed = true;
        let value = self.cell(field).to_string();
        let error = self
            .sheet
            .error(self.row.number, Some(field), value, problem);
        self.errors.push(error);
    }

    fn take<T>(&mut self, field: &str, parsed: Parsed<T>, required: bool) -> Option<T> {
        match parsed {
            Ok(Some(value)) => Some(value),
            Ok(None) if required => {
                self.fail(
                    field,
                    Problem::new(
                        "required",
                        format!("{} is required", self.sheet.header(field)),
                    ),
                );
                None
            }
            Ok(None) => None,
            Err(problem) => {
                self.fail(field, problem);
                None
            }
        }
    }

    /// Optional text.
    pub fn text(&mut self, field: &str) -> Option<String> {
        let parsed = values::text(self.cell(field));
        self.take(field, parsed, false)
    }

    /// Required text.
    pub fn required_text(&mut self, field: &str) -> Option<String> {
        let parsed = values::text(self.cell(field));
        self.take(field, parsed, true)
    }

    /// An optional plain decimal.
    pub fn decimal(&mut self, field: &str) -> Option<Decimal> {
        let parsed = values::decimal(self.cell(field), &self.sheet.rules);
        self.take(field, parsed, false)
    }

    /// A required plain decimal.
    pub fn required_decimal(&mut self, field: &str) -> Option<Decimal> {
        let parsed = values::decimal(self.cell(field), &self.sheet.rules);
        self.take(field, parsed, true)
    }

    /// An optional percentage in points.
    pub fn percent(&mut self, field: &str) -> Option<Decimal> {
        let parsed = values::percent(self.cell(field), &self.sheet.rules);
        self.take(field, parsed, false)
    }

    /// An optional amount in `currency`.
    pub fn amount(&mut self, field: &str, currency: Currency) -> Option<Decimal> {
        let parsed = values::amount(self.cell(field), &self.sheet.rules, currency);
        self.take(field, parsed, false)
    }

    /// An optional price in `currency`: a currency mark must match, but a price may have more
    /// places than the currency (the domain allows up to 6).
    pub fn price(&mut self, field: &str, currency: Option<Currency>) -> Option<Decimal> {
        let parsed = match (self.cell(field), currency) {
            (Cell::Text(text), Some(currency)) if !text.trim().is_empty() => {
                values::number_text(text.trim(), &self.sheet.rules, Some(currency), false).map(Some)
            }
            (cell, _) => values::decimal(cell, &self.sheet.rules),
        };
        self.take(field, parsed, false)
    }

    /// An optional date.
    pub fn date(&mut self, field: &str) -> Option<NaiveDate> {
        let parsed = values::date(self.cell(field), self.sheet.epoch, &self.sheet.rules);
        self.take(field, parsed, false)
    }

    /// A required date.
    pub fn required_date(&mut self, field: &str) -> Option<NaiveDate> {
        let parsed = values::date(self.cell(field), self.sheet.epoch, &self.sheet.rules);
        self.take(field, parsed, true)
    }

    /// An optional yes/no.
    pub fn flag(&mut self, field: &str) -> Option<bool> {
        let parsed = values::flag(self.cell(field));
        self.take(field, parsed, false)
    }

    /// A required ISO 4217 currency code (any case).
    pub fn currency(&mut self, field: &str) -> Option<Currency> {
        let code = self.required_text(field)?;
        match Currency::parse(&code.to_ascii_uppercase()) {
            Ok(currency) => Some(currency),
            Err(error) => {
                self.fail(field, Problem::new("unknown_currency", error.to_string()));
                None
            }
        }
    }

    /// An optional value from a fixed list (compared ignoring case, spaces and dashes).
    pub fn choice<T: Copy>(&mut self, field: &str, options: &[(&str, T)]) -> Option<T> {
        let written = self.text(field)?;
        let key = written.trim().to_lowercase().replace([' ', '-'], "_");
        match options.iter().find(|(name, _)| *name == key) {
            Some((_, value)) => Some(*value),
            None => {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                self.fail(
                    field,
                    Problem::new(
                        "not_allowed",
                        format!("`{written}` is not one of: {}", names.join(", ")),
                    ),
                );
                None
            }
        }
    }
}

/// Counts of what an import did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Records matched and left as they were.
    pub unchanged: u64,
}

/// Reports progress to whoever runs the import (the command line's bar).
pub trait Progress: Send + Sync {
    /// A new phase, with its size when known.
    fn phase(&self, _name: &str, _total: Option<u64>) {}
    /// `n` more units of the current phase are done.
    fn advance(&self, _n: u64) {}
}

/// No progress display (the HTTP API).
pub struct Quiet;
impl Progress for Quiet {}

/// What the apply phase works with: the open transaction and where results go.
pub struct Apply<'t, 'c> {
    /// The import's transaction.
    pub tx: &'t mut Tx<'c>,
    /// Who imports.
    pub actor: &'t Actor,
    /// The purchasing rules the services apply.
    pub purchasing: &'t PurchasingRules,
    /// The sheet (for locating errors).
    pub sheet: &'t Sheet<'t>,
    /// Cached natural-key lookups.
    pub lookups: Lookups,
    /// Errors found.
    pub errors: &'t mut Errors,
    /// Documents created or updated, in file order.
    pub documents: Vec<ImportedDocument>,
    /// What was done.
    pub counts: Counts,
    /// Progress display.
    pub progress: &'t dyn Progress,
}

/// What an apply phase did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Documents created or updated, in file order.
    pub documents: Vec<ImportedDocument>,
    /// What was done.
    pub counts: Counts,
}

impl Apply<'_, '_> {
    /// What was done.
    pub fn finish(self) -> Applied {
        Applied {
            documents: self.documents,
            counts: self.counts,
        }
    }

    /// Records an error at `row` on `field`.
    pub fn fail(
        &mut self,
        row: u32,
        field: Option<&str>,
        value: impl Into<String>,
        problem: Problem,
    ) {
        let error = self.sheet.error(row, field, value.into(), problem);
        self.errors.push(error);
    }

    /// Runs one document's service call in a savepoint. A client error (4xx) becomes errors
    /// on its rows, mapped through `locate` (the service's field path → row and column
    /// field; for an error without fields, `code:<error code>` → the cell it concerns); a
    /// server error (5xx) stops the import.
    pub fn attempt<T>(
        &mut self,
        rows: &[u32],
        locate: &dyn Fn(&str) -> (usize, Option<String>),
        work: impl FnOnce(&mut Tx<'_>) -> AppResult<T>,
    ) -> AppResult<Option<T>> {
        match self.tx.savepoint(work) {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.status().is_client_error() => {
                self.service_error(rows, locate, &error);
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    fn service_error(
        &mut self,
        rows: &[u32],
        locate: &dyn Fn(&str) -> (usize, Option<String>),
        error: &AppError,
    ) {
        let first = rows.first().copied().unwrap_or(0);
        if error.field_errors().is_empty() {
            let field = error
                .context()
                .and_then(|c| c.get("field"))
                .and_then(|f| f.as_str())
                .and_then(|f| locate(f).1)
                // Conflicts name no field; each kind says which cell a conflict belongs to.
                .or_else(|| locate(&format!("code:{}", error.code())).1);
            self.fail(
                first,
                field.as_deref(),
                "",
                Problem::new(error.code(), error.detail().to_string()),
            );
            return;
        }
        for field_error in error.field_errors() {
            let (line, field) = locate(&field_error.field);
            let row = rows.get(line).copied().unwrap_or(first);
            let problem = Problem::new(
                if error.code() == "validation_failed" {
                    "invalid_value"
                } else {
                    error.code()
                },
                match field {
                    Some(_) => field_error.message.clone(),
                    None => format!("{}: {}", field_error.field, field_error.message),
                },
            );
            self.fail(row, field.as_deref(), "", problem);
        }
    }

    /// Every this many documents, planner statistics of the tables an import writes are
    /// refreshed (see [`crate::db::refresh_statistics`]).
    pub const STATISTICS_EVERY: u64 = 500;

    /// Records a document the import created or matched; now and then refreshes the planner's
    /// statistics of `tables`, which the import is growing.
    pub fn done_growing(
        &mut self,
        rows: &[u32],
        action: DocumentAction,
        entity: &str,
        id: i64,
        label: impl Into<String>,
        tables: &[&str],
    ) -> AppResult<()> {
        self.done(rows, action, entity, id, label);
        if self.counts.created % Self::STATISTICS_EVERY == 0 {
            crate::db::refresh_statistics(self.tx, tables)?;
        }
        Ok(())
    }

    /// The vendor a document names in its `vendor` cell at `row` (tax id or exact name), or
    /// `None` with the error recorded on that cell.
    pub fn vendor(&mut self, row: u32, written: &str) -> AppResult<Option<i64>> {
        let problem = match self.lookups.vendor(self.tx, written)? {
            super::lookup::Found::One(id) => return Ok(Some(id)),
            super::lookup::Found::None => Problem::new(
                "unknown_vendor",
                format!("no vendor has the tax id or name `{written}`"),
            ),
            super::lookup::Found::Many(n) => Problem::new(
                "ambiguous_vendor",
                format!("{n} vendors are named `{written}`: give the tax id"),
            ),
        };
        self.fail(row, Some("vendor"), written, problem);
        Ok(None)
    }

    /// Records a document the import created or matched.
    pub fn done(
        &mut self,
        rows: &[u32],
        action: DocumentAction,
        entity: &str,
        id: i64,
        label: impl Into<String>,
    ) {
        match action {
            DocumentAction::Created => self.counts.created += 1,
            DocumentAction::Updated => self.counts.updated += 1,
            DocumentAction::Unchanged => self.counts.unchanged += 1,
        }
        if self.documents.len() < super::model::REPORT_LIST_LIMIT {
            self.documents.push(ImportedDocument {
                first_row: rows.first().copied().unwrap_or(0),
                last_row: rows.last().copied().unwrap_or(0),
                action,
                entity: entity.to_string(),
                id: Some(id),
                label: label.into(),
            });
        }
        self.progress.advance(rows.len() as u64);
    }
}

/// Lines grouped into documents by `key`, in the order each document first appears.
pub fn group_by<L, K: Eq + std::hash::Hash>(lines: Vec<L>, key: impl Fn(&L) -> K) -> Vec<Vec<L>> {
    let mut index: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    let mut groups: Vec<Vec<L>> = Vec::new();
    for line in lines {
        match index.entry(key(&line)) {
            std::collections::hash_map::Entry::Occupied(at) => groups[*at.get()].push(line),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(groups.len());
                groups.push(vec![line]);
            }
        }
    }
    groups
}

/// The service field path's line index (`lines[3].unit_price` → 3) and last segment.
pub fn split_path(path: &str) -> (usize, &str) {
    let index = path
        .strip_prefix("lines[")
        .or_else(|| path.strip_prefix("months["))
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0);
    let last = path.rsplit('.').next().unwrap_or(path);
    (index, last)
}

/// A kind of import.
pub trait Kind {
    /// One parsed row.
    type Line;
    /// The columns the kind reads.
    fn columns(&self) -> &'static [Column];
    /// Whether month headers become phasing columns.
    fn months(&self) -> bool {
        false
    }
    /// Reads one data row; `None` when it had errors (recorded in `fields`).
    fn parse(&self, fields: &mut Fields<'_>, row: &Row) -> Option<Self::Line>;
    /// Resolves references and calls the services for every line, recording errors.
    fn apply(&self, apply: &mut Apply<'_, '_>, lines: Vec<Self::Line>) -> AppResult<()>;
    /// Whether the kind can apply lines while the file is still being read
    /// ([`Kind::apply_streamed`]).
    fn streams(&self) -> bool {
        false
    }
    /// Applies lines as the reader sends them, to the same effect as [`Kind::apply`] over the
    /// whole file, or finds that the file's order does not allow it (the rows of one document
    /// are not together, say) and says so: the import then undoes what was applied and
    /// applies the whole file at once.
    fn apply_streamed(
        &self,
        _apply: &mut Apply<'_, '_>,
        _lines: &mut dyn Iterator<Item = Self::Line>,
    ) -> AppResult<Streamed> {
        Ok(Streamed::NeedsWholeFile)
    }
}

/// What [`Kind::apply_streamed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streamed {
    /// Every line was applied, as [`Kind::apply`] would have.
    Applied,
    /// Applying as the lines came would differ from applying the whole file: undo it.
    NeedsWholeFile,
}

/// Checks that the rows of one document agree on a header field; records an error on each
/// row that differs from the first.
pub fn agree<T: PartialEq>(
    apply: &mut Apply<'_, '_>,
    field: &str,
    rows: &[(u32, T)],
    show: impl Fn(&T) -> String,
) -> bool {
    let Some((first_row, first)) = rows.first() else {
        return true;
    };
    let mut ok = true;
    for (row, value) in &rows[1..] {
        if value != first {
            ok = false;
            apply.fail(
                *row,
                Some(field),
                show(value),
                Problem::new(
                    "inconsistent_document",
                    format!(
                        "rows of one document must agree on {}: row {first_row} says `{}`",
                        apply.sheet.header(field),
                        show(first)
                    ),
                ),
            );
        }
    }
    ok
}
