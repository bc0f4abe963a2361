//! Spreadsheet import: finance's budgets, invoices, FX rates and asset registers, procurement's
//! vendors and orders, service managers' SLA measurements, from the files they keep.
//!
//! Rules owned here (stated for users in `imports/README.md`):
//! - formats are recognised by content: xlsx, xlsm, xlsb, xls, ods through calamine; anything
//!   else that is text is CSV (a stated delimiter and encoding; UTF-8 by default);
//! - the sheet is the one named, or the first whose header row has every required column;
//!   headers match documented aliases ignoring case, spacing and punctuation; unknown columns
//!   are reported; a missing required column is one error before any row is read;
//! - values are never coerced silently (see [`values`]);
//! - every row is checked, then every document goes through its domain service in one
//!   transaction, each in a savepoint; any error or a dry run rolls everything back, and the
//!   report (JSON, and a copy of the sheet with an error column) is the same either way;
//! - a file's SHA-256 is committed once; a second import of the same bytes is refused naming
//!   the first;
//! - hostile files meet limits before any library holds them whole (see [`guard`], [`read`]).

pub mod cells;
pub mod cli;
mod fuzz;
pub mod guard;
pub mod handlers;
pub mod headers;
pub mod kinds;
pub mod limits;
pub mod lookup;
pub mod model;
pub mod read;
pub mod repo;
pub mod report_xlsx;
pub mod service;
pub mod values;

pub use limits::Limits;
pub use model::{ImportKind, ImportReport, ImportStatus};
