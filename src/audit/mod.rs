//! The audit log: every mutation writes one row in the same transaction as the change.
//!
//! Rules owned here:
//! - rows are numbered by a gapless sequence and chained: each row's hash covers its own
//!   fields and the previous row's hash, so altering, removing or reordering any row breaks
//!   the chain from that row on;
//! - the sequence and the previous hash come from one `audit_head` row that every writing
//!   transaction locks at its first audit row and writes back once before it commits, which
//!   serialises appends on both engines (no forks in the chain);
//! - [`service::verify`] recomputes the chain and names the first broken row.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use service::{record, record_many, state_text, Entry};
