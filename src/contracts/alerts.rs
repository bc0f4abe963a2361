//! The scheduled contract check: raises outbox alerts for notice deadlines ahead, coming
//! expiries and ceiling consumption, each keyed so it is raised once however often the check
//! runs and on however many instances.
//!
//! Rules:
//! - **Notice deadline**: for an active contract that would otherwise continue (automatic
//!   renewal without notice given, or an explicit renewal still to exercise), when its current
//!   term's notice deadline is at most `d` days ahead for a configured `d` (90, 30, 7 by default),
//!   one alert for the smallest such `d`, keyed by contract, term and `d`.
//! - **Expiry**: when the contract's last day as things stand is at most the largest configured
//!   `d` days ahead, one alert keyed by contract and that day (a renewal moves the day and so
//!   re-arms it).
//! - **Ceiling**: when consumption (committed + invoiced) reaches a configured share of the
//!   ceiling (80, 90, 100 % by default), one alert for the highest share reached, keyed by
//!   contract, ceiling and share (a change order to the ceiling re-arms it).

use super::model::{Contract, ContractStatus, RenewalKind};
use super::repo::ContractFilter;
use crate::alerts::{self, NewAlert};
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::money::parse_decimal;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// What the check looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractAlertRules {
    /// Days before a notice deadline to alert, any order.
    pub notice_days: Vec<u32>,
    /// Shares of the ceiling, in percent, to alert at.
    pub ceiling_percents: Vec<Decimal>,
}

impl Default for ContractAlertRules {
    fn default() -> Self {
        Self {
            notice_days: vec![90, 30, 7],
            ceiling_percents: vec![Decimal::from(80), Decimal::from(90), Decimal::ONE_HUNDRED],
        }
    }
}

/// The smallest configured horizon that `days_left` falls within.
pub fn notice_horizon(days: &[u32], days_left: i64) -> Option<u32> {
    days.iter()
        .copied()
        .filter(|d| days_left >= 0 && days_left <= i64::from(*d))
        .min()
}

/// The highest configured share that `percent` has reached.
pub fn ceiling_share(shares: &[Decimal], percent: Decimal) -> Option<Decimal> {
    shares.iter().copied().filter(|s| percent >= *s).max()
}

fn recipients(conn: &mut DbConnection, contract: &Contract) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for project_id in &contract.project_ids {
        if let Some(project) = crate::projects::repo::find(conn, *project_id)? {
            out.extend(project.pm_email);
            out.extend(project.finance_owner_email);
        }
    }
    Ok(out)
}

/// Runs the check for `today`; returns how many alerts were raised now.
pub fn check(tx: &mut Tx<'_>, rules: &ContractAlertRules, today: NaiveDate) -> AppResult<usize> {
    let now = crate::clock::now();
    let filter = ContractFilter {
        status: Some(ContractStatus::Active),
        ..Default::default()
    };
    let mut raised = 0;
    let mut after = 0;
    loop {
        let page = super::repo::list(tx, &filter, after, 200)?;
        let Some(last) = page.last() else {
            return Ok(raised);
        };
        after = last.id;
        for stored in page {
            let id = stored.id;
            // A contract whose dates the calendar cannot follow is skipped, not a failed run.
            let Ok(contract) = super::service::with_status_on(stored, today) else {
                tracing::warn!(contract = id, "contract check skipped: dates out of range");
                continue;
            };
            if contract.status != ContractStatus::Active {
                continue;
            }
            for alert in contract_alerts(tx, rules, &contract, today)? {
                if alerts::raise(tx, &alert, now)? {
                    raised += 1;
                }
            }
        }
    }
}

fn contract_alerts(
    conn: &mut DbConnection,
    rules: &ContractAlertRules,
    contract: &Contract,
    today: NaiveDate,
) -> AppResult<Vec<NewAlert<'static>>> {
    let Ok(schedule) = super::terms::schedule(&contract.rules(), &contract.events(), today) else {
        return Ok(Vec::new());
    };
    let to = recipients(conn, contract)?;
    let project_id = contract.project_ids.first().copied();
    let mut out = Vec::new();
    let continues = match contract.renewal.kind {
        RenewalKind::Automatic => contract.notice_given_on.is_none(),
        RenewalKind::Explicit => {
            schedule.next_renewal.is_none() && schedule.final_expiry != Some(schedule.current.end)
        }
        RenewalKind::None => false,
    };
    let deadline = schedule.current.notice_deadline;
    if continues {
        if let Some(d) = notice_horizon(&rules.notice_days, (deadline - today).num_days()) {
            let action = match contract.renewal.kind {
                RenewalKind::Explicit => "renew it (or let it end)",
                _ => "give notice (or let it renew)",
            };
            out.push(NewAlert {
                dedupe_key: format!(
                    "contract:{}:term:{}:notice:{d}",
                    contract.id, schedule.current.index
                ),
                kind: "contract_notice_deadline",
                project_id,
                subject: format!(
                    "[Procura] Contract {}: notice deadline {} ({} days)",
                    contract.number,
                    deadline,
                    (deadline - today).num_days()
                ),
                body: format!(
                    "Contract {} ({}) with vendor {}: term {} ends {}. The last day to {action} is {deadline}.",
                    contract.number,
                    contract.title,
                    contract.vendor_id,
                    schedule.current.index + 1,
                    schedule.current.end,
                ),
                recipients: to.clone(),
                html_body: None,
            });
        }
    }
    if let (Some(end), Some(horizon)) = (schedule.expires_on, rules.notice_days.iter().max()) {
        let left = (end - today).num_days();
        if left >= 0 && left <= i64::from(*horizon) {
            out.push(NewAlert {
                dedupe_key: format!("contract:{}:expiry:{end}", contract.id),
                kind: "contract_expiry",
                project_id,
                subject: format!(
                    "[Procura] Contract {} ends {end} ({left} days)",
                    contract.number
                ),
                body: format!(
                    "Contract {} ({}) with vendor {} ends on {end} as things stand.",
                    contract.number, contract.title, contract.vendor_id
                ),
                recipients: to.clone(),
                html_body: None,
            });
        }
    }
    let consumption = super::consumption::of_contract(conn, contract.id)?;
    let percent = parse_decimal(&consumption.consumed_percent).map_err(AppError::internal)?;
    if let Some(share) = ceiling_share(&rules.ceiling_percents, percent) {
        out.push(NewAlert {
            dedupe_key: format!(
                "contract:{}:ceiling:{}:{}",
                contract.id,
                consumption.ceiling,
                share.normalize()
            ),
            kind: "contract_ceiling",
            project_id,
            subject: format!(
                "[Procura] Contract {} has used {}% of its ceiling",
                contract.number, consumption.consumed_percent
            ),
            body: format!(
                "Contract {} ({}): ceiling {} {}, committed {}, invoiced {}, consumed {} ({}%), remaining {}.",
                contract.number,
                contract.title,
                consumption.ceiling,
                consumption.currency,
                consumption.committed,
                consumption.invoiced,
                consumption.consumed,
                consumption.consumed_percent,
                consumption.remaining
            ),
            recipients: to,
            html_body: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_horizon_a_deadline_falls_in_is_alerted() {
        let days = [90, 30, 7];
        assert_eq!(notice_horizon(&days, 120), None);
        assert_eq!(notice_horizon(&days, 90), Some(90));
        assert_eq!(notice_horizon(&days, 31), Some(90));
        assert_eq!(notice_horizon(&days, 30), Some(30));
        assert_eq!(notice_horizon(&days, 0), Some(7));
        assert_eq!(notice_horizon(&days, -1), None);
    }

    #[test]
    fn the_highest_share_reached_is_alerted() {
        let shares = [Decimal::from(80), Decimal::from(90), Decimal::ONE_HUNDRED];
        assert_eq!(ceiling_share(&shares, Decimal::from(79)), None);
        assert_eq!(
            ceiling_share(&shares, Decimal::from(80)),
            Some(Decimal::from(80))
        );
        assert_eq!(
            ceiling_share(&shares, Decimal::from(95)),
            Some(Decimal::from(90))
        );
        assert_eq!(
            ceiling_share(&shares, Decimal::from(130)),
            Some(Decimal::ONE_HUNDRED)
        );
    }
}
