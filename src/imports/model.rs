//! Import kinds, the report an import returns, and its errors.

use super::headers::{MappedColumn, UnknownColumn};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// Vendors (updated by tax id, else by exact name).
    Vendors,
    /// Budget lines with their monthly phasing.
    BudgetLines,
    /// FX rates (updated by pair and date).
    FxRates,
    /// Purchase orders, a row per line, created as drafts.
    PurchaseOrders,
    /// Invoices and credit memos, a row per line, recorded and matched.
    Invoices,
    /// The asset register: serial numbers, locations and states of received assets, by tag.
    Assets,
    /// SLA measurements, a row per period.
    SlaMeasurements,
}

impl ImportKind {
    /// Every kind.
    pub const ALL: [ImportKind; 7] = [
        ImportKind::Vendors,
        ImportKind::BudgetLines,
        ImportKind::FxRates,
        ImportKind::PurchaseOrders,
        ImportKind::Invoices,
        ImportKind::Assets,
        ImportKind::SlaMeasurements,
    ];

    /// The kind's name in the API and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Vendors => "vendors",
            ImportKind::BudgetLines => "budget_lines",
            ImportKind::FxRates => "fx_rates",
            ImportKind::PurchaseOrders => "purchase_orders",
            ImportKind::Invoices => "invoices",
            ImportKind::Assets => "assets",
            ImportKind::SlaMeasurements => "sla_measurements",
        }
    }

    /// The kind named `name` (`-` and `_` alike).
    pub fn parse(name: &str) -> Option<ImportKind> {
        let wanted = name.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|k| k.as_str() == wanted)
    }
}

/// Where an import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Every row was valid and everything was written, in one transaction.
    Committed,
    /// Some rows were invalid: nothing was written.
    Rejected,
    /// A dry run found every row valid: nothing was written.
    Validated,
}

impl ImportStatus {
    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Committed => "committed",
            ImportStatus::Rejected => "rejected",
            ImportStatus::Validated => "validated",
        }
    }
}

/// One bad cell (or row): where it is, what it held and which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// The sheet.
    pub sheet: String,
    /// The row number the spreadsheet shows (for CSV, the line).
    pub row: u32,
    /// The column letter, when one cell is at fault.
    pub column: Option<String>,
    /// The column's header as written.
    pub header: Option<String>,
    /// The value as written in the file.
    pub value: String,
    /// The rule broken, a stable code (`too_many_decimals`, `unknown_vendor`, …).
    pub rule: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// What happened to one document of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentAction {
    /// A new record.
    Created,
    /// An existing record matched by its natural key and changed.
    Updated,
    /// An existing record matched by its natural key, already as the file says.
    Unchanged,
}

/// One record the file creates or updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportedDocument {
    /// The first row it came from.
    pub first_row: u32,
    /// The last row it came from.
    pub last_row: u32,
    /// What was done.
    pub action: DocumentAction,
    /// The record's kind (`vendor`, `purchase_order`, …).
    pub entity: String,
    /// Its id (none on a dry run or a rejected import: nothing was kept).
    pub id: Option<i64>,
    /// How people know it: a name, document number or the file's own reference.
    pub label: String,
}

/// The outcome of an import, as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// The import's id (every import that reached its rows is recorded).
    pub id: Option<i64>,
    /// What the file holds.
    pub kind: ImportKind,
    /// The uploaded file's name.
    pub file_name: String,
    /// The SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// `xlsx`, `xlsm`, `xlsb`, `xls`, `ods` or `csv`.
    pub format: String,
    /// The sheet read.
    pub sheet: String,
    /// The header row's number.
    pub header_row: u32,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Where it ended.
    pub status: ImportStatus,
    /// Data rows read (blank rows are not counted).
    pub rows: u64,
    /// Records created (or that would be, on a dry run).
    pub created: u64,
    /// Records updated by natural key.
    pub updated: u64,
    /// Records matched by natural key that needed no change.
    pub unchanged: u64,
    /// The columns read and what each was taken for.
    pub columns: Vec<MappedColumn>,
    /// Columns with headers nobody reads: check their spelling.
    pub unknown_columns: Vec<UnknownColumn>,
    /// How many errors there are in all.
    pub error_count: u64,
    /// The errors, in row order (the first 1,000; the error workbook has all).
    pub errors: Vec<RowError>,
    /// The records, in file order (the first 1,000).
    pub documents: Vec<ImportedDocument>,
    /// Where to fetch the workbook with an error column, when there are errors.
    pub error_workbook: Option<String>,
    /// Who imported it.
    pub created_by: String,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
}

impl ImportReport {
    /// The kind's name.
    pub fn kind_name(&self) -> &'static str {
        self.kind.as_str()
    }
}

/// At most this many errors and documents are listed in the JSON report.
pub const REPORT_LIST_LIMIT: usize = 1_000;
