//! The portfolio: every (not archived) project's ledger totals, summed per currency, and, when a
//! reporting currency is asked for, converted into it.
//!
//! Rules: figures are summed by the database, grouped by project (five queries, whatever the
//! number of projects or documents). Totals per currency are exact sums of the projects'. A
//! converted total converts each project's figures at the latest rate on or before `as_of`
//! (rounded half-even once per figure, the FX rounding point) and adds the converted figures,
//! so the converted projects add up to the converted total exactly; a missing rate is a 422
//! `fx_rate_missing`, never 1.0.

use super::{repo, Figures, LineUnits};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::money::storage::{money_from_units, money_to_units, sum_units};
use crate::money::Currency;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// One project in the portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PortfolioProject {
    /// The project.
    pub project_id: i64,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its (the budget's) currency.
    pub currency: String,
    /// Its totals in its currency.
    #[serde(flatten)]
    pub figures: Figures,
    /// Its totals in the reporting currency, when one was asked for.
    pub converted: Option<Figures>,
}

/// The totals of the projects in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CurrencyTotals {
    /// The currency.
    pub currency: String,
    /// How many projects.
    pub projects: usize,
    /// Their totals.
    #[serde(flatten)]
    pub figures: Figures,
}

/// The portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Portfolio {
    /// The day rates were taken for the conversion.
    pub as_of: NaiveDate,
    /// Every project, by id.
    pub projects: Vec<PortfolioProject>,
    /// Totals per currency, by currency code.
    pub by_currency: Vec<CurrencyTotals>,
    /// The reporting currency, when one was asked for.
    pub reporting_currency: Option<String>,
    /// All projects' totals converted into it (the sum of their `converted`).
    pub total: Option<Figures>,
}

fn totals_of(units: &HashMap<i64, i64>, project: i64) -> i64 {
    units.get(&project).copied().unwrap_or(0)
}

fn add(total: &mut LineUnits, line: &LineUnits) -> AppResult<()> {
    total.budget = sum_units([total.budget, line.budget])?;
    total.approved_changes = sum_units([total.approved_changes, line.approved_changes])?;
    total.committed = sum_units([total.committed, line.committed])?;
    total.accrued = sum_units([total.accrued, line.accrued])?;
    total.actual = sum_units([total.actual, line.actual])?;
    Ok(())
}

/// The portfolio as of a day, optionally converted into `reporting`.
pub fn portfolio(
    conn: &mut DbConnection,
    reporting: Option<Currency>,
    as_of: NaiveDate,
) -> AppResult<Portfolio> {
    let [budget, committed, accrued, actual, changes] = repo::portfolio_totals(conn)?.map(|rows| {
        rows.into_iter()
            .map(|r| (r.project_id, r.units))
            .collect::<HashMap<_, _>>()
    });
    let filter = crate::projects::repo::ProjectFilter {
        status: None,
        currency: None,
        code: None,
        name_contains: None,
        include_archived: false,
    };
    let mut projects = Vec::new();
    let mut by_currency: BTreeMap<String, (usize, LineUnits)> = BTreeMap::new();
    let mut converted_total = LineUnits::default();
    let mut after = 0;
    loop {
        let page = crate::projects::repo::list(conn, &filter, after, 500)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for project in page {
            let currency = project.currency()?;
            let units = LineUnits {
                budget: totals_of(&budget, project.id),
                approved_changes: totals_of(&changes, project.id),
                committed: totals_of(&committed, project.id),
                accrued: totals_of(&accrued, project.id),
                actual: totals_of(&actual, project.id),
                ..LineUnits::default()
            };
            let entry = by_currency
                .entry(currency.code().to_string())
                .or_insert_with(|| (0, LineUnits::default()));
            entry.0 += 1;
            add(&mut entry.1, &units)?;
            let converted = match reporting {
                None => None,
                Some(to) => {
                    let c = convert(conn, &units, currency, to, as_of)?;
                    add(&mut converted_total, &c)?;
                    Some(super::figures(&c, to)?)
                }
            };
            projects.push(PortfolioProject {
                project_id: project.id,
                code: project.code.clone(),
                name: project.name.clone(),
                currency: currency.code().to_string(),
                figures: super::figures(&units, currency)?,
                converted,
            });
        }
    }
    let by_currency = by_currency
        .into_iter()
        .map(|(code, (count, units))| {
            let currency = Currency::parse(&code)?;
            Ok(CurrencyTotals {
                currency: code,
                projects: count,
                figures: super::figures(&units, currency)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Portfolio {
        as_of,
        projects,
        by_currency,
        reporting_currency: reporting.map(|c| c.code().to_string()),
        total: match reporting {
            Some(to) => Some(super::figures(&converted_total, to)?),
            None => None,
        },
    })
}

fn convert(
    conn: &mut DbConnection,
    units: &LineUnits,
    from: Currency,
    to: Currency,
    as_of: NaiveDate,
) -> AppResult<LineUnits> {
    let mut one = |u: i64| -> AppResult<i64> {
        let money = money_from_units(u, from)?;
        let converted = crate::fx::service::convert_at(conn, money, to, as_of)?.converted;
        Ok(money_to_units(&converted)?)
    };
    Ok(LineUnits {
        budget: one(units.budget)?,
        approved_changes: one(units.approved_changes)?,
        committed: one(units.committed)?,
        accrued: one(units.accrued)?,
        actual: one(units.actual)?,
        ..LineUnits::default()
    })
}
