//! Contracts with vendors: terms, renewals, notice periods.
//!
//! Rules owned here so far:
//! - the term engine ([`terms`]): one pure function computes a contract's current term, its end,
//!   the notice deadline, the next renewal and the final expiry, with month arithmetic at month
//!   ends defined once.

pub mod terms;
