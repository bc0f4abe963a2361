//! SLA use cases: define an SLA under a contract, record a period's measurement (evaluated and
//! frozen with its credit), report every period. Changes run in the caller's transaction and
//! write their audit rows.

use super::model::{
    MeasurementPeriod, Sla, SlaCap, SlaDraft, SlaFields, SlaMetric, SlaPeriod, SlaTier,
};
use super::repo::{self, NewMeasurement, StoredSla};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::contracts::credits::{evaluate, Measurement};
use crate::contracts::model::{Contract, ContractStatus};
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::money::storage::{decimal_to_text, money_to_units};
use crate::money::{Currency, Money};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

fn contract(conn: &mut DbConnection, id: i64) -> AppResult<Contract> {
    crate::contracts::repo::find(conn, id)?.ok_or_else(|| AppError::not_found("contract", id))
}

/// Defines an SLA under a draft or active contract, in the contract's currency.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Actor,
    contract_id: i64,
    fields: SlaFields,
) -> AppResult<Sla> {
    let contract = contract(tx, contract_id)?;
    if contract.status == ContractStatus::Terminated {
        return Err(contract.refuse("add an SLA to"));
    }
    let currency = Currency::parse(&contract.currency).map_err(AppError::internal)?;
    let draft = SlaDraft::parse(fields, currency)?;
    let id = repo::insert(tx, contract_id, &draft, clock::now())?;
    let sla = get(tx, id)?.sla;
    audit::record(
        tx,
        &actor.name,
        "sla.create",
        "sla",
        id,
        None::<&()>,
        Some(&sla),
    )?;
    Ok(sla)
}

/// Changes to an SLA's terms; `None` leaves a field, `Some(None)` clears the cap or minimum.
#[derive(Debug, Clone, Default)]
pub struct SlaChanges {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub target: Option<Decimal>,
    pub period_fee: Option<Decimal>,
    pub tiers: Option<Vec<SlaTier>>,
    pub cap: Option<Option<SlaCap>>,
    pub minimum_credit: Option<Option<Decimal>>,
    pub measurement_period: Option<MeasurementPeriod>,
}

/// Changes an SLA's terms at `expected_version`. Periods already recorded keep the evaluation
/// and credit they were given; the new terms apply to periods recorded from now on. The metric
/// never changes, and the measurement period only while no period is recorded (409
/// `periods_recorded`).
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    changes: SlaChanges,
) -> AppResult<Sla> {
    let before = get(tx, id)?;
    crate::lifecycle::check_version("SLA", id, before.sla.version, expected_version)?;
    let contract = contract(tx, before.sla.contract_id)?;
    if contract.status == ContractStatus::Terminated {
        return Err(contract.refuse("change an SLA of"));
    }
    if let Some(kind) = changes.measurement_period {
        if kind != before.draft.measurement_period && !repo::periods(tx, &before)?.is_empty() {
            return Err(AppError::conflict(
                "periods_recorded",
                format!(
                    "SLA {id} already has recorded {} periods; its measurement period cannot change",
                    before.draft.measurement_period.as_str()
                ),
            ));
        }
    }
    let currency = before.draft.period_fee.currency();
    let d = &before.draft;
    let fields = SlaFields {
        name: changes.name.unwrap_or_else(|| d.name.clone()),
        metric: d.metric,
        direction: Some(d.direction),
        unit: Some(changes.unit.unwrap_or_else(|| d.unit.clone())),
        target: changes.target.unwrap_or(d.target),
        period_fee: changes.period_fee.unwrap_or(d.period_fee.amount()),
        tiers: changes.tiers.unwrap_or_else(|| d.tiers.clone()),
        cap: changes.cap.unwrap_or_else(|| d.cap.clone()),
        minimum_credit: changes
            .minimum_credit
            .unwrap_or_else(|| d.minimum_credit.map(|m| m.amount())),
        measurement_period: changes.measurement_period.unwrap_or(d.measurement_period),
    };
    let draft = SlaDraft::parse(fields, currency)?;
    if !repo::update(tx, id, expected_version, &draft, clock::now())? {
        let current = get(tx, id)?;
        return Err(AppError::version_conflict(
            "SLA",
            id,
            expected_version,
            current.sla.version,
        ));
    }
    let after = get(tx, id)?.sla;
    audit::record(
        tx,
        &actor.name,
        "sla.update",
        "sla",
        id,
        Some(&before.sla),
        Some(&after),
    )?;
    Ok(after)
}

fn get(conn: &mut DbConnection, id: i64) -> AppResult<StoredSla> {
    repo::find(conn, id)?.ok_or_else(|| AppError::not_found("SLA", id))
}

/// The SLAs of a contract.
pub fn list(conn: &mut DbConnection, contract_id: i64) -> AppResult<Vec<Sla>> {
    contract(conn, contract_id)?;
    Ok(repo::of_contract(conn, contract_id)?
        .into_iter()
        .map(|s| s.sla)
        .collect())
}

/// What was measured in a period: the value itself, or (availability only) minutes of downtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measured {
    /// The value in the SLA's unit.
    Value(Decimal),
    /// Minutes of downtime in the period.
    DowntimeMinutes(Decimal),
}

/// Records and evaluates one period of an SLA (a month, quarter or year, as the SLA measures);
/// the result and its credit are frozen.
pub fn record(
    tx: &mut Tx<'_>,
    actor: &Actor,
    sla_id: i64,
    period: &str,
    measured: Measured,
) -> AppResult<SlaPeriod> {
    let stored = get(tx, sla_id)?;
    let contract = contract(tx, stored.sla.contract_id)?;
    let kind = stored.draft.measurement_period;
    let (from, to) = kind
        .bounds(period)
        .map_err(|m| AppError::invalid("period", m))?;
    let period = kind.label(from);
    if to < contract.start_date {
        return Err(AppError::invalid(
            "period",
            format!(
                "{period} is before contract {} starts ({})",
                contract.number, contract.start_date
            ),
        ));
    }
    if repo::has_period(tx, sla_id, &period)? {
        return Err(AppError::conflict(
            "duplicate_measurement",
            format!("SLA {sla_id} already has a measurement for {period}; measurements are recorded once"),
        ));
    }
    let measurement = match measured {
        Measured::Value(value) => Measurement::Value(value),
        Measured::DowntimeMinutes(minutes) if stored.draft.metric == SlaMetric::Availability => {
            Measurement::Downtime { minutes, from, to }
        }
        Measured::DowntimeMinutes(_) => {
            return Err(AppError::invalid(
                "downtime_minutes",
                "only an availability SLA is measured in downtime",
            ))
        }
    };
    let outcome =
        evaluate(&stored.draft.terms, measurement, stored.draft.period_fee).map_err(|e| {
            match measured {
                Measured::DowntimeMinutes(_) => AppError::invalid("downtime_minutes", e),
                Measured::Value(_) => AppError::invalid("value", e),
            }
        })?;
    let credit_status = if outcome.credit.is_zero() {
        "none"
    } else {
        "receivable"
    };
    let (measured_value, downtime_minutes) = match measured {
        Measured::Value(value) => (Some(decimal_to_text(value)), None),
        Measured::DowntimeMinutes(minutes) => (None, Some(decimal_to_text(minutes))),
    };
    repo::insert_measurement(
        tx,
        &NewMeasurement {
            sla_id,
            period: &period,
            measured_value,
            downtime_minutes,
            // Availability from downtime is shown to 6 places; decisions used the exact fraction.
            value: decimal_to_text(outcome.value.round_dp(6)),
            met: outcome.met,
            tier: outcome.tier.and_then(|t| i32::try_from(t).ok()),
            credit_units: money_to_units(&outcome.credit)?,
            credit_status,
            recorded_by: &actor.name,
        },
        clock::now(),
    )?;
    let recorded = repo::periods(tx, &stored)?
        .into_iter()
        .map(|(p, _)| p)
        .find(|p| p.period == period)
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("the period just recorded is missing"))
        })?;
    audit::record(
        tx,
        &actor.name,
        "sla.measure",
        "sla",
        sla_id,
        None::<&()>,
        Some(&recorded),
    )?;
    Ok(recorded)
}

/// One SLA's periods and the credits they owe.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaReportEntry {
    /// The SLA.
    pub sla: Sla,
    /// Every measured period, by month.
    pub periods: Vec<SlaPeriod>,
    /// The credits owed over those periods.
    pub total_credit: String,
}

/// Every SLA of a contract, period by period.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaReport {
    /// The contract.
    pub contract_id: i64,
    /// Its currency.
    pub currency: String,
    /// One entry per SLA.
    pub slas: Vec<SlaReportEntry>,
    /// All credits owed under the contract (the sum of the SLAs' totals).
    pub total_credit: String,
}

/// The SLA report of a contract: value, target, met, tier, credit and credit status per SLA and
/// period, with totals that add up exactly.
pub fn report(conn: &mut DbConnection, contract_id: i64) -> AppResult<SlaReport> {
    let contract = contract(conn, contract_id)?;
    let currency = Currency::parse(&contract.currency).map_err(AppError::internal)?;
    let mut entries = Vec::new();
    let mut grand_total = Money::zero(currency);
    for stored in repo::of_contract(conn, contract_id)? {
        let periods = repo::periods(conn, &stored)?;
        let mut total = Money::zero(currency);
        for (_, units) in &periods {
            total =
                total.checked_add(&crate::money::storage::money_from_units(*units, currency)?)?;
        }
        grand_total = grand_total.checked_add(&total)?;
        entries.push(SlaReportEntry {
            sla: stored.sla,
            periods: periods.into_iter().map(|(p, _)| p).collect(),
            total_credit: total.amount().to_string(),
        });
    }
    Ok(SlaReport {
        contract_id,
        currency: contract.currency,
        slas: entries,
        total_credit: grand_total.amount().to_string(),
    })
}
