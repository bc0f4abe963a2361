//! Sourcing: RFPs, sealed bids, multi-evaluator weighted scoring, an explained ranking, and the
//! award that turns a bid into a draft contract.
//!
//! Rules owned here:
//! - **lifecycle**: draft → published (open until its due time) → closed → technical
//!   evaluation → prices opened → evaluated → awarded, or cancelled (with a reason) from any
//!   state before awarded; every other move is a 409 `invalid_transition` naming the state and
//!   the allowed actions ([`model::RfpStatus::allowed_actions`]). Publishing needs criteria,
//!   invited vendors and a due time still ahead; closing waits for the due time; opening
//!   prices needs every score in (or a consensus).
//! - **bids**: recorded by procurement as received, while published and before the due time (a
//!   late bid is a 409 `late_bid`), from invited vendors that are not blocked, in the RFP's
//!   currency; a vendor's new bid replaces its active one, which stays as history.
//! - **seal**: no endpoint shows a bid price (bids, ranking, export, audit) until technical
//!   scoring is locked and prices are opened; the audit row of the opening is the first that
//!   holds prices.
//! - **evaluators** are assigned by the name of their evaluator tokens and see only their RFPs
//!   (others are a 404); a declared conflict hides that vendor's bids from them and withdraws
//!   any score they gave it; blind RFPs hide vendor names from evaluators (bids are `Bid A`, …).
//! - **scoring** is [`scoring`]'s (pure): effective weights, mean or consensus, outliers,
//!   normalisation, price methods, technical threshold (QCBS), knock-outs, abnormally low bids,
//!   ties, sensitivity. Presented scores are rounded half-even to 2 places, contributions so
//!   that they add up to the presented total ([`ranking`]).
//! - **award**: only from evaluated, by procurement that did not evaluate the RFP; anything but
//!   the top-ranked bid, or a bid flagged abnormally low, needs a justification; consensus, when
//!   required, must be complete; it creates a draft contract for the bid's vendor, price and
//!   currency, linked back to the RFP and bid.

pub mod handlers;
pub mod model;
pub mod ranking;
pub mod repo;
pub mod scoring;
pub mod service;
