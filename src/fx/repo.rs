use super::model::FxRate;
use crate::db::schema::fx_rates;
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::money::storage::{decimal_from_text, decimal_to_text};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Queryable)]
struct RateRow {
    id: i64,
    from_currency: String,
    to_currency: String,
    rate_date: NaiveDate,
    rate: String,
    source: Option<String>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A rate as stored, with its exact value.
#[derive(Debug, Clone)]
pub struct StoredRate {
    pub rate: FxRate,
    pub value: Decimal,
}

impl RateRow {
    fn into_stored(self) -> AppResult<StoredRate> {
        let value = decimal_from_text(&self.rate).map_err(|_| {
            AppError::internal(anyhow::anyhow!("FX rate {} has a corrupt rate", self.id))
        })?;
        Ok(StoredRate {
            rate: FxRate {
                id: self.id,
                from: self.from_currency,
                to: self.to_currency,
                date: self.rate_date,
                rate: self.rate,
                source: self.source,
                version: self.version,
                created_at: self.created_at.and_utc(),
                updated_at: self.updated_at.and_utc(),
            },
            value,
        })
    }
}

/// Inserts a rate; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    date: NaiveDate,
    rate: Decimal,
    source: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(fx_rates::table)
        .values((
            fx_rates::from_currency.eq(from),
            fx_rates::to_currency.eq(to),
            fx_rates::rate_date.eq(date),
            fx_rates::rate.eq(decimal_to_text(rate)),
            fx_rates::source.eq(source),
            fx_rates::version.eq(1),
            fx_rates::created_at.eq(now),
            fx_rates::updated_at.eq(now),
        ))
        .returning(fx_rates::id)
        .get_result(conn)
}

/// Writes a new rate and source over rate `id` if it is still at `expected_version`.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    rate: Decimal,
    source: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        fx_rates::table
            .filter(fx_rates::id.eq(id))
            .filter(fx_rates::version.eq(expected_version)),
    )
    .set((
        fx_rates::rate.eq(decimal_to_text(rate)),
        fx_rates::source.eq(source),
        fx_rates::version.eq(expected_version + 1),
        fx_rates::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The rate with this id.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<StoredRate>> {
    let row: Option<RateRow> = fx_rates::table
        .filter(fx_rates::id.eq(id))
        .get_result(conn)
        .optional()?;
    row.map(RateRow::into_stored).transpose()
}

/// The id of the rate for this pair and date.
pub fn id_by_key(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    date: NaiveDate,
) -> QueryResult<Option<i64>> {
    fx_rates::table
        .filter(fx_rates::from_currency.eq(from))
        .filter(fx_rates::to_currency.eq(to))
        .filter(fx_rates::rate_date.eq(date))
        .select(fx_rates::id)
        .get_result(conn)
        .optional()
}

/// The latest rate of the pair on or before `date`.
pub fn latest_on_or_before(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    date: NaiveDate,
) -> AppResult<Option<StoredRate>> {
    let row: Option<RateRow> = fx_rates::table
        .filter(fx_rates::from_currency.eq(from))
        .filter(fx_rates::to_currency.eq(to))
        .filter(fx_rates::rate_date.le(date))
        .order(fx_rates::rate_date.desc())
        .first(conn)
        .optional()?;
    row.map(RateRow::into_stored).transpose()
}

/// Filters for listing rates.
#[derive(Debug, Clone, Default)]
pub struct RateFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
}

/// Rates with an id above `after`, by id, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &RateFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<FxRate>> {
    let mut query = fx_rates::table.into_boxed::<MultiBackend>();
    if let Some(from) = &filter.from {
        query = query.filter(fx_rates::from_currency.eq(from.clone()));
    }
    if let Some(to) = &filter.to {
        query = query.filter(fx_rates::to_currency.eq(to.clone()));
    }
    if let Some(date) = filter.date_from {
        query = query.filter(fx_rates::rate_date.ge(date));
    }
    if let Some(date) = filter.date_to {
        query = query.filter(fx_rates::rate_date.le(date));
    }
    let rows: Vec<RateRow> = query
        .filter(fx_rates::id.gt(after))
        .order(fx_rates::id)
        .limit(limit)
        .load(conn)?;
    rows.into_iter()
        .map(|r| r.into_stored().map(|s| s.rate))
        .collect()
}
