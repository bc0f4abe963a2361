//! The forecast of a project: per budget line and for the project, estimate to complete, EAC,
//! VAC, utilisation, a run-rate projection with the month the money runs out, and earned value
//! where progress has been recorded. The figures come from the ledger's SQL aggregates; the
//! arithmetic is [`super::forecast`]'s, exact and unrounded until presented here.
//!
//! Rules:
//! - **estimate to complete** (ETC): the PM's latest entry for the line; without one, the
//!   default is what is left of the budget after actual and committed, never below zero
//!   (`max(0, budget − actual − committed)`), so an unestimated line forecasts to land on its
//!   budget, or on what is already spent and committed when that is more. A line says which
//!   (`estimate.source`).
//! - **EAC** = actual + committed + ETC; **VAC** = budget − EAC; utilisation = (actual +
//!   committed) / budget; the project's figures are the sums of its lines'.
//! - **run rate**: the mean of the monthly actuals (by invoice date) over the `window` months
//!   ending with the as-of month; the run-out month is the first month in which actuals at that
//!   rate reach the budget.
//! - **earned value** per line from its latest progress entry at or before the as-of month:
//!   PV = the line's phased budget through that month, EV = budget × percent complete, AC =
//!   actuals dated through that month. For the project: its own progress entry when there is
//!   one, else the sum of its lines' EV (lines without progress earn nothing) through the latest
//!   month any line reported.
//! - **presentation**: amounts are rounded half-even to the currency's minor unit, percentages
//!   to 2 places and indices (CPI, SPI, TCPI) to 4, only here; everything before is exact.

use super::forecast::{self, EarnedValue, Month, RunRate};
use super::{repo, LineUnits, ProjectUnits};
use crate::db::schema::progress_records as progress;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::storage::{amount_from_units, decimal_from_text};
use crate::money::{Currency, RoundingPoint};
use chrono::NaiveDate;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// The default number of months the run rate averages.
pub const DEFAULT_WINDOW: u32 = 3;

/// The rounding this response applies, in words.
pub const ROUNDING: &str = "computed exactly; presented half-even: amounts to the currency's \
    minor unit, percentages to 2 places, CPI, SPI and TCPI to 4";

/// The default estimate to complete, in words.
pub const ESTIMATE_DEFAULT: &str = "without an entered estimate, ETC = max(0, budget − actual − \
    committed): the rest of the budget is expected to be spent";

/// Where a line's estimate to complete comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EstimateSource {
    /// `entered` (by the PM) or `default`.
    pub source: String,
    /// Who entered it.
    pub entered_by: Option<String>,
    /// When (UTC).
    pub entered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Their note.
    pub note: Option<String>,
}

/// The run-rate projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RunRateView {
    /// Months averaged.
    pub window_months: u32,
    /// The first month of the window.
    pub first_month: String,
    /// The last month of the window (the as-of month).
    pub last_month: String,
    /// Mean monthly actuals over the window.
    pub monthly_mean: String,
    /// The first month in which actuals at this rate reach the budget (none at a zero rate).
    pub run_out_month: Option<String>,
    /// Actual to date plus the mean for every month left to the project's end date.
    pub eac_at_end: Option<String>,
}

/// Earned-value figures (PMI, *Practice Standard for Earned Value Management*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EarnedValueView {
    /// The month the progress describes.
    pub period: String,
    /// Percent complete at its end.
    pub percent_complete: String,
    /// Budget at completion.
    pub bac: String,
    /// Planned value: the phased budget through the period.
    pub pv: String,
    /// Earned value: BAC × percent complete.
    pub ev: String,
    /// Actual cost: actuals dated through the period.
    pub ac: String,
    /// Cost variance EV − AC.
    pub cv: Option<String>,
    /// Schedule variance EV − PV.
    pub sv: Option<String>,
    /// Cost performance index EV / AC.
    pub cpi: Option<String>,
    /// Schedule performance index EV / PV.
    pub spi: Option<String>,
    /// EAC = BAC / CPI.
    pub eac_cpi: Option<String>,
    /// EAC = AC + (BAC − EV): the rest at the budgeted rate.
    pub eac_budget_rate: Option<String>,
    /// EAC = AC + (BAC − EV) / (CPI × SPI).
    pub eac_cpi_spi: Option<String>,
    /// Estimate to complete EAC(CPI) − AC.
    pub etc: Option<String>,
    /// Variance at completion BAC − EAC(CPI).
    pub vac: Option<String>,
    /// To-complete performance index (BAC − EV) / (BAC − AC).
    pub tcpi: Option<String>,
}

/// The forecast figures of a line or of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ForecastFigures {
    /// The current budget (BAC).
    pub budget: String,
    /// Approved invoices, net of credit memos.
    pub actual: String,
    /// Open purchase-order value.
    pub committed: String,
    /// Still to be spent beyond actual and committed.
    pub estimate_to_complete: String,
    /// Estimate at completion: actual + committed + estimate to complete.
    pub eac: String,
    /// Variance at completion: budget − EAC (negative: an overrun).
    pub vac: String,
    /// (actual + committed) / budget, percent.
    pub utilisation_percent: String,
    /// EAC / budget, percent.
    pub eac_percent: String,
    /// The run-rate projection.
    pub run_rate: RunRateView,
    /// Earned value, when progress has been recorded.
    pub earned_value: Option<EarnedValueView>,
}

/// One line's forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LineForecast {
    /// The budget line.
    pub budget_line_id: i64,
    /// `capex` or `opex`.
    pub category: String,
    /// Its cost center.
    pub cost_center: String,
    /// Where the estimate to complete comes from.
    pub estimate: EstimateSource,
    /// Its figures.
    #[serde(flatten)]
    pub figures: ForecastFigures,
}

/// A project's forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Forecast {
    /// The project.
    pub project_id: i64,
    /// Its code.
    pub project_code: String,
    /// The budget's currency.
    pub currency: String,
    /// The day the forecast is made for.
    pub as_of: NaiveDate,
    /// How ETC defaults.
    pub estimate_default: String,
    /// How figures are rounded.
    pub rounding: String,
    /// Per budget line.
    pub lines: Vec<LineForecast>,
    /// The project (sums of the lines; its own earned value).
    pub project: ForecastFigures,
}

/// The exact (unrounded) figures behind a forecast, for callers that compare them (thresholds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exact {
    /// Budget.
    pub budget: Decimal,
    /// Actual.
    pub actual: Decimal,
    /// Committed.
    pub committed: Decimal,
    /// Estimate to complete.
    pub etc: Decimal,
    /// EAC.
    pub eac: Decimal,
    /// The run rate.
    pub run_rate: RunRate,
}

struct Presenter {
    currency: Currency,
}

impl Presenter {
    fn amount(&self, value: Decimal) -> String {
        let mut rounded = RoundingPoint::Presentation
            .policy()
            .round(value, self.currency.minor_units());
        rounded.rescale(self.currency.minor_units());
        rounded.to_string()
    }

    fn places(value: Decimal, places: u32) -> String {
        let mut rounded = RoundingPoint::Presentation.policy().round(value, places);
        rounded.rescale(places);
        rounded.to_string()
    }

    fn percent(part: Decimal, whole: Decimal) -> String {
        Self::places(
            forecast::percent_of(part, whole).unwrap_or(Decimal::ZERO),
            2,
        )
    }

    fn opt_amount(&self, value: Option<Decimal>) -> Option<String> {
        value.map(|v| self.amount(v))
    }
}

fn overflow() -> AppError {
    AppError::unprocessable(
        "figure_overflow",
        "a forecast figure is beyond the range Procura computes exactly",
    )
}

fn exact(
    budget: Decimal,
    actual: Decimal,
    committed: Decimal,
    etc: Decimal,
    run_rate: RunRate,
) -> AppResult<Exact> {
    let eac = forecast::eac(actual, committed, etc).ok_or_else(overflow)?;
    Ok(Exact {
        budget,
        actual,
        committed,
        etc,
        eac,
        run_rate,
    })
}

fn present(
    p: &Presenter,
    e: &Exact,
    earned_value: Option<EarnedValueView>,
) -> AppResult<ForecastFigures> {
    let vac = forecast::vac(e.budget, e.eac).ok_or_else(overflow)?;
    let used = e.actual.checked_add(e.committed).ok_or_else(overflow)?;
    let r = &e.run_rate;
    Ok(ForecastFigures {
        budget: p.amount(e.budget),
        actual: p.amount(e.actual),
        committed: p.amount(e.committed),
        estimate_to_complete: p.amount(e.etc),
        eac: p.amount(e.eac),
        vac: p.amount(vac),
        utilisation_percent: Presenter::percent(used, e.budget),
        eac_percent: Presenter::percent(e.eac, e.budget),
        run_rate: RunRateView {
            window_months: r.window_months,
            first_month: r.first_month.to_string(),
            last_month: r.last_month.to_string(),
            monthly_mean: p.amount(r.monthly_mean),
            run_out_month: r.run_out_month.map(|m| m.to_string()),
            eac_at_end: p.opt_amount(r.eac_at_end),
        },
        earned_value,
    })
}

fn earned_value_view(
    p: &Presenter,
    period: Month,
    percent: Decimal,
    ev: &EarnedValue,
) -> EarnedValueView {
    let index = |v: Option<Decimal>| v.map(|v| Presenter::places(v, 4));
    EarnedValueView {
        period: period.to_string(),
        percent_complete: percent.normalize().to_string(),
        bac: p.amount(ev.bac),
        pv: p.amount(ev.pv),
        ev: p.amount(ev.ev),
        ac: p.amount(ev.ac),
        cv: p.opt_amount(ev.cv),
        sv: p.opt_amount(ev.sv),
        cpi: index(ev.cpi),
        spi: index(ev.spi),
        eac_cpi: p.opt_amount(ev.eac_cpi),
        eac_budget_rate: p.opt_amount(ev.eac_budget_rate),
        eac_cpi_spi: p.opt_amount(ev.eac_cpi_spi),
        etc: p.opt_amount(ev.etc),
        vac: p.opt_amount(ev.vac),
        tcpi: index(ev.tcpi),
    }
}

fn month_of_text(text: &str) -> AppResult<Month> {
    Month::parse(text).ok_or_else(|| AppError::internal(anyhow::anyhow!("corrupt month {text}")))
}

/// A line's (or the project's) monthly actuals and phasing as exact decimals.
struct Series {
    actuals: Vec<(Month, Decimal)>,
    phasing: Vec<(Month, Decimal)>,
}

fn series(line: &LineUnits) -> AppResult<Series> {
    let mut actuals = Vec::new();
    let mut phasing = Vec::new();
    for (month, m) in &line.months {
        let month = month_of_text(month)?;
        if m.actual != 0 {
            actuals.push((month, amount_from_units(m.actual)));
        }
        if m.budget != 0 {
            phasing.push((month, amount_from_units(m.budget)));
        }
    }
    Ok(Series { actuals, phasing })
}

fn actual_through(series: &Series, through: Month) -> AppResult<Decimal> {
    series
        .actuals
        .iter()
        .filter(|(m, _)| *m <= through)
        .try_fold(Decimal::ZERO, |sum, (_, a)| sum.checked_add(*a))
        .ok_or_else(overflow)
}

/// The latest progress per line (key `Some(line)`) and for the project (key `None`) at or
/// before `as_of`: (month, percent).
fn latest_progress(
    conn: &mut DbConnection,
    project_id: i64,
    as_of: Month,
) -> AppResult<HashMap<Option<i64>, (Month, Decimal)>> {
    let rows: Vec<(i64, Option<i64>, String, String)> = progress::table
        .filter(progress::project_id.eq(project_id))
        .filter(progress::month.le(as_of.to_string()))
        .order(progress::id)
        .select((
            progress::id,
            progress::budget_line_id,
            progress::month,
            progress::percent_complete,
        ))
        .load(conn)?;
    let mut latest: HashMap<Option<i64>, (Month, Decimal)> = HashMap::new();
    for (id, line, month, percent) in rows {
        let month = month_of_text(&month)?;
        let percent = decimal_from_text(&percent)
            .map_err(|_| AppError::internal(anyhow::anyhow!("corrupt progress {id}")))?;
        // Rows come in id order: a later entry for the same or a later month supersedes.
        match latest.get(&line) {
            Some((seen, _)) if *seen > month => {}
            _ => {
                latest.insert(line, (month, percent));
            }
        }
    }
    Ok(latest)
}

/// Everything the forecast needs, read once.
pub struct Inputs {
    units: ProjectUnits,
    estimates: HashMap<i64, repo::LatestEstimate>,
}

impl Inputs {
    /// The ledger figures the forecast is made from (the burn chart draws them).
    pub fn units(&self) -> &ProjectUnits {
        &self.units
    }
}

/// Reads the ledger figures and estimates of a project.
pub fn inputs(conn: &mut DbConnection, project_id: i64) -> AppResult<Inputs> {
    let units = super::project_units(conn, project_id)?;
    let estimates = repo::latest_estimates(conn, project_id)?
        .into_iter()
        .map(|e| (e.budget_line_id, e))
        .collect();
    Ok(Inputs { units, estimates })
}

/// The exact project figures (sums of the lines) with the project's run rate.
pub fn project_exact(inputs: &Inputs, as_of: NaiveDate, window: u32) -> AppResult<Exact> {
    Ok(lines_exact(inputs, as_of, window)?.1)
}

#[allow(clippy::type_complexity)]
fn lines_exact(
    inputs: &Inputs,
    as_of: NaiveDate,
    window: u32,
) -> AppResult<(Vec<(Exact, Series)>, Exact, Series)> {
    let as_of_month = Month::of(as_of);
    let end = inputs.units.project.end_date.map(Month::of);
    let mut per_line = Vec::with_capacity(inputs.units.lines.len());
    let mut total_months = LineUnits::default();
    let (mut budget, mut actual, mut committed, mut etc) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for line in &inputs.units.lines {
        for (month, m) in &line.months {
            total_months
                .months
                .entry(month.clone())
                .or_default()
                .add(m)?;
        }
        let b = amount_from_units(line.budget);
        let a = amount_from_units(line.actual);
        let c = amount_from_units(line.committed);
        let e = match inputs.estimates.get(&line.budget_line_id) {
            Some(entered) => amount_from_units(entered.units),
            None => forecast::default_estimate_to_complete(b, a, c).ok_or_else(overflow)?,
        };
        let s = series(line)?;
        let to_date = actual_through(&s, as_of_month)?;
        let rate = forecast::run_rate(&s.actuals, as_of_month, window, b, to_date, end);
        budget = budget.checked_add(b).ok_or_else(overflow)?;
        actual = actual.checked_add(a).ok_or_else(overflow)?;
        committed = committed.checked_add(c).ok_or_else(overflow)?;
        etc = etc.checked_add(e).ok_or_else(overflow)?;
        per_line.push((exact(b, a, c, e, rate)?, s));
    }
    let s = series(&total_months)?;
    let to_date = actual_through(&s, as_of_month)?;
    let rate = forecast::run_rate(&s.actuals, as_of_month, window, budget, to_date, end);
    let total = exact(budget, actual, committed, etc, rate)?;
    Ok((per_line, total, s))
}

/// The forecast of a project as of a day, the run rate over `window` months.
pub fn of_project(
    conn: &mut DbConnection,
    project_id: i64,
    as_of: NaiveDate,
    window: u32,
) -> AppResult<Forecast> {
    let inputs = inputs(conn, project_id)?;
    let as_of_month = Month::of(as_of);
    let progress = latest_progress(conn, project_id, as_of_month)?;
    let p = Presenter {
        currency: inputs.units.currency,
    };
    let (per_line, total, total_series) = lines_exact(&inputs, as_of, window)?;
    let mut lines = Vec::with_capacity(per_line.len());
    let mut line_ev = Decimal::ZERO;
    let mut latest_line_period: Option<Month> = None;
    for (line, (e, s)) in inputs.units.lines.iter().zip(&per_line) {
        let earned_value = match progress.get(&Some(line.budget_line_id)) {
            Some(&(period, percent)) => {
                let ev = earned_value_at(e.budget, s, period, percent)?;
                line_ev = line_ev.checked_add(ev.ev).ok_or_else(overflow)?;
                latest_line_period = latest_line_period.max(Some(period));
                Some(earned_value_view(&p, period, percent, &ev))
            }
            None => None,
        };
        let estimate = match inputs.estimates.get(&line.budget_line_id) {
            Some(entered) => EstimateSource {
                source: "entered".into(),
                entered_by: Some(entered.entered_by.clone()),
                entered_at: Some(entered.entered_at.and_utc()),
                note: entered.note.clone(),
            },
            None => EstimateSource {
                source: "default".into(),
                entered_by: None,
                entered_at: None,
                note: None,
            },
        };
        lines.push(LineForecast {
            budget_line_id: line.budget_line_id,
            category: line.category.clone(),
            cost_center: line.cost_center.clone(),
            estimate,
            figures: present(&p, e, earned_value)?,
        });
    }
    let project_ev = match (progress.get(&None), latest_line_period) {
        (Some(&(period, percent)), _) => {
            let ev = earned_value_at(total.budget, &total_series, period, percent)?;
            Some(earned_value_view(&p, period, percent, &ev))
        }
        (None, Some(period)) => {
            let pv = forecast::planned_value(&total_series.phasing, period).ok_or_else(overflow)?;
            let ac = actual_through(&total_series, period)?;
            let ev = forecast::earned_value(total.budget, pv, line_ev, ac);
            let percent = forecast::percent_of(line_ev, total.budget).unwrap_or(Decimal::ZERO);
            let mut view = earned_value_view(&p, period, percent, &ev);
            view.percent_complete = Presenter::places(percent, 2);
            Some(view)
        }
        (None, None) => None,
    };
    Ok(Forecast {
        project_id,
        project_code: inputs.units.project.code.clone(),
        currency: inputs.units.currency.code().to_string(),
        as_of,
        estimate_default: ESTIMATE_DEFAULT.into(),
        rounding: ROUNDING.into(),
        lines,
        project: present(&p, &total, project_ev)?,
    })
}

fn earned_value_at(
    bac: Decimal,
    series: &Series,
    period: Month,
    percent: Decimal,
) -> AppResult<EarnedValue> {
    let pv = forecast::planned_value(&series.phasing, period).ok_or_else(overflow)?;
    let ev = forecast::earned_value_of(bac, percent).ok_or_else(overflow)?;
    let ac = actual_through(series, period)?;
    Ok(forecast::earned_value(bac, pv, ev, ac))
}
