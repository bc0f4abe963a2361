//! Invoices and credit memos: duplicate checks, three-way and two-way matching within
//! tolerances, holds and releases, approval that posts actuals, payments.

pub mod matching;
pub mod repo;
