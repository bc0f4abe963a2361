//! Assets: created from receipts of asset lines, one per unit, tagged from a pattern; pending
//! until serial and location are recorded; a lifecycle with moves; depreciation schedules.

pub mod depreciation;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
pub mod tags;
