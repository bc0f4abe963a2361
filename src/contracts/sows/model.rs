use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a milestone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneStatus {
    /// Not yet delivered.
    Pending,
    /// Delivered and awaiting acceptance.
    Submitted,
    /// Accepted: billable.
    Accepted,
    /// Rejected with a reason; may be submitted again.
    Rejected,
}

impl MilestoneStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneStatus::Pending => "pending",
            MilestoneStatus::Submitted => "submitted",
            MilestoneStatus::Accepted => "accepted",
            MilestoneStatus::Rejected => "rejected",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            MilestoneStatus::Pending,
            MilestoneStatus::Submitted,
            MilestoneStatus::Accepted,
            MilestoneStatus::Rejected,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// The actions allowed from this status.
    pub fn allowed_actions(self) -> &'static [&'static str] {
        match self {
            MilestoneStatus::Pending | MilestoneStatus::Rejected => &["submit"],
            MilestoneStatus::Submitted => &["accept", "reject"],
            MilestoneStatus::Accepted => &[],
        }
    }
}

/// A milestone as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Milestone {
    /// The milestone's id.
    pub id: i64,
    /// The SOW it belongs to.
    pub sow_id: i64,
    /// What is delivered.
    pub name: String,
    /// What it is worth, a decimal string.
    #[schema(example = "40000.00")]
    pub amount: String,
    /// When it is due.
    pub due_date: NaiveDate,
    /// How acceptance is judged.
    pub acceptance_criteria: String,
    /// `pending`, `submitted`, `accepted` or `rejected`.
    pub status: MilestoneStatus,
    /// When it was last submitted for acceptance (UTC).
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who accepted or rejected it (token name).
    pub decided_by: Option<String>,
    /// When (UTC).
    pub decided_at: Option<DateTime<Utc>>,
    /// The acceptance comment or the rejection reason.
    pub decision_comment: Option<String>,
    /// Changes with every transition; send it back.
    pub version: i64,
}

/// A statement of work as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Sow {
    /// The SOW's id.
    pub id: i64,
    /// The contract it is under.
    pub contract_id: i64,
    /// The project it serves (one of the contract's).
    pub project_id: i64,
    /// Its title.
    pub title: String,
    /// What is in scope.
    pub scope: Option<String>,
    /// The deliverables.
    pub deliverables: Vec<String>,
    /// The contract's currency.
    pub currency: String,
    /// The SOW's value, a decimal string.
    #[schema(example = "100000.00")]
    pub value: String,
    /// Its milestones, by id.
    pub milestones: Vec<Milestone>,
    /// The milestones' amounts added up (never more than `value`).
    pub milestones_total: String,
    /// Changes with every update.
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}
