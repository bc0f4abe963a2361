//! RFP types and the lifecycle's rules: which action is allowed in which state.

use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an RFP stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RfpStatus {
    /// Being written: criteria, invitations and evaluators can change.
    Draft,
    /// Open for bids until its due time.
    Published,
    /// Past its due time, no more bids; evaluation not started.
    Closed,
    /// Evaluators declare conflicts and score; prices stay sealed.
    TechnicalEvaluation,
    /// Technical scoring is locked and prices are open: the ranking exists.
    PricesOpened,
    /// The evaluation is complete: ready to award.
    Evaluated,
    /// A bid was awarded and a draft contract created.
    Awarded,
    /// Stopped, with a reason.
    Cancelled,
}

impl RfpStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Closed => "closed",
            Self::TechnicalEvaluation => "technical_evaluation",
            Self::PricesOpened => "prices_opened",
            Self::Evaluated => "evaluated",
            Self::Awarded => "awarded",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Published,
            Self::Closed,
            Self::TechnicalEvaluation,
            Self::PricesOpened,
            Self::Evaluated,
            Self::Awarded,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// The actions allowed in this state.
    pub fn allowed_actions(self) -> &'static [&'static str] {
        match self {
            Self::Draft => &[
                "update",
                "set_criteria",
                "invite",
                "assign_evaluators",
                "publish",
                "cancel",
            ],
            Self::Published => &[
                "invite",
                "assign_evaluators",
                "submit_bid",
                "declare_conflict",
                "close",
                "cancel",
            ],
            Self::Closed => &[
                "assign_evaluators",
                "declare_conflict",
                "start_evaluation",
                "cancel",
            ],
            Self::TechnicalEvaluation => &[
                "declare_conflict",
                "score",
                "record_consensus",
                "open_prices",
                "cancel",
            ],
            Self::PricesOpened => &["complete_evaluation", "cancel"],
            Self::Evaluated => &["award", "cancel"],
            Self::Awarded | Self::Cancelled => &[],
        }
    }

    /// Whether `action` is allowed now.
    pub fn allows(self, action: &str) -> bool {
        self.allowed_actions().contains(&action)
    }
}

/// How scored criteria become 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NormalisationMethod {
    /// 100 × score / the scale's maximum.
    Absolute,
    /// 100 × score / the best bid's score.
    RelativeToBest,
}

impl NormalisationMethod {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Absolute => "absolute",
            Self::RelativeToBest => "relative_to_best",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "absolute" => Some(Self::Absolute),
            "relative_to_best" => Some(Self::RelativeToBest),
            _ => None,
        }
    }
}

/// How prices become 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceMethodName {
    /// 100 × lowest / price (with a technical threshold, this is QCBS).
    LowestRatio,
    /// 100 × (highest − price) / (highest − lowest).
    Linear,
}

impl PriceMethodName {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LowestRatio => "lowest_ratio",
            Self::Linear => "linear",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "lowest_ratio" => Some(Self::LowestRatio),
            "linear" => Some(Self::Linear),
            _ => None,
        }
    }
}

/// The kind of a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CriterionKindName {
    /// Scored by evaluators from 0 to `max_score`.
    Scored,
    /// Pass or fail (1 or 0): a knock-out, no weight.
    PassFail,
    /// The bid's price, scored by the price method.
    Price,
}

impl CriterionKindName {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scored => "scored",
            Self::PassFail => "pass_fail",
            Self::Price => "price",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "scored" => Some(Self::Scored),
            "pass_fail" => Some(Self::PassFail),
            "price" => Some(Self::Price),
            _ => None,
        }
    }
}

/// How an RFP is scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScoringSettings {
    /// `absolute` or `relative_to_best`.
    pub normalisation: NormalisationMethod,
    /// `lowest_ratio` or `linear`.
    pub price_method: PriceMethodName,
    /// The minimum technical score (0–100) a bid needs to be ranked (QCBS with `lowest_ratio`).
    pub technical_threshold: Option<String>,
    /// An evaluator's score is flagged as an outlier when it differs from the other evaluators'
    /// mean by more than this share of the scale.
    pub outlier_share: String,
    /// Award needs a consensus score for every scored criterion of every ranked bid.
    pub consensus_required: bool,
}

/// An RFP as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rfp {
    /// The RFP's id.
    pub id: i64,
    /// Its number, `RFP-<year>-NNNNNN`.
    pub number: String,
    /// What is being sourced.
    pub title: String,
    /// The requirement.
    pub description: Option<String>,
    /// The project it is for.
    pub project_id: Option<i64>,
    /// The currency bids are priced in.
    pub currency: String,
    /// Where it stands.
    pub status: RfpStatus,
    /// Bids are accepted until this time (UTC).
    pub due_at: Option<DateTime<Utc>>,
    /// Evaluators see bids as labels, not vendor names.
    pub blind: bool,
    /// How it is scored.
    pub scoring: ScoringSettings,
    /// Why it was cancelled.
    pub status_reason: Option<String>,
    /// When it was published, closed, its prices opened and its evaluation completed (UTC).
    pub published_at: Option<DateTime<Utc>>,
    /// When bidding closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// When prices were opened.
    pub prices_opened_at: Option<DateTime<Utc>>,
    /// When the evaluation was completed.
    pub evaluated_at: Option<DateTime<Utc>>,
    /// The vendors invited.
    pub invited_vendor_ids: Vec<i64>,
    /// The evaluators assigned (by token name).
    pub evaluators: Vec<String>,
    /// What may be done now.
    pub allowed_actions: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// Changes with every change; send it back to change the RFP.
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl Rfp {
    /// A 409 saying `action` is not allowed now, naming the status and what is.
    pub fn refuse(&self, action: &str) -> AppError {
        let allowed = self.status.allowed_actions();
        let allowed_text = if allowed.is_empty() {
            "none".to_string()
        } else {
            allowed.join(", ")
        };
        AppError::conflict(
            "invalid_transition",
            format!(
                "RFP {} is {}: `{action}` is not allowed (allowed: {allowed_text})",
                self.number,
                self.status.as_str()
            ),
        )
        .with_context(serde_json::json!({ "status": self.status, "allowed_actions": allowed }))
    }

    /// Ok when `action` is allowed now, else the 409.
    pub fn require(&self, action: &str) -> Result<(), AppError> {
        if self.status.allows(action) {
            Ok(())
        } else {
            Err(self.refuse(action))
        }
    }

    /// Whether bid prices may be shown: only once technical scoring is locked and prices opened.
    pub fn prices_open(&self) -> bool {
        self.prices_opened_at.is_some()
    }
}

/// A criterion as shown, with its effective weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CriterionView {
    /// The criterion's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What evaluators judge.
    pub description: Option<String>,
    /// `scored`, `pass_fail` or `price`.
    pub kind: CriterionKindName,
    /// The top of the scale (scored criteria).
    pub max_score: Option<String>,
    /// Its weight within its section, as given.
    pub weight: String,
    /// Section share × criterion share, normalised so all effective weights add up to 1
    /// (pass/fail criteria carry none).
    pub effective_weight: String,
}

/// A section as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SectionView {
    /// The section's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its weight, as given.
    pub weight: String,
    /// Its criteria.
    pub criteria: Vec<CriterionView>,
}

/// An RFP's criteria.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Criteria {
    /// The RFP.
    pub rfp_id: i64,
    /// How effective weights are derived from the weights given.
    pub weighting: String,
    /// The sections, in order.
    pub sections: Vec<SectionView>,
}

/// A bid as shown: its price stays sealed until prices are opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BidView {
    /// The bid's id.
    pub id: i64,
    /// The RFP.
    pub rfp_id: i64,
    /// The vendor (hidden from evaluators on a blind RFP).
    pub vendor_id: Option<i64>,
    /// The vendor's name (hidden likewise).
    pub vendor_name: Option<String>,
    /// A stable label (`Bid A`, `Bid B`, …, by the vendor's first submission).
    pub label: String,
    /// `active` or `replaced` (by a later bid of the same vendor).
    pub status: String,
    /// The bid it replaced.
    pub replaces_bid_id: Option<i64>,
    /// Whether the price is still sealed.
    pub sealed: bool,
    /// The total price, once prices are opened.
    pub price: Option<String>,
    /// The price lines, once prices are opened.
    pub price_lines: Option<Vec<PriceLine>>,
    /// The currency.
    pub currency: String,
    /// How long the offer holds.
    pub valid_until: NaiveDate,
    /// The vendor's notes.
    pub notes: Option<String>,
    /// Who recorded it.
    pub submitted_by: String,
    /// When it was submitted (UTC).
    pub submitted_at: DateTime<Utc>,
}

/// A line of a bid's price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PriceLine {
    /// What it prices.
    pub description: String,
    /// Its amount.
    pub amount: String,
}

/// One evaluator's score of one criterion of one bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScoreView {
    /// The bid.
    pub bid_id: i64,
    /// The criterion.
    pub criterion_id: i64,
    /// The evaluator (token name).
    pub evaluator: String,
    /// The score (1 pass / 0 fail for pass/fail criteria).
    pub score: String,
    /// Why.
    pub comment: Option<String>,
    /// When (UTC).
    pub scored_at: DateTime<Utc>,
}

/// A consensus score recorded for a bid and criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConsensusView {
    /// The bid.
    pub bid_id: i64,
    /// The criterion.
    pub criterion_id: i64,
    /// The agreed score.
    pub score: String,
    /// Why the panel agreed on it.
    pub rationale: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When (UTC).
    pub recorded_at: DateTime<Utc>,
}

/// The label of the `n`th vendor to bid (0-based): `Bid A` … `Bid Z`, `Bid AA`, …
pub fn bid_label(n: usize) -> String {
    let mut n = n;
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'A' + (n % 26) as u8));
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    letters.reverse();
    format!("Bid {}", letters.into_iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_count_like_spreadsheet_columns() {
        assert_eq!(bid_label(0), "Bid A");
        assert_eq!(bid_label(25), "Bid Z");
        assert_eq!(bid_label(26), "Bid AA");
        assert_eq!(bid_label(27), "Bid AB");
        assert_eq!(bid_label(701), "Bid ZZ");
        assert_eq!(bid_label(702), "Bid AAA");
    }

    #[test]
    fn every_state_names_its_actions() {
        assert!(RfpStatus::Draft.allows("publish"));
        assert!(!RfpStatus::Published.allows("score"));
        assert!(RfpStatus::TechnicalEvaluation.allows("open_prices"));
        assert!(RfpStatus::Evaluated.allows("award"));
        assert!(RfpStatus::Awarded.allowed_actions().is_empty());
        for status in [
            RfpStatus::Draft,
            RfpStatus::Published,
            RfpStatus::Closed,
            RfpStatus::TechnicalEvaluation,
            RfpStatus::PricesOpened,
            RfpStatus::Evaluated,
        ] {
            assert!(status.allows("cancel"), "{status:?}");
            assert_eq!(RfpStatus::parse(status.as_str()), Some(status));
        }
    }
}
