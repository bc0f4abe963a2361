//! Statements of work under a contract, with milestones accepted by the project manager.
//!
//! Rules owned here:
//! - a SOW belongs to one of its contract's projects; its value and its milestones are in the
//!   contract's currency;
//! - milestone amounts never add up to more than the SOW's value, and the SOWs of a contract never
//!   add up to more than its ceiling (409 with the figures);
//! - a milestone is pending, submitted (for acceptance), accepted (billable: an invoice line for
//!   it is matched two-way against the acceptance) or rejected with a reason, after which it may
//!   be submitted again; who decided, when and why are kept.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
