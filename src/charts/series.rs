//! The burn chart's series: a pure calculator from a project's ledger months and its run rate
//! to cumulative figures by month, and the portfolio as the sum of its projects' series.
//!
//! Rules:
//! - **months**: from the project's start month (or its first month with a figure) to its end
//!   month (or its last month with a figure); a figure outside the dates widens the range, so
//!   nothing is cut and the last budget point is the whole budget; an as-of month before the
//!   start widens it too, so the as-of point always exists.
//! - **budget**: the phased budget, cumulative.
//! - **actual** and **spent** (actual + committed): cumulative, through the as-of month (or the
//!   last month when as-of lies beyond it). Committed is today's open order value, placed by
//!   its promised (or order) date; orders promised after the as-of month count at the as-of
//!   month, since the money is spoken for already. The spent point at as-of is therefore
//!   actual to date + all committed.
//! - **forecast**: from the as-of month to the last month, actual to date plus the run rate for
//!   each month after as-of: the projection the forecast calls `eac_at_end`, computed by
//!   [`forecast::run_rate`] with that month as the end (so the point at the project's end is
//!   the forecast's `eac_at_end` exactly).
//! - **run-out month**: a project's is its forecast's (`run_rate.run_out_month`, which may lie
//!   beyond the end date). The portfolio's is the first month on its chart in which its
//!   cumulative actual (through as-of) or its forecast (after) reaches its whole budget; beyond
//!   the chart it is not known.
//! - **portfolio**: projects' series added month by month over the union of their ranges; a
//!   project adds nothing before its first month and its last value after its last month (its
//!   forecast after its end, or its actual when it ended before as-of).
//!
//! Everything is an exact [`Decimal`]; nothing here rounds. Conversion into a reporting
//! currency is the caller's ([`BurnSeries::map_amounts`]).

use crate::ledger::forecast::{self, Month};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The most months a chart covers (fifty years): a project dated 1900 to 9999 gets a 422, not
/// a hundred thousand points.
pub const MAX_MONTHS: i64 = 600;

/// One month's ledger figures (not cumulative).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthAmounts {
    /// The phased budget of the month.
    pub budget: Decimal,
    /// Approved invoices dated in the month.
    pub actual: Decimal,
    /// Open PO value promised (or ordered) in the month.
    pub committed: Decimal,
}

/// What a project's burn chart is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectBurn {
    /// The project's start month, if dated.
    pub start: Option<Month>,
    /// The project's end month, if dated.
    pub end: Option<Month>,
    /// The as-of month.
    pub as_of: Month,
    /// Months the run rate averages.
    pub window: u32,
    /// The project's budget (the sum of its lines).
    pub budget: Decimal,
    /// EAC from the forecast (actual + committed + ETC).
    pub eac: Decimal,
    /// The run-out month from the forecast.
    pub run_out_month: Option<Month>,
    /// The ledger's months.
    pub months: BTreeMap<Month, MonthAmounts>,
}

/// One month of a chart: cumulative figures at the month's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurnPoint {
    /// The month.
    pub month: Month,
    /// Cumulative phased budget.
    pub budget: Decimal,
    /// Cumulative actual, through the as-of month.
    pub actual: Option<Decimal>,
    /// Cumulative actual + committed, through the as-of month.
    pub spent: Option<Decimal>,
    /// Actual projected at the run rate, from the as-of month on.
    pub forecast: Option<Decimal>,
}

/// A burn chart's series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurnSeries {
    /// The months, consecutive, oldest first (empty when there is nothing to chart).
    pub points: Vec<BurnPoint>,
    /// The as-of month.
    pub as_of: Month,
    /// The whole budget.
    pub budget: Decimal,
    /// Estimate at completion.
    pub eac: Decimal,
    /// The month the money runs out, if it does.
    pub run_out_month: Option<Month>,
}

/// Why a chart cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    /// The range is longer than [`MAX_MONTHS`].
    #[error("the chart would cover {months} months ({first} to {last}); at most {max} are drawn")]
    TooLong {
        /// First month.
        first: Month,
        /// Last month.
        last: Month,
        /// How many months.
        months: i64,
        /// The limit.
        max: i64,
    },
    /// A sum does not fit exact arithmetic.
    #[error("a chart figure is beyond the range Procura computes exactly")]
    Overflow,
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, SeriesError> {
    a.checked_add(b).ok_or(SeriesError::Overflow)
}

fn months_between(first: Month, last: Month) -> Result<Vec<Month>, SeriesError> {
    let count = first.months_until(last) + 1;
    if count > MAX_MONTHS {
        return Err(SeriesError::TooLong {
            first,
            last,
            months: count,
            max: MAX_MONTHS,
        });
    }
    Ok((0..count)
        .filter_map(|i| first.plus(u32::try_from(i).ok()?))
        .collect())
}

/// A project's burn series.
pub fn project_series(input: &ProjectBurn) -> Result<BurnSeries, SeriesError> {
    let data_first = input.months.keys().next().copied();
    let data_last = input.months.keys().next_back().copied();
    let first = [input.start, data_first].into_iter().flatten().min();
    let last = [input.end, data_last].into_iter().flatten().max();
    let (Some(first), Some(last)) = (first.map(|f| f.min(input.as_of)), last) else {
        return Ok(BurnSeries {
            points: Vec::new(),
            as_of: input.as_of,
            budget: input.budget,
            eac: input.eac,
            run_out_month: input.run_out_month,
        });
    };
    let months = months_between(first, last.max(first))?;
    // Where the spent line stops: the as-of month, or the last month when as-of lies beyond.
    let anchor = input.as_of.min(last);
    let actuals: Vec<(Month, Decimal)> = input
        .months
        .iter()
        .filter(|(_, m)| !m.actual.is_zero())
        .map(|(&month, m)| (month, m.actual))
        .collect();
    let mut actual_to_date = Decimal::ZERO;
    for (month, amount) in &actuals {
        if *month <= input.as_of {
            actual_to_date = add(actual_to_date, *amount)?;
        }
    }
    let committed_later = input
        .months
        .iter()
        .filter(|(&month, _)| month > anchor)
        .try_fold(Decimal::ZERO, |sum, (_, m)| add(sum, m.committed))?;
    let (mut budget, mut actual, mut committed) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut points = Vec::with_capacity(months.len());
    for month in months {
        let m = input.months.get(&month).copied().unwrap_or_default();
        budget = add(budget, m.budget)?;
        actual = add(actual, m.actual)?;
        committed = add(committed, m.committed)?;
        let (actual_point, spent_point) = match month.cmp(&anchor) {
            std::cmp::Ordering::Less => (Some(actual), Some(add(actual, committed)?)),
            std::cmp::Ordering::Equal => (
                Some(actual),
                Some(add(add(actual, committed)?, committed_later)?),
            ),
            std::cmp::Ordering::Greater => (None, None),
        };
        let forecast_point = if month >= input.as_of {
            // The forecast's own projection, with this month as the end.
            forecast::run_rate(
                &actuals,
                input.as_of,
                input.window,
                input.budget,
                actual_to_date,
                Some(month),
            )
            .eac_at_end
        } else {
            None
        };
        points.push(BurnPoint {
            month,
            budget,
            actual: actual_point,
            spent: spent_point,
            forecast: forecast_point,
        });
    }
    Ok(BurnSeries {
        points,
        as_of: input.as_of,
        budget: input.budget,
        eac: input.eac,
        run_out_month: input.run_out_month,
    })
}

impl BurnSeries {
    /// The same series with every amount passed through `convert` (a conversion into a
    /// reporting currency); the months stay.
    pub fn map_amounts<E>(
        &self,
        mut convert: impl FnMut(Decimal) -> Result<Decimal, E>,
    ) -> Result<BurnSeries, E> {
        let mut points = Vec::with_capacity(self.points.len());
        for p in &self.points {
            points.push(BurnPoint {
                month: p.month,
                budget: convert(p.budget)?,
                actual: p.actual.map(&mut convert).transpose()?,
                spent: p.spent.map(&mut convert).transpose()?,
                forecast: p.forecast.map(&mut convert).transpose()?,
            });
        }
        Ok(BurnSeries {
            points,
            as_of: self.as_of,
            budget: convert(self.budget)?,
            eac: convert(self.eac)?,
            run_out_month: self.run_out_month,
        })
    }

    /// What this series adds to a portfolio in `month`: (budget, actual, spent, forecast),
    /// nothing before its first month, its last values after its last month.
    fn contribution(&self, month: Month) -> (Decimal, Decimal, Decimal, Decimal) {
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return Default::default();
        };
        if month < first.month {
            return Default::default();
        }
        let at = if month > last.month {
            last
        } else {
            let index = usize::try_from(first.month.months_until(month)).unwrap_or(0);
            &self.points[index.min(self.points.len() - 1)]
        };
        // After the spent line stops, its last value; the forecast, where there is none yet
        // (a project that ended before as-of), is its actual.
        let last_actual = self
            .points
            .iter()
            .rev()
            .find_map(|p| p.actual)
            .unwrap_or_default();
        let last_spent = self
            .points
            .iter()
            .rev()
            .find_map(|p| p.spent)
            .unwrap_or_default();
        (
            at.budget,
            at.actual.unwrap_or(last_actual),
            at.spent.unwrap_or(last_spent),
            at.forecast.unwrap_or(last_actual),
        )
    }
}

/// The portfolio's series: its projects' series (in one currency) added month by month.
pub fn portfolio_series(as_of: Month, projects: &[BurnSeries]) -> Result<BurnSeries, SeriesError> {
    let mut budget = Decimal::ZERO;
    let mut eac = Decimal::ZERO;
    for p in projects {
        budget = add(budget, p.budget)?;
        eac = add(eac, p.eac)?;
    }
    let first = projects
        .iter()
        .filter_map(|p| p.points.first().map(|x| x.month))
        .min();
    let last = projects
        .iter()
        .filter_map(|p| p.points.last().map(|x| x.month))
        .max();
    let mut points = Vec::new();
    if let (Some(first), Some(last)) = (first, last) {
        for month in months_between(first, last)? {
            let mut sum = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
            for p in projects {
                let (b, a, s, f) = p.contribution(month);
                sum = (
                    add(sum.0, b)?,
                    add(sum.1, a)?,
                    add(sum.2, s)?,
                    add(sum.3, f)?,
                );
            }
            let anchor = as_of.min(last);
            points.push(BurnPoint {
                month,
                budget: sum.0,
                actual: (month <= anchor).then_some(sum.1),
                spent: (month <= anchor).then_some(sum.2),
                forecast: (month >= as_of).then_some(sum.3),
            });
        }
    }
    let run_out_month = if budget > Decimal::ZERO {
        points
            .iter()
            .find(|p| {
                let reached = if p.month <= as_of {
                    p.actual
                } else {
                    p.forecast
                };
                reached.is_some_and(|v| v >= budget)
            })
            .map(|p| p.month)
    } else {
        None
    };
    Ok(BurnSeries {
        points,
        as_of,
        budget,
        eac,
        run_out_month,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("test decimal")
    }

    fn m(text: &str) -> Month {
        Month::parse(text).expect("test month")
    }

    fn amounts(budget: &str, actual: &str, committed: &str) -> MonthAmounts {
        MonthAmounts {
            budget: d(budget),
            actual: d(actual),
            committed: d(committed),
        }
    }

    /// The forecast API test's project: 12,000.00 over 2026–2027 (500.00 a month), actuals
    /// of 1,200.00, 1,800.00 and 600.00 in April to June, 2,400.00 committed in March.
    fn spending() -> ProjectBurn {
        let mut months = BTreeMap::new();
        let mut month = m("2026-01");
        for _ in 0..24 {
            months.insert(month, amounts("500.00", "0", "0"));
            month = month.plus(1).expect("month");
        }
        months.get_mut(&m("2026-03")).expect("march").committed = d("2400.00");
        months.get_mut(&m("2026-04")).expect("april").actual = d("1200.00");
        months.get_mut(&m("2026-05")).expect("may").actual = d("1800.00");
        months.get_mut(&m("2026-06")).expect("june").actual = d("600.00");
        ProjectBurn {
            start: Some(m("2026-01")),
            end: Some(m("2027-12")),
            as_of: m("2026-06"),
            window: 3,
            budget: d("12000.00"),
            eac: d("12000.00"),
            run_out_month: Some(m("2027-01")),
            months,
        }
    }

    #[test]
    fn a_project_series_covers_start_to_end_and_adds_up_exactly() {
        let series = project_series(&spending()).expect("series");
        assert_eq!(series.points.len(), 24);
        assert_eq!(series.points[0].month, m("2026-01"));
        assert_eq!(series.points[23].month, m("2027-12"));
        // Consecutive months.
        for pair in series.points.windows(2) {
            assert_eq!(pair[0].month.plus(1), Some(pair[1].month));
        }
        // Cumulative budget: 500.00 a month, the whole budget at the end.
        assert_eq!(series.points[2].budget, d("1500.00"));
        assert_eq!(series.points[23].budget, d("12000.00"));
        // Spent through as-of only: March holds the commitment, June is actual to date plus
        // everything committed.
        assert_eq!(series.points[2].spent, Some(d("2400.00")));
        assert_eq!(series.points[3].actual, Some(d("1200.00")));
        assert_eq!(series.points[5].actual, Some(d("3600.00")));
        assert_eq!(series.points[5].spent, Some(d("6000.00")));
        assert_eq!(series.points[6].spent, None);
        // Forecast from as-of: 3,600.00 then 1,200.00 a month; at the end the forecast's
        // eac_at_end (3,600.00 + 18 × 1,200.00).
        assert_eq!(series.points[4].forecast, None);
        assert_eq!(series.points[5].forecast, Some(d("3600.00")));
        assert_eq!(series.points[6].forecast, Some(d("4800.00")));
        assert_eq!(series.points[23].forecast, Some(d("25200.00")));
        assert_eq!(series.run_out_month, Some(m("2027-01")));
    }

    #[test]
    fn committed_after_as_of_counts_at_as_of_and_figures_outside_the_dates_widen_the_range() {
        let mut input = spending();
        input
            .months
            .insert(m("2028-03"), amounts("0", "0", "100.00"));
        input
            .months
            .insert(m("2025-11"), amounts("0", "50.00", "0"));
        let series = project_series(&input).expect("series");
        assert_eq!(series.points.first().map(|p| p.month), Some(m("2025-11")));
        assert_eq!(series.points.last().map(|p| p.month), Some(m("2028-03")));
        let june = series
            .points
            .iter()
            .find(|p| p.month == m("2026-06"))
            .expect("june");
        assert_eq!(june.actual, Some(d("3650.00")));
        assert_eq!(june.spent, Some(d("6150.00")));
        // As-of beyond the last month: the spent line runs to the end, holding everything.
        input.as_of = m("2030-01");
        let late = project_series(&input).expect("series");
        let end = late.points.last().expect("end");
        assert_eq!(end.spent, Some(d("6150.00")));
        assert!(late.points.iter().all(|p| p.forecast.is_none()));
    }

    #[test]
    fn undated_projects_without_figures_have_no_points_and_long_ranges_are_refused() {
        let empty = ProjectBurn {
            start: None,
            end: None,
            months: BTreeMap::new(),
            ..spending()
        };
        assert!(project_series(&empty).expect("series").points.is_empty());
        let long = ProjectBurn {
            start: Some(m("1900-01")),
            end: Some(m("9999-12")),
            ..spending()
        };
        assert!(matches!(
            project_series(&long),
            Err(SeriesError::TooLong { .. })
        ));
    }

    #[test]
    fn the_portfolio_adds_projects_month_by_month_and_finds_its_run_out_month() {
        let a = project_series(&spending()).expect("a");
        // A second project of 1,000.00 in 2026-05 to 2026-08, 900.00 spent in May.
        let mut months = BTreeMap::new();
        for month in ["2026-05", "2026-06", "2026-07", "2026-08"] {
            months.insert(m(month), amounts("250.00", "0", "0"));
        }
        months.get_mut(&m("2026-05")).expect("may").actual = d("900.00");
        let b = project_series(&ProjectBurn {
            start: Some(m("2026-05")),
            end: Some(m("2026-08")),
            as_of: m("2026-06"),
            window: 3,
            budget: d("1000.00"),
            eac: d("1000.00"),
            run_out_month: None,
            months,
        })
        .expect("b");
        let p = portfolio_series(m("2026-06"), &[a.clone(), b.clone()]).expect("portfolio");
        assert_eq!(p.points.len(), 24);
        assert_eq!(p.budget, d("13000.00"));
        assert_eq!(p.eac, d("13000.00"));
        // Every month is the exact sum of the projects' (b flat after August).
        for point in &p.points {
            let (ba, aa, sa, fa) = a.contribution(point.month);
            let (bb, ab, sb, fb) = b.contribution(point.month);
            assert_eq!(point.budget, ba + bb, "{}", point.month);
            if point.month <= m("2026-06") {
                assert_eq!(point.actual, Some(aa + ab));
                assert_eq!(point.spent, Some(sa + sb));
            }
            if point.month >= m("2026-06") {
                assert_eq!(point.forecast, Some(fa + fb));
            }
        }
        assert_eq!(p.points.last().map(|x| x.budget), Some(d("13000.00")));
        // B's rate: 900.00 over three months, 300.00 a month to August: 1,500.00 at its end.
        let june = &p.points[5];
        assert_eq!(june.actual, Some(d("4500.00")));
        assert_eq!(p.points[7].forecast, Some(d("6000.00") + d("1500.00")));
        // 13,000.00 is first reached in 2027-01: 3,600 + 7 × 1,200 + 1,500 = 13,500 (in
        // 2026-12: 3,600 + 6 × 1,200 + 1,500 = 12,300).
        assert_eq!(p.run_out_month, Some(m("2027-01")));
        // Conversion maps every amount.
        let doubled = p
            .map_amounts(|v| Ok::<_, ()>(v * d("2")))
            .expect("converted");
        assert_eq!(doubled.budget, d("26000.00"));
        assert_eq!(
            doubled.points[5].spent,
            p.points[5].spent.map(|v| v * d("2"))
        );
    }
}
