//! The ranking as presented: every bid's rank, total and per-criterion breakdown (raw combined
//! score, normalised score, weight, contribution, each evaluator's score and outliers), the
//! disqualified bids with their reasons, the flags and the sensitivity of the winner to each
//! weight; and the same report as an xlsx workbook.
//!
//! Rounding (presentation only; ranking compares exact values): scores, totals and
//! contributions are rounded half-even to 2 places; a bid's contributions are rounded by the
//! largest-remainder method so that they add up to its rounded total exactly; weights are shown
//! to 6 places and sensitivity to 2 percentage points.

use super::model::{CriterionKindName, Rfp, RfpStatus};
use super::repo::{BidRow, CriterionRow};
use super::scoring;
use crate::error::{AppError, AppResult};
use crate::money::storage::money_from_units;
use crate::money::{Currency, RoundingPoint};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// The rounding the ranking applies, in words.
pub const ROUNDING: &str = "ranked on exact values; presented half-even: scores, totals and \
    contributions to 2 places (a bid's contributions by largest remainder, so they add up to its \
    total), weights to 6 places, sensitivity to 2 percentage points";

/// The tie-break, in words.
pub const TIE_BREAK: &str =
    "equal totals: the lower price ranks first, then the earlier submission, then the lower bid id";

/// One evaluator's score in the breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EvaluatorScore {
    /// The evaluator.
    pub evaluator: String,
    /// Their raw score.
    pub score: String,
    /// Whether it differs from the other evaluators' mean by more than the outlier share.
    pub outlier: bool,
}

/// One criterion of one bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CriterionBreakdown {
    /// The criterion.
    pub criterion_id: i64,
    /// Its name.
    pub name: String,
    /// `scored`, `pass_fail` or `price`.
    pub kind: CriterionKindName,
    /// Its effective weight.
    pub weight: String,
    /// The combined raw score (mean of the evaluators, or the consensus); none for price.
    pub combined: Option<String>,
    /// Whether a consensus score was used.
    pub consensus: bool,
    /// The normalised score, 0–100 (for price: the price score).
    pub normalised: String,
    /// Weight × normalised score; the bid's contributions add up to its total.
    pub contribution: String,
    /// Every evaluator's raw score.
    pub evaluators: Vec<EvaluatorScore>,
}

/// A flag on a bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FlagView {
    /// `abnormally_low`.
    pub kind: String,
    /// What was found, with the figures.
    pub detail: String,
}

/// A ranked bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RankedBidView {
    /// Its rank (1 is the best).
    pub rank: u32,
    /// The bid.
    pub bid_id: i64,
    /// Its label.
    pub label: String,
    /// The vendor.
    pub vendor_id: i64,
    /// The vendor's name.
    pub vendor_name: String,
    /// The price.
    pub price: String,
    /// When it was submitted (UTC).
    pub submitted_at: DateTime<Utc>,
    /// The total score (the sum of the contributions shown).
    pub total: String,
    /// The technical score St, 0–100.
    pub technical_score: String,
    /// The price score, 0–100.
    pub price_score: Option<String>,
    /// Per criterion.
    pub criteria: Vec<CriterionBreakdown>,
    /// Flags (an abnormally low price needs a justification to award).
    pub flags: Vec<FlagView>,
}

/// A disqualified bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DisqualifiedBidView {
    /// The bid.
    pub bid_id: i64,
    /// Its label.
    pub label: String,
    /// The vendor.
    pub vendor_id: i64,
    /// The vendor's name.
    pub vendor_name: String,
    /// Why it is not ranked.
    pub reasons: Vec<String>,
    /// Its technical score, when it got that far.
    pub technical_score: Option<String>,
}

/// How far a weight may move before the winner changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SensitivityView {
    /// The criterion.
    pub criterion_id: i64,
    /// Its name.
    pub name: String,
    /// Its effective weight.
    pub weight: String,
    /// Percentage points the weight may fall before another bid's total reaches the winner's;
    /// none when no fall within 0–100 % changes the winner.
    pub down_points: Option<String>,
    /// The bid that would then catch up.
    pub challenger_down: Option<i64>,
    /// Percentage points the weight may rise likewise.
    pub up_points: Option<String>,
    /// The bid that would then catch up.
    pub challenger_up: Option<i64>,
}

/// The ranking of an RFP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RankingView {
    /// The RFP.
    pub rfp_id: i64,
    /// Its number.
    pub number: String,
    /// Its title.
    pub title: String,
    /// Its state.
    pub status: RfpStatus,
    /// The currency of the prices.
    pub currency: String,
    /// How weights are derived.
    pub weighting: String,
    /// How scores are rounded.
    pub rounding: String,
    /// How ties are broken.
    pub tie_break: String,
    /// How many bids are ranked.
    pub ranked_count: usize,
    /// How many ranked bids were skipped before the first shown (`offset`).
    pub offset: usize,
    /// The ranked bids shown, best first.
    pub ranked: Vec<RankedBidView>,
    /// Bids not ranked, with their reasons.
    pub disqualified: Vec<DisqualifiedBidView>,
    /// Per weighted criterion, how far its weight may move before the winner changes.
    pub sensitivity: Vec<SensitivityView>,
}

fn places(value: Decimal, places: u32) -> String {
    let mut rounded = RoundingPoint::Presentation.policy().round(value, places);
    rounded.rescale(places);
    rounded.to_string()
}

/// Rounds `parts` to 2 places so that they add up to `total` rounded to 2 places (largest
/// remainder: each part is truncated, and the cents still missing go to the parts that lost the
/// most, earlier parts first on equal losses).
pub fn rounded_parts(total: Decimal, parts: &[Decimal]) -> Vec<Decimal> {
    let cent = Decimal::new(1, 2);
    let target = RoundingPoint::Presentation.policy().round(total, 2);
    let mut out: Vec<Decimal> = parts.iter().map(|p| p.trunc_with_scale(2)).collect();
    let sum: Decimal = out.iter().sum();
    let mut missing = ((target - sum) / cent).round();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    // The largest loss first when cents are missing; the smallest when there are cents too many.
    order.sort_by(|&a, &b| {
        let la = parts[a] - out[a];
        let lb = parts[b] - out[b];
        lb.cmp(&la).then(a.cmp(&b))
    });
    let mut i = 0;
    while missing > Decimal::ZERO && !order.is_empty() {
        out[order[i % order.len()]] += cent;
        missing -= Decimal::ONE;
        i += 1;
    }
    let mut i = 0;
    while missing < Decimal::ZERO && !order.is_empty() {
        let at = order[order.len() - 1 - (i % order.len())];
        out[at] -= cent;
        missing += Decimal::ONE;
        i += 1;
    }
    out
}

/// Presents the calculator's ranking.
pub fn view(
    rfp: &Rfp,
    ranking: &scoring::Ranking,
    bids: &[BidRow],
    labels: &HashMap<i64, String>,
    evaluators: &[(i64, String)],
    criteria: &[CriterionRow],
    page: Option<(usize, usize)>,
) -> AppResult<RankingView> {
    let currency = Currency::parse(&rfp.currency).map_err(AppError::internal)?;
    let by_id: HashMap<i64, &BidRow> = bids.iter().map(|b| (b.id, b)).collect();
    let bid = |id: i64| {
        by_id
            .get(&id)
            .copied()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("ranked bid {id} missing")))
    };
    let evaluator_name = |id: i64| {
        evaluators
            .iter()
            .find(|(e, _)| *e == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let criterion = |id: i64| {
        criteria
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("criterion {id} missing")))
    };
    let (offset, limit) = page.unwrap_or((0, ranking.ranked.len()));
    let shown_bids = ranking.ranked.iter().skip(offset).take(limit);
    let mut ranked = Vec::with_capacity(limit.min(ranking.ranked.len()));
    for r in shown_bids {
        let b = bid(r.bid)?;
        let contributions: Vec<Decimal> = r.criteria.iter().map(|c| c.contribution).collect();
        let shown = rounded_parts(r.total, &contributions);
        let mut breakdown = Vec::with_capacity(r.criteria.len());
        for (c, contribution) in r.criteria.iter().zip(shown) {
            let row = criterion(c.criterion)?;
            breakdown.push(CriterionBreakdown {
                criterion_id: c.criterion,
                name: row.name.clone(),
                kind: row.kind()?,
                weight: places(c.weight, 6),
                combined: c.combined.map(|v| places(v, 2)),
                consensus: c.consensus,
                normalised: places(c.normalised, 2),
                contribution: places(contribution, 2),
                evaluators: c
                    .evaluators
                    .iter()
                    .map(|(e, score)| EvaluatorScore {
                        evaluator: evaluator_name(*e),
                        score: score.normalize().to_string(),
                        outlier: c.outliers.contains(e),
                    })
                    .collect(),
            });
        }
        ranked.push(RankedBidView {
            rank: r.rank,
            bid_id: r.bid,
            label: labels.get(&r.bid).cloned().unwrap_or_default(),
            vendor_id: b.vendor_id,
            vendor_name: b.vendor_name.clone(),
            price: money_from_units(b.price_units, currency)?
                .amount()
                .to_string(),
            submitted_at: b.submitted_at.and_utc(),
            total: places(r.total, 2),
            technical_score: places(r.technical_score, 2),
            price_score: r.price_score.map(|v| places(v, 2)),
            criteria: breakdown,
            flags: r.flags.iter().map(|f| flag_view(f, currency)).collect(),
        });
    }
    let disqualified = ranking
        .disqualified
        .iter()
        .map(|d| {
            let b = bid(d.bid)?;
            Ok(DisqualifiedBidView {
                bid_id: d.bid,
                label: labels.get(&d.bid).cloned().unwrap_or_default(),
                vendor_id: b.vendor_id,
                vendor_name: b.vendor_name.clone(),
                reasons: d
                    .causes
                    .iter()
                    .map(|cause| reason(cause, criteria))
                    .collect(),
                technical_score: d.technical_score.map(|v| places(v, 2)),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let sensitivity = ranking
        .sensitivity
        .iter()
        .map(|s| {
            Ok(SensitivityView {
                criterion_id: s.criterion,
                name: criterion(s.criterion)?.name.clone(),
                weight: places(s.weight, 6),
                down_points: s.down_points.map(|v| places(v, 2)),
                challenger_down: s.challenger_down,
                up_points: s.up_points.map(|v| places(v, 2)),
                challenger_up: s.challenger_up,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(RankingView {
        rfp_id: rfp.id,
        number: rfp.number.clone(),
        title: rfp.title.clone(),
        status: rfp.status,
        currency: rfp.currency.clone(),
        weighting: scoring::weighting_statement().to_string(),
        rounding: ROUNDING.into(),
        tie_break: TIE_BREAK.into(),
        ranked_count: ranking.ranked.len(),
        offset,
        ranked,
        disqualified,
        sensitivity,
    })
}

/// A disqualification in words, naming the criterion.
fn reason(cause: &scoring::Disqualification, criteria: &[CriterionRow]) -> String {
    match cause {
        scoring::Disqualification::FailedPassFail {
            criterion,
            consensus,
        } => {
            let name = criteria
                .iter()
                .find(|c| c.id == *criterion)
                .map(|c| c.name.as_str())
                .unwrap_or("?");
            let how = if *consensus {
                "by consensus"
            } else {
                "at least one evaluator marked it failed"
            };
            format!("failed the pass/fail criterion \"{name}\" ({how})")
        }
        scoring::Disqualification::BelowTechnicalThreshold {
            technical_score,
            threshold,
        } => format!(
            "technical score {} is below the minimum technical score {}",
            places(*technical_score, 2),
            threshold.normalize()
        ),
    }
}

fn flag_view(flag: &scoring::Flag, currency: Currency) -> FlagView {
    let scoring::Flag::AbnormallyLow(low) = flag;
    let money = |v: Decimal| places(v, currency.minor_units());
    let mut parts = Vec::new();
    for rule in &low.rules {
        match (rule, &low.next_lowest) {
            (scoring::AbnormallyLowRule::BelowMeanOfOthers, _) => parts.push(format!(
                "{} % of the mean price of the other ranked bids ({}): 40 % or more below it",
                places(low.percent_of_mean, 2),
                money(low.mean_of_others)
            )),
            (scoring::AbnormallyLowRule::BelowNextLowest, Some(next)) => parts.push(format!(
                "{} % of the next lowest price ({}, bid {}): 30 % or more below it",
                places(next.percent, 2),
                money(next.price),
                next.bid
            )),
            (scoring::AbnormallyLowRule::BelowNextLowest, None) => {}
        }
    }
    FlagView {
        kind: "abnormally_low".into(),
        detail: format!(
            "abnormally low price {}: {}; awarding it needs a justification",
            money(low.price),
            parts.join("; ")
        ),
    }
}

/// An xlsx number cell.
type CellNumber = f64; // allow-float: xlsx stores numbers as binary doubles; this is the export edge

/// The evaluation report as an xlsx workbook: the ranking, every score, the disqualified bids
/// and the sensitivity. Scores are written as numbers (xlsx stores binary doubles: converted
/// once, here, from the presented decimal text).
pub fn workbook(ranking: &RankingView) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::internal(anyhow::anyhow!(e));
    // The spreadsheet cell's type, parsed once from the exact decimal text shown by the API.
    let number = |text: &str| -> AppResult<CellNumber> {
        text.parse::<CellNumber>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("{text}: {e}")))
    };
    let bold = Format::new().set_bold();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Ranking").map_err(xlsx)?;
    sheet
        .write_string_with_format(
            0,
            0,
            format!("{} — {}", ranking.number, ranking.title),
            &bold,
        )
        .map_err(xlsx)?;
    sheet.write_string(1, 0, &ranking.rounding).map_err(xlsx)?;
    sheet.write_string(2, 0, &ranking.tie_break).map_err(xlsx)?;
    let headers = [
        "Rank",
        "Bid",
        "Vendor",
        "Price",
        "Currency",
        "Technical score",
        "Price score",
        "Total",
        "Flags",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(4, c as u16, *h, &bold)
            .map_err(xlsx)?;
    }
    for (i, r) in ranking.ranked.iter().enumerate() {
        let row = 5 + i as u32;
        sheet
            .write_number(row, 0, CellNumber::from(r.rank))
            .map_err(xlsx)?;
        sheet.write_string(row, 1, &r.label).map_err(xlsx)?;
        sheet.write_string(row, 2, &r.vendor_name).map_err(xlsx)?;
        sheet
            .write_number(row, 3, number(&r.price)?)
            .map_err(xlsx)?;
        sheet
            .write_string(row, 4, &ranking.currency)
            .map_err(xlsx)?;
        sheet
            .write_number(row, 5, number(&r.technical_score)?)
            .map_err(xlsx)?;
        if let Some(p) = &r.price_score {
            sheet.write_number(row, 6, number(p)?).map_err(xlsx)?;
        }
        sheet
            .write_number(row, 7, number(&r.total)?)
            .map_err(xlsx)?;
        let flags: Vec<&str> = r.flags.iter().map(|f| f.detail.as_str()).collect();
        sheet.write_string(row, 8, flags.join("; ")).map_err(xlsx)?;
    }
    let sheet = book.add_worksheet().set_name("Scores").map_err(xlsx)?;
    let headers = [
        "Bid",
        "Criterion",
        "Kind",
        "Weight",
        "Evaluator",
        "Raw score",
        "Outlier",
        "Combined",
        "Consensus",
        "Normalised",
        "Contribution",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx)?;
    }
    let mut row = 1u32;
    for r in &ranking.ranked {
        for c in &r.criteria {
            let evaluators: Vec<Option<&super::ranking::EvaluatorScore>> =
                if c.evaluators.is_empty() {
                    vec![None]
                } else {
                    c.evaluators.iter().map(Some).collect()
                };
            for e in evaluators {
                sheet.write_string(row, 0, &r.label).map_err(xlsx)?;
                sheet.write_string(row, 1, &c.name).map_err(xlsx)?;
                sheet.write_string(row, 2, c.kind.as_str()).map_err(xlsx)?;
                sheet
                    .write_number(row, 3, number(&c.weight)?)
                    .map_err(xlsx)?;
                if let Some(e) = e {
                    sheet.write_string(row, 4, &e.evaluator).map_err(xlsx)?;
                    sheet
                        .write_number(row, 5, number(&e.score)?)
                        .map_err(xlsx)?;
                    sheet
                        .write_string(row, 6, if e.outlier { "outlier" } else { "" })
                        .map_err(xlsx)?;
                }
                if let Some(combined) = &c.combined {
                    sheet
                        .write_number(row, 7, number(combined)?)
                        .map_err(xlsx)?;
                }
                sheet
                    .write_string(row, 8, if c.consensus { "consensus" } else { "" })
                    .map_err(xlsx)?;
                sheet
                    .write_number(row, 9, number(&c.normalised)?)
                    .map_err(xlsx)?;
                sheet
                    .write_number(row, 10, number(&c.contribution)?)
                    .map_err(xlsx)?;
                row += 1;
            }
        }
    }
    let sheet = book
        .add_worksheet()
        .set_name("Disqualified")
        .map_err(xlsx)?;
    for (c, h) in ["Bid", "Vendor", "Technical score", "Reasons"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx)?;
    }
    for (i, d) in ranking.disqualified.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write_string(row, 0, &d.label).map_err(xlsx)?;
        sheet.write_string(row, 1, &d.vendor_name).map_err(xlsx)?;
        if let Some(t) = &d.technical_score {
            sheet.write_number(row, 2, number(t)?).map_err(xlsx)?;
        }
        sheet
            .write_string(row, 3, d.reasons.join("; "))
            .map_err(xlsx)?;
    }
    let sheet = book.add_worksheet().set_name("Sensitivity").map_err(xlsx)?;
    for (c, h) in [
        "Criterion",
        "Weight",
        "May fall (points)",
        "May rise (points)",
    ]
    .iter()
    .enumerate()
    {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx)?;
    }
    for (i, s) in ranking.sensitivity.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write_string(row, 0, &s.name).map_err(xlsx)?;
        sheet
            .write_number(row, 1, number(&s.weight)?)
            .map_err(xlsx)?;
        match &s.down_points {
            Some(p) => sheet.write_number(row, 2, number(p)?).map_err(xlsx)?,
            None => sheet
                .write_string(row, 2, "no change within 0–100 %")
                .map_err(xlsx)?,
        };
        match &s.up_points {
            Some(p) => sheet.write_number(row, 3, number(p)?).map_err(xlsx)?,
            None => sheet
                .write_string(row, 3, "no change within 0–100 %")
                .map_err(xlsx)?,
        };
    }
    book.save_to_buffer().map_err(xlsx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        crate::money::parse_decimal(s).unwrap()
    }

    #[test]
    fn presented_contributions_add_up_to_the_presented_total() {
        // Three thirds of 100: 33.333… each; shown 33.34 + 33.33 + 33.33 = 100.00.
        let third = Decimal::ONE_HUNDRED / Decimal::from(3);
        let parts = rounded_parts(Decimal::ONE_HUNDRED, &[third, third, third]);
        assert_eq!(parts, vec![d("33.34"), d("33.33"), d("33.33")]);
        // Half-even on the total: 12.345 + 0 → 12.34.
        let parts = rounded_parts(d("12.345"), &[d("12.345"), d("0")]);
        assert_eq!(parts.iter().copied().sum::<Decimal>(), d("12.34"));
        // Already exact parts stay.
        assert_eq!(
            rounded_parts(d("70.5"), &[d("40.25"), d("30.25")]),
            vec![d("40.25"), d("30.25")]
        );
    }
}
