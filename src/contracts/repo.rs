use super::model::{
    AwardSource, Contract, ContractDraft, ContractStatus, ContractType, Notice, NoticeUnit,
    RenewalKind, RenewalTerms,
};
use crate::db::schema::{contract_projects, contracts};
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::money::storage::{money_from_units, money_to_units};
use crate::money::Currency;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, Queryable)]
struct ContractRow {
    id: i64,
    number: String,
    vendor_id: i64,
    title: String,
    contract_type: String,
    currency: String,
    ceiling_units: i64,
    start_date: NaiveDate,
    initial_term_months: i32,
    renewal_kind: String,
    renewal_term_months: Option<i32>,
    max_renewals: Option<i32>,
    notice_unit: String,
    notice_value: i32,
    document_urls: String,
    status: String,
    renewals_recorded: i32,
    notice_given_on: Option<NaiveDate>,
    terminated_on: Option<NaiveDate>,
    termination_reason: Option<String>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    scope: Option<String>,
}

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

impl ContractRow {
    fn into_contract(
        self,
        project_ids: Vec<i64>,
        award: Option<AwardSource>,
    ) -> AppResult<Contract> {
        let corrupt = |what: &str| {
            AppError::internal(anyhow::anyhow!("contract {} has a corrupt {what}", self.id))
        };
        let currency = Currency::parse(&self.currency).map_err(|_| corrupt("currency"))?;
        let ceiling =
            money_from_units(self.ceiling_units, currency).map_err(|_| corrupt("ceiling"))?;
        Ok(Contract {
            id: self.id,
            number: self.number.clone(),
            vendor_id: self.vendor_id,
            project_ids,
            title: self.title.clone(),
            scope: self.scope.clone(),
            contract_type: ContractType::parse(&self.contract_type)
                .ok_or_else(|| corrupt("type"))?,
            currency: self.currency.clone(),
            ceiling: ceiling.amount().to_string(),
            start_date: self.start_date,
            initial_term_months: count(self.initial_term_months),
            renewal: RenewalTerms {
                kind: RenewalKind::parse(&self.renewal_kind)
                    .ok_or_else(|| corrupt("renewal kind"))?,
                term_months: self.renewal_term_months.map(count),
                max_renewals: self.max_renewals.map(count),
            },
            notice: Notice {
                unit: NoticeUnit::parse(&self.notice_unit).ok_or_else(|| corrupt("notice unit"))?,
                value: count(self.notice_value),
            },
            document_urls: serde_json::from_str(&self.document_urls)
                .map_err(|_| corrupt("document list"))?,
            status: ContractStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            renewals_recorded: count(self.renewals_recorded),
            notice_given_on: self.notice_given_on,
            terminated_on: self.terminated_on,
            termination_reason: self.termination_reason.clone(),
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            award,
        })
    }
}

/// The RFP awards behind these contracts.
fn awards_of(conn: &mut DbConnection, ids: &[i64]) -> AppResult<HashMap<i64, AwardSource>> {
    use crate::db::schema::rfp_awards;
    let rows: Vec<(i64, i64, i64)> = rfp_awards::table
        .filter(rfp_awards::contract_id.eq_any(ids))
        .select((
            rfp_awards::contract_id,
            rfp_awards::rfp_id,
            rfp_awards::bid_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(contract, rfp_id, bid_id)| (contract, AwardSource { rfp_id, bid_id }))
        .collect())
}

fn small(value: u32) -> i32 {
    // Validation keeps every count and length far below i32::MAX.
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Inserts a draft contract with a provisional number; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    draft: &ContractDraft,
    provisional_number: &str,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let id = diesel::insert_into(contracts::table)
        .values((
            contracts::number.eq(provisional_number),
            contracts::vendor_id.eq(draft.vendor_id),
            contracts::title.eq(&draft.title),
            contracts::scope.eq(&draft.scope),
            contracts::contract_type.eq(draft.contract_type.as_str()),
            contracts::currency.eq(draft.ceiling.currency().code()),
            contracts::ceiling_units.eq(money_to_units(&draft.ceiling)?),
            contracts::start_date.eq(draft.start_date),
            contracts::initial_term_months.eq(small(draft.initial_term_months)),
            contracts::renewal_kind.eq(draft.renewal.kind.as_str()),
            contracts::renewal_term_months.eq(draft.renewal.term_months.map(small)),
            contracts::max_renewals.eq(draft.renewal.max_renewals.map(small)),
            contracts::notice_unit.eq(draft.notice.unit.as_str()),
            contracts::notice_value.eq(small(draft.notice.value)),
            contracts::document_urls
                .eq(serde_json::to_string(&draft.document_urls).map_err(AppError::internal)?),
            contracts::status.eq(ContractStatus::Draft.as_str()),
            contracts::renewals_recorded.eq(0),
            contracts::version.eq(1),
            contracts::created_at.eq(now),
            contracts::updated_at.eq(now),
        ))
        .returning(contracts::id)
        .get_result(conn)?;
    replace_projects(conn, id, &draft.project_ids)?;
    Ok(id)
}

/// Gives a contract its final number.
pub fn set_number(conn: &mut DbConnection, id: i64, number: &str) -> QueryResult<()> {
    diesel::update(contracts::table.filter(contracts::id.eq(id)))
        .set(contracts::number.eq(number))
        .execute(conn)
        .map(|_| ())
}

/// Writes `draft` over contract `id` if it is still at `expected_version`.
pub fn update_terms(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    draft: &ContractDraft,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let changed = diesel::update(
        contracts::table
            .filter(contracts::id.eq(id))
            .filter(contracts::version.eq(expected_version)),
    )
    .set((
        contracts::vendor_id.eq(draft.vendor_id),
        contracts::title.eq(&draft.title),
        contracts::scope.eq(&draft.scope),
        contracts::contract_type.eq(draft.contract_type.as_str()),
        contracts::currency.eq(draft.ceiling.currency().code()),
        contracts::ceiling_units.eq(money_to_units(&draft.ceiling)?),
        contracts::start_date.eq(draft.start_date),
        contracts::initial_term_months.eq(small(draft.initial_term_months)),
        contracts::renewal_kind.eq(draft.renewal.kind.as_str()),
        contracts::renewal_term_months.eq(draft.renewal.term_months.map(small)),
        contracts::max_renewals.eq(draft.renewal.max_renewals.map(small)),
        contracts::notice_unit.eq(draft.notice.unit.as_str()),
        contracts::notice_value.eq(small(draft.notice.value)),
        contracts::document_urls
            .eq(serde_json::to_string(&draft.document_urls).map_err(AppError::internal)?),
        contracts::version.eq(expected_version + 1),
        contracts::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    replace_projects(conn, id, &draft.project_ids)?;
    Ok(true)
}

/// The life-cycle facts a transition changes.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    pub status: ContractStatus,
    pub renewals_recorded: u32,
    pub notice_given_on: Option<NaiveDate>,
    pub terminated_on: Option<NaiveDate>,
    pub termination_reason: Option<String>,
}

/// Writes a transition if the contract is still at `expected_version`.
pub fn update_lifecycle(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    next: &Lifecycle,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        contracts::table
            .filter(contracts::id.eq(id))
            .filter(contracts::version.eq(expected_version)),
    )
    .set((
        contracts::status.eq(next.status.as_str()),
        contracts::renewals_recorded.eq(small(next.renewals_recorded)),
        contracts::notice_given_on.eq(next.notice_given_on),
        contracts::terminated_on.eq(next.terminated_on),
        contracts::termination_reason.eq(&next.termination_reason),
        contracts::version.eq(expected_version + 1),
        contracts::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

fn replace_projects(conn: &mut DbConnection, id: i64, project_ids: &[i64]) -> QueryResult<()> {
    diesel::delete(contract_projects::table.filter(contract_projects::contract_id.eq(id)))
        .execute(conn)?;
    // One statement per project: multi-row VALUES is not available across both engines in
    // Diesel's multi-connection, and a contract serves a handful of projects.
    for project_id in project_ids {
        diesel::insert_into(contract_projects::table)
            .values((
                contract_projects::contract_id.eq(id),
                contract_projects::project_id.eq(project_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The contract with this id (its stored status; `expired` is derived by the service).
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<Contract>> {
    let row: Option<ContractRow> = contracts::table
        .filter(contracts::id.eq(id))
        .get_result(conn)
        .optional()?;
    match row {
        None => Ok(None),
        Some(row) => {
            let projects = contract_projects::table
                .filter(contract_projects::contract_id.eq(row.id))
                .select(contract_projects::project_id)
                .order(contract_projects::project_id)
                .load(conn)?;
            let award = awards_of(conn, &[row.id])?.remove(&row.id);
            row.into_contract(projects, award).map(Some)
        }
    }
}

/// Filters for listing contracts.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    pub vendor_id: Option<i64>,
    pub project_id: Option<i64>,
    pub contract_type: Option<ContractType>,
    /// Stored status (draft, active or terminated).
    pub status: Option<ContractStatus>,
}

/// Contracts with an id above `after`, by id, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &ContractFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<Contract>> {
    let mut query = contracts::table.into_boxed::<MultiBackend>();
    if let Some(vendor_id) = filter.vendor_id {
        query = query.filter(contracts::vendor_id.eq(vendor_id));
    }
    if let Some(project_id) = filter.project_id {
        let serving = contract_projects::table
            .filter(contract_projects::project_id.eq(project_id))
            .select(contract_projects::contract_id);
        query = query.filter(contracts::id.eq_any(serving));
    }
    if let Some(contract_type) = filter.contract_type {
        query = query.filter(contracts::contract_type.eq(contract_type.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(contracts::status.eq(status.as_str()));
    }
    let rows: Vec<ContractRow> = query
        .filter(contracts::id.gt(after))
        .order(contracts::id)
        .limit(limit)
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let pairs: Vec<(i64, i64)> = contract_projects::table
        .filter(contract_projects::contract_id.eq_any(&ids))
        .order((
            contract_projects::contract_id,
            contract_projects::project_id,
        ))
        .load(conn)?;
    let mut awards = awards_of(conn, &ids)?;
    let mut by_contract: HashMap<i64, Vec<i64>> = HashMap::new();
    for (contract_id, project_id) in pairs {
        by_contract.entry(contract_id).or_default().push(project_id);
    }
    rows.into_iter()
        .map(|row| {
            let projects = by_contract.remove(&row.id).unwrap_or_default();
            let award = awards.remove(&row.id);
            row.into_contract(projects, award)
        })
        .collect()
}
