//! FX rates: how many units of `to` one unit of `from` buys on a date.
//!
//! Rules owned here:
//! - a rate is positive, with at most 10 decimal places; one rate per pair and date;
//! - a document is converted at the latest rate on or before its date; a missing rate is an
//!   error naming the pair and the date, never an implicit 1.0 (only a currency converted into
//!   itself has rate 1);
//! - the converted amount is rounded once, half-even, to the target currency's minor unit
//!   ([`RoundingPoint::FxConversion`](crate::money::RoundingPoint::FxConversion)).

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
