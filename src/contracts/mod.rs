//! Contracts with vendors: terms, renewals, notice periods.
//!
//! Rules owned here so far:
//! - the term engine ([`terms`]): one pure function computes a contract's current term, its end,
//!   the notice deadline, the next renewal and the final expiry, with month arithmetic at month
//!   ends defined once;
//! - a contract is drafted, activated (its vendor not blocked), renewed (explicit renewal, by
//!   the notice deadline, never past the maximum), given notice (tacit renewal) or terminated
//!   with a reason; every other move is a 409 naming the status and the allowed actions;
//! - only a draft changes freely; `expired` is derived from the schedule, never stored;
//! - change orders ([`change_orders`]) are the only way an active contract's ceiling, term or
//!   scope changes, approved by someone other than the proposer, with the baseline kept;
//! - statements of work ([`sows`]) with milestones within the SOW's value and the contract's
//!   ceiling, accepted or rejected by project managers;
//! - SLA service credits ([`credits`]): met or breached, the most severe tier, the exact credit
//!   with its cap and minimum, availability from downtime over the period's real minutes.

pub mod alerts;
pub mod change_orders;
pub mod consumption;
pub mod credits;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
pub mod slas;
pub mod sows;
pub mod terms;
