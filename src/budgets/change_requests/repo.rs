//! Budget change request rows. Phasings are stored as JSON `[["YYYY-MM", "amount"], …]`.

use super::{BudgetChangeRequest, ChangeRequestStatus};
use crate::budgets::model::{MonthlyAmount, Phasing};
use crate::db::schema::budget_change_requests as requests;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::storage::{money_from_units, money_to_units};
use crate::money::{parse_decimal, Currency, Money};
use chrono::NaiveDateTime;
use diesel::prelude::*;

type Row = (
    i64,
    i64,
    String,
    i64,
    i64,
    String,
    i64,
    String,
    String,
    String,
    i64,
    NaiveDateTime,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
);

/// A request as stored, with what the service needs to apply it.
#[derive(Debug, Clone)]
pub struct StoredRequest {
    /// As shown.
    pub request: BudgetChangeRequest,
    /// The proposed amount.
    pub amount: Money,
    /// The proposed phasing.
    pub phasing: Phasing,
    /// The proposer's token.
    pub proposed_by_token: i64,
}

/// A new request.
pub struct NewRequest<'a> {
    pub budget_line_id: i64,
    pub base_version: i64,
    pub base_amount: Money,
    pub base_phasing: &'a Phasing,
    pub amount: Money,
    pub phasing: &'a Phasing,
    pub reason: &'a str,
    pub proposed_by: &'a str,
    pub proposed_by_token: i64,
}

fn phasing_text(phasing: &Phasing) -> AppResult<String> {
    let pairs: Vec<(&str, String)> = phasing
        .iter()
        .map(|(month, money)| (month.as_str(), money.amount().to_string()))
        .collect();
    serde_json::to_string(&pairs).map_err(AppError::internal)
}

fn phasing_from(text: &str, currency: Currency) -> AppResult<Phasing> {
    let corrupt = || AppError::internal(anyhow::anyhow!("corrupt change request phasing"));
    let pairs: Vec<(String, String)> = serde_json::from_str(text).map_err(|_| corrupt())?;
    pairs
        .into_iter()
        .map(|(month, amount)| {
            let amount = parse_decimal(&amount).map_err(|_| corrupt())?;
            Ok((month, Money::new(amount, currency).map_err(|_| corrupt())?))
        })
        .collect()
}

fn shown(phasing: &Phasing) -> Vec<MonthlyAmount> {
    phasing
        .iter()
        .map(|(month, money)| MonthlyAmount {
            month: month.clone(),
            amount: money.amount().to_string(),
        })
        .collect()
}

/// Inserts a proposed request; returns its id.
pub fn insert(conn: &mut DbConnection, new: &NewRequest<'_>, now: NaiveDateTime) -> AppResult<i64> {
    Ok(diesel::insert_into(requests::table)
        .values((
            requests::budget_line_id.eq(new.budget_line_id),
            requests::status.eq(ChangeRequestStatus::Proposed.as_str()),
            requests::base_version.eq(new.base_version),
            requests::base_amount_units.eq(money_to_units(&new.base_amount)?),
            requests::base_months.eq(phasing_text(new.base_phasing)?),
            requests::amount_units.eq(money_to_units(&new.amount)?),
            requests::months.eq(phasing_text(new.phasing)?),
            requests::reason.eq(new.reason),
            requests::proposed_by.eq(new.proposed_by),
            requests::proposed_by_token.eq(new.proposed_by_token),
            requests::proposed_at.eq(now),
        ))
        .returning(requests::id)
        .get_result(conn)?)
}

/// The columns of [`Row`], in order.
type Columns = (
    requests::id,
    requests::budget_line_id,
    requests::status,
    requests::base_version,
    requests::base_amount_units,
    requests::base_months,
    requests::amount_units,
    requests::months,
    requests::reason,
    requests::proposed_by,
    requests::proposed_by_token,
    requests::proposed_at,
    requests::decided_by,
    requests::decided_at,
    requests::decision_reason,
);

const COLUMNS: Columns = (
    requests::id,
    requests::budget_line_id,
    requests::status,
    requests::base_version,
    requests::base_amount_units,
    requests::base_months,
    requests::amount_units,
    requests::months,
    requests::reason,
    requests::proposed_by,
    requests::proposed_by_token,
    requests::proposed_at,
    requests::decided_by,
    requests::decided_at,
    requests::decision_reason,
);

fn into_stored(row: Row, currency: Currency) -> AppResult<StoredRequest> {
    let (
        id,
        budget_line_id,
        status,
        base_version,
        base_units,
        base_months,
        units,
        months,
        reason,
        proposed_by,
        proposed_by_token,
        proposed_at,
        decided_by,
        decided_at,
        decision_reason,
    ) = row;
    let status = ChangeRequestStatus::parse(&status)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("change request {id}: bad status")))?;
    let before = money_from_units(base_units, currency)?;
    let amount = money_from_units(units, currency)?;
    let base_phasing = phasing_from(&base_months, currency)?;
    let phasing = phasing_from(&months, currency)?;
    Ok(StoredRequest {
        request: BudgetChangeRequest {
            id,
            budget_line_id,
            status,
            base_version,
            amount_before: before.amount().to_string(),
            months_before: shown(&base_phasing),
            amount: amount.amount().to_string(),
            months: shown(&phasing),
            change: amount.checked_sub(&before)?.amount().to_string(),
            reason,
            proposed_by,
            proposed_at: proposed_at.and_utc(),
            decided_by,
            decided_at: decided_at.map(|at| at.and_utc()),
            decision_reason,
        },
        amount,
        phasing,
        proposed_by_token,
    })
}

/// The request with this id, in its line's currency.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<StoredRequest>> {
    use crate::db::schema::budget_lines;
    let row: Option<(Row, String)> = requests::table
        .inner_join(budget_lines::table)
        .filter(requests::id.eq(id))
        .select((COLUMNS, budget_lines::currency))
        .get_result(conn)
        .optional()?;
    row.map(|(row, currency)| into_stored(row, Currency::parse(&currency)?))
        .transpose()
}

/// Every request of a line, oldest first.
pub fn of_line(
    conn: &mut DbConnection,
    budget_line_id: i64,
    currency: Currency,
) -> AppResult<Vec<BudgetChangeRequest>> {
    let rows: Vec<Row> = requests::table
        .filter(requests::budget_line_id.eq(budget_line_id))
        .order(requests::id)
        .select(COLUMNS)
        .load(conn)?;
    rows.into_iter()
        .map(|row| into_stored(row, currency).map(|s| s.request))
        .collect()
}

/// Records a decision on a request that is still proposed; false when it no longer is.
pub fn decide(
    conn: &mut DbConnection,
    id: i64,
    status: ChangeRequestStatus,
    by: (&str, i64),
    reason: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let changed = diesel::update(
        requests::table
            .filter(requests::id.eq(id))
            .filter(requests::status.eq(ChangeRequestStatus::Proposed.as_str())),
    )
    .set((
        requests::status.eq(status.as_str()),
        requests::decided_by.eq(Some(by.0)),
        requests::decided_by_token.eq(Some(by.1)),
        requests::decided_at.eq(Some(now)),
        requests::decision_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}
