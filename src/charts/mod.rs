//! Burn charts: a project's (and the portfolio's) budget against what is spent and committed,
//! month by month, with the forecast to the end date and the month the money runs out, drawn as
//! SVG.
//!
//! Rules owned here:
//! - the series are computed by a pure calculator ([`series`]) from the ledger's months and the
//!   forecast's run rate and EAC ([`crate::ledger::projection`]), in exact decimals; drawing
//!   ([`render`]) is separate and is the only place amounts become plotting coordinates;
//! - the portfolio's chart converts every project into one currency at the latest rate on or
//!   before as-of, as the portfolio's figures do; a missing rate is a 422, never 1.0;
//! - a chart covers at most [`series::MAX_MONTHS`] months (422 `chart_range_too_long` beyond).

pub mod format;
pub mod handlers;
pub mod render;
pub mod series;
pub mod service;
