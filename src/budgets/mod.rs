//! Budget lines: project × category (CAPEX/OPEX) × cost center, with a monthly phasing.
//!
//! Rules owned here:
//! - a line's amount is in its project's currency, non-negative, within the currency's minor
//!   unit; (project, category, cost center) is unique;
//! - the monthly phasing is either given (each month once, inside the project's dates when it
//!   has them, and summing to the amount exactly, else 422 stating the difference) or spread
//!   evenly over the project's months by largest remainder;
//! - changing the amount without a new phasing re-spreads it over the same months in
//!   proportion to the old phasing (largest remainder), so the months always add up exactly;
//! - once a line exists, its amount and phasing change only through an approved change
//!   request ([`change_requests`]); a PATCH of either is a 409 `change_request_required`.

pub mod change_requests;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
