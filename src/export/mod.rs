//! Exports shared by the reports (and, later, the closeout pack): a small table model written
//! out as an xlsx workbook ([`xlsx`]).
//!
//! Rules:
//! - amounts travel as the exact decimal text the JSON shows; each becomes a spreadsheet number
//!   (a binary double) once, at the export edge, with its currency's number format (minor
//!   units: JPY `#,##0`, EUR `#,##0.00`, KWD `#,##0.000`);
//! - totals are written as values (never formulas), equal to the JSON totals;
//! - the header row is bold, the totals rows are bold.

pub mod xlsx;
