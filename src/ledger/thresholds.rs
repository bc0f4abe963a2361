//! Budget thresholds: a project's alert thresholds (80, 90 and 100 % by default), evaluated in
//! the same transaction as every change that moves the figures (PO approval, revision, close
//! and cancel; receipts and returns; invoice approval; budget changes; estimates to complete;
//! FX rate changes).
//!
//! Two measures:
//! - **used**: (actual + committed) / budget reaches the threshold;
//! - **EAC**: a forecast overrun. Only thresholds of 100 % and more apply, and one counts as
//!   crossed when EAC / budget reaches it, EAC is above the budget, and EAC is above actual +
//!   committed. By default the estimate to complete is the rest of the budget (see
//!   [`super::projection`]), so EAC is never below the budget and a threshold under 100 % (or
//!   EAC landing exactly on budget) would alert for every project from its first day; and
//!   where no estimate adds to what is spent and committed, EAC equals it and the *used* alert
//!   has already said so. An EAC alert always means "the forecast says we will overrun, beyond
//!   what is already spent and committed".
//!
//! Rules: the comparison is exact (`figure × 100 ≥ threshold × budget`); crossing a threshold
//! raises exactly one alert; the threshold is re-armed when the figure falls back below it, and
//! the next crossing raises a new alert. The state of each (measure, threshold) is kept per
//! project, so evaluating again without a change raises nothing. A project without a budget
//! has no thresholds to cross.

use super::forecast;
use super::projection::{self, Forecast};
use crate::alerts::{self, NewAlert};
use crate::db::schema::budget_threshold_states as states;
use crate::db::DbConnection;
use crate::email::escape_html;
use crate::error::AppResult;
use crate::money::parse_decimal;
use crate::money::storage::{amount_from_units, decimal_to_text};
use crate::projects::model::Project;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The measure: actual + committed over budget.
pub const USED: &str = "actual_plus_committed";

/// The measure: EAC over budget (a forecast overrun).
pub const EAC: &str = "eac";

/// What a threshold does given whether the figure is at or past it now: `Some(true)` crosses
/// it (alert), `Some(false)` re-arms it, `None` leaves it.
pub fn transition(at_or_past: bool, crossed: bool) -> Option<bool> {
    match (at_or_past, crossed) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// Whether `figure` is at or past `threshold` percent of `budget`, exactly.
pub fn reaches(figure: Decimal, budget: Decimal, threshold: Decimal) -> bool {
    match (
        figure.checked_mul(Decimal::ONE_HUNDRED),
        threshold.checked_mul(budget),
    ) {
        (Some(left), Some(right)) => left >= right,
        // Beyond Decimal's range only for absurd figures: treat a huge figure as past.
        _ => true,
    }
}

/// Whether the EAC measure counts `threshold` as crossed (see the module rules); `used` is
/// actual + committed.
pub fn eac_crosses(eac: Decimal, used: Decimal, budget: Decimal, threshold: Decimal) -> bool {
    threshold >= Decimal::ONE_HUNDRED
        && eac > budget
        && eac > used
        && reaches(eac, budget, threshold)
}

/// The project's budget, used and EAC, exactly, from per-line SQL sums and the latest estimates
/// (the check runs in every transaction that moves them and must not read every document).
fn measures(conn: &mut DbConnection, project_id: i64) -> AppResult<(Decimal, Decimal, Decimal)> {
    use crate::db::schema::budget_lines;
    let budgets: Vec<(i64, i64)> = budget_lines::table
        .filter(budget_lines::project_id.eq(project_id))
        .select((budget_lines::id, budget_lines::amount_units))
        .load(conn)?;
    let by_line = |rows: Vec<super::repo::LineTotal>| -> HashMap<i64, i64> {
        rows.into_iter()
            .map(|r| (r.budget_line_id, r.units))
            .collect()
    };
    let committed = by_line(super::repo::committed_by_line(conn, project_id)?);
    let actual = by_line(super::repo::actual_by_line(conn, project_id)?);
    let estimates: HashMap<i64, i64> = super::repo::latest_estimates(conn, project_id)?
        .into_iter()
        .map(|e| (e.budget_line_id, e.units))
        .collect();
    let overflow = || crate::error::AppError::internal(anyhow::anyhow!("figure overflow"));
    let (mut budget, mut used, mut eac) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for (line, budget_units) in budgets {
        let b = amount_from_units(budget_units);
        let c = amount_from_units(committed.get(&line).copied().unwrap_or(0));
        let a = amount_from_units(actual.get(&line).copied().unwrap_or(0));
        let etc = match estimates.get(&line) {
            Some(&units) => amount_from_units(units),
            None => forecast::default_estimate_to_complete(b, a, c).ok_or_else(overflow)?,
        };
        budget = budget.checked_add(b).ok_or_else(overflow)?;
        used = used
            .checked_add(a.checked_add(c).ok_or_else(overflow)?)
            .ok_or_else(overflow)?;
        eac = eac
            .checked_add(forecast::eac(a, c, etc).ok_or_else(overflow)?)
            .ok_or_else(overflow)?;
    }
    Ok((budget, used, eac))
}

/// Evaluates a project's thresholds now; returns how many alerts were raised.
pub fn evaluate(conn: &mut DbConnection, project_id: i64, now: NaiveDateTime) -> AppResult<usize> {
    // One evaluation per project at a time: the row lock is held to the end of the transaction,
    // so the state read below is the one the previous evaluation left.
    crate::projects::repo::lock(conn, project_id)?;
    let project = crate::projects::service::get(conn, project_id)?;
    let (budget, used, eac) = measures(conn, project_id)?;
    if budget <= Decimal::ZERO {
        return Ok(0);
    }
    let mut crossings = Vec::new();
    for text in &project.alert_thresholds {
        let threshold = parse_decimal(text).map_err(crate::error::AppError::internal)?;
        for (measure, now_past) in [
            (USED, reaches(used, budget, threshold)),
            (EAC, eac_crosses(eac, used, budget, threshold)),
        ] {
            if let Some(count) = step(conn, project_id, measure, threshold, now_past)? {
                crossings.push((measure, threshold, count));
            }
        }
    }
    if crossings.is_empty() {
        return Ok(0);
    }
    let remaining = crate::money::Money::round(
        budget
            .checked_sub(used)
            .ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("figure overflow")))?,
        project.currency()?,
        crate::money::RoundingPoint::Presentation,
    )?
    .amount()
    .to_string();
    // Alerts are rare: only now is the whole forecast worked out, for the message.
    let forecast =
        projection::of_project(conn, project_id, now.date(), projection::DEFAULT_WINDOW)?;
    let mut raised = 0;
    for (measure, threshold, count) in crossings {
        let key = decimal_to_text(threshold);
        let message = Message::new(&project, &forecast, measure, &key, &remaining);
        let recipients: Vec<String> = [
            project.pm_email.clone(),
            project.finance_owner_email.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if alerts::raise(
            conn,
            &NewAlert {
                dedupe_key: format!("budget:{project_id}:{measure}:{key}:{count}"),
                kind: "budget_threshold",
                project_id: Some(project_id),
                subject: message.subject,
                body: message.text,
                html_body: Some(message.html),
                recipients,
            },
            now,
        )? {
            raised += 1;
        }
    }
    Ok(raised)
}

/// Moves one threshold's state; the crossing count when it was crossed now.
fn step(
    conn: &mut DbConnection,
    project_id: i64,
    measure: &str,
    threshold: Decimal,
    now_past: bool,
) -> AppResult<Option<i64>> {
    let key = decimal_to_text(threshold);
    let state: Option<(bool, i64)> = states::table
        .filter(states::project_id.eq(project_id))
        .filter(states::measure.eq(measure))
        .filter(states::threshold.eq(&key))
        .select((states::crossed, states::crossings))
        .get_result(conn)
        .optional()?;
    let (crossed, crossings) = state.unwrap_or((false, 0));
    let Some(now_crossed) = transition(now_past, crossed) else {
        return Ok(None);
    };
    let crossings = crossings + i64::from(now_crossed);
    if state.is_none() {
        diesel::insert_into(states::table)
            .values((
                states::project_id.eq(project_id),
                states::measure.eq(measure),
                states::threshold.eq(&key),
                states::crossed.eq(now_crossed),
                states::crossings.eq(crossings),
            ))
            .execute(conn)?;
    } else {
        diesel::update(
            states::table
                .filter(states::project_id.eq(project_id))
                .filter(states::measure.eq(measure))
                .filter(states::threshold.eq(&key)),
        )
        .set((
            states::crossed.eq(now_crossed),
            states::crossings.eq(crossings),
        ))
        .execute(conn)?;
    }
    Ok(now_crossed.then_some(crossings))
}

/// A threshold alert's subject and bodies: the project, each line's figures, the threshold,
/// EAC and the run-out month.
struct Message {
    subject: String,
    text: String,
    html: String,
}

impl Message {
    fn new(
        project: &Project,
        forecast: &Forecast,
        measure: &str,
        threshold: &str,
        remaining: &str,
    ) -> Message {
        let f = &forecast.project;
        let currency = &forecast.currency;
        let run_out = match &f.run_rate.run_out_month {
            Some(month) => format!("at that rate the budget runs out in {month}"),
            None => "at that rate the budget does not run out".into(),
        };
        let (subject, headline) = if measure == EAC {
            (
                format!(
                    "[Procura] Project {} is forecast at {}% of its budget (threshold {threshold}%)",
                    project.code, f.eac_percent
                ),
                format!(
                    "The estimate at completion, {} {currency}, is {}% of the budget {} {currency} (threshold {threshold}%).",
                    f.eac, f.eac_percent, f.budget
                ),
            )
        } else {
            (
                format!(
                    "[Procura] Project {} has used {}% of its budget (threshold {threshold}%)",
                    project.code, f.utilisation_percent
                ),
                format!(
                    "Actual {} + committed {} = {}% of the budget {} {currency} (threshold {threshold}%).",
                    f.actual, f.committed, f.utilisation_percent, f.budget
                ),
            )
        };
        let mut text = format!(
            "Project {} ({})\n{headline}\n\nBudget: {} {currency}\nActual: {}\nCommitted: {}\n\
             Remaining: {}\nEstimate at completion (EAC): {} ({}%)\nVariance at completion: {}\n\
             Run rate: {} a month over the last {} months; {run_out}.\n\nBy budget line:\n",
            project.code,
            project.name,
            f.budget,
            f.actual,
            f.committed,
            remaining,
            f.eac,
            f.eac_percent,
            f.vac,
            f.run_rate.monthly_mean,
            f.run_rate.window_months,
        );
        let mut rows = String::new();
        for line in &forecast.lines {
            let l = &line.figures;
            let _ = writeln!(
                text,
                "- {} {}: budget {}, actual {}, committed {}, ETC {} ({}), EAC {}, used {}%",
                line.category,
                line.cost_center,
                l.budget,
                l.actual,
                l.committed,
                l.estimate_to_complete,
                line.estimate.source,
                l.eac,
                l.utilisation_percent
            );
            let _ = write!(
                rows,
                "<tr><td>{} {}</td><td align=\"right\">{}</td><td align=\"right\">{}</td>\
                 <td align=\"right\">{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td>\
                 <td align=\"right\">{}%</td></tr>",
                escape_html(&line.category),
                escape_html(&line.cost_center),
                l.budget,
                l.actual,
                l.committed,
                l.estimate_to_complete,
                l.eac,
                l.utilisation_percent
            );
        }
        let html = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
             <h2>Project {} ({})</h2><p>{}</p>\
             <table cellpadding=\"4\"><tr><th align=\"left\">Budget</th><td>{} {currency}</td></tr>\
             <tr><th align=\"left\">Actual</th><td>{}</td></tr>\
             <tr><th align=\"left\">Committed</th><td>{}</td></tr>\
             <tr><th align=\"left\">EAC</th><td>{} ({}%)</td></tr>\
             <tr><th align=\"left\">Run rate</th><td>{}</td></tr></table>\
             <h3>By budget line</h3><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">\
             <tr><th>Line</th><th>Budget</th><th>Actual</th><th>Committed</th><th>ETC</th>\
             <th>EAC</th><th>Used</th></tr>{rows}</table></body></html>",
            escape_html(&project.code),
            escape_html(&project.name),
            escape_html(&headline),
            f.budget,
            f.actual,
            f.committed,
            f.eac,
            f.eac_percent,
            escape_html(&run_out),
        );
        Message {
            subject,
            text,
            html,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        parse_decimal(s).unwrap()
    }

    #[test]
    fn a_threshold_alerts_on_the_way_up_and_re_arms_below() {
        let t = d("90");
        let budget = d("1000");
        let at = |used: &str| reaches(d(used), budget, t);
        assert_eq!(transition(at("890"), false), None);
        assert_eq!(transition(at("900"), false), Some(true));
        assert_eq!(transition(at("950"), true), None);
        assert_eq!(transition(at("899.99"), true), Some(false));
        assert_eq!(transition(at("100"), false), None);
    }

    #[test]
    fn the_comparison_is_exact_not_on_a_rounded_percentage() {
        // 799.99 / 1000 is 79.999 %: it rounds to 80.00 for display but has not reached 80.
        assert!(!reaches(d("799.99"), d("1000"), d("80")));
        assert!(reaches(d("800.00"), d("1000"), d("80")));
        // A third: 1/3 of 300.00 is exactly 100.00 (33.33…%).
        assert!(reaches(d("100.00"), d("300.00"), d("33.333")));
    }

    #[test]
    fn eac_thresholds_mean_a_forecast_overrun() {
        let (budget, used) = (d("1000"), d("400"));
        // Landing on budget (the default forecast) crosses nothing.
        for t in ["80", "90", "100"] {
            assert!(!eac_crosses(d("1000"), used, budget, d(t)), "{t}");
        }
        // One cent over crosses 100 % (and the thresholds below it do not apply).
        assert!(eac_crosses(d("1000.01"), used, budget, d("100")));
        assert!(!eac_crosses(d("1000.01"), used, budget, d("90")));
        // 110 % needs EAC at 1100.
        assert!(!eac_crosses(d("1099.99"), used, budget, d("110")));
        assert!(eac_crosses(d("1100"), used, budget, d("110")));
        // Spent and committed past the budget with nothing more forecast: the used measure's
        // alert has said it; the forecast adds nothing.
        assert!(!eac_crosses(d("1200"), d("1200"), budget, d("100")));
        assert!(eac_crosses(d("1300"), d("1200"), budget, d("100")));
    }
}
