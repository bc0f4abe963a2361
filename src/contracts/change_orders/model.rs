use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a change order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOrderStatus {
    /// Awaiting a decision.
    Proposed,
    /// Applied to the contract.
    Approved,
    /// Turned down.
    Rejected,
}

impl ChangeOrderStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOrderStatus::Proposed => "proposed",
            ChangeOrderStatus::Approved => "approved",
            ChangeOrderStatus::Rejected => "rejected",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            ChangeOrderStatus::Proposed,
            ChangeOrderStatus::Approved,
            ChangeOrderStatus::Rejected,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The contract figures a change order touches; absent fields are left as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ContractFigures {
    /// The ceiling, a decimal string.
    pub ceiling: Option<String>,
    /// The initial term in months.
    pub initial_term_months: Option<u32>,
    /// The scope.
    pub scope: Option<String>,
}

/// A change order as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChangeOrder {
    /// The change order's id.
    pub id: i64,
    /// The contract it changes.
    pub contract_id: i64,
    /// 1 for the contract's first change order, 2 for the next…
    pub sequence: u32,
    /// Why the change is needed.
    pub reason: String,
    /// The new values.
    pub changes: ContractFigures,
    /// The values they replaced (once approved).
    pub replaced: Option<ContractFigures>,
    /// `proposed`, `approved` or `rejected`.
    pub status: ChangeOrderStatus,
    /// Who proposed it (token name).
    pub proposed_by: String,
    /// When (UTC).
    pub proposed_at: DateTime<Utc>,
    /// Who decided (token name).
    pub decided_by: Option<String>,
    /// When (UTC).
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was approved or rejected.
    pub decision_reason: Option<String>,
    /// Changes with every transition; send it back to decide.
    pub version: i64,
}

/// A contract's figures at one point of its baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BaselinePoint {
    /// The ceiling.
    pub ceiling: String,
    /// The initial term in months.
    pub initial_term_months: u32,
    /// The last day of the initial term under these figures.
    pub initial_term_end: NaiveDate,
    /// The scope.
    pub scope: Option<String>,
}

/// A contract's baseline history: as signed, after each approved change order, and now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Baseline {
    /// The contract.
    pub contract_id: i64,
    /// Its currency.
    pub currency: String,
    /// The figures as signed (before any approved change order).
    pub original: BaselinePoint,
    /// Each approved change order, in order, with the figures after it.
    pub changes: Vec<BaselineChange>,
    /// The figures now (equal to the last change's, or to the original).
    pub current: BaselinePoint,
}

/// One approved change in the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BaselineChange {
    /// The change order.
    pub change_order_id: i64,
    /// Its sequence on the contract.
    pub sequence: u32,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approved_by: String,
    /// When (UTC).
    pub approved_at: DateTime<Utc>,
    /// The figures after it.
    pub figures: BaselinePoint,
}
