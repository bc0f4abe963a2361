//! Reports over projects and vendors, each as JSON and as an xlsx workbook (the same path with
//! `.xlsx`).
//!
//! Rules:
//! - every figure is summed by the database over BIGINT units ([`repo`]); only a report's own
//!   rows are read row by row, and each total is the exact sum of its rows;
//! - amounts in different currencies are never added together: totals are per currency; vendor
//!   spend converts into a reporting currency only when asked (`currency=`), at the rate of each
//!   invoice date, and a missing rate is a 422 `fx_rate_missing`, never 1.0;
//! - budget vs actual takes its figures from the ledger and forecast ([`crate::ledger`]), so
//!   their rules (commitment, accrual, actual, default estimate to complete) are applied once;
//! - a PO line is delivered on time when fully received (received ≥ ordered) and its last
//!   receipt not reversed by a return is on or before its promised date;
//! - a held invoice's age runs from the day it was recorded (matching holds at recording) to
//!   `as_of`, in buckets 0–30, 31–60, 61–90 and over 90 days;
//! - an SLA period belongs to the window (and, with `period=month`, the month) its first day
//!   falls in;
//! - what is not stored is not reported: duplicates refused outright leave no row.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
pub mod xlsx;
