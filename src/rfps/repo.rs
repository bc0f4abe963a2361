//! RFP rows: the RFP, its invitations, sections and criteria, evaluators and conflicts, bids,
//! scores, consensus scores and the award.

use super::model::{
    CriterionKindName, NormalisationMethod, PriceLine, PriceMethodName, Rfp, RfpStatus,
    ScoringSettings,
};
use crate::db::schema::{
    bid_consensus, bid_scores, bids, rfp_awards, rfp_conflicts, rfp_criteria, rfp_evaluators,
    rfp_invitations, rfp_sections, rfps, vendors,
};
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

fn corrupt(id: i64, what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("RFP {id} has a corrupt {what}"))
}

#[derive(Debug, Clone, Queryable)]
struct RfpRow {
    id: i64,
    number: String,
    title: String,
    description: Option<String>,
    project_id: Option<i64>,
    currency: String,
    status: String,
    due_at: Option<NaiveDateTime>,
    blind: bool,
    normalisation: String,
    price_method: String,
    technical_threshold: Option<String>,
    outlier_share: String,
    consensus_required: bool,
    status_reason: Option<String>,
    published_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    prices_opened_at: Option<NaiveDateTime>,
    evaluated_at: Option<NaiveDateTime>,
    created_by: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The editable facts of an RFP.
#[derive(Debug, Clone)]
pub struct RfpValues {
    pub title: String,
    pub description: Option<String>,
    pub project_id: Option<i64>,
    pub currency: String,
    pub due_at: Option<NaiveDateTime>,
    pub blind: bool,
    pub normalisation: NormalisationMethod,
    pub price_method: PriceMethodName,
    pub technical_threshold: Option<String>,
    pub outlier_share: String,
    pub consensus_required: bool,
}

/// Inserts a draft RFP under a placeholder number; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    values: &RfpValues,
    number: &str,
    created_by: &str,
    now: NaiveDateTime,
) -> AppResult<i64> {
    Ok(diesel::insert_into(rfps::table)
        .values((
            rfps::number.eq(number),
            rfps::title.eq(&values.title),
            rfps::description.eq(&values.description),
            rfps::project_id.eq(values.project_id),
            rfps::currency.eq(&values.currency),
            rfps::status.eq(RfpStatus::Draft.as_str()),
            rfps::due_at.eq(values.due_at),
            rfps::blind.eq(values.blind),
            rfps::normalisation.eq(values.normalisation.as_str()),
            rfps::price_method.eq(values.price_method.as_str()),
            rfps::technical_threshold.eq(&values.technical_threshold),
            rfps::outlier_share.eq(&values.outlier_share),
            rfps::consensus_required.eq(values.consensus_required),
            rfps::created_by.eq(created_by),
            rfps::version.eq(1),
            rfps::created_at.eq(now),
            rfps::updated_at.eq(now),
        ))
        .returning(rfps::id)
        .get_result(conn)?)
}

/// Sets an RFP's number.
pub fn set_number(conn: &mut DbConnection, id: i64, number: &str) -> AppResult<()> {
    diesel::update(rfps::table.filter(rfps::id.eq(id)))
        .set(rfps::number.eq(number))
        .execute(conn)?;
    Ok(())
}

/// Writes new values over a draft at `expected_version`; false when the version moved.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    values: &RfpValues,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let changed = diesel::update(
        rfps::table
            .filter(rfps::id.eq(id))
            .filter(rfps::version.eq(expected_version)),
    )
    .set((
        rfps::title.eq(&values.title),
        rfps::description.eq(&values.description),
        rfps::project_id.eq(values.project_id),
        rfps::currency.eq(&values.currency),
        rfps::due_at.eq(values.due_at),
        rfps::blind.eq(values.blind),
        rfps::normalisation.eq(values.normalisation.as_str()),
        rfps::price_method.eq(values.price_method.as_str()),
        rfps::technical_threshold.eq(&values.technical_threshold),
        rfps::outlier_share.eq(&values.outlier_share),
        rfps::consensus_required.eq(values.consensus_required),
        rfps::version.eq(expected_version + 1),
        rfps::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// A move of the lifecycle: the new status and the timestamp column it sets.
#[derive(Debug, Clone, Copy)]
pub enum Stamp {
    None,
    Published,
    Closed,
    PricesOpened,
    Evaluated,
}

/// Moves an RFP at `expected_version` to `status`; false when the version moved.
pub fn set_status(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    status: RfpStatus,
    stamp: Stamp,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let target = rfps::table
        .filter(rfps::id.eq(id))
        .filter(rfps::version.eq(expected_version));
    let common = (
        rfps::status.eq(status.as_str()),
        rfps::version.eq(expected_version + 1),
        rfps::updated_at.eq(now),
    );
    let changed = match stamp {
        Stamp::None => diesel::update(target)
            .set((common, rfps::status_reason.eq(reason)))
            .execute(conn)?,
        Stamp::Published => diesel::update(target)
            .set((common, rfps::published_at.eq(Some(now))))
            .execute(conn)?,
        Stamp::Closed => diesel::update(target)
            .set((common, rfps::closed_at.eq(Some(now))))
            .execute(conn)?,
        Stamp::PricesOpened => diesel::update(target)
            .set((common, rfps::prices_opened_at.eq(Some(now))))
            .execute(conn)?,
        Stamp::Evaluated => diesel::update(target)
            .set((common, rfps::evaluated_at.eq(Some(now))))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Locks the RFP row until the transaction ends (PostgreSQL; SQLite holds the write lock).
pub fn lock(conn: &mut DbConnection, id: i64) -> AppResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        rfps::table
            .filter(rfps::id.eq(id))
            .select(rfps::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

fn into_rfp(row: RfpRow, invited: Vec<i64>, evaluators: Vec<String>) -> AppResult<Rfp> {
    let status = RfpStatus::parse(&row.status).ok_or_else(|| corrupt(row.id, "status"))?;
    Ok(Rfp {
        id: row.id,
        number: row.number,
        title: row.title,
        description: row.description,
        project_id: row.project_id,
        currency: row.currency,
        status,
        due_at: row.due_at.map(|t| t.and_utc()),
        blind: row.blind,
        scoring: ScoringSettings {
            normalisation: NormalisationMethod::parse(&row.normalisation)
                .ok_or_else(|| corrupt(row.id, "normalisation"))?,
            price_method: PriceMethodName::parse(&row.price_method)
                .ok_or_else(|| corrupt(row.id, "price method"))?,
            technical_threshold: row.technical_threshold,
            outlier_share: row.outlier_share,
            consensus_required: row.consensus_required,
        },
        status_reason: row.status_reason,
        published_at: row.published_at.map(|t| t.and_utc()),
        closed_at: row.closed_at.map(|t| t.and_utc()),
        prices_opened_at: row.prices_opened_at.map(|t| t.and_utc()),
        evaluated_at: row.evaluated_at.map(|t| t.and_utc()),
        invited_vendor_ids: invited,
        evaluators,
        allowed_actions: status
            .allowed_actions()
            .iter()
            .map(|a| a.to_string())
            .collect(),
        created_by: row.created_by,
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

/// The RFP with this id.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<Rfp>> {
    let row: Option<RfpRow> = rfps::table
        .filter(rfps::id.eq(id))
        .get_result(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let invited = invited_vendors(conn, id)?;
    let evaluators = evaluators_of(conn, id)?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    into_rfp(row, invited, evaluators).map(Some)
}

/// Filters for the RFP list.
#[derive(Debug, Clone, Default)]
pub struct RfpFilter {
    pub status: Option<RfpStatus>,
    /// Only RFPs this evaluator (token name) is assigned to.
    pub evaluator: Option<String>,
    pub project_id: Option<i64>,
}

/// RFPs with an id above `after`, by id, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &RfpFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<Rfp>> {
    let mut query = rfps::table.into_boxed::<MultiBackend>();
    if let Some(status) = filter.status {
        query = query.filter(rfps::status.eq(status.as_str()));
    }
    if let Some(project) = filter.project_id {
        query = query.filter(rfps::project_id.eq(project));
    }
    if let Some(name) = &filter.evaluator {
        let assigned = rfp_evaluators::table
            .filter(rfp_evaluators::name.eq(name.clone()))
            .select(rfp_evaluators::rfp_id);
        query = query.filter(rfps::id.eq_any(assigned));
    }
    let rows: Vec<RfpRow> = query
        .filter(rfps::id.gt(after))
        .order(rfps::id)
        .limit(limit)
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let id = row.id;
            let invited = invited_vendors(conn, id)?;
            let evaluators = evaluators_of(conn, id)?
                .into_iter()
                .map(|(_, name)| name)
                .collect();
            into_rfp(row, invited, evaluators)
        })
        .collect()
}

/// The vendors invited to an RFP, by id.
pub fn invited_vendors(conn: &mut DbConnection, rfp_id: i64) -> AppResult<Vec<i64>> {
    Ok(rfp_invitations::table
        .filter(rfp_invitations::rfp_id.eq(rfp_id))
        .order(rfp_invitations::vendor_id)
        .select(rfp_invitations::vendor_id)
        .load(conn)?)
}

/// Invites a vendor (nothing when it already is).
pub fn invite(
    conn: &mut DbConnection,
    rfp_id: i64,
    vendor_id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let exists: Option<i64> = rfp_invitations::table
        .filter(rfp_invitations::rfp_id.eq(rfp_id))
        .filter(rfp_invitations::vendor_id.eq(vendor_id))
        .select(rfp_invitations::vendor_id)
        .get_result(conn)
        .optional()?;
    if exists.is_none() {
        diesel::insert_into(rfp_invitations::table)
            .values((
                rfp_invitations::rfp_id.eq(rfp_id),
                rfp_invitations::vendor_id.eq(vendor_id),
                rfp_invitations::invited_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A stored section.
#[derive(Debug, Clone, Queryable)]
pub struct SectionRow {
    pub id: i64,
    pub rfp_id: i64,
    pub position: i64,
    pub name: String,
    pub weight: String,
}

/// A stored criterion.
#[derive(Debug, Clone, Queryable)]
pub struct CriterionRow {
    pub id: i64,
    pub rfp_id: i64,
    pub section_id: i64,
    pub position: i64,
    pub name: String,
    pub description: Option<String>,
    pub kind: String,
    pub max_score: Option<String>,
    pub weight: String,
}

impl CriterionRow {
    /// The criterion's kind.
    pub fn kind(&self) -> AppResult<CriterionKindName> {
        CriterionKindName::parse(&self.kind).ok_or_else(|| corrupt(self.rfp_id, "criterion kind"))
    }
}

/// A criterion to write.
pub struct NewCriterion<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub kind: CriterionKindName,
    pub max_score: Option<String>,
    pub weight: String,
}

/// A section to write, with its criteria.
pub struct NewSection<'a> {
    pub name: &'a str,
    pub weight: String,
    pub criteria: Vec<NewCriterion<'a>>,
}

/// Replaces an RFP's sections and criteria.
pub fn replace_criteria(
    conn: &mut DbConnection,
    rfp_id: i64,
    sections: &[NewSection<'_>],
) -> AppResult<()> {
    diesel::delete(rfp_criteria::table.filter(rfp_criteria::rfp_id.eq(rfp_id))).execute(conn)?;
    diesel::delete(rfp_sections::table.filter(rfp_sections::rfp_id.eq(rfp_id))).execute(conn)?;
    let mut position = 0i64;
    for (s, section) in sections.iter().enumerate() {
        let section_id: i64 = diesel::insert_into(rfp_sections::table)
            .values((
                rfp_sections::rfp_id.eq(rfp_id),
                rfp_sections::position.eq(s as i64),
                rfp_sections::name.eq(section.name),
                rfp_sections::weight.eq(&section.weight),
            ))
            .returning(rfp_sections::id)
            .get_result(conn)?;
        for c in &section.criteria {
            diesel::insert_into(rfp_criteria::table)
                .values((
                    rfp_criteria::rfp_id.eq(rfp_id),
                    rfp_criteria::section_id.eq(section_id),
                    rfp_criteria::position.eq(position),
                    rfp_criteria::name.eq(c.name),
                    rfp_criteria::description.eq(c.description),
                    rfp_criteria::kind.eq(c.kind.as_str()),
                    rfp_criteria::max_score.eq(&c.max_score),
                    rfp_criteria::weight.eq(&c.weight),
                ))
                .execute(conn)?;
            position += 1;
        }
    }
    Ok(())
}

/// An RFP's sections and criteria, in order.
pub fn criteria_of(
    conn: &mut DbConnection,
    rfp_id: i64,
) -> AppResult<(Vec<SectionRow>, Vec<CriterionRow>)> {
    let sections = rfp_sections::table
        .filter(rfp_sections::rfp_id.eq(rfp_id))
        .order(rfp_sections::position)
        .load(conn)?;
    let criteria = rfp_criteria::table
        .filter(rfp_criteria::rfp_id.eq(rfp_id))
        .order(rfp_criteria::position)
        .load(conn)?;
    Ok((sections, criteria))
}

/// An RFP's evaluators: (id, name), by id.
pub fn evaluators_of(conn: &mut DbConnection, rfp_id: i64) -> AppResult<Vec<(i64, String)>> {
    Ok(rfp_evaluators::table
        .filter(rfp_evaluators::rfp_id.eq(rfp_id))
        .order(rfp_evaluators::id)
        .select((rfp_evaluators::id, rfp_evaluators::name))
        .load(conn)?)
}

/// Assigns an evaluator (nothing when already assigned); returns their id.
pub fn assign_evaluator(
    conn: &mut DbConnection,
    rfp_id: i64,
    name: &str,
    by: &str,
    now: NaiveDateTime,
) -> AppResult<i64> {
    if let Some(id) = evaluator_id(conn, rfp_id, name)? {
        return Ok(id);
    }
    Ok(diesel::insert_into(rfp_evaluators::table)
        .values((
            rfp_evaluators::rfp_id.eq(rfp_id),
            rfp_evaluators::name.eq(name),
            rfp_evaluators::assigned_by.eq(by),
            rfp_evaluators::assigned_at.eq(now),
        ))
        .returning(rfp_evaluators::id)
        .get_result(conn)?)
}

/// The id of the evaluator with this (token) name on this RFP.
pub fn evaluator_id(conn: &mut DbConnection, rfp_id: i64, name: &str) -> AppResult<Option<i64>> {
    Ok(rfp_evaluators::table
        .filter(rfp_evaluators::rfp_id.eq(rfp_id))
        .filter(rfp_evaluators::name.eq(name))
        .select(rfp_evaluators::id)
        .get_result(conn)
        .optional()?)
}

/// Every declared conflict on an RFP: (evaluator id, vendor id).
pub fn conflicts_of(conn: &mut DbConnection, rfp_id: i64) -> AppResult<Vec<(i64, i64)>> {
    Ok(rfp_conflicts::table
        .inner_join(rfp_evaluators::table)
        .filter(rfp_evaluators::rfp_id.eq(rfp_id))
        .order((rfp_conflicts::evaluator_id, rfp_conflicts::vendor_id))
        .select((rfp_conflicts::evaluator_id, rfp_conflicts::vendor_id))
        .load(conn)?)
}

/// Records a declared conflict (nothing when already declared); true when new.
pub fn declare_conflict(
    conn: &mut DbConnection,
    evaluator_id: i64,
    vendor_id: i64,
    note: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let exists: Option<i64> = rfp_conflicts::table
        .filter(rfp_conflicts::evaluator_id.eq(evaluator_id))
        .filter(rfp_conflicts::vendor_id.eq(vendor_id))
        .select(rfp_conflicts::vendor_id)
        .get_result(conn)
        .optional()?;
    if exists.is_some() {
        return Ok(false);
    }
    diesel::insert_into(rfp_conflicts::table)
        .values((
            rfp_conflicts::evaluator_id.eq(evaluator_id),
            rfp_conflicts::vendor_id.eq(vendor_id),
            rfp_conflicts::note.eq(note),
            rfp_conflicts::declared_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// A stored bid with its vendor's name.
#[derive(Debug, Clone)]
pub struct BidRow {
    pub id: i64,
    pub rfp_id: i64,
    pub vendor_id: i64,
    pub vendor_name: String,
    pub status: String,
    pub replaces_bid_id: Option<i64>,
    pub price_units: i64,
    pub price_lines: Vec<PriceLine>,
    pub valid_until: NaiveDate,
    pub notes: Option<String>,
    pub submitted_by: String,
    pub submitted_at: NaiveDateTime,
}

/// A bid to write.
pub struct NewBid<'a> {
    pub rfp_id: i64,
    pub vendor_id: i64,
    pub replaces_bid_id: Option<i64>,
    pub price_units: i64,
    pub price_lines: &'a [PriceLine],
    pub valid_until: NaiveDate,
    pub notes: Option<&'a str>,
    pub submitted_by: &'a str,
}

/// Inserts an active bid; returns its id.
pub fn insert_bid(conn: &mut DbConnection, bid: &NewBid<'_>, now: NaiveDateTime) -> AppResult<i64> {
    let lines = serde_json::to_string(bid.price_lines).map_err(AppError::internal)?;
    Ok(diesel::insert_into(bids::table)
        .values((
            bids::rfp_id.eq(bid.rfp_id),
            bids::vendor_id.eq(bid.vendor_id),
            bids::status.eq("active"),
            bids::replaces_bid_id.eq(bid.replaces_bid_id),
            bids::price_units.eq(bid.price_units),
            bids::price_lines.eq(lines),
            bids::valid_until.eq(bid.valid_until),
            bids::notes.eq(bid.notes),
            bids::submitted_by.eq(bid.submitted_by),
            bids::submitted_at.eq(now),
        ))
        .returning(bids::id)
        .get_result(conn)?)
}

/// Marks a bid replaced.
pub fn mark_replaced(conn: &mut DbConnection, bid_id: i64) -> AppResult<()> {
    diesel::update(bids::table.filter(bids::id.eq(bid_id)))
        .set(bids::status.eq("replaced"))
        .execute(conn)?;
    Ok(())
}

type BidTuple = (
    i64,
    i64,
    i64,
    String,
    String,
    Option<i64>,
    i64,
    String,
    NaiveDate,
    Option<String>,
    String,
    NaiveDateTime,
);

/// Every bid of an RFP (active and replaced), by id.
pub fn bids_of(conn: &mut DbConnection, rfp_id: i64) -> AppResult<Vec<BidRow>> {
    let rows: Vec<BidTuple> = bids::table
        .inner_join(vendors::table)
        .filter(bids::rfp_id.eq(rfp_id))
        .order(bids::id)
        .select((
            bids::id,
            bids::rfp_id,
            bids::vendor_id,
            vendors::name,
            bids::status,
            bids::replaces_bid_id,
            bids::price_units,
            bids::price_lines,
            bids::valid_until,
            bids::notes,
            bids::submitted_by,
            bids::submitted_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let price_lines =
                serde_json::from_str(&r.7).map_err(|_| corrupt(r.1, "price lines"))?;
            Ok(BidRow {
                id: r.0,
                rfp_id: r.1,
                vendor_id: r.2,
                vendor_name: r.3,
                status: r.4,
                replaces_bid_id: r.5,
                price_units: r.6,
                price_lines,
                valid_until: r.8,
                notes: r.9,
                submitted_by: r.10,
                submitted_at: r.11,
            })
        })
        .collect()
}

/// A stored score: (bid, criterion, evaluator id, score text, comment, when).
pub type ScoreRow = (i64, i64, i64, String, Option<String>, NaiveDateTime);

/// Records an evaluator's score of a criterion of a bid, replacing an earlier one.
pub fn put_score(
    conn: &mut DbConnection,
    bid_id: i64,
    criterion_id: i64,
    evaluator_id: i64,
    score: &str,
    comment: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::delete(
        bid_scores::table
            .filter(bid_scores::bid_id.eq(bid_id))
            .filter(bid_scores::criterion_id.eq(criterion_id))
            .filter(bid_scores::evaluator_id.eq(evaluator_id)),
    )
    .execute(conn)?;
    diesel::insert_into(bid_scores::table)
        .values((
            bid_scores::bid_id.eq(bid_id),
            bid_scores::criterion_id.eq(criterion_id),
            bid_scores::evaluator_id.eq(evaluator_id),
            bid_scores::score.eq(score),
            bid_scores::comment.eq(comment),
            bid_scores::scored_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every score recorded on an RFP's bids, by bid, criterion and evaluator.
pub fn scores_of(conn: &mut DbConnection, rfp_id: i64) -> AppResult<Vec<ScoreRow>> {
    Ok(bid_scores::table
        .inner_join(bids::table)
        .filter(bids::rfp_id.eq(rfp_id))
        .order((
            bid_scores::bid_id,
            bid_scores::criterion_id,
            bid_scores::evaluator_id,
        ))
        .select((
            bid_scores::bid_id,
            bid_scores::criterion_id,
            bid_scores::evaluator_id,
            bid_scores::score,
            bid_scores::comment,
            bid_scores::scored_at,
        ))
        .load(conn)?)
}

/// A score as scoring needs it: (bid, criterion, evaluator id, score text).
pub type ScoreValue = (i64, i64, i64, String);

/// Every score on an RFP's bids, without comments: what ranking reads (a 10,000-bid RFP with
/// 50 criteria and 10 evaluators has 5 million).
pub fn score_values_of(conn: &mut DbConnection, rfp_id: i64) -> AppResult<Vec<ScoreValue>> {
    Ok(bid_scores::table
        .inner_join(bids::table)
        .filter(bids::rfp_id.eq(rfp_id))
        .filter(bids::status.eq("active"))
        .select((
            bid_scores::bid_id,
            bid_scores::criterion_id,
            bid_scores::evaluator_id,
            bid_scores::score,
        ))
        .load(conn)?)
}

/// A stored consensus: (bid, criterion, score text, rationale, by, when).
pub type ConsensusRow = (i64, i64, String, String, String, NaiveDateTime);

/// Records the consensus score of a criterion of a bid, replacing an earlier one.
pub fn put_consensus(
    conn: &mut DbConnection,
    bid_id: i64,
    criterion_id: i64,
    score: &str,
    rationale: &str,
    by: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::delete(
        bid_consensus::table
            .filter(bid_consensus::bid_id.eq(bid_id))
            .filter(bid_consensus::criterion_id.eq(criterion_id)),
    )
    .execute(conn)?;
    diesel::insert_into(bid_consensus::table)
        .values((
            bid_consensus::bid_id.eq(bid_id),
            bid_consensus::criterion_id.eq(criterion_id),
            bid_consensus::score.eq(score),
            bid_consensus::rationale.eq(rationale),
            bid_consensus::recorded_by.eq(by),
            bid_consensus::recorded_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every consensus score recorded on an RFP's bids.
pub fn consensus_of(conn: &mut DbConnection, rfp_id: i64) -> AppResult<Vec<ConsensusRow>> {
    Ok(bid_consensus::table
        .inner_join(bids::table)
        .filter(bids::rfp_id.eq(rfp_id))
        .order((bid_consensus::bid_id, bid_consensus::criterion_id))
        .select((
            bid_consensus::bid_id,
            bid_consensus::criterion_id,
            bid_consensus::score,
            bid_consensus::rationale,
            bid_consensus::recorded_by,
            bid_consensus::recorded_at,
        ))
        .load(conn)?)
}

/// Records the award.
pub fn insert_award(
    conn: &mut DbConnection,
    rfp_id: i64,
    bid_id: i64,
    contract_id: i64,
    justification: Option<&str>,
    by: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(rfp_awards::table)
        .values((
            rfp_awards::rfp_id.eq(rfp_id),
            rfp_awards::bid_id.eq(bid_id),
            rfp_awards::contract_id.eq(contract_id),
            rfp_awards::justification.eq(justification),
            rfp_awards::awarded_by.eq(by),
            rfp_awards::awarded_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A stored award: (bid, contract, justification, by, when).
pub type AwardRow = (i64, i64, Option<String>, String, NaiveDateTime);

/// The award of an RFP.
pub fn award_of(conn: &mut DbConnection, rfp_id: i64) -> AppResult<Option<AwardRow>> {
    Ok(rfp_awards::table
        .filter(rfp_awards::rfp_id.eq(rfp_id))
        .select((
            rfp_awards::bid_id,
            rfp_awards::contract_id,
            rfp_awards::justification,
            rfp_awards::awarded_by,
            rfp_awards::awarded_at,
        ))
        .get_result(conn)
        .optional()?)
}

/// The award that created a contract: (RFP, bid).
pub fn award_of_contract(
    conn: &mut DbConnection,
    contract_id: i64,
) -> AppResult<Option<(i64, i64)>> {
    Ok(rfp_awards::table
        .filter(rfp_awards::contract_id.eq(contract_id))
        .select((rfp_awards::rfp_id, rfp_awards::bid_id))
        .get_result(conn)
        .optional()?)
}

/// Records that an RFP changed (its criteria, invitations or evaluators): a new version, so a
/// step taken on an older read is refused.
pub fn touch(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> AppResult<()> {
    diesel::update(rfps::table.filter(rfps::id.eq(id)))
        .set((
            rfps::version.eq(rfps::version + 1),
            rfps::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
