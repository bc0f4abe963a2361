//! Procura: vendor, procurement and financial tracking.
//!
//! The crate is the whole service; `main.rs` only reads the command line and calls in here.

pub mod alerts;
pub mod app;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod budgets;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod closeout;
pub mod config;
pub mod contracts;
pub mod dashboard;
pub mod db;
pub mod email;
pub mod error;
pub mod export;
pub mod fx;
pub mod http;
pub mod idempotency;
pub mod imports;
pub mod invoices;
pub mod ledger;
pub mod lifecycle;
pub mod money;
pub mod openapi;
pub mod projects;
pub mod purchase_orders;
pub mod reports;
pub mod rfps;
pub mod validate;
pub mod vendors;
