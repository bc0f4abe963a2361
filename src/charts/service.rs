//! Reading what a burn chart needs: the ledger's months and the forecast's EAC and run rate for
//! a project (through [`crate::ledger::projection`], so the chart and the forecast agree), and
//! every project converted into one currency for the portfolio.

use super::series::{self, BurnSeries, MonthAmounts, ProjectBurn, SeriesError};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::ledger::forecast::Month;
use crate::ledger::projection::{self, DEFAULT_WINDOW};
use crate::money::storage::amount_from_units;
use crate::money::{Currency, Money, RoundingPoint};
use crate::projects::model::Project;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// A project's chart: the project, its currency and its series.
pub struct ProjectChart {
    /// The project.
    pub project: Project,
    /// The budget's currency.
    pub currency: Currency,
    /// The series.
    pub series: BurnSeries,
}

impl From<SeriesError> for AppError {
    fn from(error: SeriesError) -> Self {
        match error {
            SeriesError::TooLong { .. } => {
                AppError::unprocessable("chart_range_too_long", error.to_string())
            }
            SeriesError::Overflow => AppError::unprocessable("figure_overflow", error.to_string()),
        }
    }
}

/// A project's burn series as of a day.
pub fn project_chart(
    conn: &mut DbConnection,
    project_id: i64,
    as_of: NaiveDate,
) -> AppResult<ProjectChart> {
    let inputs = projection::inputs(conn, project_id)?;
    let exact = projection::project_exact(&inputs, as_of, DEFAULT_WINDOW)?;
    let units = inputs.units();
    let mut months: BTreeMap<Month, MonthAmounts> = BTreeMap::new();
    for line in &units.lines {
        for (text, m) in &line.months {
            let month = Month::parse(text)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("corrupt month {text}")))?;
            let entry = months.entry(month).or_default();
            let overflow = || AppError::from(SeriesError::Overflow);
            entry.budget = entry
                .budget
                .checked_add(amount_from_units(m.budget))
                .ok_or_else(overflow)?;
            entry.actual = entry
                .actual
                .checked_add(amount_from_units(m.actual))
                .ok_or_else(overflow)?;
            entry.committed = entry
                .committed
                .checked_add(amount_from_units(m.committed))
                .ok_or_else(overflow)?;
        }
    }
    let project = units.project.clone();
    let input = ProjectBurn {
        start: project.start_date.map(Month::of),
        end: project.end_date.map(Month::of),
        as_of: Month::of(as_of),
        window: DEFAULT_WINDOW,
        budget: exact.budget,
        eac: exact.eac,
        run_out_month: exact.run_rate.run_out_month,
        months,
    };
    Ok(ProjectChart {
        currency: units.currency,
        series: series::project_series(&input)?,
        project,
    })
}

/// The portfolio's burn series in `currency` as of a day: every (not archived) project's series
/// converted at the latest rate on or before `as_of` (each point rounded half-even at the FX
/// point, as the portfolio's figures are), then added. A missing rate is a 422
/// `fx_rate_missing`, never 1.0.
pub fn portfolio_chart(
    conn: &mut DbConnection,
    currency: Currency,
    as_of: NaiveDate,
) -> AppResult<BurnSeries> {
    let filter = crate::projects::repo::ProjectFilter {
        status: None,
        currency: None,
        code: None,
        name_contains: None,
        include_archived: false,
    };
    let mut converted = Vec::new();
    let mut after = 0;
    loop {
        let page = crate::projects::repo::list(conn, &filter, after, 500)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for project in page {
            let chart = project_chart(conn, project.id, as_of)?;
            if chart.currency == currency {
                converted.push(chart.series);
                continue;
            }
            // The rate (and its absence, a 422) as the portfolio's conversion finds it.
            let rate =
                crate::fx::service::convert_at(conn, Money::zero(chart.currency), currency, as_of)?
                    .rate;
            let series = chart.series.map_amounts(|value| {
                let exact = value.checked_mul(rate).ok_or(SeriesError::Overflow)?;
                Money::round(exact, currency, RoundingPoint::FxConversion)
                    .map(|m| m.amount())
                    .map_err(|_| SeriesError::Overflow)
            })?;
            converted.push(series);
        }
    }
    Ok(series::portfolio_series(Month::of(as_of), &converted)?)
}

/// The currency most projects use (the first by code on a tie), for a portfolio chart that
/// was not asked for one; `None` without projects.
pub fn usual_currency(conn: &mut DbConnection) -> AppResult<Option<Currency>> {
    let filter = crate::projects::repo::ProjectFilter {
        status: None,
        currency: None,
        code: None,
        name_contains: None,
        include_archived: false,
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = crate::projects::repo::list(conn, &filter, after, 500)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for project in page {
            *counts.entry(project.currency.clone()).or_default() += 1;
        }
    }
    let mut best: Option<(&String, usize)> = None;
    for (code, &count) in &counts {
        if best.is_none_or(|(_, n)| count > n) {
            best = Some((code, count));
        }
    }
    best.map(|(code, _)| Currency::parse(code))
        .transpose()
        .map_err(AppError::from)
}
