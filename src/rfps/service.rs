//! RFP use cases: drafting, criteria, invitations, evaluators, the lifecycle, sealed bids,
//! conflicts, scores, consensus, the ranking and the award. Every change runs in the caller's
//! transaction and writes its audit row; no audit row written before prices are opened holds a
//! bid price.

use super::model::{
    bid_label, BidView, ConsensusView, Criteria, CriterionKindName, CriterionView,
    NormalisationMethod, PriceLine, PriceMethodName, Rfp, RfpStatus, ScoreView, SectionView,
};
use super::repo::{self, BidRow, NewBid, NewSection, RfpFilter, RfpValues, Stamp};
use super::scoring;
use crate::audit;
use crate::auth::{Actor, Role};
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::http::responses::{Page, PageWindow};
use crate::money::storage::{decimal_from_text, decimal_to_text, money_from_units, money_to_units};
use crate::money::{Currency, Money};
use crate::validate::{optional_text, required_text, Validator};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

/// An RFP's fields as received.
#[derive(Debug, Clone)]
pub struct RfpInput {
    pub title: String,
    pub description: Option<String>,
    pub project_id: Option<i64>,
    pub currency: String,
    pub due_at: Option<NaiveDateTime>,
    pub blind: bool,
    pub normalisation: NormalisationMethod,
    pub price_method: PriceMethodName,
    pub technical_threshold: Option<Decimal>,
    pub outlier_share: Option<Decimal>,
    pub consensus_required: bool,
}

/// The default outlier share: a quarter of the scale.
pub const DEFAULT_OUTLIER_SHARE: Decimal = Decimal::from_parts(25, 0, 0, false, 2);

fn values(conn: &mut DbConnection, input: RfpInput) -> AppResult<RfpValues> {
    let mut v = Validator::new();
    let title = v.check("title", required_text(&input.title, 200));
    let description = v
        .check(
            "description",
            optional_text(input.description.as_deref(), 20_000),
        )
        .flatten();
    let currency = v.check("currency", Currency::parse(input.currency.trim()));
    if let Some(project) = input.project_id {
        if crate::projects::repo::find(conn, project)?.is_none() {
            v.fail("project_id", format!("project {project} does not exist"));
        }
    }
    if let Some(threshold) = input.technical_threshold {
        if threshold < Decimal::ZERO || threshold > Decimal::ONE_HUNDRED {
            v.fail(
                "technical_threshold",
                format!("{threshold} is not between 0 and 100"),
            );
        }
    }
    let share = input.outlier_share.unwrap_or(DEFAULT_OUTLIER_SHARE);
    if share <= Decimal::ZERO || share > Decimal::ONE {
        v.fail(
            "outlier_share",
            format!("{share} is not above 0 and at most 1"),
        );
    }
    v.finish()?;
    Ok(RfpValues {
        title: title.unwrap_or_default(),
        description,
        project_id: input.project_id,
        currency: currency.map(|c| c.code().to_string()).unwrap_or_default(),
        due_at: input.due_at,
        blind: input.blind,
        normalisation: input.normalisation,
        price_method: input.price_method,
        technical_threshold: input.technical_threshold.map(decimal_to_text),
        outlier_share: decimal_to_text(share),
        consensus_required: input.consensus_required,
    })
}

fn audit_rfp(
    tx: &mut Tx<'_>,
    actor: &Actor,
    action: &str,
    before: Option<&Rfp>,
    after: &Rfp,
) -> AppResult<()> {
    audit::record(
        tx,
        &actor.name,
        action,
        "rfp",
        after.id,
        before,
        Some(after),
    )?;
    Ok(())
}

/// Creates a draft RFP.
pub fn create(tx: &mut Tx<'_>, actor: &Actor, input: RfpInput) -> AppResult<Rfp> {
    let values = values(tx, input)?;
    let now = clock::now();
    // The number needs the id; a random placeholder keeps the unique column unique meanwhile
    // (two instances creating RFPs in the same instant never collide).
    let mut random = [0u8; 8];
    getrandom::fill(&mut random)
        .map_err(|e| AppError::internal(anyhow::anyhow!("OS randomness: {e}")))?;
    let id = repo::insert(
        tx,
        &values,
        &format!("pending-{}", hex::encode(random)),
        &actor.name,
        now,
    )?;
    let year = now.date().year();
    repo::set_number(tx, id, &format!("RFP-{year:04}-{id:06}"))?;
    let rfp = stored(tx, id)?;
    audit_rfp(tx, actor, "rfp.create", None, &rfp)?;
    Ok(rfp)
}

/// Changes a draft RFP at `expected_version`.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    input: RfpInput,
) -> AppResult<Rfp> {
    let before = stored(tx, id)?;
    crate::lifecycle::check_version("RFP", id, before.version, expected_version)?;
    before.require("update")?;
    let values = values(tx, input)?;
    if !repo::update(tx, id, expected_version, &values, clock::now())? {
        let current = stored(tx, id)?;
        return Err(AppError::version_conflict(
            "RFP",
            id,
            expected_version,
            current.version,
        ));
    }
    let after = stored(tx, id)?;
    audit_rfp(tx, actor, "rfp.update", Some(&before), &after)?;
    Ok(after)
}

fn stored(conn: &mut DbConnection, id: i64) -> AppResult<Rfp> {
    repo::find(conn, id)?.ok_or_else(|| AppError::not_found("RFP", id))
}

/// Evaluators see only the RFPs they are assigned to: a 404 for the others, so they cannot
/// tell which exist.
fn visible(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<Rfp> {
    let rfp = stored(conn, id)?;
    if actor.role == Role::Evaluator && !rfp.evaluators.iter().any(|e| e == &actor.name) {
        return Err(AppError::not_found("RFP", id));
    }
    Ok(rfp)
}

/// The RFP with this id, as `actor` may see it.
pub fn get(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<Rfp> {
    visible(conn, actor, id)
}

/// A page of RFPs (an evaluator's own only).
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    mut filter: RfpFilter,
    window: PageWindow,
) -> AppResult<Page<Rfp>> {
    if actor.role == Role::Evaluator {
        filter.evaluator = Some(actor.name.clone());
    }
    let rows = repo::list(conn, &filter, window.after, window.fetch())?;
    Ok(window.page(rows, |r| r.id, |r| r))
}

/// A criterion as sent.
#[derive(Debug, Clone)]
pub struct CriterionInput {
    pub name: String,
    pub description: Option<String>,
    pub kind: CriterionKindName,
    pub max_score: Option<Decimal>,
    pub weight: Option<Decimal>,
}

/// A section as sent.
#[derive(Debug, Clone)]
pub struct SectionInput {
    pub name: String,
    pub weight: Decimal,
    pub criteria: Vec<CriterionInput>,
}

fn positive(value: Decimal, what: &str) -> Result<Decimal, String> {
    if value <= Decimal::ZERO {
        Err(format!("{value} is not positive: a {what} must be above 0"))
    } else if value > Decimal::from(1_000_000) || value.normalize().scale() > 6 {
        Err(format!(
            "{value} must be at most 1,000,000 with at most 6 decimals"
        ))
    } else {
        Ok(value.normalize())
    }
}

/// Replaces a draft RFP's sections and criteria; every bad field is reported at once.
pub fn set_criteria(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    sections: Vec<SectionInput>,
) -> AppResult<Criteria> {
    let rfp = stored(tx, id)?;
    rfp.require("set_criteria")?;
    let mut v = Validator::new();
    if sections.is_empty() {
        v.fail("sections", "must list at least one section");
    }
    let mut prices = 0;
    let mut new_sections = Vec::with_capacity(sections.len());
    for (s, section) in sections.iter().enumerate() {
        let name = v.check(
            format!("sections[{s}].name"),
            required_text(&section.name, 200),
        );
        let weight = v.check(
            format!("sections[{s}].weight"),
            positive(section.weight, "weight"),
        );
        if section.criteria.is_empty() {
            v.fail(
                format!("sections[{s}].criteria"),
                "must list at least one criterion",
            );
        }
        let mut criteria = Vec::new();
        for (c, criterion) in section.criteria.iter().enumerate() {
            let at = |field: &str| format!("sections[{s}].criteria[{c}].{field}");
            let cname = v.check(at("name"), required_text(&criterion.name, 200));
            let description = v
                .check(
                    at("description"),
                    optional_text(criterion.description.as_deref(), 5_000),
                )
                .flatten();
            let max = match (criterion.kind, criterion.max_score) {
                (CriterionKindName::Scored, Some(max)) => {
                    v.check(at("max_score"), positive(max, "scale")).map(Some)
                }
                (CriterionKindName::Scored, None) => {
                    v.fail(
                        at("max_score"),
                        "is required for a scored criterion (the top of its scale)",
                    );
                    None
                }
                (_, Some(_)) => {
                    v.fail(at("max_score"), "applies to scored criteria only");
                    None
                }
                (_, None) => Some(None),
            };
            let weight = match (criterion.kind, criterion.weight) {
                (CriterionKindName::PassFail, None) => Some(Decimal::ZERO),
                (CriterionKindName::PassFail, Some(_)) => {
                    v.fail(
                        at("weight"),
                        "a pass/fail criterion is a knock-out and carries no weight",
                    );
                    None
                }
                (_, Some(w)) => v.check(at("weight"), positive(w, "weight")),
                (_, None) => {
                    v.fail(at("weight"), "is required");
                    None
                }
            };
            if criterion.kind == CriterionKindName::Price {
                prices += 1;
                if prices > 1 {
                    v.fail(at("kind"), "an RFP has at most one price criterion");
                }
            }
            if let (Some(cname), Some(max), Some(weight)) = (cname, max, weight) {
                criteria.push((
                    cname,
                    description,
                    criterion.kind,
                    max.map(decimal_to_text),
                    decimal_to_text(weight),
                ));
            }
        }
        if let (Some(name), Some(weight)) = (name, weight) {
            new_sections.push((name, decimal_to_text(weight), criteria));
        }
    }
    v.finish()?;
    let rows: Vec<NewSection<'_>> = new_sections
        .iter()
        .map(|(name, weight, criteria)| NewSection {
            name,
            weight: weight.clone(),
            criteria: criteria
                .iter()
                .map(|(n, d, k, m, w)| repo::NewCriterion {
                    name: n,
                    description: d.as_deref(),
                    kind: *k,
                    max_score: m.clone(),
                    weight: w.clone(),
                })
                .collect(),
        })
        .collect();
    repo::replace_criteria(tx, id, &rows)?;
    repo::touch(tx, id, clock::now())?;
    let criteria = criteria_view(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "rfp.set_criteria",
        "rfp",
        id,
        None::<&()>,
        Some(&criteria),
    )?;
    Ok(criteria)
}

struct Loaded {
    sections: Vec<repo::SectionRow>,
    criteria: Vec<repo::CriterionRow>,
    calc_sections: Vec<scoring::Section>,
    calc_criteria: Vec<scoring::Criterion>,
}

fn text_decimal(text: &str) -> AppResult<Decimal> {
    decimal_from_text(text)
        .map_err(|_| AppError::internal(anyhow::anyhow!("corrupt decimal {text}")))
}

fn load_criteria(conn: &mut DbConnection, id: i64) -> AppResult<Loaded> {
    let (sections, criteria) = repo::criteria_of(conn, id)?;
    let calc_sections = sections
        .iter()
        .map(|s| {
            Ok(scoring::Section {
                id: s.id,
                weight: text_decimal(&s.weight)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let calc_criteria = criteria
        .iter()
        .map(|c| {
            let kind = match c.kind()? {
                CriterionKindName::Scored => scoring::CriterionKind::Scored {
                    max: text_decimal(c.max_score.as_deref().unwrap_or("0"))?,
                },
                CriterionKindName::PassFail => scoring::CriterionKind::PassFail,
                CriterionKindName::Price => scoring::CriterionKind::Price,
            };
            Ok(scoring::Criterion {
                id: c.id,
                section: c.section_id,
                kind,
                weight: text_decimal(&c.weight)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Loaded {
        sections,
        criteria,
        calc_sections,
        calc_criteria,
    })
}

fn scoring_error(error: scoring::ScoringError) -> AppError {
    match error {
        scoring::ScoringError::Unscored { bid, criterion } => AppError::conflict(
            "scoring_incomplete",
            format!("bid {bid} has no score for criterion {criterion}"),
        )
        .with_context(serde_json::json!({ "bid_id": bid, "criterion_id": criterion })),
        other => AppError::unprocessable("invalid_scoring", other.to_string()),
    }
}

fn criteria_view(conn: &mut DbConnection, id: i64) -> AppResult<Criteria> {
    let loaded = load_criteria(conn, id)?;
    let weights: HashMap<i64, Decimal> = if loaded.calc_criteria.is_empty() {
        HashMap::new()
    } else {
        scoring::effective_weights(&loaded.calc_sections, &loaded.calc_criteria)
            .map_err(scoring_error)?
            .into_iter()
            .collect()
    };
    let sections = loaded
        .sections
        .iter()
        .map(|s| {
            Ok(SectionView {
                id: s.id,
                name: s.name.clone(),
                weight: s.weight.clone(),
                criteria: loaded
                    .criteria
                    .iter()
                    .filter(|c| c.section_id == s.id)
                    .map(|c| {
                        Ok(CriterionView {
                            id: c.id,
                            name: c.name.clone(),
                            description: c.description.clone(),
                            kind: c.kind()?,
                            max_score: c.max_score.clone(),
                            weight: c.weight.clone(),
                            effective_weight: weights
                                .get(&c.id)
                                .copied()
                                .unwrap_or(Decimal::ZERO)
                                .normalize()
                                .to_string(),
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Criteria {
        rfp_id: id,
        weighting: scoring::weighting_statement().to_string(),
        sections,
    })
}

/// An RFP's criteria with their effective weights.
pub fn criteria(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<Criteria> {
    visible(conn, actor, id)?;
    criteria_view(conn, id)
}

fn vendor_for_sourcing(
    conn: &mut DbConnection,
    vendor_id: i64,
    field: &str,
) -> AppResult<crate::vendors::model::Vendor> {
    let vendor = match crate::vendors::service::get(conn, vendor_id) {
        Err(e) if e.code() == "not_found" => {
            return Err(AppError::invalid(
                field,
                format!("vendor {vendor_id} does not exist"),
            ))
        }
        other => other?,
    };
    if vendor.status == crate::vendors::model::VendorStatus::Blocked {
        return Err(AppError::conflict(
            "vendor_blocked",
            format!(
                "vendor {} ({}) is blocked and cannot take part in sourcing",
                vendor.id, vendor.name
            ),
        )
        .with_context(serde_json::json!({ "vendor_id": vendor.id })));
    }
    Ok(vendor)
}

fn before_due(rfp: &Rfp, now: NaiveDateTime, action: &str) -> AppResult<()> {
    if rfp.status == RfpStatus::Published {
        if let Some(due) = rfp.due_at {
            if now >= due.naive_utc() {
                return Err(AppError::conflict(
                    "past_due",
                    format!(
                        "RFP {} was due at {due}: `{action}` is no longer possible",
                        rfp.number
                    ),
                )
                .with_context(serde_json::json!({ "due_at": due })));
            }
        }
    }
    Ok(())
}

/// Invites vendors (never a blocked one).
pub fn invite(tx: &mut Tx<'_>, actor: &Actor, id: i64, vendor_ids: &[i64]) -> AppResult<Rfp> {
    let before = stored(tx, id)?;
    before.require("invite")?;
    let now = clock::now();
    before_due(&before, now, "invite")?;
    if vendor_ids.is_empty() {
        return Err(AppError::invalid(
            "vendor_ids",
            "must list at least one vendor",
        ));
    }
    for (i, vendor) in vendor_ids.iter().enumerate() {
        vendor_for_sourcing(tx, *vendor, &format!("vendor_ids[{i}]"))?;
        repo::invite(tx, id, *vendor, now)?;
    }
    repo::touch(tx, id, now)?;
    let after = stored(tx, id)?;
    audit_rfp(tx, actor, "rfp.invite", Some(&before), &after)?;
    Ok(after)
}

/// Assigns evaluators by the name of their evaluator tokens.
pub fn assign_evaluators(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    names: &[String],
) -> AppResult<Rfp> {
    let before = stored(tx, id)?;
    before.require("assign_evaluators")?;
    let mut v = Validator::new();
    if names.is_empty() {
        v.fail("names", "must list at least one evaluator");
    }
    let mut clean = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let Some(name) = v.check(format!("names[{i}]"), required_text(name, 200)) else {
            continue;
        };
        if !crate::auth::repo::has_live_token(tx, &name, Role::Evaluator)? {
            v.fail(
                format!("names[{i}]"),
                format!("no live evaluator token is named {name}"),
            );
        } else {
            clean.push(name);
        }
    }
    v.finish()?;
    let now = clock::now();
    for name in &clean {
        repo::assign_evaluator(tx, id, name, &actor.name, now)?;
    }
    repo::touch(tx, id, now)?;
    let after = stored(tx, id)?;
    audit_rfp(tx, actor, "rfp.assign_evaluators", Some(&before), &after)?;
    Ok(after)
}

/// A lifecycle step.
#[derive(Debug, Clone)]
pub enum Step {
    Publish,
    Close,
    StartEvaluation,
    OpenPrices,
    CompleteEvaluation,
    Cancel { reason: String },
}

/// Moves an RFP at `expected_version`.
pub fn step(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    step: Step,
) -> AppResult<Rfp> {
    repo::lock(tx, id)?;
    let before = stored(tx, id)?;
    crate::lifecycle::check_version("RFP", id, before.version, expected_version)?;
    let now = clock::now();
    let (action, status, stamp, reason) = match &step {
        Step::Publish => ("publish", RfpStatus::Published, Stamp::Published, None),
        Step::Close => ("close", RfpStatus::Closed, Stamp::Closed, None),
        Step::StartEvaluation => (
            "start_evaluation",
            RfpStatus::TechnicalEvaluation,
            Stamp::None,
            None,
        ),
        Step::OpenPrices => (
            "open_prices",
            RfpStatus::PricesOpened,
            Stamp::PricesOpened,
            None,
        ),
        Step::CompleteEvaluation => (
            "complete_evaluation",
            RfpStatus::Evaluated,
            Stamp::Evaluated,
            None,
        ),
        Step::Cancel { reason } => (
            "cancel",
            RfpStatus::Cancelled,
            Stamp::None,
            Some(reason.clone()),
        ),
    };
    before.require(action)?;
    match &step {
        Step::Publish => check_publishable(tx, &before, now)?,
        Step::Close => {
            if let Some(due) = before.due_at {
                if now < due.naive_utc() {
                    return Err(AppError::conflict(
                        "not_yet_due",
                        format!(
                            "RFP {} is open for bids until {due}; it closes after that",
                            before.number
                        ),
                    )
                    .with_context(serde_json::json!({ "due_at": due })));
                }
            }
        }
        Step::StartEvaluation => {
            if before.evaluators.is_empty() {
                return Err(AppError::conflict(
                    "no_evaluators",
                    format!("RFP {} has no evaluators assigned", before.number),
                ));
            }
        }
        Step::OpenPrices => {
            check_scoring_complete(tx, &before)?;
            if before.scoring.consensus_required {
                check_consensus_complete(tx, &before)?;
            }
        }
        Step::CompleteEvaluation => {
            evaluate(tx, &before)?;
        }
        Step::Cancel { reason } => {
            required_text(reason, 2_000).map_err(|m| AppError::invalid("reason", m))?;
        }
    }
    let reason = reason.map(|r| r.trim().to_string());
    if !repo::set_status(
        tx,
        id,
        expected_version,
        status,
        stamp,
        reason.as_deref(),
        now,
    )? {
        let current = stored(tx, id)?;
        return Err(AppError::version_conflict(
            "RFP",
            id,
            expected_version,
            current.version,
        ));
    }
    let after = stored(tx, id)?;
    if matches!(step, Step::OpenPrices) {
        // The first audit row that holds prices: written when they are opened.
        let opened: Vec<serde_json::Value> = repo::bids_of(tx, id)?
            .into_iter()
            .filter(|b| b.status == "active")
            .map(|b| {
                Ok(serde_json::json!({
                    "bid_id": b.id, "vendor_id": b.vendor_id,
                    "price": money_from_units(b.price_units, currency_of(&after)?)?.amount().to_string(),
                }))
            })
            .collect::<AppResult<_>>()?;
        audit::record(
            tx,
            &actor.name,
            "rfp.open_prices",
            "rfp",
            id,
            Some(&before),
            Some(&serde_json::json!({ "rfp": after, "prices": opened })),
        )?;
    } else {
        audit_rfp(tx, actor, &format!("rfp.{action}"), Some(&before), &after)?;
    }
    Ok(after)
}

fn currency_of(rfp: &Rfp) -> AppResult<Currency> {
    Currency::parse(&rfp.currency).map_err(AppError::internal)
}

fn check_publishable(conn: &mut DbConnection, rfp: &Rfp, now: NaiveDateTime) -> AppResult<()> {
    let (_, criteria) = repo::criteria_of(conn, rfp.id)?;
    let mut problems = Vec::new();
    if criteria.is_empty() {
        problems.push("it has no criteria".to_string());
    }
    match rfp.due_at {
        None => problems.push("it has no due time".to_string()),
        Some(due) if due.naive_utc() <= now => {
            problems.push(format!("its due time {due} has passed"))
        }
        _ => {}
    }
    if rfp.invited_vendor_ids.is_empty() {
        problems.push("no vendor is invited".to_string());
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(AppError::conflict(
        "not_publishable",
        format!(
            "RFP {} cannot be published: {}",
            rfp.number,
            problems.join("; ")
        ),
    )
    .with_context(serde_json::json!({ "problems": problems })))
}

/// Everything scoring needs, read once.
struct Evaluation {
    loaded: Loaded,
    evaluators: Vec<(i64, String)>,
    conflicts: HashSet<(i64, i64)>,
    bids: Vec<BidRow>,
    scores: Vec<repo::ScoreValue>,
    consensus: Vec<repo::ConsensusRow>,
    labels: HashMap<i64, String>,
}

fn load_evaluation(conn: &mut DbConnection, rfp: &Rfp) -> AppResult<Evaluation> {
    let loaded = load_criteria(conn, rfp.id)?;
    let evaluators = repo::evaluators_of(conn, rfp.id)?;
    let conflicts = repo::conflicts_of(conn, rfp.id)?.into_iter().collect();
    let all = repo::bids_of(conn, rfp.id)?;
    let labels = labels(&all);
    let bids = all.into_iter().filter(|b| b.status == "active").collect();
    let scores = repo::score_values_of(conn, rfp.id)?;
    let consensus = repo::consensus_of(conn, rfp.id)?;
    Ok(Evaluation {
        loaded,
        evaluators,
        conflicts,
        bids,
        scores,
        consensus,
        labels,
    })
}

/// `Bid A`, `Bid B`, … by each vendor's first submission.
fn labels(bids: &[BidRow]) -> HashMap<i64, String> {
    // Bids come in id order, so a vendor's first bid comes first.
    let mut order: HashMap<i64, usize> = HashMap::new();
    for bid in bids {
        let next = order.len();
        order.entry(bid.vendor_id).or_insert(next);
    }
    bids.iter()
        // Every vendor of `bids` was put in `order` just above.
        .map(|b| (b.id, bid_label(order[&b.vendor_id])))
        .collect()
}

/// Scoring is complete when, for every active bid and every scored or pass/fail criterion,
/// there is a consensus score or every assigned evaluator without a conflict for the vendor has
/// scored it. Otherwise a 409 listing what is missing (the first 50).
fn check_scoring_complete(conn: &mut DbConnection, rfp: &Rfp) -> AppResult<()> {
    let e = load_evaluation(conn, rfp)?;
    let scored: HashSet<(i64, i64, i64)> = e.scores.iter().map(|s| (s.0, s.1, s.2)).collect();
    let agreed: HashSet<(i64, i64)> = e.consensus.iter().map(|c| (c.0, c.1)).collect();
    let mut missing = Vec::new();
    for bid in &e.bids {
        for criterion in &e.loaded.criteria {
            if criterion.kind()? == CriterionKindName::Price
                || agreed.contains(&(bid.id, criterion.id))
            {
                continue;
            }
            let eligible: Vec<&(i64, String)> = e
                .evaluators
                .iter()
                .filter(|(id, _)| !e.conflicts.contains(&(*id, bid.vendor_id)))
                .collect();
            if eligible.is_empty() {
                missing.push(serde_json::json!({"bid_id": bid.id, "criterion_id": criterion.id, "evaluator": null}));
            }
            for (evaluator, name) in eligible {
                if !scored.contains(&(bid.id, criterion.id, *evaluator)) {
                    missing.push(serde_json::json!({"bid_id": bid.id, "criterion_id": criterion.id, "evaluator": name}));
                }
            }
        }
    }
    if e.bids.is_empty() {
        return Err(AppError::conflict(
            "no_bids",
            format!("RFP {} received no bids", rfp.number),
        ));
    }
    if missing.is_empty() {
        return Ok(());
    }
    let count = missing.len();
    missing.truncate(50);
    Err(AppError::conflict(
        "scoring_incomplete",
        format!(
            "technical scoring of RFP {} is not complete: {count} scores are missing",
            rfp.number
        ),
    )
    .with_context(serde_json::json!({ "missing": missing, "missing_count": count })))
}

/// With consensus required, technical scoring locks only when every scored criterion of every
/// qualified bid (one not knocked out nor below the technical threshold, which prices do not
/// decide) has its consensus score: it cannot be recorded once prices are open, and the award
/// needs it. Nothing of the evaluation is shown here, so the seal holds.
fn check_consensus_complete(conn: &mut DbConnection, rfp: &Rfp) -> AppResult<()> {
    consensus_complete(rfp, &evaluate(conn, rfp)?)
}

/// A 409 `consensus_incomplete` listing (the first 50 of) the scored criteria of ranked bids
/// that have no consensus score.
fn consensus_complete(rfp: &Rfp, evaluated: &Evaluated) -> AppResult<()> {
    let e = &evaluated.evaluation;
    let agreed: HashSet<(i64, i64)> = e.consensus.iter().map(|c| (c.0, c.1)).collect();
    let mut missing = Vec::new();
    for ranked in &evaluated.ranking.ranked {
        for c in &e.loaded.criteria {
            if c.kind()? == CriterionKindName::Scored && !agreed.contains(&(ranked.bid, c.id)) {
                missing.push(serde_json::json!({ "bid_id": ranked.bid, "criterion_id": c.id }));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let count = missing.len();
    missing.truncate(50);
    Err(AppError::conflict(
        "consensus_incomplete",
        format!(
            "RFP {} requires consensus scores; {count} are missing",
            rfp.number
        ),
    )
    .with_context(serde_json::json!({ "missing": missing, "missing_count": count })))
}

fn rules(rfp: &Rfp) -> AppResult<scoring::Rules> {
    Ok(scoring::Rules {
        normalisation: match rfp.scoring.normalisation {
            NormalisationMethod::Absolute => scoring::Normalisation::Absolute,
            NormalisationMethod::RelativeToBest => scoring::Normalisation::RelativeToBest,
        },
        price_method: match rfp.scoring.price_method {
            PriceMethodName::LowestRatio => scoring::PriceMethod::LowestRatio,
            PriceMethodName::Linear => scoring::PriceMethod::Linear,
        },
        technical_threshold: rfp
            .scoring
            .technical_threshold
            .as_deref()
            .map(text_decimal)
            .transpose()?,
        outlier_share: text_decimal(&rfp.scoring.outlier_share)?,
    })
}

/// The exact ranking of an RFP's active bids, with what it was computed from.
pub struct Evaluated {
    /// The calculator's result.
    pub ranking: scoring::Ranking,
    evaluation: Evaluation,
}

fn evaluate(conn: &mut DbConnection, rfp: &Rfp) -> AppResult<Evaluated> {
    let mut evaluation = load_evaluation(conn, rfp)?;
    let currency = currency_of(rfp)?;
    // One pass over the scores, grouped by bid: linear in the number of scores. The raw rows
    // are freed as they are grouped (at 10,000 bids they are a quarter of a gigabyte).
    let mut scores: HashMap<i64, Vec<(i64, i64, Decimal)>> = HashMap::new();
    for s in std::mem::take(&mut evaluation.scores) {
        scores
            .entry(s.0)
            .or_default()
            .push((s.2, s.1, text_decimal(&s.3)?));
    }
    let mut consensus: HashMap<i64, Vec<(i64, Decimal)>> = HashMap::new();
    for c in &evaluation.consensus {
        consensus
            .entry(c.0)
            .or_default()
            .push((c.1, text_decimal(&c.2)?));
    }
    let bids = evaluation
        .bids
        .iter()
        .map(|b| {
            Ok(scoring::Bid {
                id: b.id,
                price: money_from_units(b.price_units, currency)?.amount(),
                submitted_at: b.submitted_at,
                scores: scores.remove(&b.id).unwrap_or_default(),
                consensus: consensus.remove(&b.id).unwrap_or_default(),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let ranking = scoring::rank(
        &rules(rfp)?,
        &evaluation.loaded.calc_sections,
        &evaluation.loaded.calc_criteria,
        &bids,
    )
    .map_err(scoring_error)?;
    Ok(Evaluated {
        ranking,
        evaluation,
    })
}

fn bid_view(rfp: &Rfp, bid: &BidRow, label: &str, actor: &Actor) -> AppResult<BidView> {
    let currency = currency_of(rfp)?;
    let hide_vendor = rfp.blind && actor.role == Role::Evaluator;
    let open = rfp.prices_open();
    Ok(BidView {
        id: bid.id,
        rfp_id: bid.rfp_id,
        vendor_id: (!hide_vendor).then_some(bid.vendor_id),
        vendor_name: (!hide_vendor).then(|| bid.vendor_name.clone()),
        label: label.to_string(),
        status: bid.status.clone(),
        replaces_bid_id: bid.replaces_bid_id,
        sealed: !open,
        price: if open {
            Some(
                money_from_units(bid.price_units, currency)?
                    .amount()
                    .to_string(),
            )
        } else {
            None
        },
        price_lines: open.then(|| bid.price_lines.clone()),
        currency: rfp.currency.clone(),
        valid_until: bid.valid_until,
        notes: bid.notes.clone(),
        submitted_by: bid.submitted_by.clone(),
        submitted_at: bid.submitted_at.and_utc(),
    })
}

/// A bid as received.
#[derive(Debug, Clone)]
pub struct BidInput {
    pub vendor_id: i64,
    pub price: Decimal,
    pub price_lines: Vec<(String, Decimal)>,
    pub valid_until: NaiveDate,
    pub notes: Option<String>,
}

/// Records a vendor's bid while the RFP is published and before its due time; a later bid of
/// the same vendor replaces its earlier one (kept as history).
pub fn submit_bid(tx: &mut Tx<'_>, actor: &Actor, id: i64, input: BidInput) -> AppResult<BidView> {
    repo::lock(tx, id)?;
    let rfp = stored(tx, id)?;
    rfp.require("submit_bid")?;
    let now = clock::now();
    if let Some(due) = rfp.due_at {
        if now >= due.naive_utc() {
            return Err(AppError::conflict(
                "late_bid",
                format!(
                    "RFP {} was due at {due}; a bid submitted at {} is late",
                    rfp.number,
                    now.and_utc()
                ),
            )
            .with_context(serde_json::json!({ "due_at": due, "submitted_at": now.and_utc() })));
        }
    }
    let vendor = vendor_for_sourcing(tx, input.vendor_id, "vendor_id")?;
    if !rfp.invited_vendor_ids.contains(&vendor.id) {
        return Err(AppError::conflict(
            "not_invited",
            format!(
                "vendor {} ({}) is not invited to RFP {}",
                vendor.id, vendor.name, rfp.number
            ),
        ));
    }
    let currency = currency_of(&rfp)?;
    let mut v = Validator::new();
    let price = v.check(
        "price",
        Money::new(input.price, currency)
            .map_err(|e| e.to_string())
            .and_then(|m| {
                if m.amount() <= Decimal::ZERO {
                    Err(format!("{} is not positive", m.amount()))
                } else {
                    Ok(m)
                }
            }),
    );
    let mut lines = Vec::new();
    let mut sum = Decimal::ZERO;
    for (i, (description, amount)) in input.price_lines.iter().enumerate() {
        let d = v.check(
            format!("price_lines[{i}].description"),
            required_text(description, 500),
        );
        let a = v.check(
            format!("price_lines[{i}].amount"),
            Money::new(*amount, currency).map_err(|e| e.to_string()),
        );
        if let (Some(d), Some(a)) = (d, a) {
            sum += a.amount();
            lines.push(PriceLine {
                description: d,
                amount: a.amount().to_string(),
            });
        }
    }
    if let Some(price) = price {
        if !input.price_lines.is_empty()
            && lines.len() == input.price_lines.len()
            && sum != price.amount()
        {
            v.fail(
                "price_lines",
                format!(
                    "the lines add up to {sum}, not the price {}",
                    price.amount()
                ),
            );
        }
    }
    if let Some(due) = rfp.due_at {
        if input.valid_until < due.date_naive() {
            v.fail(
                "valid_until",
                format!(
                    "{} is before the RFP's due date {}",
                    input.valid_until,
                    due.date_naive()
                ),
            );
        }
    }
    let notes = v
        .check("notes", optional_text(input.notes.as_deref(), 5_000))
        .flatten();
    v.finish()?;
    let price = price.ok_or_else(|| AppError::invalid("price", "is required"))?;
    let earlier = repo::bids_of(tx, id)?
        .into_iter()
        .find(|b| b.vendor_id == vendor.id && b.status == "active");
    if let Some(earlier) = &earlier {
        repo::mark_replaced(tx, earlier.id)?;
    }
    let bid_id = repo::insert_bid(
        tx,
        &NewBid {
            rfp_id: id,
            vendor_id: vendor.id,
            replaces_bid_id: earlier.as_ref().map(|b| b.id),
            price_units: money_to_units(&price)?,
            price_lines: &lines,
            valid_until: input.valid_until,
            notes: notes.as_deref(),
            submitted_by: &actor.name,
        },
        now,
    )?;
    let all = repo::bids_of(tx, id)?;
    let labels = labels(&all);
    let bid = all
        .iter()
        .find(|b| b.id == bid_id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("bid {bid_id} vanished")))?;
    // `labels` covers every bid of `all`, which holds this one.
    let view = bid_view(&rfp, bid, &labels[&bid_id], actor)?;
    // Sealed: the audit row records the submission, never the price.
    audit::record(
        tx,
        &actor.name,
        "bid.submit",
        "bid",
        bid_id,
        None::<&()>,
        Some(&view),
    )?;
    Ok(view)
}

/// The bids of an RFP as `actor` may see them: evaluators only on their RFPs, never the bids of
/// a vendor they declared a conflict with; prices sealed until opened.
pub fn bids(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    include_replaced: bool,
) -> AppResult<Vec<BidView>> {
    let rfp = visible(conn, actor, id)?;
    let all = repo::bids_of(conn, id)?;
    let labels = labels(&all);
    let conflicted = conflicted_vendors(conn, &rfp, actor)?;
    all.iter()
        .filter(|b| include_replaced || b.status == "active")
        .filter(|b| !conflicted.contains(&b.vendor_id))
        // `labels` covers every bid of `all`.
        .map(|b| bid_view(&rfp, b, &labels[&b.id], actor))
        .collect()
}

fn conflicted_vendors(
    conn: &mut DbConnection,
    rfp: &Rfp,
    actor: &Actor,
) -> AppResult<HashSet<i64>> {
    if actor.role != Role::Evaluator {
        return Ok(HashSet::new());
    }
    let Some(me) = repo::evaluator_id(conn, rfp.id, &actor.name)? else {
        return Ok(HashSet::new());
    };
    Ok(repo::conflicts_of(conn, rfp.id)?
        .into_iter()
        .filter(|(e, _)| *e == me)
        .map(|(_, v)| v)
        .collect())
}

fn me(conn: &mut DbConnection, rfp: &Rfp, actor: &Actor) -> AppResult<i64> {
    if actor.role != Role::Evaluator {
        return Err(AppError::forbidden(
            "only an evaluator assigned to the RFP scores it or declares conflicts",
        ));
    }
    repo::evaluator_id(conn, rfp.id, &actor.name)?.ok_or_else(|| AppError::not_found("RFP", rfp.id))
}

/// An evaluator declares a conflict of interest with a vendor: from then on they can neither
/// see nor score its bids, and any scores they gave it are withdrawn.
pub fn declare_conflict(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    vendor_id: i64,
    note: Option<String>,
) -> AppResult<Rfp> {
    let rfp = visible(tx, actor, id)?;
    let evaluator = me(tx, &rfp, actor)?;
    rfp.require("declare_conflict")?;
    let note = optional_text(note.as_deref(), 2_000).map_err(|m| AppError::invalid("note", m))?;
    if crate::vendors::repo::find(tx, vendor_id)?.is_none() {
        return Err(AppError::invalid(
            "vendor_id",
            format!("vendor {vendor_id} does not exist"),
        ));
    }
    if repo::declare_conflict(tx, evaluator, vendor_id, note.as_deref(), clock::now())? {
        let withdrawn = withdraw_scores(tx, id, evaluator, vendor_id)?;
        audit::record(
            tx,
            &actor.name,
            "rfp.declare_conflict",
            "rfp",
            id,
            None::<&()>,
            Some(
                &serde_json::json!({ "evaluator": actor.name, "vendor_id": vendor_id, "note": note, "scores_withdrawn": withdrawn }),
            ),
        )?;
    }
    Ok(rfp)
}

fn withdraw_scores(
    tx: &mut Tx<'_>,
    rfp_id: i64,
    evaluator: i64,
    vendor_id: i64,
) -> AppResult<usize> {
    use crate::db::schema::{bid_scores, bids};
    use diesel::prelude::*;
    let vendor_bids = bids::table
        .filter(bids::rfp_id.eq(rfp_id))
        .filter(bids::vendor_id.eq(vendor_id))
        .select(bids::id);
    Ok(diesel::delete(
        bid_scores::table
            .filter(bid_scores::evaluator_id.eq(evaluator))
            .filter(bid_scores::bid_id.eq_any(vendor_bids)),
    )
    .execute(&mut **tx)?)
}

/// One score as sent.
#[derive(Debug, Clone)]
pub struct ScoreInput {
    pub criterion_id: i64,
    pub score: Decimal,
    pub comment: Option<String>,
}

fn check_score(
    kind: CriterionKindName,
    max: Option<&str>,
    score: Decimal,
) -> Result<String, String> {
    match kind {
        CriterionKindName::Price => {
            Err("the price criterion is scored from the price, not by evaluators".into())
        }
        CriterionKindName::PassFail if score == Decimal::ONE || score.is_zero() => {
            Ok(decimal_to_text(score.normalize()))
        }
        CriterionKindName::PassFail => Err(format!("{score} is neither 1 (pass) nor 0 (fail)")),
        CriterionKindName::Scored => {
            let max = max
                .and_then(|m| decimal_from_text(m).ok())
                .unwrap_or(Decimal::ZERO);
            if score < Decimal::ZERO || score > max {
                Err(format!("{score} is not between 0 and {max}"))
            } else if score.normalize().scale() > 4 {
                Err(format!("{score} has more than 4 decimals"))
            } else {
                Ok(decimal_to_text(score.normalize()))
            }
        }
    }
}

/// An evaluator scores criteria of a bid (replacing their earlier scores of those criteria).
pub fn score(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    bid_id: i64,
    scores: Vec<ScoreInput>,
) -> AppResult<Vec<ScoreView>> {
    let rfp = visible(tx, actor, id)?;
    let evaluator = me(tx, &rfp, actor)?;
    rfp.require("score")?;
    let bid = active_bid(tx, id, bid_id)?;
    if conflicted_vendors(tx, &rfp, actor)?.contains(&bid.vendor_id) {
        return Err(AppError::forbidden(format!(
            "you declared a conflict of interest with this bid's vendor: you cannot see or score bid {bid_id}"
        )));
    }
    let (_, criteria) = repo::criteria_of(tx, id)?;
    let mut v = Validator::new();
    if scores.is_empty() {
        v.fail("scores", "must list at least one score");
    }
    let mut checked = Vec::new();
    for (i, s) in scores.iter().enumerate() {
        let Some(criterion) = criteria.iter().find(|c| c.id == s.criterion_id) else {
            v.fail(
                format!("scores[{i}].criterion_id"),
                format!(
                    "criterion {} is not one of RFP {}'s",
                    s.criterion_id, rfp.number
                ),
            );
            continue;
        };
        let value = v.check(
            format!("scores[{i}].score"),
            check_score(criterion.kind()?, criterion.max_score.as_deref(), s.score),
        );
        let comment = v
            .check(
                format!("scores[{i}].comment"),
                optional_text(s.comment.as_deref(), 5_000),
            )
            .flatten();
        if let Some(value) = value {
            checked.push((s.criterion_id, value, comment));
        }
    }
    v.finish()?;
    let now = clock::now();
    for (criterion, value, comment) in &checked {
        repo::put_score(
            tx,
            bid_id,
            *criterion,
            evaluator,
            value,
            comment.as_deref(),
            now,
        )?;
    }
    let mine: Vec<ScoreView> = scores_view(tx, &rfp, actor)?
        .into_iter()
        .filter(|s| s.bid_id == bid_id)
        .collect();
    audit::record(
        tx,
        &actor.name,
        "bid.score",
        "bid",
        bid_id,
        None::<&()>,
        Some(&mine),
    )?;
    Ok(mine)
}

fn active_bid(conn: &mut DbConnection, rfp_id: i64, bid_id: i64) -> AppResult<BidRow> {
    let bid = repo::bids_of(conn, rfp_id)?
        .into_iter()
        .find(|b| b.id == bid_id)
        .ok_or_else(|| AppError::not_found("bid", bid_id))?;
    if bid.status != "active" {
        return Err(AppError::conflict(
            "bid_replaced",
            format!("bid {bid_id} was replaced by a later bid of the same vendor"),
        ));
    }
    Ok(bid)
}

fn scores_view(conn: &mut DbConnection, rfp: &Rfp, actor: &Actor) -> AppResult<Vec<ScoreView>> {
    let evaluators: HashMap<i64, String> = repo::evaluators_of(conn, rfp.id)?.into_iter().collect();
    let me = if actor.role == Role::Evaluator {
        repo::evaluator_id(conn, rfp.id, &actor.name)?
    } else {
        None
    };
    Ok(repo::scores_of(conn, rfp.id)?
        .into_iter()
        .filter(|s| actor.role != Role::Evaluator || Some(s.2) == me)
        .map(|s| ScoreView {
            bid_id: s.0,
            criterion_id: s.1,
            evaluator: evaluators.get(&s.2).cloned().unwrap_or_default(),
            score: s.3,
            comment: s.4,
            scored_at: s.5.and_utc(),
        })
        .collect())
}

/// The scores of an RFP: an evaluator sees only their own.
pub fn scores(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<Vec<ScoreView>> {
    let rfp = visible(conn, actor, id)?;
    scores_view(conn, &rfp, actor)
}

/// Records the panel's consensus score for a criterion of a bid, with its rationale; it
/// replaces the evaluators' mean for that criterion.
pub fn record_consensus(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    bid_id: i64,
    criterion_id: i64,
    score: Decimal,
    rationale: String,
) -> AppResult<ConsensusView> {
    let rfp = stored(tx, id)?;
    rfp.require("record_consensus")?;
    active_bid(tx, id, bid_id)?;
    let (_, criteria) = repo::criteria_of(tx, id)?;
    let mut v = Validator::new();
    let criterion = criteria.iter().find(|c| c.id == criterion_id);
    if criterion.is_none() {
        v.fail(
            "criterion_id",
            format!(
                "criterion {criterion_id} is not one of RFP {}'s",
                rfp.number
            ),
        );
    }
    let value = match criterion {
        Some(c) => v.check(
            "score",
            check_score(c.kind()?, c.max_score.as_deref(), score),
        ),
        None => None,
    };
    let rationale = v.check("rationale", required_text(&rationale, 5_000));
    v.finish()?;
    let (Some(value), Some(rationale)) = (value, rationale) else {
        return Err(AppError::invalid("score", "is required"));
    };
    let now = clock::now();
    repo::put_consensus(
        tx,
        bid_id,
        criterion_id,
        &value,
        &rationale,
        &actor.name,
        now,
    )?;
    let view = ConsensusView {
        bid_id,
        criterion_id,
        score: value,
        rationale,
        recorded_by: actor.name.clone(),
        recorded_at: now.and_utc(),
    };
    audit::record(
        tx,
        &actor.name,
        "bid.consensus",
        "bid",
        bid_id,
        None::<&()>,
        Some(&view),
    )?;
    Ok(view)
}

/// The ranking of an RFP, once its prices are open (evaluators do not read rankings); `page`
/// (offset, limit) presents only those ranked bids (all are ranked either way).
pub fn ranking(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    page: Option<(usize, usize)>,
) -> AppResult<super::ranking::RankingView> {
    if actor.role == Role::Evaluator {
        return Err(AppError::forbidden(
            "evaluators score bids; the ranking is read by procurement",
        ));
    }
    let rfp = stored(conn, id)?;
    if !rfp.prices_open() {
        return Err(AppError::conflict(
            "prices_sealed",
            format!("RFP {} is {}: the ranking needs prices, which stay sealed until technical scoring is locked and prices are opened", rfp.number, rfp.status.as_str()),
        )
        .with_context(serde_json::json!({ "status": rfp.status })));
    }
    let evaluated = evaluate(conn, &rfp)?;
    super::ranking::view(
        &rfp,
        &evaluated.ranking,
        &evaluated.evaluation.bids,
        &evaluated.evaluation.labels,
        &evaluated.evaluation.evaluators,
        &evaluated.evaluation.loaded.criteria,
        page,
    )
}

/// What the award needs beyond the bid: the draft contract's terms.
#[derive(Debug, Clone)]
pub struct AwardInput {
    pub bid_id: i64,
    pub justification: Option<String>,
    pub contract: crate::contracts::model::ContractFields,
}

/// Awards a bid: only from evaluated, by procurement that did not evaluate the RFP; anything
/// but the top-ranked bid, or a bid flagged abnormally low, needs a justification; with
/// consensus required, every scored criterion of every ranked bid needs its consensus score.
/// Creates the draft contract, linked to the RFP and bid.
pub fn award(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    input: AwardInput,
) -> AppResult<(Rfp, crate::contracts::model::Contract)> {
    repo::lock(tx, id)?;
    let before = stored(tx, id)?;
    crate::lifecycle::check_version("RFP", id, before.version, expected_version)?;
    before.require("award")?;
    if before
        .evaluators
        .iter()
        .any(|e| e.trim().eq_ignore_ascii_case(actor.name.trim()))
    {
        return Err(AppError::segregation_of_duties(format!(
            "{} evaluated RFP {}; someone who did not evaluate it must award it",
            actor.name, before.number
        )));
    }
    let evaluated = evaluate(tx, &before)?;
    let ranking = &evaluated.ranking;
    if before.scoring.consensus_required {
        consensus_complete(&before, &evaluated)?;
    }
    let Some(chosen) = ranking.ranked.iter().find(|r| r.bid == input.bid_id) else {
        if ranking.disqualified.iter().any(|d| d.bid == input.bid_id) {
            return Err(AppError::conflict(
                "bid_disqualified",
                format!("bid {} is disqualified and cannot be awarded", input.bid_id),
            ));
        }
        return Err(AppError::invalid(
            "bid_id",
            format!(
                "bid {} is not an active bid of RFP {}",
                input.bid_id, before.number
            ),
        ));
    };
    let justification = optional_text(input.justification.as_deref(), 5_000)
        .map_err(|m| AppError::invalid("justification", m))?;
    let mut needs = Vec::new();
    if chosen.rank != 1 {
        needs.push(format!("it is ranked {}, not first", chosen.rank));
    }
    if !chosen.flags.is_empty() {
        needs.push("it is flagged as abnormally low".to_string());
    }
    if !needs.is_empty() && justification.is_none() {
        return Err(AppError::invalid(
            "justification",
            format!(
                "is required to award bid {}: {}",
                input.bid_id,
                needs.join(" and ")
            ),
        ));
    }
    let bid = evaluated
        .evaluation
        .bids
        .iter()
        .find(|b| b.id == input.bid_id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ranked bid missing")))?;
    vendor_for_sourcing(tx, bid.vendor_id, "bid_id")?;
    let currency = currency_of(&before)?;
    let mut fields = input.contract;
    fields.vendor_id = bid.vendor_id;
    fields.currency = currency.code().to_string();
    fields.ceiling = money_from_units(bid.price_units, currency)?.amount();
    if fields.project_ids.is_empty() {
        fields.project_ids = before.project_id.into_iter().collect();
    }
    if fields.title.trim().is_empty() {
        fields.title = before.title.clone();
    }
    let draft = crate::contracts::model::ContractDraft::parse(fields)?;
    let contract = crate::contracts::service::create(tx, actor, draft)?;
    let now = clock::now();
    repo::insert_award(
        tx,
        id,
        bid.id,
        contract.id,
        justification.as_deref(),
        &actor.name,
        now,
    )?;
    let contract = crate::contracts::repo::find(tx, contract.id)?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("contract {} vanished", contract.id)))?;
    if !repo::set_status(
        tx,
        id,
        expected_version,
        RfpStatus::Awarded,
        Stamp::None,
        None,
        now,
    )? {
        let current = stored(tx, id)?;
        return Err(AppError::version_conflict(
            "RFP",
            id,
            expected_version,
            current.version,
        ));
    }
    let after = stored(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "rfp.award",
        "rfp",
        id,
        Some(&before),
        Some(
            &serde_json::json!({ "rfp": after, "bid_id": bid.id, "rank": chosen.rank, "contract_id": contract.id, "justification": justification }),
        ),
    )?;
    Ok((after, contract))
}
