//! Projects: what budgets, purchase orders and forecasts belong to.
//!
//! Rules owned here:
//! - a project needs a code (unique, upper case), a name and an ISO 4217 currency; budget
//!   lines are kept in that currency, so it cannot change once a budget line exists;
//! - the end date may not precede the start date;
//! - alert thresholds are percentages of budget, ascending, each above 0 and at most 1000
//!   (default 80, 90, 100);
//! - projects are archived, never deleted.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
