//! Budget thresholds: a project's alert thresholds (80, 90 and 100 % by default) on
//! (actual + committed) / budget, evaluated in the same transaction as every change that moves
//! the figures (PO approval, revision, close and cancel; invoice approval; budget changes).
//!
//! Rules: crossing a threshold upwards raises exactly one alert; the threshold is re-armed when
//! the figure falls back below it, and the next crossing raises a new alert. The state of each
//! threshold (crossed or not, and how many times) is kept per project, so evaluating again
//! without a change raises nothing.

use crate::alerts::{self, NewAlert};
use crate::db::schema::budget_threshold_states as states;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::money::parse_decimal;
use crate::money::storage::{decimal_to_text, money_from_units};
use crate::money::RoundingPoint;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

/// The measure thresholds apply to: actual + committed over budget.
pub const USED: &str = "actual_plus_committed";

/// What a threshold does when the figure is `percent`: `Some(true)` crosses it (alert),
/// `Some(false)` re-arms it, `None` leaves it.
pub fn transition(threshold: Decimal, percent: Decimal, crossed: bool) -> Option<bool> {
    match (percent >= threshold, crossed) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// Evaluates a project's thresholds now; returns how many alerts were raised.
pub fn evaluate(conn: &mut DbConnection, project_id: i64, now: NaiveDateTime) -> AppResult<usize> {
    // One evaluation per project at a time: the row lock is held to the end of the transaction,
    // so the state read below is the one the previous evaluation left.
    crate::projects::repo::lock(conn, project_id)?;
    let project = crate::projects::service::get(conn, project_id)?;
    let currency = project.currency()?;
    let totals = super::project_totals(conn, project_id)?;
    if totals.budget <= 0 {
        return Ok(0);
    }
    let m = |units: i64| money_from_units(units, currency);
    let (budget, committed, actual) = (m(totals.budget)?, m(totals.committed)?, m(totals.actual)?);
    let used = actual.checked_add(&committed)?;
    let mut used_percent = RoundingPoint::Presentation
        .policy()
        .round(used.amount() * Decimal::ONE_HUNDRED / budget.amount(), 2);
    used_percent.rescale(2);
    let remaining = budget.checked_sub(&used)?;
    let mut raised = 0;
    for text in &project.alert_thresholds {
        let threshold = parse_decimal(text).map_err(crate::error::AppError::internal)?;
        let key = decimal_to_text(threshold);
        let state: Option<(bool, i64)> = states::table
            .filter(states::project_id.eq(project_id))
            .filter(states::measure.eq(USED))
            .filter(states::threshold.eq(&key))
            .select((states::crossed, states::crossings))
            .get_result(conn)
            .optional()?;
        let (crossed, crossings) = state.unwrap_or((false, 0));
        let Some(now_crossed) = transition(threshold, used_percent, crossed) else {
            continue;
        };
        let crossings = if now_crossed {
            crossings + 1
        } else {
            crossings
        };
        if state.is_none() {
            diesel::insert_into(states::table)
                .values((
                    states::project_id.eq(project_id),
                    states::measure.eq(USED),
                    states::threshold.eq(&key),
                    states::crossed.eq(now_crossed),
                    states::crossings.eq(crossings),
                ))
                .execute(conn)?;
        } else {
            diesel::update(
                states::table
                    .filter(states::project_id.eq(project_id))
                    .filter(states::measure.eq(USED))
                    .filter(states::threshold.eq(&key)),
            )
            .set((
                states::crossed.eq(now_crossed),
                states::crossings.eq(crossings),
            ))
            .execute(conn)?;
        }
        if !now_crossed {
            continue;
        }
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
                dedupe_key: format!("budget:{project_id}:{USED}:{key}:{crossings}"),
                kind: "budget_threshold",
                project_id: Some(project_id),
                subject: format!(
                    "[Procura] Project {} has used {used_percent}% of its budget (threshold {key}%)",
                    project.code
                ),
                body: format!(
                    "Project {} ({}): actual {} + committed {} = {used_percent}% of the budget {} {currency}.\n\
                     Threshold: {key}%.\nRemaining: {} {currency}.",
                    project.code,
                    project.name,
                    actual.amount(),
                    committed.amount(),
                    budget.amount(),
                    remaining.amount(),
                ),
                recipients,
            },
            now,
        )? {
            raised += 1;
        }
    }
    Ok(raised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_threshold_alerts_on_the_way_up_and_re_arms_below() {
        let t = Decimal::from(90);
        assert_eq!(transition(t, Decimal::from(89), false), None);
        assert_eq!(transition(t, Decimal::from(90), false), Some(true));
        assert_eq!(transition(t, Decimal::from(95), true), None);
        assert_eq!(transition(t, Decimal::new(8999, 2), true), Some(false));
        assert_eq!(transition(t, Decimal::from(10), false), None);
    }
}
