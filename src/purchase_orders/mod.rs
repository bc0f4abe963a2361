//! Purchase orders: exact lines, approval by amount bands with a budget check, revisions,
//! receipts and returns.

pub mod approval;
