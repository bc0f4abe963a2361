//! Assets: created from receipts of asset lines, one per unit, tagged from a pattern; pending
//! until serial and location are recorded; a lifecycle with moves; depreciation schedules.

pub mod depreciation;
pub mod tags;
