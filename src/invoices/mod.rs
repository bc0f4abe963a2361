//! Invoices and credit memos: duplicate checks, three-way and two-way matching within
//! tolerances, holds and releases, approval that posts actuals, payments.

pub mod handlers;
pub mod matching;
pub mod model;
pub mod recording;
pub mod repo;
pub mod service;
pub mod tolerances;
