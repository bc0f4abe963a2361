//! TEMPORARY STUB (replaced by the real calculator).
#![allow(unused, clippy::all)]
use rust_decimal::Decimal;
pub type BidId = i64;
pub type CriterionId = i64;
pub type SectionId = i64;
pub type EvaluatorId = i64;
pub enum CriterionKind {
    Scored { max: Decimal },
    PassFail,
    Price,
}
pub struct Section {
    pub id: SectionId,
    pub weight: Decimal,
}
pub struct Criterion {
    pub id: CriterionId,
    pub section: SectionId,
    pub kind: CriterionKind,
    pub weight: Decimal,
}
pub enum Normalisation {
    Absolute,
    RelativeToBest,
}
pub enum PriceMethod {
    LowestRatio,
    Linear,
}
pub struct Rules {
    pub normalisation: Normalisation,
    pub price_method: PriceMethod,
    pub technical_threshold: Option<Decimal>,
    pub outlier_share: Decimal,
}
pub struct Bid {
    pub id: BidId,
    pub price: Decimal,
    pub submitted_at: chrono::NaiveDateTime,
    pub scores: Vec<(EvaluatorId, CriterionId, Decimal)>,
    pub consensus: Vec<(CriterionId, Decimal)>,
}
#[derive(Debug)]
pub enum ScoringError {
    Unscored { bid: BidId, criterion: CriterionId },
    Other,
}
impl std::fmt::Display for ScoringError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        todo!()
    }
}
pub struct Flag;
impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        todo!()
    }
}
pub struct CriterionScore {
    pub criterion: CriterionId,
    pub combined: Option<Decimal>,
    pub consensus: bool,
    pub normalised: Decimal,
    pub weight: Decimal,
    pub contribution: Decimal,
    pub evaluators: Vec<(EvaluatorId, Decimal)>,
    pub outliers: Vec<EvaluatorId>,
}
pub struct RankedBid {
    pub bid: BidId,
    pub rank: u32,
    pub total: Decimal,
    pub technical_score: Decimal,
    pub price_score: Option<Decimal>,
    pub criteria: Vec<CriterionScore>,
    pub flags: Vec<Flag>,
}
pub struct DisqualifiedBid {
    pub bid: BidId,
    pub reasons: Vec<String>,
    pub technical_score: Option<Decimal>,
}
pub struct Sensitivity {
    pub criterion: CriterionId,
    pub weight: Decimal,
    pub down_points: Option<Decimal>,
    pub up_points: Option<Decimal>,
    pub challenger_down: Option<BidId>,
    pub challenger_up: Option<BidId>,
}
pub struct Ranking {
    pub weights: Vec<(CriterionId, Decimal)>,
    pub ranked: Vec<RankedBid>,
    pub disqualified: Vec<DisqualifiedBid>,
    pub sensitivity: Vec<Sensitivity>,
}
pub fn effective_weights(
    sections: &[Section],
    criteria: &[Criterion],
) -> Result<Vec<(CriterionId, Decimal)>, ScoringError> {
    todo!()
}
pub fn weighting_statement() -> &'static str {
    todo!()
}
pub fn rank(
    rules: &Rules,
    sections: &[Section],
    criteria: &[Criterion],
    bids: &[Bid],
) -> Result<Ranking, ScoringError> {
    todo!()
}
