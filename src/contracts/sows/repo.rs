use super::model::{Milestone, MilestoneStatus, Sow};
use crate::db::schema::{milestones, sows};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::storage::money_from_units;
use crate::money::{Currency, Money};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
struct SowRow {
    id: i64,
    contract_id: i64,
    project_id: i64,
    title: String,
    scope: Option<String>,
    deliverables: String,
    value_units: i64,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
struct MilestoneRow {
    id: i64,
    sow_id: i64,
    name: String,
    amount_units: i64,
    due_date: NaiveDate,
    acceptance_criteria: String,
    status: String,
    submitted_at: Option<NaiveDateTime>,
    decided_by: Option<String>,
    decided_at: Option<NaiveDateTime>,
    decision_comment: Option<String>,
    version: i64,
}

impl MilestoneRow {
    fn into_milestone(self, currency: Currency) -> AppResult<Milestone> {
        let corrupt = |what: &str| {
            AppError::internal(anyhow::anyhow!(
                "milestone {} has a corrupt {what}",
                self.id
            ))
        };
        Ok(Milestone {
            id: self.id,
            sow_id: self.sow_id,
            name: self.name.clone(),
            amount: money_from_units(self.amount_units, currency)
                .map_err(|_| corrupt("amount"))?
                .amount()
                .to_string(),
            due_date: self.due_date,
            acceptance_criteria: self.acceptance_criteria.clone(),
            status: MilestoneStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            submitted_at: self.submitted_at.map(|t| t.and_utc()),
            decided_by: self.decided_by.clone(),
            decided_at: self.decided_at.map(|t| t.and_utc()),
            decision_comment: self.decision_comment.clone(),
            version: self.version,
        })
    }
}

/// A milestone about to be stored.
#[derive(Debug, Clone)]
pub struct NewMilestone {
    pub name: String,
    pub amount: Money,
    pub due_date: NaiveDate,
    pub acceptance_criteria: String,
}

/// A SOW about to be stored.
#[derive(Debug, Clone)]
pub struct NewSow {
    pub project_id: i64,
    pub title: String,
    pub scope: Option<String>,
    pub deliverables: Vec<String>,
    pub value: Money,
    pub milestones: Vec<NewMilestone>,
}

/// Stores a SOW and its milestones; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    contract_id: i64,
    sow: &NewSow,
    now: NaiveDateTime,
) -> AppResult<i64> {
    use crate::money::storage::money_to_units;
    let id = diesel::insert_into(sows::table)
        .values((
            sows::contract_id.eq(contract_id),
            sows::project_id.eq(sow.project_id),
            sows::title.eq(&sow.title),
            sows::scope.eq(&sow.scope),
            sows::deliverables
                .eq(serde_json::to_string(&sow.deliverables).map_err(AppError::internal)?),
            sows::value_units.eq(money_to_units(&sow.value)?),
            sows::version.eq(1),
            sows::created_at.eq(now),
            sows::updated_at.eq(now),
        ))
        .returning(sows::id)
        .get_result(conn)?;
    insert_milestones(conn, id, &sow.milestones)?;
    Ok(id)
}

/// Adds pending milestones to a SOW.
pub fn insert_milestones(conn: &mut DbConnection, id: i64, new: &[NewMilestone]) -> AppResult<()> {
    use crate::money::storage::money_to_units;
    // One statement per milestone: a SOW has a handful, and multi-row VALUES is not available
    // across both engines in Diesel's multi-connection.
    for milestone in new {
        diesel::insert_into(milestones::table)
            .values((
                milestones::sow_id.eq(id),
                milestones::name.eq(&milestone.name),
                milestones::amount_units.eq(money_to_units(&milestone.amount)?),
                milestones::due_date.eq(milestone.due_date),
                milestones::acceptance_criteria.eq(&milestone.acceptance_criteria),
                milestones::status.eq(MilestoneStatus::Pending.as_str()),
                milestones::version.eq(1),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The stored values of a contract's SOWs, in 1/10,000 units.
pub fn values_of_contract(conn: &mut DbConnection, contract_id: i64) -> QueryResult<Vec<i64>> {
    sows::table
        .filter(sows::contract_id.eq(contract_id))
        .select(sows::value_units)
        .load(conn)
}

/// The SOWs of a contract with their milestones, by id.
pub fn of_contract(
    conn: &mut DbConnection,
    contract_id: i64,
    currency: Currency,
) -> AppResult<Vec<Sow>> {
    let rows: Vec<SowRow> = sows::table
        .filter(sows::contract_id.eq(contract_id))
        .order(sows::id)
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut all: Vec<MilestoneRow> = milestones::table
        .filter(milestones::sow_id.eq_any(&ids))
        .order(milestones::id)
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let own: Vec<MilestoneRow> =
                all.iter().filter(|m| m.sow_id == row.id).cloned().collect();
            all.retain(|m| m.sow_id != row.id);
            let total: i64 = own.iter().map(|m| m.amount_units).sum();
            let corrupt =
                || AppError::internal(anyhow::anyhow!("SOW {} has a corrupt value", row.id));
            Ok(Sow {
                id: row.id,
                contract_id: row.contract_id,
                project_id: row.project_id,
                title: row.title,
                scope: row.scope,
                deliverables: serde_json::from_str(&row.deliverables).map_err(|_| corrupt())?,
                currency: currency.code().to_string(),
                value: money_from_units(row.value_units, currency)
                    .map_err(|_| corrupt())?
                    .amount()
                    .to_string(),
                milestones: own
                    .into_iter()
                    .map(|m| m.into_milestone(currency))
                    .collect::<AppResult<_>>()?,
                milestones_total: money_from_units(total, currency)
                    .map_err(|_| corrupt())?
                    .amount()
                    .to_string(),
                version: row.version,
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}

/// A milestone with the id of its SOW's contract.
pub fn find_milestone(
    conn: &mut DbConnection,
    id: i64,
    currency_of: impl FnOnce(&mut DbConnection, i64) -> AppResult<Currency>,
) -> AppResult<Option<(Milestone, i64)>> {
    let row: Option<(MilestoneRow, i64)> = milestones::table
        .inner_join(sows::table)
        .filter(milestones::id.eq(id))
        .select((milestones::all_columns, sows::contract_id))
        .get_result(conn)
        .optional()?;
    match row {
        None => Ok(None),
        Some((row, contract_id)) => {
            let currency = currency_of(conn, contract_id)?;
            Ok(Some((row.into_milestone(currency)?, contract_id)))
        }
    }
}

/// A milestone transition about to be stored.
#[derive(Debug, Clone)]
pub struct MilestoneChange<'a> {
    pub status: MilestoneStatus,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_by: Option<&'a str>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_comment: Option<&'a str>,
}

/// Writes a transition if the milestone is still at `expected_version`.
pub fn update_milestone(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    change: &MilestoneChange<'_>,
) -> QueryResult<bool> {
    diesel::update(
        milestones::table
            .filter(milestones::id.eq(id))
            .filter(milestones::version.eq(expected_version)),
    )
    .set((
        milestones::status.eq(change.status.as_str()),
        milestones::submitted_at.eq(change.submitted_at),
        milestones::decided_by.eq(change.decided_by),
        milestones::decided_at.eq(change.decided_at),
        milestones::decision_comment.eq(change.decision_comment),
        milestones::version.eq(expected_version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The project a SOW serves.
pub fn project_of_sow(conn: &mut DbConnection, sow_id: i64) -> AppResult<Option<i64>> {
    Ok(sows::table
        .filter(sows::id.eq(sow_id))
        .select(sows::project_id)
        .get_result(conn)
        .optional()?)
}

/// The contract a SOW belongs to.
pub fn contract_of_sow(conn: &mut DbConnection, sow_id: i64) -> AppResult<Option<i64>> {
    Ok(sows::table
        .filter(sows::id.eq(sow_id))
        .select(sows::contract_id)
        .get_result(conn)
        .optional()?)
}

/// Records that a SOW changed.
pub fn touch(conn: &mut DbConnection, sow_id: i64, now: NaiveDateTime) -> AppResult<()> {
    diesel::update(sows::table.filter(sows::id.eq(sow_id)))
        .set((
            sows::version.eq(sows::version + 1),
            sows::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
