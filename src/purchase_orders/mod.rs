//! Purchase orders: exact lines, approval by amount bands with a budget check, revisions,
//! receipts and returns.

pub mod approval;
pub mod handlers;
pub mod model;
pub mod receipts;
pub mod receipts_repo;
pub mod repo;
pub mod revisions;
pub mod service;
