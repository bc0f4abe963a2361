//! Budget change requests: the only way a budget line's amount or phasing changes once the
//! line exists.
//!
//! Rules owned here:
//! - a request names the new amount and/or phasing (worked out and validated when proposed, by
//!   the same rules as a new line: an amount alone is re-spread in proportion) and a reason;
//! - proposed → approved or rejected, by finance or an admin who is not the proposer (403
//!   `segregation_of_duties`), with a reason for a rejection; a decided request is final (409
//!   `invalid_transition`);
//! - a request is made against the line as it was (its version): approving it after the line
//!   changed is a 409 `stale_change_request`, so an approval never applies figures nobody saw;
//! - pending requests do not move the current budget; approval applies the change, writes the
//!   audit row and evaluates the project's thresholds in the same transaction;
//! - the ledger shows per line the original budget (current − approved changes), the approved
//!   changes and the current budget.

pub mod repo;
pub mod service;

use crate::budgets::model::MonthlyAmount;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a change request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeRequestStatus {
    /// Waiting for a decision; the budget is unchanged.
    Proposed,
    /// Approved and applied.
    Approved,
    /// Rejected; nothing changed.
    Rejected,
}

impl ChangeRequestStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "proposed" => Some(Self::Proposed),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// A budget change request as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetChangeRequest {
    /// The request's id.
    pub id: i64,
    /// The budget line it changes.
    pub budget_line_id: i64,
    /// `proposed`, `approved` or `rejected`.
    pub status: ChangeRequestStatus,
    /// The line's version it was made against.
    pub base_version: i64,
    /// The line's amount when proposed.
    pub amount_before: String,
    /// The line's phasing when proposed.
    pub months_before: Vec<MonthlyAmount>,
    /// The amount it proposes.
    pub amount: String,
    /// The phasing it proposes (adds up to `amount` exactly).
    pub months: Vec<MonthlyAmount>,
    /// `amount − amount_before`.
    pub change: String,
    /// Why the change is needed.
    pub reason: String,
    /// Who proposed it.
    pub proposed_by: String,
    /// When (UTC).
    pub proposed_at: DateTime<Utc>,
    /// Who approved or rejected it.
    pub decided_by: Option<String>,
    /// When (UTC).
    pub decided_at: Option<DateTime<Utc>>,
    /// The approver's comment, or the reason for a rejection.
    pub decision_reason: Option<String>,
}
