use super::model::{BudgetCategory, BudgetLine, MonthlyAmount, Phasing};
use crate::db::schema::{budget_line_months, budget_lines};
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::money::storage::{money_from_units, money_to_units};
use crate::money::{Currency, Money};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, Queryable)]
struct LineRow {
    id: i64,
    project_id: i64,
    category: String,
    cost_center: String,
    description: Option<String>,
    currency: String,
    amount_units: i64,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The facts of a line as stored, for the service to work with.
#[derive(Debug, Clone)]
pub struct StoredLine {
    pub line: BudgetLine,
    pub amount: Money,
    pub phasing: Phasing,
}

fn corrupt(id: i64, what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("budget line {id} has a corrupt {what}"))
}

impl LineRow {
    fn into_stored(self, months: Vec<(String, i64)>) -> AppResult<StoredLine> {
        let currency = Currency::parse(&self.currency).map_err(|_| corrupt(self.id, "currency"))?;
        let amount = money_from_units(self.amount_units, currency)
            .map_err(|_| corrupt(self.id, "amount"))?;
        let category =
            BudgetCategory::parse(&self.category).ok_or_else(|| corrupt(self.id, "category"))?;
        let phasing = months
            .into_iter()
            .map(|(month, units)| money_from_units(units, currency).map(|m| (month, m)))
            .collect::<Result<Phasing, _>>()
            .map_err(|_| corrupt(self.id, "month amount"))?;
        Ok(StoredLine {
            line: BudgetLine {
                id: self.id,
                project_id: self.project_id,
                category,
                cost_center: self.cost_center,
                description: self.description,
                currency: self.currency,
                amount: amount.amount().to_string(),
                months: phasing
                    .iter()
                    .map(|(month, money)| MonthlyAmount {
                        month: month.clone(),
                        amount: money.amount().to_string(),
                    })
                    .collect(),
                version: self.version,
                created_at: self.created_at.and_utc(),
                updated_at: self.updated_at.and_utc(),
            },
            amount,
            phasing,
        })
    }
}

/// The editable facts of a line.
#[derive(Debug, Clone)]
pub struct LineValues<'a> {
    pub category: BudgetCategory,
    pub cost_center: &'a str,
    pub description: Option<&'a str>,
    pub amount: Money,
}

/// Inserts a line and its phasing; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    project_id: i64,
    values: &LineValues<'_>,
    phasing: &Phasing,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let id = diesel::insert_into(budget_lines::table)
        .values((
            budget_lines::project_id.eq(project_id),
            budget_lines::category.eq(values.category.as_str()),
            budget_lines::cost_center.eq(values.cost_center),
            budget_lines::description.eq(values.description),
            budget_lines::currency.eq(values.amount.currency().code()),
            budget_lines::amount_units.eq(money_to_units(&values.amount)?),
            budget_lines::version.eq(1),
            budget_lines::created_at.eq(now),
            budget_lines::updated_at.eq(now),
        ))
        .returning(budget_lines::id)
        .get_result(conn)?;
    replace_phasing(conn, id, phasing)?;
    Ok(id)
}

/// Writes new values and phasing over line `id` if it is still at `expected_version`.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    values: &LineValues<'_>,
    phasing: &Phasing,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let changed = diesel::update(
        budget_lines::table
            .filter(budget_lines::id.eq(id))
            .filter(budget_lines::version.eq(expected_version)),
    )
    .set((
        budget_lines::category.eq(values.category.as_str()),
        budget_lines::cost_center.eq(values.cost_center),
        budget_lines::description.eq(values.description),
        budget_lines::amount_units.eq(money_to_units(&values.amount)?),
        budget_lines::version.eq(expected_version + 1),
        budget_lines::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    replace_phasing(conn, id, phasing)?;
    Ok(true)
}

fn replace_phasing(conn: &mut DbConnection, id: i64, phasing: &Phasing) -> AppResult<()> {
    diesel::delete(budget_line_months::table.filter(budget_line_months::budget_line_id.eq(id)))
        .execute(conn)?;
    // One statement per month (a line spans a few dozen months at most): multi-row VALUES is
    // not available across both engines in Diesel's multi-connection.
    for (month, money) in phasing {
        diesel::insert_into(budget_line_months::table)
            .values((
                budget_line_months::budget_line_id.eq(id),
                budget_line_months::month.eq(month),
                budget_line_months::amount_units.eq(money_to_units(money)?),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The line with this id.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<StoredLine>> {
    let row: Option<LineRow> = budget_lines::table
        .filter(budget_lines::id.eq(id))
        .get_result(conn)
        .optional()?;
    match row {
        None => Ok(None),
        Some(row) => {
            let mut months = months_of(conn, &[row.id])?;
            let own = months.remove(&row.id).unwrap_or_default();
            row.into_stored(own).map(Some)
        }
    }
}

/// A line's project and currency, without its phasing (for documents that charge it).
pub fn owner_and_currency(conn: &mut DbConnection, id: i64) -> AppResult<Option<(i64, Currency)>> {
    let row: Option<(i64, String)> = budget_lines::table
        .filter(budget_lines::id.eq(id))
        .select((budget_lines::project_id, budget_lines::currency))
        .get_result(conn)
        .optional()?;
    row.map(|(project, currency)| {
        Currency::parse(&currency)
            .map(|c| (project, c))
            .map_err(|_| corrupt(id, "currency"))
    })
    .transpose()
}

/// The id of the line with this project, category and cost center.
pub fn id_by_key(
    conn: &mut DbConnection,
    project_id: i64,
    category: BudgetCategory,
    cost_center: &str,
) -> QueryResult<Option<i64>> {
    budget_lines::table
        .filter(budget_lines::project_id.eq(project_id))
        .filter(budget_lines::category.eq(category.as_str()))
        .filter(budget_lines::cost_center.eq(cost_center))
        .select(budget_lines::id)
        .get_result(conn)
        .optional()
}

/// Filters for listing lines.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub project_id: Option<i64>,
    pub category: Option<BudgetCategory>,
    pub cost_center: Option<String>,
}

/// Lines with an id above `after`, by id, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &LineFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<BudgetLine>> {
    let mut query = budget_lines::table.into_boxed::<MultiBackend>();
    if let Some(project_id) = filter.project_id {
        query = query.filter(budget_lines::project_id.eq(project_id));
    }
    if let Some(category) = filter.category {
        query = query.filter(budget_lines::category.eq(category.as_str()));
    }
    if let Some(cost_center) = &filter.cost_center {
        query = query.filter(budget_lines::cost_center.eq(cost_center.clone()));
    }
    let rows: Vec<LineRow> = query
        .filter(budget_lines::id.gt(after))
        .order(budget_lines::id)
        .limit(limit)
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut months = months_of(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let own = months.remove(&row.id).unwrap_or_default();
            row.into_stored(own).map(|s| s.line)
        })
        .collect()
}

fn months_of(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<(String, i64)>>> {
    let rows: Vec<(i64, String, i64)> = budget_line_months::table
        .filter(budget_line_months::budget_line_id.eq_any(ids))
        .order((
            budget_line_months::budget_line_id,
            budget_line_months::month,
        ))
        .load(conn)?;
    let mut by_line: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for (id, month, units) in rows {
        by_line.entry(id).or_default().push((month, units));
    }
    Ok(by_line)
}
