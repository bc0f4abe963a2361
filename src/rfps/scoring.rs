//! Bid scoring: the pure calculator that turns evaluators' scores and bid prices into a ranking.
//!
//! Nothing here reads a database, a clock or the network. [`rank`] takes an RFP's [`Rules`],
//! [`Section`]s, [`Criterion`]s and [`Bid`]s and returns a [`Ranking`] or a [`ScoringError`].
//!
//! # Arithmetic
//! - Every score, weight and price is a [`Decimal`]; there are no floats.
//! - Nothing is rounded on purpose: a division yields rust_decimal's 28 significant digits and that
//!   value is the exact figure here (the API rounds for presentation elsewhere).
//! - Every sum, product and quotient is checked: an overflow is [`ScoringError::Overflow`], never a
//!   panic. Tests that are decidable without dividing (outliers, abnormally low prices,
//!   sensitivity ranges) are done by cross-multiplication, so they are exact; the per-score work
//!   (means and outlier tests) runs in exact i128 integers at the scores' scale when they fit.
//! - Deterministic: bids are processed in bid-id order and criteria in criterion-id order, so the
//!   same input in any bid order gives the same output (and the same first error).
//!
//! # Rules
//! 1. **Effective weights.** Section share = section weight / Σ weights of the sections that hold
//!    a weighted criterion; criterion share = criterion weight / Σ weights of its section's
//!    weighted criteria; effective weight = section share × criterion share (computed as one
//!    division). Scored and Price criteria are weighted; pass/fail criteria are knock-outs with no
//!    weight (their `weight` is ignored, 0 included), and a section holding only pass/fail
//!    criteria is dropped and the others renormalised. The weights sum to exactly 1: a
//!    residue left by 28-digit division is added to the largest weight (lowest criterion id among
//!    equals). See [`effective_weights`] and [`weighting_statement`].
//! 2. **Combination** per bid and Scored/PassFail criterion: the consensus value if given, else the
//!    mean of the evaluators' scores. No consensus and no score is [`ScoringError::Unscored`] (any
//!    bid, even one later disqualified: ranking waits until scoring is complete). Pass/fail without
//!    consensus passes only when every evaluator marked 1; one 0 fails it. A consensus overrides.
//!    A failed pass/fail disqualifies the bid, naming the criterion.
//! 3. **Outliers**, per bid × Scored criterion with ≥ 2 evaluators: evaluator e is flagged when
//!    |score_e − mean(other evaluators)| > outlier_share × max (strictly), tested exactly as
//!    |n·score_e − Σ| > outlier_share × max × (n − 1). Flags are computed from the individual scores
//!    even where a consensus replaces them.
//! 4. **Normalised score** (0..100) per Scored criterion: Absolute = 100 × combined / max;
//!    RelativeToBest = 100 × combined / best combined, best 0 → 0 for all. The best is taken over
//!    the bids that passed every pass/fail criterion, once: the technical threshold is judged on
//!    these scores and they are not recomputed after threshold exclusions (no circularity).
//!    Pass/fail rows show 100 (pass); the price row shows the price score.
//! 5. **Technical score** St = Σ_Scored (effective weight × normalised) / Σ_Scored effective
//!    weights; 0 when there is no Scored criterion (a threshold then is a configuration error).
//!    With a `technical_threshold`, St < threshold disqualifies (the reason states both). A bid
//!    knocked out by pass/fail is not technically evaluated (`technical_score` None).
//! 6. **Price score**, among qualified bids only (after pass/fail and threshold): LowestRatio =
//!    100 × lowest / price (QCBS's Sf = 100 × Fm / F); Linear = 100 × (highest − price) /
//!    (highest − lowest), all equal → 100.
//! 7. **Total** = Σ contributions in criterion-id order, contribution = effective weight ×
//!    normalised score (the price score for the price criterion); with QCBS this is
//!    S = St × T + Sf × P, T = Σ technical weights, P = price weight.
//! 8. **Ranking**: qualified bids by total descending, then lower price, earlier `submitted_at`,
//!    lower bid id; ranks 1, 2, 3… with no shared rank. Disqualified bids are listed apart, in
//!    bid-id order, with every reason, unranked.
//! 9. **Abnormally low** (a flag, among ≥ 2 qualified bids): price ≤ 60 % of the mean price of the
//!    other qualified bids, or price ≤ 70 % of the next lowest qualified price (the lowest price
//!    among the other qualified bids that is ≥ this price, so equal prices never flag each other).
//!    The flag names the rule(s) and carries the figures.
//! 10. **Sensitivity** per weighted criterion c (weight w_c): moving c to w' ∈ [0, 1] with the other
//!     weights rescaled by (1 − w') / (1 − w_c) makes every total linear in w'. Reported: the
//!     nearest move down and up, in percentage points (w' − w_c) × 100 (so `down_points` ≤ 0), at
//!     which another bid's total *equals* the winner's (the crossing point; just past it the
//!     challenger leads, and at it the weight-independent tie-break decides), or None when no move
//!     within [0, 1] lets any bid reach the winner (parallel totals never meet). Qualification and
//!     price scores are held fixed. The challenger is the first bid to meet the winner (the better
//!     ranked among equals); the point is kept within [0, 1] against last-digit rounding.
//!     w_c = 1 (nothing to rescale) or fewer than 2 ranked bids → None both ways.
//! 11. **Validation** ([`ScoringError`]): no criteria, no weighted criterion, duplicate ids,
//!     non-positive weight (Scored, Price, section) or max, unknown section or criterion, more
//!     than one Price criterion, non-positive price, score outside 0..=max or pass/fail not 0/1,
//!     a score or consensus on the price criterion, an evaluator scoring one criterion twice, two
//!     consensus values, Unscored, outlier share < 0, threshold outside 0..=100, more than
//!     [`MAX_BIDS`] bids.
//!
//! Cost: O(bids × criteria × evaluators) to combine, plus O(n log n) sorts; abnormally-low and
//! sensitivity are linear per criterion after the sorts.

use std::fmt;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

/// A bid's identifier.
pub type BidId = i64;
/// A criterion's identifier.
pub type CriterionId = i64;
/// A section's identifier.
pub type SectionId = i64;
/// An evaluator's identifier.
pub type EvaluatorId = i64;

/// The largest number of bids [`rank`] accepts; it bounds every sum formed over bids.
pub const MAX_BIDS: usize = 100_000;

/// How a criterion is assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriterionKind {
    /// Evaluators give a score from 0 to `max` inclusive.
    Scored {
        /// The highest score an evaluator may give (> 0).
        max: Decimal,
    },
    /// A knock-out: 1 is pass, 0 is fail. Carries no weight.
    PassFail,
    /// The bid's price, scored by the RFP's [`PriceMethod`]. At most one per RFP; not scored by
    /// evaluators.
    Price,
}

/// A group of criteria with its own weight (for example "Technical" and "Financial").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The section's identifier.
    pub id: SectionId,
    /// The section's weight relative to the other sections (> 0).
    pub weight: Decimal,
}

/// One thing bids are assessed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    /// The criterion's identifier.
    pub id: CriterionId,
    /// The section it belongs to.
    pub section: SectionId,
    /// How it is assessed.
    pub kind: CriterionKind,
    /// Its weight relative to the other weighted criteria of its section (> 0; ignored, and may
    /// be 0, for pass/fail).
    pub weight: Decimal,
}

/// How a Scored criterion's combined score becomes a 0..100 score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalisation {
    /// 100 × combined / the criterion's max.
    Absolute,
    /// 100 × combined / the best combined score among the bids that passed every pass/fail
    /// criterion (0 for all when the best is 0).
    RelativeToBest,
}

/// How a qualified bid's price becomes a 0..100 price score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceMethod {
    /// 100 × lowest qualified price / price (QCBS's Sf = 100 × Fm / F).
    LowestRatio,
    /// 100 × (highest − price) / (highest − lowest) over the qualified prices; 100 when all equal.
    Linear,
}

/// The RFP's scoring rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// How Scored criteria are normalised.
    pub normalisation: Normalisation,
    /// How prices are scored.
    pub price_method: PriceMethod,
    /// The minimum technical score St (0..=100); a bid below it is disqualified. QCBS is
    /// LowestRatio with a threshold.
    pub technical_threshold: Option<Decimal>,
    /// An evaluator's score is an outlier when it differs from the mean of the other evaluators'
    /// scores for that bid and criterion by more than `outlier_share × max` (for example 0.25).
    pub outlier_share: Decimal,
}

/// A bid and the evaluation recorded against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    /// The bid's identifier (unique within the RFP).
    pub id: BidId,
    /// The bid's price in the RFP's currency (> 0).
    pub price: Decimal,
    /// When the bid was submitted (a tie-break).
    pub submitted_at: NaiveDateTime,
    /// Individual scores: (evaluator, criterion, score). Scored: 0..=max; pass/fail: 1 or 0.
    pub scores: Vec<(EvaluatorId, CriterionId, Decimal)>,
    /// Consensus values that replace the combination of the individual scores for a criterion.
    pub consensus: Vec<(CriterionId, Decimal)>,
}

/// One criterion's figures for one ranked bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionScore {
    /// The criterion.
    pub criterion: CriterionId,
    /// The combined raw score (consensus or mean; 1 or 0 for pass/fail); None for the price.
    pub combined: Option<Decimal>,
    /// Whether `combined` is a consensus value.
    pub consensus: bool,
    /// The 0..100 score: normalised score, price score, or 100 for a passed pass/fail.
    pub normalised: Decimal,
    /// The criterion's effective weight (0 for pass/fail).
    pub weight: Decimal,
    /// `weight × normalised`.
    pub contribution: Decimal,
    /// The individual scores, by evaluator id.
    pub evaluators: Vec<(EvaluatorId, Decimal)>,
    /// Evaluators whose score is an outlier (rule 3), by evaluator id.
    pub outliers: Vec<EvaluatorId>,
}

/// A qualified bid with its place in the ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedBid {
    /// The bid.
    pub bid: BidId,
    /// 1 for the winner, then 2, 3… (no shared ranks).
    pub rank: u32,
    /// The bid's price.
    pub price: Decimal,
    /// When the bid was submitted.
    pub submitted_at: NaiveDateTime,
    /// Σ contributions.
    pub total: Decimal,
    /// St (0..100), 0 when the RFP has no Scored criterion.
    pub technical_score: Decimal,
    /// The price score (0..100), None when the RFP has no price criterion.
    pub price_score: Option<Decimal>,
    /// One row per criterion, by criterion id.
    pub criteria: Vec<CriterionScore>,
    /// Warnings for the evaluation committee.
    pub flags: Vec<Flag>,
}

/// A warning attached to a ranked bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// The price looks abnormally low (rule 9).
    AbnormallyLow(AbnormallyLow),
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Flag::AbnormallyLow(low) => low.fmt(f),
        }
    }
}

impl fmt::Display for AbnormallyLow {
    /// The rule(s) met, in words, with the exact (unrounded) figures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "abnormally low price {}:", self.price.normalize())?;
        for (n, rule) in self.rules.iter().enumerate() {
            let sep = if n == 0 { " " } else { "; " };
            match (rule, &self.next_lowest) {
                (AbnormallyLowRule::BelowMeanOfOthers, _) => write!(
                    f,
                    "{sep}{} % of the mean price of the other qualified bids ({}), 40 % or more below it",
                    self.percent_of_mean.normalize(),
                    self.mean_of_others.normalize()
                )?,
                (AbnormallyLowRule::BelowNextLowest, Some(next)) => write!(
                    f,
                    "{sep}{} % of the next lowest qualified price ({}, bid {}), 30 % or more below it",
                    next.percent.normalize(),
                    next.price.normalize(),
                    next.bid
                )?,
                (AbnormallyLowRule::BelowNextLowest, None) => {}
            }
        }
        Ok(())
    }
}

/// Which abnormally-low test a price met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbnormallyLowRule {
    /// Price ≤ 60 % of the mean price of the other qualified bids (40 % or more below it).
    BelowMeanOfOthers,
    /// Price ≤ 70 % of the next lowest qualified price (30 % or more below it).
    BelowNextLowest,
}

/// The next lowest qualified price, compared with a flagged price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextLowest {
    /// The bid with that price.
    pub bid: BidId,
    /// Its price.
    pub price: Decimal,
    /// The flagged price as a percentage of it.
    pub percent: Decimal,
}

/// The figures behind an abnormally-low flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbnormallyLow {
    /// The tests the price met (one or both).
    pub rules: Vec<AbnormallyLowRule>,
    /// The flagged price.
    pub price: Decimal,
    /// The mean price of the other qualified bids.
    pub mean_of_others: Decimal,
    /// The flagged price as a percentage of `mean_of_others`.
    pub percent_of_mean: Decimal,
    /// The next lowest qualified price, None when no other qualified price is ≥ this one.
    pub next_lowest: Option<NextLowest>,
}

/// Why a bid was disqualified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disqualification {
    /// The bid failed a pass/fail criterion.
    FailedPassFail {
        /// The criterion.
        criterion: CriterionId,
        /// Whether the fail was a consensus value (else at least one evaluator marked fail).
        consensus: bool,
    },
    /// The technical score is below the RFP's minimum.
    BelowTechnicalThreshold {
        /// The bid's technical score St.
        technical_score: Decimal,
        /// The minimum technical score.
        threshold: Decimal,
    },
}

impl Disqualification {
    /// The reason in words, naming a criterion by its id (see [`Disqualification::reason_named`]).
    pub fn reason(&self) -> String {
        self.reason_named(|_| None)
    }

    /// The reason in words, naming a criterion by `name(id)`, or by its id where that is None
    /// (the calculator knows criteria only by id).
    pub fn reason_named(&self, name: impl Fn(CriterionId) -> Option<String>) -> String {
        match self {
            Disqualification::FailedPassFail {
                criterion,
                consensus,
            } => {
                let named = match name(*criterion) {
                    Some(n) => format!("\"{n}\""),
                    None => criterion.to_string(),
                };
                let how = if *consensus {
                    "consensus"
                } else {
                    "at least one evaluator marked fail"
                };
                format!("failed pass/fail criterion {named} ({how})")
            }
            Disqualification::BelowTechnicalThreshold {
                technical_score,
                threshold,
            } => format!(
                "technical score {} is below the minimum technical score {}",
                technical_score.normalize(),
                threshold.normalize()
            ),
        }
    }
}

/// A bid that is not ranked, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisqualifiedBid {
    /// The bid.
    pub bid: BidId,
    /// Every reason in words (one per entry of `causes`).
    pub reasons: Vec<String>,
    /// Every reason as data.
    pub causes: Vec<Disqualification>,
    /// St when the bid was technically evaluated (None when knocked out by pass/fail).
    pub technical_score: Option<Decimal>,
}

impl DisqualifiedBid {
    /// Every reason in words, naming criteria by `name(id)` (by id where that is None).
    pub fn reasons_named(&self, name: impl Fn(CriterionId) -> Option<String>) -> Vec<String> {
        self.causes.iter().map(|c| c.reason_named(&name)).collect()
    }
}

/// How far one criterion's weight can move before the winner changes (rule 10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sensitivity {
    /// The criterion.
    pub criterion: CriterionId,
    /// Its effective weight.
    pub weight: Decimal,
    /// The nearest downward move, (w' − w) × 100 percentage points (≤ 0), at which another bid's
    /// total equals the winner's; None when no move down to 0 does it.
    pub down_points: Option<Decimal>,
    /// The nearest upward move, (w' − w) × 100 percentage points (≥ 0), at which another bid's
    /// total equals the winner's; None when no move up to 1 does it.
    pub up_points: Option<Decimal>,
    /// The bid that reaches the winner first moving down.
    pub challenger_down: Option<BidId>,
    /// The bid that reaches the winner first moving up.
    pub challenger_up: Option<BidId>,
}

/// The result of scoring an RFP's bids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranking {
    /// Effective weights of the weighted criteria, by criterion id; they sum to exactly 1.
    pub weights: Vec<(CriterionId, Decimal)>,
    /// T: Σ effective weights of the Scored criteria.
    pub technical_weight: Decimal,
    /// P: the price criterion's effective weight (0 without one). T + P = 1.
    pub price_weight: Decimal,
    /// Qualified bids, best first.
    pub ranked: Vec<RankedBid>,
    /// Disqualified bids, by bid id.
    pub disqualified: Vec<DisqualifiedBid>,
    /// One entry per weighted criterion, by criterion id.
    pub sensitivity: Vec<Sensitivity>,
}

impl Ranking {
    /// The rank-1 bid, if any bid qualified.
    pub fn winner(&self) -> Option<&RankedBid> {
        self.ranked.first()
    }
}

/// Why bids could not be scored. Every variant is a refusal to rank, never a partial ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScoringError {
    /// The RFP has no criteria.
    NoCriteria,
    /// The RFP has only pass/fail criteria: nothing to weigh.
    NoWeightedCriteria,
    /// Two sections share an id.
    DuplicateSection {
        /// The repeated id.
        section: SectionId,
    },
    /// Two criteria share an id.
    DuplicateCriterion {
        /// The repeated id.
        criterion: CriterionId,
    },
    /// Two bids share an id.
    DuplicateBid {
        /// The repeated id.
        bid: BidId,
    },
    /// A section's weight is zero or negative.
    NonPositiveSectionWeight {
        /// The section.
        section: SectionId,
        /// Its weight.
        weight: Decimal,
    },
    /// A Scored or Price criterion's weight is zero or negative.
    NonPositiveCriterionWeight {
        /// The criterion.
        criterion: CriterionId,
        /// Its weight.
        weight: Decimal,
    },
    /// A Scored criterion's max is zero or negative.
    NonPositiveMax {
        /// The criterion.
        criterion: CriterionId,
        /// Its max.
        max: Decimal,
    },
    /// A criterion names a section that does not exist.
    UnknownSection {
        /// The criterion.
        criterion: CriterionId,
        /// The missing section.
        section: SectionId,
    },
    /// A bid's score or consensus names a criterion that does not exist.
    UnknownCriterion {
        /// The bid.
        bid: BidId,
        /// The missing criterion.
        criterion: CriterionId,
    },
    /// More than one criterion is of kind Price.
    MoreThanOnePriceCriterion {
        /// The lower id.
        first: CriterionId,
        /// The next one.
        second: CriterionId,
    },
    /// A bid's price is zero or negative.
    NonPositivePrice {
        /// The bid.
        bid: BidId,
        /// Its price.
        price: Decimal,
    },
    /// A Scored criterion's score or consensus is outside 0..=max.
    ScoreOutOfRange {
        /// The bid.
        bid: BidId,
        /// The criterion.
        criterion: CriterionId,
        /// The evaluator, None for a consensus value.
        evaluator: Option<EvaluatorId>,
        /// The value given.
        score: Decimal,
        /// The criterion's max.
        max: Decimal,
    },
    /// A pass/fail score or consensus is neither 0 nor 1.
    PassFailNotBinary {
        /// The bid.
        bid: BidId,
        /// The criterion.
        criterion: CriterionId,
        /// The evaluator, None for a consensus value.
        evaluator: Option<EvaluatorId>,
        /// The value given.
        value: Decimal,
    },
    /// A score or consensus was given for the price criterion, which is scored from the price.
    PriceCriterionScored {
        /// The bid.
        bid: BidId,
        /// The price criterion.
        criterion: CriterionId,
    },
    /// An evaluator scored the same bid and criterion twice.
    DuplicateScore {
        /// The bid.
        bid: BidId,
        /// The criterion.
        criterion: CriterionId,
        /// The evaluator.
        evaluator: EvaluatorId,
    },
    /// Two consensus values for the same bid and criterion.
    DuplicateConsensus {
        /// The bid.
        bid: BidId,
        /// The criterion.
        criterion: CriterionId,
    },
    /// A criterion has neither a consensus nor any score for a bid: scoring is incomplete.
    Unscored {
        /// The bid.
        bid: BidId,
        /// The criterion.
        criterion: CriterionId,
    },
    /// The outlier share is negative.
    InvalidOutlierShare {
        /// The share given.
        share: Decimal,
    },
    /// The technical threshold is outside 0..=100.
    InvalidThreshold {
        /// The threshold given.
        threshold: Decimal,
    },
    /// A technical threshold is set but there is no Scored criterion to make a technical score.
    ThresholdWithoutScoredCriteria,
    /// More bids than [`MAX_BIDS`].
    TooManyBids {
        /// The number given.
        count: usize,
    },
    /// A sum, product or quotient left the range of [`Decimal`].
    Overflow {
        /// The step that overflowed.
        step: &'static str,
    },
}

impl fmt::Display for ScoringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScoringError::NoCriteria => write!(f, "the RFP has no criteria"),
            ScoringError::NoWeightedCriteria => {
                write!(f, "the RFP has no scored or price criterion to weigh")
            }
            ScoringError::DuplicateSection { section } => {
                write!(f, "section {section} is defined twice")
            }
            ScoringError::DuplicateCriterion { criterion } => {
                write!(f, "criterion {criterion} is defined twice")
            }
            ScoringError::DuplicateBid { bid } => write!(f, "bid {bid} appears twice"),
            ScoringError::NonPositiveSectionWeight { section, weight } => {
                write!(f, "section {section} has weight {weight}; weights must be positive")
            }
            ScoringError::NonPositiveCriterionWeight { criterion, weight } => write!(
                f,
                "criterion {criterion} has weight {weight}; weights must be positive"
            ),
            ScoringError::NonPositiveMax { criterion, max } => write!(
                f,
                "criterion {criterion} has maximum score {max}; it must be positive"
            ),
            ScoringError::UnknownSection { criterion, section } => write!(
                f,
                "criterion {criterion} belongs to section {section}, which does not exist"
            ),
            ScoringError::UnknownCriterion { bid, criterion } => write!(
                f,
                "bid {bid} is scored on criterion {criterion}, which does not exist"
            ),
            ScoringError::MoreThanOnePriceCriterion { first, second } => write!(
                f,
                "criteria {first} and {second} are both price criteria; at most one is allowed"
            ),
            ScoringError::NonPositivePrice { bid, price } => {
                write!(f, "bid {bid} has price {price}; prices must be positive")
            }
            ScoringError::ScoreOutOfRange {
                bid,
                criterion,
                evaluator,
                score,
                max,
            } => match evaluator {
                Some(e) => write!(
                    f,
                    "evaluator {e} gave bid {bid} {score} on criterion {criterion}; scores run from 0 to {max}"
                ),
                None => write!(
                    f,
                    "the consensus for bid {bid} on criterion {criterion} is {score}; scores run from 0 to {max}"
                ),
            },
            ScoringError::PassFailNotBinary {
                bid,
                criterion,
                evaluator,
                value,
            } => match evaluator {
                Some(e) => write!(
                    f,
                    "evaluator {e} gave bid {bid} {value} on pass/fail criterion {criterion}; use 1 (pass) or 0 (fail)"
                ),
                None => write!(
                    f,
                    "the consensus for bid {bid} on pass/fail criterion {criterion} is {value}; use 1 (pass) or 0 (fail)"
                ),
            },
            ScoringError::PriceCriterionScored { bid, criterion } => write!(
                f,
                "bid {bid} has a score on price criterion {criterion}; the price criterion is scored from the price"
            ),
            ScoringError::DuplicateScore {
                bid,
                criterion,
                evaluator,
            } => write!(
                f,
                "evaluator {evaluator} scored bid {bid} on criterion {criterion} more than once"
            ),
            ScoringError::DuplicateConsensus { bid, criterion } => write!(
                f,
                "bid {bid} has more than one consensus value for criterion {criterion}"
            ),
            ScoringError::Unscored { bid, criterion } => write!(
                f,
                "bid {bid} is not scored on criterion {criterion}; complete the scoring before ranking"
            ),
            ScoringError::InvalidOutlierShare { share } => {
                write!(f, "the outlier share {share} is negative")
            }
            ScoringError::InvalidThreshold { threshold } => write!(
                f,
                "the minimum technical score {threshold} is outside 0 to 100"
            ),
            ScoringError::ThresholdWithoutScoredCriteria => write!(
                f,
                "a minimum technical score is set but the RFP has no scored criterion"
            ),
            ScoringError::TooManyBids { count } => {
                write!(f, "{count} bids exceed the limit of {MAX_BIDS}")
            }
            ScoringError::Overflow { step } => {
                write!(f, "a figure is out of range while computing {step}")
            }
        }
    }
}

impl std::error::Error for ScoringError {}

/// The weighting rule in words, for RFP documents and evaluation reports.
pub fn weighting_statement() -> &'static str {
    "Each criterion's effective weight is its section's share times its share within the \
     section. A section's share is its weight divided by the sum of the weights of the sections \
     that contain at least one scored or price criterion; a criterion's share is its weight \
     divided by the sum of the weights of the scored and price criteria in its section. \
     Pass/fail criteria are knock-outs and carry no weight, and a section with only pass/fail \
     criteria is left out, the other sections being rescaled. The effective weights sum to \
     100 %: where division leaves a remainder beyond the 28th significant digit, that residue is \
     added to the largest weight."
}

/// The effective weight of every weighted (Scored or Price) criterion, by criterion id; they sum
/// to exactly 1 (rule 1). Pass/fail criteria are not listed.
pub fn effective_weights(
    sections: &[Section],
    criteria: &[Criterion],
) -> Result<Vec<(CriterionId, Decimal)>, ScoringError> {
    Ok(Model::new(sections, criteria)?.weight_list())
}

/// Scores and ranks `bids` under `rules` (rules 1–11 of the module documentation).
pub fn rank(
    rules: &Rules,
    sections: &[Section],
    criteria: &[Criterion],
    bids: &[Bid],
) -> Result<Ranking, ScoringError> {
    if rules.outlier_share < Decimal::ZERO {
        return Err(ScoringError::InvalidOutlierShare {
            share: rules.outlier_share,
        });
    }
    if let Some(threshold) = rules.technical_threshold {
        if threshold < Decimal::ZERO || threshold > HUNDRED {
            return Err(ScoringError::InvalidThreshold { threshold });
        }
    }
    let model = Model::new(sections, criteria)?;
    if rules.technical_threshold.is_some() && model.scored.is_empty() {
        return Err(ScoringError::ThresholdWithoutScoredCriteria);
    }
    if bids.len() > MAX_BIDS {
        return Err(ScoringError::TooManyBids { count: bids.len() });
    }
    let mut order: Vec<&Bid> = bids.iter().collect();
    order.sort_unstable_by_key(|b| b.id);
    if let Some(pair) = order.windows(2).find(|p| p[0].id == p[1].id) {
        return Err(ScoringError::DuplicateBid { bid: pair[0].id });
    }

    let assessed = order
        .iter()
        .map(|bid| assess(rules, &model, bid))
        .collect::<Result<Vec<_>, _>>()?;

    // Rule 4: the best combined score per Scored criterion among the pass/fail-responsive bids.
    let n = model.criteria.len();
    let mut best = vec![Decimal::ZERO; n];
    if rules.normalisation == Normalisation::RelativeToBest {
        for a in assessed.iter().filter(|a| a.knock_outs.is_empty()) {
            for &i in &model.scored {
                best[i] = best[i].max(combined_of(&a.criteria[i]));
            }
        }
    }

    // Rules 4–5: normalised scores, technical score, threshold.
    let mut qualified: Vec<Assessed<'_>> = Vec::with_capacity(assessed.len());
    let mut technical_scores: Vec<Decimal> = Vec::with_capacity(assessed.len());
    let mut disqualified = Vec::new();
    for mut a in assessed {
        if !a.knock_outs.is_empty() {
            let causes = std::mem::take(&mut a.knock_outs);
            disqualified.push(DisqualifiedBid {
                bid: a.bid.id,
                reasons: causes.iter().map(Disqualification::reason).collect(),
                causes,
                technical_score: None,
            });
            continue;
        }
        let mut technical_sum = Decimal::ZERO;
        for (i, row) in a.criteria.iter_mut().enumerate() {
            match model.criteria[i].kind {
                CriterionKind::Scored { max } => {
                    let scaled = mul(combined_of(row), HUNDRED, "a normalised score")?;
                    row.normalised = match rules.normalisation {
                        Normalisation::Absolute => div(scaled, max, "a normalised score")?,
                        Normalisation::RelativeToBest if best[i].is_zero() => Decimal::ZERO,
                        Normalisation::RelativeToBest => {
                            div(scaled, best[i], "a normalised score")?
                        }
                    };
                    row.contribution = mul(row.weight, row.normalised, "a contribution")?;
                    technical_sum = add(technical_sum, row.contribution, "a technical score")?;
                }
                CriterionKind::PassFail => row.normalised = HUNDRED,
                CriterionKind::Price => {}
            }
        }
        let technical_score = if model.technical_weight.is_zero() {
            Decimal::ZERO
        } else {
            div(technical_sum, model.technical_weight, "a technical score")?
        };
        if let Some(threshold) = rules.technical_threshold {
            if technical_score < threshold {
                let cause = Disqualification::BelowTechnicalThreshold {
                    technical_score,
                    threshold,
                };
                disqualified.push(DisqualifiedBid {
                    bid: a.bid.id,
                    reasons: vec![cause.reason()],
                    causes: vec![cause],
                    technical_score: Some(technical_score),
                });
                continue;
            }
        }
        qualified.push(a);
        technical_scores.push(technical_score);
    }

    // Rule 6: price scores among the qualified bids.
    let lowest = qualified.iter().map(|a| a.bid.price).min();
    let highest = qualified.iter().map(|a| a.bid.price).max();
    let mut ranked = Vec::with_capacity(qualified.len());
    for (a, technical_score) in qualified.into_iter().zip(technical_scores) {
        let mut criteria = a.criteria;
        let mut price_score = None;
        if let (Some(i), Some(lowest), Some(highest)) = (model.price, lowest, highest) {
            let score = price_score_of(rules.price_method, a.bid.price, lowest, highest)?;
            let row = &mut criteria[i];
            row.normalised = score;
            row.contribution = mul(row.weight, score, "the price contribution")?;
            price_score = Some(score);
        }
        // Rule 7: the total is the sum of the contributions, in criterion-id order.
        let mut total = Decimal::ZERO;
        for row in &criteria {
            total = add(total, row.contribution, "a total")?;
        }
        ranked.push(RankedBid {
            bid: a.bid.id,
            rank: 0,
            price: a.bid.price,
            submitted_at: a.bid.submitted_at,
            total,
            technical_score,
            price_score,
            criteria,
            flags: Vec::new(),
        });
    }

    // Rule 8.
    ranked.sort_by(|x, y| {
        y.total
            .cmp(&x.total)
            .then(x.price.cmp(&y.price))
            .then(x.submitted_at.cmp(&y.submitted_at))
            .then(x.bid.cmp(&y.bid))
    });
    for (place, r) in (1..).zip(ranked.iter_mut()) {
        r.rank = place;
    }

    flag_abnormally_low(&mut ranked)?;
    let sensitivity = sensitivities(&model, &ranked)?;

    Ok(Ranking {
        weights: model.weight_list(),
        technical_weight: model.technical_weight,
        price_weight: model.price_weight,
        ranked,
        disqualified,
        sensitivity,
    })
}

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

fn add(a: Decimal, b: Decimal, step: &'static str) -> Result<Decimal, ScoringError> {
    a.checked_add(b).ok_or(ScoringError::Overflow { step })
}

fn sub(a: Decimal, b: Decimal, step: &'static str) -> Result<Decimal, ScoringError> {
    a.checked_sub(b).ok_or(ScoringError::Overflow { step })
}

fn mul(a: Decimal, b: Decimal, step: &'static str) -> Result<Decimal, ScoringError> {
    a.checked_mul(b).ok_or(ScoringError::Overflow { step })
}

fn div(a: Decimal, b: Decimal, step: &'static str) -> Result<Decimal, ScoringError> {
    a.checked_div(b).ok_or(ScoringError::Overflow { step })
}

fn combined_of(row: &CriterionScore) -> Decimal {
    row.combined.unwrap_or(Decimal::ZERO)
}

/// The validated criteria (by id) with their effective weights.
struct Model<'a> {
    criteria: Vec<&'a Criterion>,
    /// `(lowest id, index per id − lowest id)` when the ids are dense enough for a table.
    dense: Option<(CriterionId, Vec<usize>)>,
    /// Effective weight per criterion index; zero for pass/fail.
    weights: Vec<Decimal>,
    price: Option<usize>,
    scored: Vec<usize>,
    technical_weight: Decimal,
    price_weight: Decimal,
}

impl<'a> Model<'a> {
    fn new(sections: &[Section], criteria: &'a [Criterion]) -> Result<Self, ScoringError> {
        if criteria.is_empty() {
            return Err(ScoringError::NoCriteria);
        }
        let mut secs: Vec<&Section> = sections.iter().collect();
        secs.sort_unstable_by_key(|s| s.id);
        if let Some(pair) = secs.windows(2).find(|p| p[0].id == p[1].id) {
            return Err(ScoringError::DuplicateSection {
                section: pair[0].id,
            });
        }
        if let Some(s) = secs.iter().find(|s| s.weight <= Decimal::ZERO) {
            return Err(ScoringError::NonPositiveSectionWeight {
                section: s.id,
                weight: s.weight,
            });
        }
        let mut crits: Vec<&Criterion> = criteria.iter().collect();
        crits.sort_unstable_by_key(|c| c.id);
        if let Some(pair) = crits.windows(2).find(|p| p[0].id == p[1].id) {
            return Err(ScoringError::DuplicateCriterion {
                criterion: pair[0].id,
            });
        }

        let mut price: Option<usize> = None;
        let mut scored = Vec::new();
        let mut section_of = Vec::with_capacity(crits.len());
        let mut section_sum = vec![Decimal::ZERO; secs.len()];
        for (i, c) in crits.iter().enumerate() {
            if c.kind != CriterionKind::PassFail && c.weight <= Decimal::ZERO {
                return Err(ScoringError::NonPositiveCriterionWeight {
                    criterion: c.id,
                    weight: c.weight,
                });
            }
            let s = secs
                .binary_search_by_key(&c.section, |s| s.id)
                .map_err(|_| ScoringError::UnknownSection {
                    criterion: c.id,
                    section: c.section,
                })?;
            section_of.push(s);
            match c.kind {
                CriterionKind::Scored { max } => {
                    if max <= Decimal::ZERO {
                        return Err(ScoringError::NonPositiveMax {
                            criterion: c.id,
                            max,
                        });
                    }
                    scored.push(i);
                }
                CriterionKind::Price => {
                    if let Some(first) = price {
                        return Err(ScoringError::MoreThanOnePriceCriterion {
                            first: crits[first].id,
                            second: c.id,
                        });
                    }
                    price = Some(i);
                }
                CriterionKind::PassFail => continue,
            }
            section_sum[s] = add(section_sum[s], c.weight, "section weights")?;
        }
        if scored.is_empty() && price.is_none() {
            return Err(ScoringError::NoWeightedCriteria);
        }

        // Only sections holding a weighted criterion share the whole.
        let mut sections_total = Decimal::ZERO;
        for (s, sum) in section_sum.iter().enumerate() {
            if !sum.is_zero() {
                sections_total = add(sections_total, secs[s].weight, "section weights")?;
            }
        }
        let mut weights = vec![Decimal::ZERO; crits.len()];
        for (i, c) in crits.iter().enumerate() {
            if c.kind == CriterionKind::PassFail {
                continue;
            }
            let s = section_of[i];
            // (section weight / Σ sections) × (criterion weight / Σ section's criteria), as one
            // division so that only one rounding can occur.
            let numerator = mul(secs[s].weight, c.weight, "an effective weight")?;
            let denominator = mul(sections_total, section_sum[s], "an effective weight")?;
            weights[i] = div(numerator, denominator, "an effective weight")?;
        }
        // The residue of 28-digit division goes to the largest weight (lowest id among equals).
        // Every weight is ≤ 1 with at most 28 decimals, so these sums are exact and the adjusted
        // weights sum to exactly 1.
        let mut sum = Decimal::ZERO;
        let mut largest = 0;
        for (i, &w) in weights.iter().enumerate() {
            sum = add(sum, w, "the sum of the weights")?;
            if w > weights[largest] {
                largest = i;
            }
        }
        let residue = sub(Decimal::ONE, sum, "the weight residue")?;
        if !residue.is_zero() {
            weights[largest] = add(weights[largest], residue, "the weight residue")?;
        }

        let mut technical_weight = Decimal::ZERO;
        for &i in &scored {
            technical_weight = add(technical_weight, weights[i], "the technical weight")?;
        }
        let price_weight = price.map_or(Decimal::ZERO, |i| weights[i]);
        Ok(Model {
            dense: dense_table(&crits),
            criteria: crits,
            weights,
            price,
            scored,
            technical_weight,
            price_weight,
        })
    }

    fn index_of(&self, id: CriterionId) -> Option<usize> {
        match &self.dense {
            Some((lowest, table)) => {
                let offset = usize::try_from(id.checked_sub(*lowest)?).ok()?;
                table.get(offset).copied().filter(|&i| i != usize::MAX)
            }
            None => self.criteria.binary_search_by_key(&id, |c| c.id).ok(),
        }
    }

    fn weight_list(&self) -> Vec<(CriterionId, Decimal)> {
        self.criteria
            .iter()
            .zip(&self.weights)
            .filter(|(c, _)| c.kind != CriterionKind::PassFail)
            .map(|(c, &w)| (c.id, w))
            .collect()
    }
}

/// A direct id → index table when the ids (sorted, unique) span at most 16 slots per criterion;
/// scores are looked up once each, so this is the hot path's only search.
fn dense_table(criteria: &[&Criterion]) -> Option<(CriterionId, Vec<usize>)> {
    let lowest = criteria.first()?.id;
    let span = criteria.last()?.id.checked_sub(lowest)?;
    let span = usize::try_from(span).ok()?.checked_add(1)?;
    if span > criteria.len().saturating_mul(16) {
        return None;
    }
    let mut table = vec![usize::MAX; span];
    for (i, c) in criteria.iter().enumerate() {
        table[usize::try_from(c.id.checked_sub(lowest)?).ok()?] = i;
    }
    Some((lowest, table))
}

/// One bid after combination (rules 2–3), before normalisation.
struct Assessed<'a> {
    bid: &'a Bid,
    /// One row per criterion index; normalised/contribution are filled in later.
    criteria: Vec<CriterionScore>,
    knock_outs: Vec<Disqualification>,
}

fn check_value(
    criterion: &Criterion,
    bid: BidId,
    evaluator: Option<EvaluatorId>,
    value: Decimal,
) -> Result<(), ScoringError> {
    match criterion.kind {
        CriterionKind::Scored { max } => {
            if value < Decimal::ZERO || value > max {
                return Err(ScoringError::ScoreOutOfRange {
                    bid,
                    criterion: criterion.id,
                    evaluator,
                    score: value,
                    max,
                });
            }
        }
        CriterionKind::PassFail => {
            if value != Decimal::ZERO && value != Decimal::ONE {
                return Err(ScoringError::PassFailNotBinary {
                    bid,
                    criterion: criterion.id,
                    evaluator,
                    value,
                });
            }
        }
        CriterionKind::Price => {
            return Err(ScoringError::PriceCriterionScored {
                bid,
                criterion: criterion.id,
            })
        }
    }
    Ok(())
}

fn assess<'a>(
    rules: &Rules,
    model: &Model<'_>,
    bid: &'a Bid,
) -> Result<Assessed<'a>, ScoringError> {
    if bid.price <= Decimal::ZERO {
        return Err(ScoringError::NonPositivePrice {
            bid: bid.id,
            price: bid.price,
        });
    }
    let n = model.criteria.len();
    let mut consensus: Vec<Option<Decimal>> = vec![None; n];
    for &(criterion, value) in &bid.consensus {
        let i = model
            .index_of(criterion)
            .ok_or(ScoringError::UnknownCriterion {
                bid: bid.id,
                criterion,
            })?;
        check_value(model.criteria[i], bid.id, None, value)?;
        if consensus[i].is_some() {
            return Err(ScoringError::DuplicateConsensus {
                bid: bid.id,
                criterion,
            });
        }
        consensus[i] = Some(value);
    }
    let per_criterion = bid.scores.len() / n.max(1) + 1;
    let mut buckets: Vec<Vec<(EvaluatorId, Decimal)>> = model
        .criteria
        .iter()
        .map(|c| match c.kind {
            CriterionKind::Price => Vec::new(),
            _ => Vec::with_capacity(per_criterion),
        })
        .collect();
    for &(evaluator, criterion, value) in &bid.scores {
        let i = model
            .index_of(criterion)
            .ok_or(ScoringError::UnknownCriterion {
                bid: bid.id,
                criterion,
            })?;
        check_value(model.criteria[i], bid.id, Some(evaluator), value)?;
        buckets[i].push((evaluator, value));
    }

    let mut rows = Vec::with_capacity(n);
    let mut knock_outs = Vec::new();
    for (i, mut evaluators) in buckets.into_iter().enumerate() {
        let criterion = model.criteria[i];
        evaluators.sort_unstable_by_key(|&(e, _)| e);
        if let Some(pair) = evaluators.windows(2).find(|p| p[0].0 == p[1].0) {
            return Err(ScoringError::DuplicateScore {
                bid: bid.id,
                criterion: criterion.id,
                evaluator: pair[0].0,
            });
        }
        let unscored = ScoringError::Unscored {
            bid: bid.id,
            criterion: criterion.id,
        };
        let (combined, outliers) = match criterion.kind {
            CriterionKind::Price => (None, Vec::new()),
            CriterionKind::Scored { max } => {
                let (mean, outliers) = combine_scores(rules.outlier_share, max, &evaluators)?;
                let combined = match (consensus[i], mean) {
                    (Some(v), _) => v,
                    (None, Some(mean)) => mean,
                    (None, None) => return Err(unscored),
                };
                (Some(combined), outliers)
            }
            CriterionKind::PassFail => {
                let combined = match consensus[i] {
                    Some(v) => v,
                    None if evaluators.is_empty() => return Err(unscored),
                    None if evaluators.iter().all(|&(_, v)| v == Decimal::ONE) => Decimal::ONE,
                    None => Decimal::ZERO,
                };
                if combined.is_zero() {
                    knock_outs.push(Disqualification::FailedPassFail {
                        criterion: criterion.id,
                        consensus: consensus[i].is_some(),
                    });
                }
                (Some(combined), Vec::new())
            }
        };
        rows.push(CriterionScore {
            criterion: criterion.id,
            combined,
            consensus: consensus[i].is_some(),
            normalised: Decimal::ZERO,
            weight: model.weights[i],
            contribution: Decimal::ZERO,
            evaluators,
            outliers,
        });
    }
    Ok(Assessed {
        bid,
        criteria: rows,
        knock_outs,
    })
}

/// Rules 2–3 for one bid × Scored criterion: the mean of the scores (None without any) and the
/// outlying evaluators. Uses exact integer arithmetic at the scores' common scale when that fits
/// in i128 (whole or few-decimal points: the usual case, and the hot loop), else the same
/// computation in [`Decimal`]; both give the same result.
fn combine_scores(
    share: Decimal,
    max: Decimal,
    evaluators: &[(EvaluatorId, Decimal)],
) -> Result<(Option<Decimal>, Vec<EvaluatorId>), ScoringError> {
    if evaluators.is_empty() {
        return Ok((None, Vec::new()));
    }
    if let Some((mean, outliers)) = combine_scores_scaled(share, max, evaluators) {
        return Ok((Some(mean), outliers));
    }
    combine_scores_decimal(share, max, evaluators)
}

/// [`combine_scores`] on integers: each score s becomes s × 10^scale, where scale is the largest
/// scale among the scores, and the outlier test |n·s − Σ| > share × max × (n − 1) is multiplied
/// through by the powers of ten so that both sides are integers. None on any i128 overflow.
fn combine_scores_scaled(
    share: Decimal,
    max: Decimal,
    evaluators: &[(EvaluatorId, Decimal)],
) -> Option<(Decimal, Vec<EvaluatorId>)> {
    let scale = evaluators.iter().map(|&(_, s)| s.scale()).max()?;
    let at_scale = |d: Decimal| {
        d.mantissa()
            .checked_mul(10i128.checked_pow(scale - d.scale())?)
    };
    let mut sum = 0i128;
    for &(_, s) in evaluators {
        sum = sum.checked_add(at_scale(s)?)?;
    }
    let mean = Decimal::try_from_i128_with_scale(sum, scale)
        .ok()?
        .checked_div(Decimal::from(evaluators.len()))?;
    let mut outliers = Vec::new();
    if evaluators.len() >= 2 {
        let n = i128::try_from(evaluators.len()).ok()?;
        let lift = 10i128.checked_pow(share.scale().checked_add(max.scale())?)?;
        let tolerance = share
            .mantissa()
            .checked_mul(max.mantissa())?
            .checked_mul(n - 1)?
            .checked_mul(10i128.checked_pow(scale)?)?;
        for &(evaluator, s) in evaluators {
            let deviation = n
                .checked_mul(at_scale(s)?)?
                .checked_sub(sum)?
                .checked_abs()?
                .checked_mul(lift)?;
            if deviation > tolerance {
                outliers.push(evaluator);
            }
        }
    }
    Some((mean, outliers))
}

/// [`combine_scores`] in [`Decimal`], for scores whose scaled integers would not fit in i128.
fn combine_scores_decimal(
    share: Decimal,
    max: Decimal,
    evaluators: &[(EvaluatorId, Decimal)],
) -> Result<(Option<Decimal>, Vec<EvaluatorId>), ScoringError> {
    let mut sum = Decimal::ZERO;
    for &(_, s) in evaluators {
        sum = add(sum, s, "a sum of scores")?;
    }
    let outliers = if evaluators.len() >= 2 {
        outliers_of(share, max, evaluators, sum)?
    } else {
        Vec::new()
    };
    let mean = div(sum, Decimal::from(evaluators.len()), "a mean score")?;
    Ok((Some(mean), outliers))
}

/// Rule 3, exactly: |score_e − (Σ − score_e)/(n − 1)| > share × max
/// ⇔ |n·score_e − Σ| > share × max × (n − 1), as n − 1 > 0.
fn outliers_of(
    share: Decimal,
    max: Decimal,
    evaluators: &[(EvaluatorId, Decimal)],
    sum: Decimal,
) -> Result<Vec<EvaluatorId>, ScoringError> {
    let n = Decimal::from(evaluators.len());
    let tolerance = mul(
        mul(share, max, "an outlier tolerance")?,
        sub(n, Decimal::ONE, "an outlier tolerance")?,
        "an outlier tolerance",
    )?;
    let mut outliers = Vec::new();
    for &(evaluator, score) in evaluators {
        let deviation = sub(mul(n, score, "an outlier test")?, sum, "an outlier test")?.abs();
        if deviation > tolerance {
            outliers.push(evaluator);
        }
    }
    Ok(outliers)
}

fn price_score_of(
    method: PriceMethod,
    price: Decimal,
    lowest: Decimal,
    highest: Decimal,
) -> Result<Decimal, ScoringError> {
    match method {
        PriceMethod::LowestRatio => div(
            mul(lowest, HUNDRED, "a price score")?,
            price,
            "a price score",
        ),
        PriceMethod::Linear if highest == lowest => Ok(HUNDRED),
        PriceMethod::Linear => div(
            mul(
                sub(highest, price, "a price score")?,
                HUNDRED,
                "a price score",
            )?,
            sub(highest, lowest, "a price score")?,
            "a price score",
        ),
    }
}

/// Rule 9, in O(n log n): one sort by price, one sum, then a constant-time test per bid.
fn flag_abnormally_low(ranked: &mut [RankedBid]) -> Result<(), ScoringError> {
    let n = ranked.len();
    if n < 2 {
        return Ok(());
    }
    let mut by_price: Vec<usize> = (0..n).collect();
    by_price.sort_unstable_by(|&a, &b| {
        ranked[a]
            .price
            .cmp(&ranked[b].price)
            .then(ranked[a].bid.cmp(&ranked[b].bid))
    });
    let mut sum = Decimal::ZERO;
    for &i in &by_price {
        sum = add(sum, ranked[i].price, "the sum of the prices")?;
    }
    let others = Decimal::from(n - 1);
    let (six, seven, ten) = (Decimal::from(6), Decimal::from(7), Decimal::TEN);
    let step = "an abnormally-low test";
    let mut flags = Vec::new();
    for (pos, &i) in by_price.iter().enumerate() {
        let price = ranked[i].price;
        let others_sum = sub(sum, price, step)?;
        // price ≤ 0.6 × others_sum / (n − 1)  ⇔  10 × price × (n − 1) ≤ 6 × others_sum.
        let below_mean = mul(mul(price, others, step)?, ten, step)? <= mul(others_sum, six, step)?;
        // The next lowest: an equal price if there is one, else the next price up.
        let next = if pos > 0 && ranked[by_price[pos - 1]].price == price {
            Some(by_price[pos - 1])
        } else {
            by_price.get(pos + 1).copied()
        };
        let below_next = match next {
            Some(j) => mul(price, ten, step)? <= mul(ranked[j].price, seven, step)?,
            None => false,
        };
        if !below_mean && !below_next {
            continue;
        }
        let mut rules = Vec::new();
        if below_mean {
            rules.push(AbnormallyLowRule::BelowMeanOfOthers);
        }
        if below_next {
            rules.push(AbnormallyLowRule::BelowNextLowest);
        }
        let next_lowest = match next {
            Some(j) => Some(NextLowest {
                bid: ranked[j].bid,
                price: ranked[j].price,
                percent: div(mul(price, HUNDRED, step)?, ranked[j].price, step)?,
            }),
            None => None,
        };
        let flag = AbnormallyLow {
            rules,
            price,
            mean_of_others: div(others_sum, others, step)?,
            percent_of_mean: div(
                mul(mul(price, HUNDRED, step)?, others, step)?,
                others_sum,
                step,
            )?,
            next_lowest,
        };
        flags.push((i, flag));
    }
    for (i, flag) in flags {
        ranked[i].flags.push(Flag::AbnormallyLow(flag));
    }
    Ok(())
}

/// Rule 10, linear per criterion. With t_b the total and a_b the criterion's 0..100 score,
/// total_b(w') = t_b + (w' − w)·(a_b − t_b)/(1 − w). Against the winner W, with gap
/// g = t_W − t_b ≥ 0, d = a_b − a_W and k = (a_b − t_b) − (a_W − t_W) = d + g, the totals meet
/// at w' − w = g·(1 − w)/k. Upwards (k > 0) that point is within [0, 1] iff g ≤ k, i.e. d ≥ 0
/// (at w' = 1 totals are the a's); downwards (k < 0) iff g·(1 − w) ≤ w·|k|; k = 0 never meets.
///
/// Pruning, exact in effect: with U ≥ every d and L ≥ every −d (the criterion's score range over
/// the other bids, plus 1 as a margin against 28-digit rounding), a bid's upward crossing is at
/// least g·(1 − w)/(U + g) and its downward one at least g·(1 − w)/(L − g), needing g ≤ w·L;
/// both bounds grow with g. `ranked` is in increasing-gap order, so a direction is closed once
/// its bound reaches the best crossing found (or, downwards, once g > w·L): no later bid can do
/// better. The scan stops when both directions are closed; the worst case stays linear.
fn sensitivities(
    model: &Model<'_>,
    ranked: &[RankedBid],
) -> Result<Vec<Sensitivity>, ScoringError> {
    let step = "a sensitivity";
    let mut out = Vec::new();
    let Some((winner, others)) = ranked.split_first() else {
        for (i, criterion) in model.criteria.iter().enumerate() {
            if criterion.kind != CriterionKind::PassFail {
                out.push(Sensitivity::unchanged(criterion.id, model.weights[i]));
            }
        }
        return Ok(out);
    };
    let mut gaps = Vec::with_capacity(others.len());
    for b in others {
        gaps.push(sub(winner.total, b.total, step)?);
    }
    // The highest and lowest score of the other bids on each criterion.
    let n = model.criteria.len();
    let mut top = vec![Decimal::ZERO; n];
    let mut bottom = vec![HUNDRED; n];
    for b in others {
        for (i, row) in b.criteria.iter().enumerate() {
            top[i] = top[i].max(row.normalised);
            bottom[i] = bottom[i].min(row.normalised);
        }
    }
    for (i, criterion) in model.criteria.iter().enumerate() {
        let weight = model.weights[i];
        if criterion.kind == CriterionKind::PassFail {
            continue;
        }
        let mut s = Sensitivity::unchanged(criterion.id, weight);
        let winner_score = winner.criteria[i].normalised;
        let mut up_open = weight < Decimal::ONE && !others.is_empty() && top[i] >= winner_score;
        let mut down_open = weight < Decimal::ONE && !others.is_empty() && bottom[i] < winner_score;
        let rest = sub(Decimal::ONE, weight, step)?;
        let up_span = add(sub(top[i], winner_score, step)?, Decimal::ONE, step)?;
        let down_span = add(sub(winner_score, bottom[i], step)?, Decimal::ONE, step)?;
        let down_reach = mul(weight, down_span, step)?;
        let mut down: Option<(Decimal, BidId)> = None;
        let mut up: Option<(Decimal, BidId)> = None;
        for (b, &gap) in others.iter().zip(&gaps) {
            let reach = mul(gap, rest, step)?;
            if down_open {
                down_open = gap <= down_reach
                    && match down {
                        Some((best, _)) => reach < mul(best, sub(down_span, gap, step)?, step)?,
                        None => true,
                    };
            }
            if up_open {
                if let Some((best, _)) = up {
                    up_open = reach < mul(best, add(up_span, gap, step)?, step)?;
                }
            }
            if !up_open && !down_open {
                break;
            }
            let d = sub(b.criteria[i].normalised, winner_score, step)?;
            let k = add(d, gap, step)?;
            if up_open && d >= Decimal::ZERO && k > Decimal::ZERO {
                // Exactly, d ≥ 0 gives delta ≤ 1 − w; the min only stops 28-digit rounding
                // from reporting a weight a hair above 1.
                let delta = div(reach, k, step)?.min(rest);
                if up.is_none_or(|(best, _)| delta < best) {
                    up = Some((delta, b.bid));
                }
            } else if down_open && k < Decimal::ZERO {
                let k = -k;
                if reach <= mul(weight, k, step)? {
                    let delta = div(reach, k, step)?.min(weight);
                    if down.is_none_or(|(best, _)| delta < best) {
                        down = Some((delta, b.bid));
                    }
                }
            }
        }
        if let Some((delta, bid)) = up {
            s.up_points = Some(mul(delta, HUNDRED, step)?);
            s.challenger_up = Some(bid);
        }
        if let Some((delta, bid)) = down {
            s.down_points = Some(-mul(delta, HUNDRED, step)?);
            s.challenger_down = Some(bid);
        }
        out.push(s);
    }
    Ok(out)
}

impl Sensitivity {
    fn unchanged(criterion: CriterionId, weight: Decimal) -> Self {
        Sensitivity {
            criterion,
            weight,
            down_points: None,
            up_points: None,
            challenger_down: None,
            challenger_up: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use rust_decimal::RoundingStrategy;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).expect("decimal literal")
    }

    fn at(minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 3, 3)
            .and_then(|day| day.and_hms_opt(9, minute, 0))
            .expect("valid time")
    }

    /// Rounds half-even to the places a source prints (tests only: the calculator never rounds).
    fn printed(x: Decimal, places: u32) -> Decimal {
        x.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven)
    }

    fn section(id: SectionId, weight: &str) -> Section {
        Section {
            id,
            weight: d(weight),
        }
    }

    fn scored(id: CriterionId, section: SectionId, max: &str, weight: &str) -> Criterion {
        Criterion {
            id,
            section,
            kind: CriterionKind::Scored { max: d(max) },
            weight: d(weight),
        }
    }

    fn pass_fail(id: CriterionId, section: SectionId) -> Criterion {
        Criterion {
            id,
            section,
            kind: CriterionKind::PassFail,
            weight: Decimal::ONE,
        }
    }

    fn price(id: CriterionId, section: SectionId, weight: &str) -> Criterion {
        Criterion {
            id,
            section,
            kind: CriterionKind::Price,
            weight: d(weight),
        }
    }

    fn bid(id: BidId, price: &str, minute: u32) -> Bid {
        Bid {
            id,
            price: d(price),
            submitted_at: at(minute),
            scores: Vec::new(),
            consensus: Vec::new(),
        }
    }

    impl Bid {
        fn score(mut self, evaluator: EvaluatorId, criterion: CriterionId, value: &str) -> Self {
            self.scores.push((evaluator, criterion, d(value)));
            self
        }

        fn agreed(mut self, criterion: CriterionId, value: &str) -> Self {
            self.consensus.push((criterion, d(value)));
            self
        }
    }

    fn rules(normalisation: Normalisation, price_method: PriceMethod) -> Rules {
        Rules {
            normalisation,
            price_method,
            technical_threshold: None,
            outlier_share: d("0.25"),
        }
    }

    fn absolute() -> Rules {
        rules(Normalisation::Absolute, PriceMethod::LowestRatio)
    }

    fn entry(ranking: &Ranking, bid: BidId) -> &RankedBid {
        ranking
            .ranked
            .iter()
            .find(|r| r.bid == bid)
            .expect("bid is ranked")
    }

    fn row(ranked: &RankedBid, criterion: CriterionId) -> &CriterionScore {
        ranked
            .criteria
            .iter()
            .find(|c| c.criterion == criterion)
            .expect("criterion row")
    }

    fn order(ranking: &Ranking) -> Vec<BidId> {
        ranking.ranked.iter().map(|r| r.bid).collect()
    }

    // ---- Published worked examples -------------------------------------------------------

    /// Source: "Low Bid Scoring Formula", Negometrix support knowledge base,
    /// https://support-us.negometrix.com/support/solutions/articles/44001761046-low-bid-scoring-formula
    /// Criteria (max points, in percent): Experience 60 (30 %), Extent of quality control /
    /// quality assurance 40 (20 %), Time to completion 30 (15 %), Price score 70 (35 %), total 200.
    /// Bidder A scores 40, 30, 20 and prices $10,000; bidder B scores 32, 20, 22 and prices $8,000.
    /// Printed: A 20 %, 15 %, 10 %, price 56 points (28 %), total 146 points (73 %); B 16 %, 10 %,
    /// 11 %, price 70 points (35 %), total 144 points (72 %); "Bidder A ... wins".
    /// Modelled as one section whose criterion weights are the max points, Absolute
    /// normalisation, LowestRatio price: effective weight × normalised score is the printed "%".
    #[test]
    fn published_negometrix_low_bid_scoring_example() {
        let sections = [section(1, "1")];
        let criteria = [
            scored(1, 1, "60", "60"),
            scored(2, 1, "40", "40"),
            scored(3, 1, "30", "30"),
            price(4, 1, "70"),
        ];
        let bids = [
            bid(1, "10000", 0)
                .score(1, 1, "40")
                .score(1, 2, "30")
                .score(1, 3, "20"),
            bid(2, "8000", 0)
                .score(1, 1, "32")
                .score(1, 2, "20")
                .score(1, 3, "22"),
        ];
        let ranking = rank(&absolute(), &sections, &criteria, &bids).expect("ranks");

        let percent: Vec<Decimal> = ranking
            .weights
            .iter()
            .map(|&(_, w)| printed(w * HUNDRED, 0))
            .collect();
        assert_eq!(percent, [d("30"), d("20"), d("15"), d("35")]);

        // (bid, printed % per criterion 1..=4, price points, total points, total %, rank)
        let table = [
            (1, ["20", "15", "10", "28"], "56", "146", "73", 1),
            (2, ["16", "10", "11", "35"], "70", "144", "72", 2),
        ];
        for (id, shares, price_points, points, total, place) in table {
            let r = entry(&ranking, id);
            for (criterion, share) in (1..=4).zip(shares) {
                assert_eq!(
                    printed(row(r, criterion).contribution, 0),
                    d(share),
                    "bid {id}"
                );
            }
            let sf = r.price_score.expect("price score");
            assert_eq!(printed(sf * d("70") / HUNDRED, 0), d(price_points));
            assert_eq!(printed(r.total * d("2"), 0), d(points));
            assert_eq!(printed(r.total, 0), d(total));
            assert_eq!(r.rank, place);
        }
    }

    /// Source: UC Procurement (CalUsource) help centre article on weighting,
    /// https://ucprocure.zendesk.com/hc/en-us/articles/360031293571
    /// Qualitative (questionnaires) 75 % of the total score, quantitative (pricing) 25 %; category
    /// weights Sustainability 20 %, IT Web Accessibility 25 %, IT Maintenance/Service Level
    /// Agreements 30 %, IT Customer Support/Help Desk 25 %; printed percentages of total score
    /// 15.00 %, 18.75 %, 22.50 %, 18.75 %, Price Sheet 25.00 % ("20 x 0.75 = 15").
    #[test]
    fn published_calusource_section_weighting() {
        let sections = [section(1, "75"), section(2, "25")];
        let criteria = [
            scored(1, 1, "100", "20"),
            scored(2, 1, "100", "25"),
            scored(3, 1, "100", "30"),
            scored(4, 1, "100", "25"),
            price(5, 2, "100"),
        ];
        let weights = effective_weights(&sections, &criteria).expect("weights");
        let expected = [
            (1, "15.00"),
            (2, "18.75"),
            (3, "22.50"),
            (4, "18.75"),
            (5, "25.00"),
        ];
        for ((id, w), (want_id, want)) in weights.iter().zip(expected) {
            assert_eq!(*id, want_id);
            assert_eq!(printed(*w * HUNDRED, 2), d(want));
        }
    }

    /// LowestRatio ("lowest price / tendered price × weighting", Sf = 100 × Fm / F) against the
    /// price points four published examples print. Price points = Sf × max points / 100.
    #[test]
    fn published_lowest_ratio_price_points() {
        // (max points, [(price, printed points, places printed)])
        type Row = (&'static str, &'static str, u32);
        let table: [(&str, [Row; 3]); 4] = [
            // "Sample Proposal Evaluation Form", RCUH Policies and Procedures (Research
            // Corporation of the University of Hawaii), https://rcuh.com/?p=12750:
            // Proposal A $100,000 35 points (maximum); B $125,000 28 points; C $150,000 23.3.
            (
                "35",
                [
                    ("100000", "35", 0),
                    ("125000", "28", 0),
                    ("150000", "23.3", 1),
                ],
            ),
            // "The Quality Imperative", Impact Bids, https://impactbids.com/the-quality-imperative/:
            // 40 % price; £100 40 points; £105 40 × (100/105) = 38; £108 40 × (100/108) = 37.
            ("40", [("100", "40", 0), ("105", "38", 0), ("108", "37", 0)]),
            // The e-Gov blog on QCBS, https://the-egov-blog.blogspot.com: A 20 crores 100,
            // B 40 crores (100*20/40=50), C 60 crores (100*20/60=33.3).
            (
                "100",
                [("20", "100", 0), ("40", "50", 0), ("60", "33.3", 1)],
            ),
            // Crown Commercial Service guidance quoted in "Evaluating and Scoring Price –
            // Questionable Advice from Crown Commercial Service?", Public Spend Forum Europe,
            // 17 May 2016, http://publicspendforumeurope.com/2016/05/17/evaluating-and-scoring-price-questionable-advice-from-crown-commercial-service/:
            // A £15,000 scores 0.667, B £10,000 scores 1, C £30,000 scores 0.333.
            (
                "1",
                [
                    ("15000", "0.667", 3),
                    ("10000", "1", 0),
                    ("30000", "0.333", 3),
                ],
            ),
        ];
        for (max_points, rows) in table {
            let bids: Vec<Bid> = rows
                .iter()
                .zip(1..)
                .map(|(&(p, _, _), id)| bid(id, p, 0))
                .collect();
            let ranking =
                rank(&absolute(), &[section(1, "1")], &[price(1, 1, "1")], &bids).expect("ranks");
            for (&(p, points, places), id) in rows.iter().zip(1..) {
                let sf = entry(&ranking, id).price_score.expect("price score");
                assert_eq!(
                    printed(sf * d(max_points) / HUNDRED, places),
                    d(points),
                    "price {p} of {max_points} points"
                );
            }
        }
    }

    /// QCBS: S = St × T + Sf × P. Formula sources: Sf = 100 × Fm / F ("Understanding QCBS, QBS,
    /// FBS and LCS Methods of Selection", Management Enthusiast, 22 Feb 2024,
    /// https://managemententhusiast.com/understanding-qcbs-qbs-fbs-and-lcs-methods-of-selection/)
    /// and S = S_T × T_w + S_F × F_w with T_w = 0.70, F_w = 0.30 (RFP for appointment of technical
    /// consultant, RSRDC, clauses 3.3.3–3.4.1, https://www.yumpu.com/en/document/view/49137661/rfp-for-appointment-of-technical-consultant-rsrdccom/31).
    /// The figures are ours, chosen so every step is exact:
    /// A: 8/10, 6/10 → 80, 60 → St 70; price 100 (lowest) → Sf 100; S = 49 + 30 = 79.
    /// B: 10/10, 9/10 → 100, 90 → St 95; price 125 → Sf 80; S = 66.5 + 24 = 90.5.
    #[test]
    fn qcbs_total_is_technical_and_financial_scores_weighted() {
        let sections = [section(1, "70"), section(2, "30")];
        let criteria = [
            scored(1, 1, "10", "1"),
            scored(2, 1, "10", "1"),
            price(3, 2, "1"),
        ];
        let bids = [
            bid(1, "100", 0).agreed(1, "8").agreed(2, "6"),
            bid(2, "125", 0).agreed(1, "10").agreed(2, "9"),
        ];
        let mut qcbs = absolute();
        qcbs.technical_threshold = Some(d("70"));
        let ranking = rank(&qcbs, &sections, &criteria, &bids).expect("ranks");
        assert_eq!(ranking.technical_weight, d("0.7"));
        assert_eq!(ranking.price_weight, d("0.3"));
        for (id, st, sf, s) in [(1, "70", "100", "79"), (2, "95", "80", "90.5")] {
            let r = entry(&ranking, id);
            assert_eq!(r.technical_score, d(st));
            assert_eq!(r.price_score, Some(d(sf)));
            assert_eq!(r.total, d(s));
            assert_eq!(
                r.total,
                r.technical_score * ranking.technical_weight + d(sf) * ranking.price_weight
            );
        }
        assert_eq!(order(&ranking), [2, 1]);
    }

    // ---- Unit cases ------------------------------------------------------------------------

    #[test]
    fn weights_residue_goes_to_the_largest_weight_and_sum_is_one() {
        let thirds = effective_weights(
            &[section(1, "1")],
            &[
                scored(3, 1, "10", "1"),
                scored(1, 1, "10", "1"),
                scored(2, 1, "10", "1"),
            ],
        )
        .expect("weights");
        let third = d("0.3333333333333333333333333333");
        assert_eq!(
            thirds,
            [
                (1, third + d("0.0000000000000000000000000001")),
                (2, third),
                (3, third)
            ]
        );
        assert_eq!(
            thirds.iter().map(|&(_, w)| w).sum::<Decimal>(),
            Decimal::ONE
        );

        // 1/6 three times and 1/2: the sixths sum to 0.5000…0001, so the residue is negative.
        let sixths = effective_weights(
            &[section(1, "1"), section(2, "1")],
            &[
                scored(1, 1, "10", "1"),
                scored(2, 1, "10", "1"),
                scored(3, 1, "10", "1"),
                price(4, 2, "5"),
            ],
        )
        .expect("weights");
        assert_eq!(
            sixths.iter().map(|&(_, w)| w).sum::<Decimal>(),
            Decimal::ONE
        );
        assert_eq!(sixths[3], (4, d("0.4999999999999999999999999999")));
        assert!(weighting_statement().contains("Pass/fail criteria are knock-outs"));
    }

    #[test]
    fn pass_fail_carries_no_weight_and_its_section_is_dropped() {
        let weights = effective_weights(
            &[section(1, "60"), section(2, "40")],
            &[
                scored(1, 1, "10", "1"),
                pass_fail(2, 1),
                scored(3, 1, "10", "3"),
                pass_fail(4, 2),
            ],
        )
        .expect("weights");
        assert_eq!(weights, [(1, d("0.25")), (3, d("0.75"))]);
        // A pass/fail weight is ignored, so 0 (a knock-out with no weight) is accepted.
        let unweighted = Criterion {
            weight: Decimal::ZERO,
            ..pass_fail(2, 1)
        };
        let weights = effective_weights(&[section(1, "1")], &[scored(1, 1, "10", "1"), unweighted])
            .expect("weights");
        assert_eq!(weights, [(1, Decimal::ONE)]);
    }

    #[test]
    fn combination_is_the_mean_unless_a_consensus_replaces_it() {
        let criteria = [scored(1, 1, "10", "1"), scored(2, 1, "10", "1")];
        let bids = [bid(1, "100", 0)
            .score(2, 1, "7")
            .score(1, 1, "6")
            .score(1, 2, "6")
            .score(2, 2, "7")
            .agreed(2, "9")];
        let ranking = rank(&absolute(), &[section(1, "1")], &criteria, &bids).expect("ranks");
        let r = entry(&ranking, 1);
        let mean = row(r, 1);
        assert_eq!(mean.combined, Some(d("6.5")));
        assert!(!mean.consensus);
        assert_eq!(mean.evaluators, [(1, d("6")), (2, d("7"))]);
        assert_eq!(mean.normalised, d("65"));
        let agreed = row(r, 2);
        assert_eq!(agreed.combined, Some(d("9")));
        assert!(agreed.consensus);
        assert_eq!(agreed.evaluators, [(1, d("6")), (2, d("7"))]);
        assert_eq!(r.total, d("77.5"));
    }

    #[test]
    fn ties_break_on_lower_price_then_earlier_submission_then_lower_id() {
        // No price criterion, so equal scores give equal totals whatever the prices.
        let criteria = [scored(1, 1, "10", "1")];
        let bids = [
            bid(10, "200", 0).agreed(1, "5"),
            bid(11, "100", 5).agreed(1, "5"),
            bid(13, "100", 1).agreed(1, "5"),
            bid(12, "100", 1).agreed(1, "5"),
            bid(9, "100", 1).agreed(1, "5"),
            bid(8, "300", 9).agreed(1, "6"),
        ];
        let ranking = rank(&absolute(), &[section(1, "1")], &criteria, &bids).expect("ranks");
        assert_eq!(order(&ranking), [8, 9, 12, 13, 11, 10]);
        let ranks: Vec<u32> = ranking.ranked.iter().map(|r| r.rank).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn pass_fail_knocks_out_unless_a_consensus_overrides() {
        let criteria = [scored(1, 1, "10", "1"), pass_fail(2, 1), pass_fail(3, 1)];
        let pass = |b: Bid| b.agreed(1, "5").score(1, 3, "1");
        let bids = [
            pass(bid(1, "100", 0)).score(1, 2, "1").score(2, 2, "0"),
            pass(bid(2, "100", 0))
                .score(1, 2, "1")
                .score(2, 2, "0")
                .agreed(2, "1"),
            pass(bid(3, "100", 0))
                .score(1, 2, "1")
                .score(2, 2, "1")
                .agreed(2, "0"),
            pass(bid(4, "100", 0)).score(1, 2, "1").score(2, 2, "1"),
            bid(5, "100", 0)
                .agreed(1, "5")
                .score(1, 2, "0")
                .score(1, 3, "0"),
        ];
        let ranking = rank(&absolute(), &[section(1, "1")], &criteria, &bids).expect("ranks");
        assert_eq!(order(&ranking), [2, 4]);
        assert_eq!(row(entry(&ranking, 2), 2).combined, Some(Decimal::ONE));
        assert_eq!(row(entry(&ranking, 2), 2).weight, Decimal::ZERO);
        let dq: Vec<BidId> = ranking.disqualified.iter().map(|q| q.bid).collect();
        assert_eq!(dq, [1, 3, 5]);
        assert_eq!(
            ranking.disqualified[0].reasons,
            ["failed pass/fail criterion 2 (at least one evaluator marked fail)"]
        );
        assert_eq!(
            ranking.disqualified[1].causes,
            [Disqualification::FailedPassFail {
                criterion: 2,
                consensus: true
            }]
        );
        assert_eq!(
            ranking.disqualified[2].reasons.len(),
            2,
            "every reason is listed"
        );
        assert_eq!(ranking.disqualified[2].technical_score, None);
        let names = |id: CriterionId| (id == 2).then(|| "ISO 27001".to_string());
        assert_eq!(
            ranking.disqualified[2].reasons_named(names),
            [
                "failed pass/fail criterion \"ISO 27001\" (at least one evaluator marked fail)",
                "failed pass/fail criterion 3 (at least one evaluator marked fail)"
            ]
        );
    }

    #[test]
    fn threshold_disqualifies_and_price_is_scored_among_qualified_bids_only() {
        let sections = [section(1, "80"), section(2, "20")];
        let criteria = [scored(1, 1, "100", "1"), price(2, 2, "1")];
        let bids = [
            bid(1, "50", 0).agreed(1, "65"),
            bid(2, "100", 0).agreed(1, "80"),
            bid(3, "125", 0).agreed(1, "90"),
        ];
        let mut qcbs = absolute();
        qcbs.technical_threshold = Some(d("70"));
        let ranking = rank(&qcbs, &sections, &criteria, &bids).expect("ranks");
        assert_eq!(ranking.disqualified.len(), 1);
        let out = &ranking.disqualified[0];
        assert_eq!(out.bid, 1);
        assert_eq!(out.technical_score, Some(d("65")));
        assert_eq!(
            out.reasons,
            ["technical score 65 is below the minimum technical score 70"]
        );
        // The lowest qualified price is 100, not the disqualified 50.
        assert_eq!(entry(&ranking, 2).price_score, Some(d("100")));
        assert_eq!(entry(&ranking, 3).price_score, Some(d("80")));
        // 0.8 × 80 + 0.2 × 100 = 84; 0.8 × 90 + 0.2 × 80 = 88.
        assert_eq!(entry(&ranking, 2).total, d("84"));
        assert_eq!(entry(&ranking, 3).total, d("88"));
        assert_eq!(order(&ranking), [3, 2]);
    }

    #[test]
    fn outliers_are_judged_against_the_mean_of_the_other_evaluators() {
        // Evaluator 3's 40 is 41 from the others' mean 81 (> 0.25 × 100); evaluator 1's 80 is
        // 19 from 61 and evaluator 2's 82 is 22 from 60. Criterion 2: 50 vs 75 is exactly 25,
        // not more, so nobody is flagged; criterion 3: 50 vs 75.01 flags both.
        let criteria = [
            scored(1, 1, "100", "1"),
            scored(2, 1, "100", "1"),
            scored(3, 1, "100", "1"),
        ];
        let bids = [bid(1, "100", 0)
            .score(1, 1, "80")
            .score(2, 1, "82")
            .score(3, 1, "40")
            .score(1, 2, "50")
            .score(2, 2, "75")
            .score(1, 3, "50")
            .score(2, 3, "75.01")];
        let ranking = rank(&absolute(), &[section(1, "1")], &criteria, &bids).expect("ranks");
        let r = entry(&ranking, 1);
        assert_eq!(row(r, 1).outliers, [3]);
        assert_eq!(row(r, 1).combined, Some(d("202") / d("3")));
        assert!(row(r, 2).outliers.is_empty());
        assert_eq!(row(r, 3).outliers, [1, 2]);
    }

    #[test]
    fn integer_and_decimal_combinations_agree() {
        let cases: [(&str, &str, &[&str]); 4] = [
            ("0.25", "100", &["80", "82", "40"]),
            ("0.25", "100", &["50", "75"]),
            ("0.1", "7.5", &["7.5", "0.25", "3.125", "7"]),
            (
                "0.3333333333333333333333333333",
                "1000",
                &["1000", "0", "333.4"],
            ),
        ];
        for (share, max, scores) in cases {
            let evaluators: Vec<(EvaluatorId, Decimal)> =
                scores.iter().zip(1..).map(|(s, e)| (e, d(s))).collect();
            let (mean, outliers) =
                combine_scores_scaled(d(share), d(max), &evaluators).expect("fits");
            let decimal = combine_scores_decimal(d(share), d(max), &evaluators).expect("ok");
            assert_eq!((Some(mean), outliers), decimal, "{scores:?}");
        }
    }

    #[test]
    fn abnormally_low_flags_each_rule_with_its_figures() {
        let criteria = [scored(1, 1, "10", "1")];
        let run = |prices: &[&str]| {
            let bids: Vec<Bid> = prices
                .iter()
                .zip(1..)
                .map(|(p, id)| bid(id, p, 0).agreed(1, "5"))
                .collect();
            rank(&absolute(), &[section(1, "1")], &criteria, &bids).expect("ranks")
        };
        let flag = |ranking: &Ranking, id: BidId| -> Option<AbnormallyLow> {
            entry(ranking, id)
                .flags
                .iter()
                .map(|f| match f {
                    Flag::AbnormallyLow(a) => a.clone(),
                })
                .next()
        };
        use AbnormallyLowRule::{BelowMeanOfOthers, BelowNextLowest};

        // 50 vs mean of others 110 (≤ 66) and vs next lowest 100 (≤ 70): both rules.
        let both = run(&["50", "100", "110", "120"]);
        let a = flag(&both, 1).expect("flagged");
        assert_eq!(a.rules, [BelowMeanOfOthers, BelowNextLowest]);
        assert_eq!(a.mean_of_others, d("110"));
        assert_eq!(printed(a.percent_of_mean, 2), d("45.45"));
        let next = a.next_lowest.expect("next lowest");
        assert_eq!((next.bid, next.price, next.percent), (2, d("100"), d("50")));
        for id in 2..=4 {
            assert_eq!(flag(&both, id), None, "bid {id}");
        }

        // 65 vs mean 100 (> 60) but vs next 100 (≤ 70): only the next-lowest rule. The two
        // 100s are each other's next lowest, so neither is flagged.
        let next_only = run(&["65", "100", "100"]);
        assert_eq!(
            flag(&next_only, 1).expect("flagged").rules,
            [BelowNextLowest]
        );
        assert_eq!(flag(&next_only, 2), None);
        assert_eq!(flag(&next_only, 3), None);

        // 60 vs mean of others 156.67 (≤ 94) but vs next 70 (> 49): only the mean rule.
        let mean_only = run(&["60", "70", "200", "200"]);
        assert_eq!(
            flag(&mean_only, 1).expect("flagged").rules,
            [BelowMeanOfOthers]
        );

        // Exactly 60 % and 70 % count ("40 % or more below", "30 % or more below").
        let boundary = run(&["60", "100"]);
        assert_eq!(
            flag(&boundary, 1).expect("flagged").rules,
            [BelowMeanOfOthers, BelowNextLowest]
        );
        assert_eq!(
            flag(&run(&["61", "100"]), 1).expect("flagged").rules,
            [BelowNextLowest]
        );

        // A single qualified bid is never flagged.
        assert_eq!(flag(&run(&["1"]), 1), None);

        // The flag in words, with exact figures.
        let words = entry(&boundary, 1).flags[0].to_string();
        assert_eq!(
            words,
            "abnormally low price 60: 60 % of the mean price of the other qualified bids (100), \
             40 % or more below it; 60 % of the next lowest qualified price (100, bid 2), 30 % or \
             more below it"
        );
    }

    /// Two bids, quality (weight 60) and price (weight 40), LowestRatio.
    /// A: quality 90, price 125 → Sf 80; total 0.6·90 + 0.4·80 = 54 + 32 = 86 (winner).
    /// B: quality 60, price 100 → Sf 100; total 0.6·60 + 0.4·100 = 36 + 40 = 76.
    /// Quality at w': A = 90w' + 80(1 − w'), B = 60w' + 100(1 − w'); equal when
    /// 10 + 10w' = 100 − 40w', i.e. w' = 0.4: a move of −20 points (both totals 84).
    /// Price at w': A = 80w' + 90(1 − w'), B = 100w' + 60(1 − w'); equal at w' = 0.6: +20 points.
    /// Moving quality up or price down only widens A's lead: None.
    #[test]
    fn sensitivity_two_bids_hand_computed() {
        let criteria = [scored(1, 1, "100", "60"), price(2, 1, "40")];
        let bids = [
            bid(1, "125", 0).agreed(1, "90"),
            bid(2, "100", 0).agreed(1, "60"),
        ];
        let ranking = rank(&absolute(), &[section(1, "1")], &criteria, &bids).expect("ranks");
        assert_eq!(entry(&ranking, 1).total, d("86"));
        assert_eq!(entry(&ranking, 2).total, d("76"));
        assert_eq!(
            ranking.sensitivity,
            [
                Sensitivity {
                    criterion: 1,
                    weight: d("0.6"),
                    down_points: Some(d("-20")),
                    up_points: None,
                    challenger_down: Some(2),
                    challenger_up: None,
                },
                Sensitivity {
                    criterion: 2,
                    weight: d("0.4"),
                    down_points: None,
                    up_points: Some(d("20")),
                    challenger_down: None,
                    challenger_up: Some(2),
                },
            ]
        );
        // At the crossing (quality 40, price 60) the totals are equal and the tie-break (lower
        // price) now puts B first.
        let moved = [scored(1, 1, "100", "40"), price(2, 1, "60")];
        let at_crossing = rank(&absolute(), &[section(1, "1")], &moved, &bids).expect("ranks");
        assert_eq!(entry(&at_crossing, 1).total, d("84"));
        assert_eq!(entry(&at_crossing, 2).total, d("84"));
        assert_eq!(order(&at_crossing), [2, 1]);
    }

    #[test]
    fn sensitivity_is_none_when_no_move_changes_the_winner() {
        // A dominates B on both criteria: no weight in [0, 1] lets B catch up.
        let criteria = [scored(1, 1, "100", "60"), price(2, 1, "40")];
        let bids = [
            bid(1, "100", 0).agreed(1, "90"),
            bid(2, "125", 0).agreed(1, "60"),
        ];
        let ranking = rank(&absolute(), &[section(1, "1")], &criteria, &bids).expect("ranks");
        for s in &ranking.sensitivity {
            assert_eq!((s.down_points, s.up_points), (None, None));
        }
        // A single criterion has weight 1: nothing to rescale.
        let single = rank(
            &absolute(),
            &[section(1, "1")],
            &[scored(1, 1, "100", "1")],
            &bids,
        )
        .expect("ranks");
        assert_eq!(single.sensitivity[0].weight, Decimal::ONE);
        assert_eq!(single.sensitivity[0].down_points, None);
        assert_eq!(single.sensitivity[0].up_points, None);
        // A single bid has no challenger.
        let alone = rank(&absolute(), &[section(1, "1")], &criteria, &bids[..1]).expect("ranks");
        assert!(alone
            .sensitivity
            .iter()
            .all(|s| s.challenger_down.is_none() && s.challenger_up.is_none()));
    }

    #[test]
    fn relative_normalisation_with_best_zero_gives_zero() {
        let criteria = [scored(1, 1, "10", "1"), scored(2, 1, "10", "1")];
        let bids = [
            bid(1, "100", 0).agreed(1, "0").agreed(2, "8"),
            bid(2, "100", 0).agreed(1, "0").agreed(2, "4"),
        ];
        let relative = rules(Normalisation::RelativeToBest, PriceMethod::LowestRatio);
        let ranking = rank(&relative, &[section(1, "1")], &criteria, &bids).expect("ranks");
        for id in [1, 2] {
            assert_eq!(row(entry(&ranking, id), 1).normalised, Decimal::ZERO);
        }
        assert_eq!(row(entry(&ranking, 1), 2).normalised, d("100"));
        assert_eq!(row(entry(&ranking, 2), 2).normalised, d("50"));
    }

    #[test]
    fn relative_best_ignores_bids_knocked_out_by_pass_fail() {
        let criteria = [scored(1, 1, "10", "1"), pass_fail(2, 1)];
        let bids = [
            bid(1, "100", 0).agreed(1, "10").agreed(2, "0"),
            bid(2, "100", 0).agreed(1, "5").agreed(2, "1"),
        ];
        let relative = rules(Normalisation::RelativeToBest, PriceMethod::LowestRatio);
        let ranking = rank(&relative, &[section(1, "1")], &criteria, &bids).expect("ranks");
        assert_eq!(row(entry(&ranking, 2), 1).normalised, d("100"));
        assert_eq!(ranking.disqualified[0].bid, 1);
    }

    #[test]
    fn linear_price_scores_between_lowest_and_highest() {
        let criteria = [price(1, 1, "1")];
        let linear = rules(Normalisation::Absolute, PriceMethod::Linear);
        let bids = [bid(1, "100", 0), bid(2, "150", 0), bid(3, "200", 0)];
        let ranking = rank(&linear, &[section(1, "1")], &criteria, &bids).expect("ranks");
        let scores: Vec<Option<Decimal>> =
            (1..=3).map(|id| entry(&ranking, id).price_score).collect();
        assert_eq!(scores, [Some(d("100")), Some(d("50")), Some(d("0"))]);
        let equal = [bid(1, "100", 0), bid(2, "100", 1)];
        let ranking = rank(&linear, &[section(1, "1")], &criteria, &equal).expect("ranks");
        assert!(ranking
            .ranked
            .iter()
            .all(|r| r.price_score == Some(d("100"))));
        assert_eq!(order(&ranking), [1, 2]);
    }

    #[test]
    fn unscored_criterion_refuses_to_rank_naming_the_first_gap_in_id_order() {
        let criteria = [scored(1, 1, "10", "1"), scored(2, 1, "10", "1")];
        let bids = [
            bid(7, "100", 0).agreed(1, "5"),
            bid(3, "100", 0).agreed(2, "5"),
        ];
        let reversed = [bids[1].clone(), bids[0].clone()];
        let want = Err(ScoringError::Unscored {
            bid: 3,
            criterion: 1,
        });
        assert_eq!(
            rank(&absolute(), &[section(1, "1")], &criteria, &bids),
            want
        );
        assert_eq!(
            rank(&absolute(), &[section(1, "1")], &criteria, &reversed),
            want
        );
    }

    #[test]
    fn invalid_input_is_refused() {
        use ScoringError as E;
        let s = [section(1, "1")];
        let c = [scored(1, 1, "10", "1")];
        let ok = || bid(1, "100", 0).agreed(1, "5");
        let mut threshold = absolute();
        threshold.technical_threshold = Some(d("101"));
        let mut negative_share = absolute();
        negative_share.outlier_share = d("-0.1");
        let mut price_threshold = absolute();
        price_threshold.technical_threshold = Some(d("50"));

        type Case = (Rules, Vec<Section>, Vec<Criterion>, Vec<Bid>, ScoringError);
        let cases: Vec<Case> = vec![
            (absolute(), s.to_vec(), vec![], vec![ok()], E::NoCriteria),
            (
                absolute(),
                s.to_vec(),
                vec![pass_fail(1, 1)],
                vec![ok()],
                E::NoWeightedCriteria,
            ),
            (
                absolute(),
                vec![section(1, "1"), section(1, "2")],
                c.to_vec(),
                vec![ok()],
                E::DuplicateSection { section: 1 },
            ),
            (
                absolute(),
                s.to_vec(),
                vec![scored(1, 1, "10", "1"), scored(1, 1, "10", "1")],
                vec![ok()],
                E::DuplicateCriterion { criterion: 1 },
            ),
            (
                absolute(),
                s.to_vec(),
                c.to_vec(),
                vec![ok(), ok()],
                E::DuplicateBid { bid: 1 },
            ),
            (
                absolute(),
                vec![section(1, "0")],
                c.to_vec(),
                vec![ok()],
                E::NonPositiveSectionWeight {
                    section: 1,
                    weight: d("0"),
                },
            ),
            (
                absolute(),
                s.to_vec(),
                vec![scored(1, 1, "10", "-1")],
                vec![ok()],
                E::NonPositiveCriterionWeight {
                    criterion: 1,
                    weight: d("-1"),
                },
            ),
            (
                absolute(),
                s.to_vec(),
                vec![scored(1, 1, "0", "1")],
                vec![ok()],
                E::NonPositiveMax {
                    criterion: 1,
                    max: d("0"),
                },
            ),
            (
                absolute(),
                s.to_vec(),
                vec![scored(1, 2, "10", "1")],
                vec![ok()],
                E::UnknownSection {
                    criterion: 1,
                    section: 2,
                },
            ),
            (
                absolute(),
                s.to_vec(),
                c.to_vec(),
                vec![ok().score(1, 99, "1")],
                E::UnknownCriterion {
                    bid: 1,
                    criterion: 99,
                },
            ),
            (
                absolute(),
                s.to_vec(),
                vec![price(2, 1, "1"), price(1, 1, "1")],
                vec![bid(1, "1", 0)],
                E::MoreThanOnePriceCriterion {
                    first: 1,
                    second: 2,
                },
            ),
            (
                absolute(),
                s.to_vec(),
                c.to_vec(),
                vec![bid(1, "0", 0).agreed(1, "5")],
                E::NonPositivePrice {
                    bid: 1,
                    price: d("0"),
                },
            ),
            (
                absolute(),
                s.to_vec(),
                c.to_vec(),
                vec![bid(1, "1", 0).score(4, 1, "10.5")],
                E::ScoreOutOfRange {
                    bid: 1,
                    criterion: 1,
                    evaluator: Some(4),
                    score: d("10.5"),
                    max: d("10"),
                },
            ),
            (
                absolute(),
                s.to_vec(),
                c.to_vec(),
                vec![bid(1, "1", 0).agreed(1, "-1")],
                E::ScoreOutOfRange {
                    bid: 1,
                    criterion: 1,
                    evaluator: None,
                    score: d("-1"),
                    max: d("10"),
                },
            ),
            (
                absolute(),
                s.to_vec(),
                vec![scored(1, 1, "10", "1"), pass_fail(2, 1)],
                vec![ok().score(1, 2, "0.5")],
                E::PassFailNotBinary {
                    bid: 1,
                    criterion: 2,
                    evaluator: Some(1),
                    value: d("0.5"),
                },
            ),
            (
                absolute(),
                s.to_vec(),
                vec![scored(1, 1, "10", "1"), price(2, 1, "1")],
                vec![ok().agreed(2, "100")],
                E::PriceCriterionScored {
                    bid: 1,
                    criterion: 2,
                },
            ),
            (
                absolute(),
                s.to_vec(),
                c.to_vec(),
                vec![bid(1, "1", 0).score(3, 1, "1").score(3, 1, "2")],
                E::DuplicateScore {
                    bid: 1,
                    criterion: 1,
                    evaluator: 3,
                },
            ),
            (
                absolute(),
                s.to_vec(),
                c.to_vec(),
                vec![ok().agreed(1, "6")],
                E::DuplicateConsensus {
                    bid: 1,
                    criterion: 1,
                },
            ),
            (
                negative_share,
                s.to_vec(),
                c.to_vec(),
                vec![ok()],
                E::InvalidOutlierShare { share: d("-0.1") },
            ),
            (
                threshold,
                s.to_vec(),
                c.to_vec(),
                vec![ok()],
                E::InvalidThreshold {
                    threshold: d("101"),
                },
            ),
            (
                price_threshold,
                s.to_vec(),
                vec![price(1, 1, "1")],
                vec![bid(1, "1", 0)],
                E::ThresholdWithoutScoredCriteria,
            ),
            (
                absolute(),
                s.to_vec(),
                c.to_vec(),
                vec![bid(1, "1", 0)],
                E::Unscored {
                    bid: 1,
                    criterion: 1,
                },
            ),
        ];
        for (rules, sections, criteria, bids, want) in cases {
            assert!(!want.to_string().is_empty());
            assert_eq!(
                rank(&rules, &sections, &criteria, &bids),
                Err(want.clone()),
                "{want}"
            );
        }
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let bids = [
            bid(1, "1", 0),
            Bid {
                price: Decimal::MAX,
                ..bid(2, "1", 0)
            },
        ];
        let result = rank(&absolute(), &[section(1, "1")], &[price(1, 1, "1")], &bids);
        assert!(
            matches!(result, Err(ScoringError::Overflow { .. })),
            "{result:?}"
        );
    }

    // ---- Properties ------------------------------------------------------------------------

    #[derive(Debug, Clone)]
    struct Case {
        rules: Rules,
        sections: Vec<Section>,
        criteria: Vec<Criterion>,
        bids: Vec<Bid>,
    }

    const MAXES: [i64; 3] = [5, 10, 100];

    /// Raw draws for one bid: price mantissa and scale, minute, per-score draws, pass/fail
    /// draws, optional consensus draws.
    type RawBid = (i64, u32, u32, Vec<u32>, Vec<u32>, Vec<Option<u32>>);

    fn raw_bid(n_scored: usize, n_eval: usize) -> impl Strategy<Value = RawBid> {
        (
            1i64..=1_000_000,
            0u32..=2,
            0u32..=3,
            prop::collection::vec(0u32..=200, n_scored * n_eval),
            prop::collection::vec(0u32..12, n_eval),
            prop::collection::vec(prop::option::weighted(0.3, 0u32..=200), n_scored),
        )
    }

    /// A random RFP: 1–3 Scored criteria (halves allowed), maybe a price criterion, maybe a
    /// pass/fail criterion, two sections, 1–6 bids, 1–3 evaluators, random rules.
    fn arb_case() -> impl Strategy<Value = Case> {
        (
            1usize..=3,
            any::<bool>(),
            any::<bool>(),
            1usize..=6,
            1usize..=3,
        )
            .prop_flat_map(|(n_scored, has_price, has_pf, n_bids, n_eval)| {
                (
                    Just((n_scored, has_price, has_pf, n_eval)),
                    prop::collection::vec(1i64..=100, 2),
                    prop::collection::vec((1i64..=1000, 0u32..=2, 1i64..=2, 0usize..3), 5),
                    prop::collection::vec(raw_bid(n_scored, n_eval), n_bids),
                    (
                        any::<bool>(),
                        any::<bool>(),
                        prop::option::of(0i64..=80),
                        0i64..=50,
                    ),
                )
            })
            .prop_map(
                |(dims, section_weights, crit_draws, raw_bids, rule_draws)| {
                    let (n_scored, has_price, has_pf, n_eval) = dims;
                    let sections = vec![
                        Section {
                            id: 1,
                            weight: Decimal::from(section_weights[0]),
                        },
                        Section {
                            id: 2,
                            weight: Decimal::from(section_weights[1]),
                        },
                    ];
                    let mut criteria = Vec::new();
                    for (i, &(w, scale, sec, max)) in crit_draws.iter().take(n_scored).enumerate() {
                        criteria.push(Criterion {
                            id: i as i64 + 1,
                            section: sec,
                            kind: CriterionKind::Scored {
                                max: Decimal::from(MAXES[max]),
                            },
                            weight: Decimal::new(w, scale),
                        });
                    }
                    if has_price {
                        let (w, scale, sec, _) = crit_draws[3];
                        criteria.push(Criterion {
                            id: 10,
                            section: sec,
                            kind: CriterionKind::Price,
                            weight: Decimal::new(w, scale),
                        });
                    }
                    if has_pf {
                        criteria.push(pass_fail(20, crit_draws[4].2));
                    }
                    let maxes: Vec<i64> = crit_draws
                        .iter()
                        .take(n_scored)
                        .map(|&(_, _, _, m)| MAXES[m])
                        .collect();
                    // A halves score in 0..=max from a draw.
                    let halves = |draw: u32, max: i64| {
                        let steps = u32::try_from(2 * max + 1).expect("small");
                        Decimal::new(i64::from(draw % steps) * 5, 1)
                    };
                    let bids = raw_bids
                        .into_iter()
                        .zip(1..)
                        .map(|((p, scale, minute, draws, pf, consensus), id)| {
                            let mut scores = Vec::new();
                            for (c, &max) in maxes.iter().enumerate() {
                                for e in 0..n_eval {
                                    let v = halves(draws[c * n_eval + e], max);
                                    scores.push((e as i64 + 1, c as i64 + 1, v));
                                }
                            }
                            if has_pf {
                                for (e, &draw) in pf.iter().enumerate() {
                                    scores.push((
                                        e as i64 + 1,
                                        20,
                                        Decimal::from(u32::from(draw != 0)),
                                    ));
                                }
                            }
                            let consensus = consensus
                                .iter()
                                .zip(&maxes)
                                .zip(1..)
                                .filter_map(|((draw, &max), c)| draw.map(|v| (c, halves(v, max))))
                                .collect();
                            Bid {
                                id,
                                price: Decimal::new(p, scale),
                                submitted_at: at(minute),
                                scores,
                                consensus,
                            }
                        })
                        .collect();
                    let (relative, linear, threshold, share) = rule_draws;
                    let rules = Rules {
                        normalisation: if relative {
                            Normalisation::RelativeToBest
                        } else {
                            Normalisation::Absolute
                        },
                        price_method: if linear {
                            PriceMethod::Linear
                        } else {
                            PriceMethod::LowestRatio
                        },
                        technical_threshold: threshold.map(Decimal::from),
                        outlier_share: Decimal::new(share, 2),
                    };
                    Case {
                        rules,
                        sections,
                        criteria,
                        bids,
                    }
                },
            )
    }

    fn rank_case(case: &Case) -> Result<Ranking, ScoringError> {
        rank(&case.rules, &case.sections, &case.criteria, &case.bids)
    }

    /// A crossing: (weight move, challenger).
    type Crossing = Option<(Decimal, BidId)>;

    /// The sensitivity of rule 10 without pruning, for comparison: (down, up).
    fn unpruned_sensitivity(ranking: &Ranking, index: usize) -> (Crossing, Crossing) {
        let winner = &ranking.ranked[0];
        let w = winner.criteria[index].weight;
        let rest = Decimal::ONE - w;
        let (mut down, mut up): (Crossing, Crossing) = (None, None);
        for b in &ranking.ranked[1..] {
            let gap = winner.total - b.total;
            let dd = b.criteria[index].normalised - winner.criteria[index].normalised;
            let k = dd + gap;
            let reach = gap * rest;
            if dd >= Decimal::ZERO && k > Decimal::ZERO {
                let delta = (reach / k).min(rest);
                if up.is_none_or(|(best, _)| delta < best) {
                    up = Some((delta, b.bid));
                }
            } else if k < Decimal::ZERO && reach <= w * -k {
                let delta = (reach / -k).min(w);
                if down.is_none_or(|(best, _)| delta < best) {
                    down = Some((delta, b.bid));
                }
            }
        }
        (down, up)
    }

    proptest! {
        #[test]
        fn raising_a_score_never_lowers_the_rank(
            case in arb_case(),
            pick in (any::<prop::sample::Index>(), any::<prop::sample::Index>(), 1u32..=4),
        ) {
            let mut case = case;
            if case.rules.normalisation == Normalisation::RelativeToBest {
                // Raising the best score can push other bids below the threshold and so change
                // the qualified set that prices are scored in; the property is about scores.
                case.rules.technical_threshold = None;
            }
            let before = rank_case(&case).expect("ranks");
            let (bid_index, criterion_index, quarters) = pick;
            let target = case.bids[bid_index.index(case.bids.len())].id;
            let scored: Vec<&Criterion> = case
                .criteria
                .iter()
                .filter(|c| matches!(c.kind, CriterionKind::Scored { .. }))
                .collect();
            let criterion = scored[criterion_index.index(scored.len())];
            let CriterionKind::Scored { max } = criterion.kind else { unreachable!() };
            let Some(old) = before.ranked.iter().find(|r| r.bid == target) else {
                return Ok(()); // disqualified before: nothing to compare
            };
            let combined = row(old, criterion.id).combined.expect("scored");
            if combined == max {
                return Ok(());
            }
            let raised = (combined + (max - combined) * Decimal::from(quarters) / Decimal::from(4))
                .min(max);
            prop_assert!(raised > combined && raised <= max);
            let b = case.bids.iter_mut().find(|b| b.id == target).expect("bid");
            b.consensus.retain(|&(c, _)| c != criterion.id);
            b.consensus.push((criterion.id, raised));
            let after = rank_case(&case).expect("ranks");
            let new = after.ranked.iter().find(|r| r.bid == target).expect("still ranked");
            prop_assert!(new.rank <= old.rank, "rank {} -> {}", old.rank, new.rank);
            prop_assert!(new.total >= old.total);
        }

        #[test]
        fn bid_order_changes_nothing(case in arb_case(), seed in any::<u64>()) {
            let mut shuffled = case.clone();
            // A deterministic permutation from the seed (Fisher–Yates with an LCG).
            let mut state = seed;
            for i in (1..shuffled.bids.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let j = usize::try_from((state >> 33) % (i as u64 + 1)).expect("small");
                shuffled.bids.swap(i, j);
            }
            prop_assert_eq!(rank_case(&case), rank_case(&shuffled));
        }

        #[test]
        fn scaling_every_price_keeps_lowest_ratio_price_scores(
            case in arb_case(),
            factor in (1i64..=1000, 0u32..=3),
        ) {
            let mut case = case;
            case.rules.price_method = PriceMethod::LowestRatio;
            let factor = Decimal::new(factor.0, factor.1);
            let mut scaled = case.clone();
            for b in &mut scaled.bids {
                b.price *= factor;
            }
            let (a, b) = (rank_case(&case).expect("ranks"), rank_case(&scaled).expect("ranks"));
            let scores = |r: &Ranking| {
                let mut v: Vec<(BidId, Option<Decimal>)> =
                    r.ranked.iter().map(|x| (x.bid, x.price_score)).collect();
                v.sort_by_key(|&(id, _)| id);
                v
            };
            prop_assert_eq!(scores(&a), scores(&b));
        }

        #[test]
        fn effective_weights_sum_to_exactly_one(
            sections in prop::collection::vec((1i64..=1_000_000, 0u32..=3), 1..=4),
            criteria in prop::collection::vec((0u8..4, 0usize..4, 1i64..=1_000_000, 0u32..=3), 1..=8),
        ) {
            let sections: Vec<Section> = sections
                .iter()
                .zip(1..)
                .map(|(&(w, s), id)| Section { id, weight: Decimal::new(w, s) })
                .collect();
            let mut has_price = false;
            let criteria: Vec<Criterion> = criteria
                .iter()
                .zip(1..)
                .map(|(&(kind, sec, w, s), id)| {
                    let kind = match kind {
                        0 if !has_price => {
                            has_price = true;
                            CriterionKind::Price
                        }
                        1 => CriterionKind::PassFail,
                        _ => CriterionKind::Scored { max: Decimal::TEN },
                    };
                    Criterion {
                        id,
                        section: (sec % sections.len()) as i64 + 1,
                        kind,
                        weight: Decimal::new(w, s),
                    }
                })
                .collect();
            match effective_weights(&sections, &criteria) {
                Ok(weights) => {
                    prop_assert_eq!(weights.iter().map(|&(_, w)| w).sum::<Decimal>(), Decimal::ONE);
                    prop_assert!(weights.iter().all(|&(_, w)| w > Decimal::ZERO));
                }
                Err(e) => prop_assert_eq!(e, ScoringError::NoWeightedCriteria),
            }
        }

        #[test]
        fn total_is_exactly_the_sum_of_the_contributions(case in arb_case()) {
            let ranking = rank_case(&case).expect("ranks");
            for r in &ranking.ranked {
                let mut sum = Decimal::ZERO;
                for c in &r.criteria {
                    prop_assert_eq!(c.contribution, c.weight * c.normalised);
                    sum += c.contribution;
                }
                prop_assert_eq!(r.total, sum);
                // QCBS: S = St × T + Sf × P, to the last few of the 28 digits.
                let sf = r.price_score.unwrap_or(Decimal::ZERO);
                let qcbs = r.technical_score * ranking.technical_weight + sf * ranking.price_weight;
                prop_assert!((r.total - qcbs).abs() <= d("0.00000000000000000001"));
            }
            prop_assert_eq!(ranking.technical_weight + ranking.price_weight, Decimal::ONE);
        }

        #[test]
        fn pruned_sensitivity_matches_the_plain_scan_and_totals_meet(case in arb_case()) {
            let ranking = rank_case(&case).expect("ranks");
            if ranking.ranked.len() < 2 {
                return Ok(());
            }
            let weighted: Vec<usize> = case_indices(&ranking);
            for (s, &index) in ranking.sensitivity.iter().zip(&weighted) {
                if s.weight == Decimal::ONE {
                    prop_assert_eq!((s.down_points, s.up_points), (None, None));
                    continue;
                }
                let (down, up) = unpruned_sensitivity(&ranking, index);
                prop_assert_eq!(s.up_points, up.map(|(x, _)| x * HUNDRED));
                prop_assert_eq!(s.challenger_up, up.map(|(_, b)| b));
                prop_assert_eq!(s.down_points, down.map(|(x, _)| -(x * HUNDRED)));
                prop_assert_eq!(s.challenger_down, down.map(|(_, b)| b));
                // At the reported weight the challenger's total equals the winner's.
                for (points, challenger) in [(s.up_points, s.challenger_up), (s.down_points, s.challenger_down)] {
                    if let (Some(points), Some(challenger)) = (points, challenger) {
                        let w2 = s.weight + points / HUNDRED;
                        prop_assert!(w2 >= Decimal::ZERO && w2 <= Decimal::ONE, "w {} points {} w2 {}", s.weight, points, w2);
                        let moved = |r: &RankedBid| {
                            let a = r.criteria[index].normalised;
                            w2 * a + (Decimal::ONE - w2) / (Decimal::ONE - s.weight) * (r.total - s.weight * a)
                        };
                        let gap = moved(&ranking.ranked[0]) - moved(entry(&ranking, challenger));
                        prop_assert!(gap.abs() <= d("0.000000000000000001"), "gap {}", gap);
                    }
                }
            }
        }

        #[test]
        fn integer_path_agrees_with_decimal_path(
            scores in prop::collection::vec((0i64..=100_000, 0u32..=3), 1..=6),
            share in (0i64..=100, 0u32..=3),
            max in (1i64..=1000, 0u32..=1),
        ) {
            let max = Decimal::new(max.0, max.1).max(Decimal::ONE);
            let evaluators: Vec<(EvaluatorId, Decimal)> = scores
                .iter()
                .zip(1..)
                .map(|(&(m, s), e)| (e, Decimal::new(m, s).min(max)))
                .collect();
            let share = Decimal::new(share.0, share.1);
            let (mean, outliers) = combine_scores_scaled(share, max, &evaluators).expect("fits");
            prop_assert_eq!(
                (Some(mean), outliers),
                combine_scores_decimal(share, max, &evaluators).expect("ok")
            );
        }
    }

    /// Indices (into a ranked bid's rows) of the weighted criteria, in the order of
    /// `Ranking::sensitivity`.
    fn case_indices(ranking: &Ranking) -> Vec<usize> {
        ranking.ranked[0]
            .criteria
            .iter()
            .enumerate()
            .filter(|(_, c)| ranking.weights.iter().any(|&(id, _)| id == c.criterion))
            .map(|(i, _)| i)
            .collect()
    }
}
