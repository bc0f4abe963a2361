//! SLAs under a contract: a metric with a target and credit tiers, one measurement per monthly
//! period, each evaluated once when recorded and frozen with its credit.
//!
//! Rules owned here:
//! - availability is higher-is-better and may be given as downtime minutes (then evaluated over
//!   the month's real minutes); response and resolution times are lower-is-better; a custom
//!   metric states its direction;
//! - each tier credits a percentage of the period fee or a fixed amount, never both; the cap and
//!   the minimum credit follow [`credits`](super::credits);
//! - a period is recorded once (409 on a second time); its evaluation and credit are stored, so
//!   later changes to the terms never rewrite an owed credit. Credits stay `receivable` until
//!   purchase-to-pay applies them to an invoice.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
