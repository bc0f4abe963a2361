//! Change orders: the only way an active contract's ceiling, initial term or scope changes.
//!
//! Rules owned here:
//! - a change order is proposed (with a reason) on an active contract, then approved or rejected
//!   (with a reason, who and when); every other move is a 409 naming the status;
//! - whoever proposed a change order cannot approve it (segregation of duties);
//! - approval applies the change to the contract in the same transaction and records the values
//!   it replaced, so the baseline (original, each approved change, current) is exact.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
