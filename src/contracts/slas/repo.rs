use super::model::{
    MeasurementPeriod, Sla, SlaCap, SlaDirection, SlaDraft, SlaFields, SlaMetric, SlaPeriod,
    SlaTier,
};
use crate::db::schema::{sla_measurements, slas};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::storage::{
    amount_from_units, decimal_from_text, decimal_to_text, money_from_units, money_to_units,
};
use crate::money::Currency;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
struct SlaRow {
    id: i64,
    contract_id: i64,
    name: String,
    metric: String,
    direction: String,
    unit: String,
    target: String,
    currency: String,
    period_fee_units: i64,
    tiers: String,
    cap: Option<String>,
    minimum_credit_units: Option<i64>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    measurement_period: String,
}

/// An SLA as stored, with the validated terms the calculator needs.
#[derive(Debug, Clone)]
pub struct StoredSla {
    pub sla: Sla,
    pub draft: SlaDraft,
}

impl SlaRow {
    fn into_stored(self) -> AppResult<StoredSla> {
        let corrupt = |what: &str| {
            AppError::internal(anyhow::anyhow!("SLA {} has a corrupt {what}", self.id))
        };
        let currency = Currency::parse(&self.currency).map_err(|_| corrupt("currency"))?;
        let metric = SlaMetric::parse(&self.metric).ok_or_else(|| corrupt("metric"))?;
        let direction = SlaDirection::parse(&self.direction).ok_or_else(|| corrupt("direction"))?;
        let tiers: Vec<SlaTier> =
            serde_json::from_str(&self.tiers).map_err(|_| corrupt("tier list"))?;
        let cap: Option<SlaCap> = self
            .cap
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| corrupt("cap"))?;
        let fee = money_from_units(self.period_fee_units, currency).map_err(|_| corrupt("fee"))?;
        let minimum = self.minimum_credit_units.map(amount_from_units);
        let measurement_period = MeasurementPeriod::parse(&self.measurement_period)
            .ok_or_else(|| corrupt("measurement period"))?;
        // The stored terms passed this validation when written; reading them back the same way
        // gives the calculator exactly the terms that were accepted.
        let draft = SlaDraft::parse(
            SlaFields {
                name: self.name.clone(),
                metric,
                direction: Some(direction),
                unit: Some(self.unit.clone()),
                target: decimal_from_text(&self.target).map_err(|_| corrupt("target"))?,
                period_fee: fee.amount(),
                tiers: tiers.clone(),
                cap: cap.clone(),
                minimum_credit: minimum,
                measurement_period,
            },
            currency,
        )
        .map_err(|_| corrupt("terms"))?;
        Ok(StoredSla {
            sla: Sla {
                id: self.id,
                contract_id: self.contract_id,
                name: self.name,
                metric,
                direction,
                unit: self.unit,
                target: self.target,
                currency: self.currency,
                measurement_period,
                period_fee: fee.amount().to_string(),
                tiers,
                cap,
                minimum_credit: draft.minimum_credit.map(|m| m.amount().to_string()),
                version: self.version,
                created_at: self.created_at.and_utc(),
                updated_at: self.updated_at.and_utc(),
            },
            draft,
        })
    }
}

/// Inserts an SLA; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    contract_id: i64,
    draft: &SlaDraft,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let cap = draft
        .cap
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(AppError::internal)?;
    let minimum = draft
        .minimum_credit
        .as_ref()
        .map(money_to_units)
        .transpose()?;
    Ok(diesel::insert_into(slas::table)
        .values((
            slas::contract_id.eq(contract_id),
            slas::name.eq(&draft.name),
            slas::metric.eq(draft.metric.as_str()),
            slas::direction.eq(draft.direction.as_str()),
            slas::unit.eq(&draft.unit),
            slas::target.eq(decimal_to_text(draft.target)),
            slas::currency.eq(draft.period_fee.currency().code()),
            slas::period_fee_units.eq(money_to_units(&draft.period_fee)?),
            slas::measurement_period.eq(draft.measurement_period.as_str()),
            slas::tiers.eq(serde_json::to_string(&draft.tiers).map_err(AppError::internal)?),
            slas::cap.eq(cap),
            slas::minimum_credit_units.eq(minimum),
            slas::version.eq(1),
            slas::created_at.eq(now),
            slas::updated_at.eq(now),
        ))
        .returning(slas::id)
        .get_result(conn)?)
}

/// The SLA with this id.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<StoredSla>> {
    let row: Option<SlaRow> = slas::table
        .filter(slas::id.eq(id))
        .get_result(conn)
        .optional()?;
    row.map(SlaRow::into_stored).transpose()
}

/// The SLAs of a contract, by id.
pub fn of_contract(conn: &mut DbConnection, contract_id: i64) -> AppResult<Vec<StoredSla>> {
    let rows: Vec<SlaRow> = slas::table
        .filter(slas::contract_id.eq(contract_id))
        .order(slas::id)
        .load(conn)?;
    rows.into_iter().map(SlaRow::into_stored).collect()
}

/// A measured period about to be stored, with its evaluation.
#[derive(Debug, Clone)]
pub struct NewMeasurement<'a> {
    pub sla_id: i64,
    pub period: &'a str,
    pub measured_value: Option<String>,
    pub downtime_minutes: Option<String>,
    pub value: String,
    pub met: bool,
    pub tier: Option<i32>,
    pub credit_units: i64,
    pub credit_status: &'a str,
    pub recorded_by: &'a str,
}

/// Stores a measured period.
pub fn insert_measurement(
    conn: &mut DbConnection,
    m: &NewMeasurement<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sla_measurements::table)
        .values((
            sla_measurements::sla_id.eq(m.sla_id),
            sla_measurements::period.eq(m.period),
            sla_measurements::measured_value.eq(&m.measured_value),
            sla_measurements::downtime_minutes.eq(&m.downtime_minutes),
            sla_measurements::value.eq(&m.value),
            sla_measurements::met.eq(m.met),
            sla_measurements::tier.eq(m.tier),
            sla_measurements::credit_units.eq(m.credit_units),
            sla_measurements::credit_status.eq(m.credit_status),
            sla_measurements::recorded_by.eq(m.recorded_by),
            sla_measurements::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Whether the SLA already has this period.
pub fn has_period(conn: &mut DbConnection, sla_id: i64, period: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sla_measurements::table
            .filter(sla_measurements::sla_id.eq(sla_id))
            .filter(sla_measurements::period.eq(period)),
    ))
    .get_result(conn)
}

type PeriodRow = (
    String,
    Option<String>,
    String,
    bool,
    Option<i32>,
    i64,
    String,
);

/// The measured periods of an SLA, by period, shown against `stored`'s terms.
pub fn periods(conn: &mut DbConnection, stored: &StoredSla) -> AppResult<Vec<(SlaPeriod, i64)>> {
    let rows: Vec<PeriodRow> = sla_measurements::table
        .filter(sla_measurements::sla_id.eq(stored.sla.id))
        .order(sla_measurements::period)
        .select((
            sla_measurements::period,
            sla_measurements::downtime_minutes,
            sla_measurements::value,
            sla_measurements::met,
            sla_measurements::tier,
            sla_measurements::credit_units,
            sla_measurements::credit_status,
        ))
        .load(conn)?;
    let currency = stored.draft.period_fee.currency();
    rows.into_iter()
        .map(
            |(period, downtime_minutes, value, met, tier, credit_units, credit_status)| {
                let credit =
                    money_from_units(credit_units, currency).map_err(AppError::internal)?;
                let tier_threshold = tier
                    .and_then(|t| usize::try_from(t).ok())
                    .and_then(|t| stored.sla.tiers.get(t))
                    .map(|t| t.threshold.clone());
                Ok((
                    SlaPeriod {
                        period,
                        value,
                        downtime_minutes,
                        target: stored.sla.target.clone(),
                        met,
                        tier_threshold,
                        credit: credit.amount().to_string(),
                        credit_status,
                    },
                    credit_units,
                ))
            },
        )
        .collect()
}

/// What a credit memo needs of an SLA period: `(contract_id, period, credit_units, credit_status)`.
pub fn measurement_credit(
    conn: &mut DbConnection,
    measurement_id: i64,
) -> AppResult<Option<(i64, String, i64, String)>> {
    Ok(sla_measurements::table
        .inner_join(slas::table)
        .filter(sla_measurements::id.eq(measurement_id))
        .select((
            slas::contract_id,
            sla_measurements::period,
            sla_measurements::credit_units,
            sla_measurements::credit_status,
        ))
        .get_result(conn)
        .optional()?)
}

/// Marks an SLA period's credit (`receivable` → `applied` when its credit memo is approved).
pub fn set_credit_status(
    conn: &mut DbConnection,
    measurement_id: i64,
    status: &str,
) -> AppResult<()> {
    diesel::update(sla_measurements::table.filter(sla_measurements::id.eq(measurement_id)))
        .set(sla_measurements::credit_status.eq(status))
        .execute(conn)?;
    Ok(())
}

/// Writes new terms over SLA `id` if it is still at `expected_version`.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    draft: &SlaDraft,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let cap = draft
        .cap
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(AppError::internal)?;
    let minimum = draft
        .minimum_credit
        .as_ref()
        .map(money_to_units)
        .transpose()?;
    let changed = diesel::update(
        slas::table
            .filter(slas::id.eq(id))
            .filter(slas::version.eq(expected_version)),
    )
    .set((
        slas::name.eq(&draft.name),
        slas::unit.eq(&draft.unit),
        slas::target.eq(decimal_to_text(draft.target)),
        slas::period_fee_units.eq(money_to_units(&draft.period_fee)?),
        slas::measurement_period.eq(draft.measurement_period.as_str()),
        slas::tiers.eq(serde_json::to_string(&draft.tiers).map_err(AppError::internal)?),
        slas::cap.eq(cap),
        slas::minimum_credit_units.eq(minimum),
        slas::version.eq(expected_version + 1),
        slas::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}
