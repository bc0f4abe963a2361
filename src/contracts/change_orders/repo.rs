use super::model::{ChangeOrder, ChangeOrderStatus, ContractFigures};
use crate::db::schema::{contract_change_orders as orders, contracts};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::storage::money_from_units;
use crate::money::Currency;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
struct OrderRow {
    id: i64,
    contract_id: i64,
    sequence: i32,
    reason: String,
    new_ceiling_units: Option<i64>,
    new_initial_term_months: Option<i32>,
    new_scope: Option<String>,
    before_ceiling_units: Option<i64>,
    before_initial_term_months: Option<i32>,
    before_scope: Option<String>,
    status: String,
    proposed_by: String,
    proposed_at: NaiveDateTime,
    decided_by: Option<String>,
    decided_at: Option<NaiveDateTime>,
    decision_reason: Option<String>,
    version: i64,
}

/// A change order with the stored units behind its figures.
#[derive(Debug, Clone)]
pub struct StoredOrder {
    pub order: ChangeOrder,
    pub new_ceiling_units: Option<i64>,
    pub before_ceiling_units: Option<i64>,
}

fn months(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

impl OrderRow {
    fn into_stored(self, currency: Currency) -> AppResult<StoredOrder> {
        let corrupt = |what: &str| {
            AppError::internal(anyhow::anyhow!(
                "change order {} has a corrupt {what}",
                self.id
            ))
        };
        let text = |units: Option<i64>| -> AppResult<Option<String>> {
            units
                .map(|u| money_from_units(u, currency).map(|m| m.amount().to_string()))
                .transpose()
                .map_err(|_| corrupt("amount"))
        };
        let status = ChangeOrderStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?;
        let replaced = (status == ChangeOrderStatus::Approved)
            .then(|| -> AppResult<ContractFigures> {
                Ok(ContractFigures {
                    ceiling: text(self.before_ceiling_units)?,
                    initial_term_months: self.before_initial_term_months.map(months),
                    scope: self.before_scope.clone(),
                })
            })
            .transpose()?;
        Ok(StoredOrder {
            order: ChangeOrder {
                id: self.id,
                contract_id: self.contract_id,
                sequence: months(self.sequence),
                reason: self.reason.clone(),
                changes: ContractFigures {
                    ceiling: text(self.new_ceiling_units)?,
                    initial_term_months: self.new_initial_term_months.map(months),
                    scope: self.new_scope.clone(),
                },
                replaced,
                status,
                proposed_by: self.proposed_by.clone(),
                proposed_at: self.proposed_at.and_utc(),
                decided_by: self.decided_by.clone(),
                decided_at: self.decided_at.map(|t| t.and_utc()),
                decision_reason: self.decision_reason.clone(),
                version: self.version,
            },
            new_ceiling_units: self.new_ceiling_units,
            before_ceiling_units: self.before_ceiling_units,
        })
    }
}

/// A proposed change about to be stored.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub contract_id: i64,
    pub reason: &'a str,
    pub new_ceiling_units: Option<i64>,
    pub new_initial_term_months: Option<i32>,
    pub new_scope: Option<&'a str>,
    pub proposed_by: &'a str,
}

/// Stores a proposed change order as the contract's next in sequence; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    order: &NewOrder<'_>,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let last: Option<i32> = orders::table
        .filter(orders::contract_id.eq(order.contract_id))
        .select(diesel::dsl::max(orders::sequence))
        .get_result(conn)?;
    diesel::insert_into(orders::table)
        .values((
            orders::contract_id.eq(order.contract_id),
            orders::sequence.eq(last.unwrap_or(0) + 1),
            orders::reason.eq(order.reason),
            orders::new_ceiling_units.eq(order.new_ceiling_units),
            orders::new_initial_term_months.eq(order.new_initial_term_months),
            orders::new_scope.eq(order.new_scope),
            orders::status.eq(ChangeOrderStatus::Proposed.as_str()),
            orders::proposed_by.eq(order.proposed_by),
            orders::proposed_at.eq(now),
            orders::version.eq(1),
        ))
        .returning(orders::id)
        .get_result(conn)
}

/// The change order with this id, with its contract's currency.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<StoredOrder>> {
    let row: Option<(OrderRow, String)> = orders::table
        .inner_join(contracts::table)
        .filter(orders::id.eq(id))
        .select((orders::all_columns, contracts::currency))
        .get_result(conn)
        .optional()?;
    row.map(|(row, currency)| {
        let currency = Currency::parse(&currency).map_err(AppError::internal)?;
        row.into_stored(currency)
    })
    .transpose()
}

/// The change orders of a contract, by sequence.
pub fn of_contract(
    conn: &mut DbConnection,
    contract_id: i64,
    currency: Currency,
) -> AppResult<Vec<StoredOrder>> {
    let rows: Vec<OrderRow> = orders::table
        .filter(orders::contract_id.eq(contract_id))
        .order(orders::sequence)
        .load(conn)?;
    rows.into_iter().map(|r| r.into_stored(currency)).collect()
}

/// A decision about to be stored.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub status: ChangeOrderStatus,
    pub decided_by: &'a str,
    pub reason: Option<&'a str>,
    pub before_ceiling_units: Option<i64>,
    pub before_initial_term_months: Option<i32>,
    pub before_scope: Option<Option<String>>,
}

/// Records a decision if the change order is still proposed at `expected_version`.
pub fn decide(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    decision: &Decision<'_>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        orders::table
            .filter(orders::id.eq(id))
            .filter(orders::version.eq(expected_version))
            .filter(orders::status.eq(ChangeOrderStatus::Proposed.as_str())),
    )
    .set((
        orders::status.eq(decision.status.as_str()),
        orders::decided_by.eq(decision.decided_by),
        orders::decided_at.eq(now),
        orders::decision_reason.eq(decision.reason),
        orders::before_ceiling_units.eq(decision.before_ceiling_units),
        orders::before_initial_term_months.eq(decision.before_initial_term_months),
        orders::before_scope.eq(decision.before_scope.clone().flatten()),
        orders::version.eq(expected_version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Applies approved figures to a contract at `expected_version`.
pub fn apply_to_contract(
    conn: &mut DbConnection,
    contract_id: i64,
    expected_version: i64,
    ceiling_units: i64,
    initial_term_months: i32,
    scope: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        contracts::table
            .filter(contracts::id.eq(contract_id))
            .filter(contracts::version.eq(expected_version)),
    )
    .set((
        contracts::ceiling_units.eq(ceiling_units),
        contracts::initial_term_months.eq(initial_term_months),
        contracts::scope.eq(scope),
        contracts::version.eq(expected_version + 1),
        contracts::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}
