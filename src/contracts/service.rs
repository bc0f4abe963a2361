//! Contract use cases: draft, change a draft, activate, renew, give notice, terminate. Every
//! change runs inside the caller's transaction and writes its audit row.

use super::model::{Contract, ContractDraft, ContractStatus};
use super::repo::{self, ContractFilter, Lifecycle};
use super::terms::{self, Schedule, Standing};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::responses::{Page, PageWindow};
use crate::vendors::model::VendorStatus;
use chrono::{Datelike, NaiveDate};

/// Creates a draft contract and gives it its number, `CTR-<start year>-<id>`.
pub fn create(tx: &mut Tx<'_>, actor: &Actor, draft: ContractDraft) -> AppResult<Contract> {
    check_references(tx, &draft)?;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random)
        .map_err(|e| AppError::internal(anyhow::anyhow!("OS randomness: {e}")))?;
    let id = repo::insert(
        tx,
        &draft,
        &format!("pending-{}", hex::encode(random)),
        clock::now(),
    )?;
    repo::set_number(
        tx,
        id,
        &format!("CTR-{:04}-{id:06}", draft.start_date.year()),
    )?;
    let contract = stored(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "contract.create",
        "contract",
        id,
        None::<&()>,
        Some(&contract),
    )?;
    Ok(contract)
}

/// Replaces a draft's terms (only drafts change freely; an active contract changes through
/// change orders).
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    draft: ContractDraft,
) -> AppResult<Contract> {
    let before = current(tx, id, expected_version)?;
    if before.status != ContractStatus::Draft {
        return Err(before.refuse("update"));
    }
    check_references(tx, &draft)?;
    if !repo::update_terms(tx, id, expected_version, &draft, clock::now())? {
        return Err(stale(tx, id, expected_version));
    }
    let after = stored(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "contract.update",
        "contract",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// A transition a caller asks for, on a given day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// draft → active; the vendor must not be blocked.
    Activate,
    /// Records one explicit renewal, by the current last term's notice deadline.
    Renew { on: NaiveDate },
    /// Records notice of non-renewal (automatic renewal).
    GiveNotice { on: NaiveDate },
    /// active → terminated, on a day, with a reason.
    Terminate { on: NaiveDate, reason: String },
}

impl Transition {
    fn name(&self) -> &'static str {
        match self {
            Transition::Activate => "activate",
            Transition::Renew { .. } => "renew",
            Transition::GiveNotice { .. } => "give_notice",
            Transition::Terminate { .. } => "terminate",
        }
    }
}

/// Applies a transition to contract `id` at `expected_version`; `today` decides whether an
/// active contract has already expired.
pub fn transition(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    step: Transition,
    today: NaiveDate,
) -> AppResult<Contract> {
    let before = current(tx, id, expected_version)?;
    let shown = with_status_on(before.clone(), today)?;
    let day = match &step {
        Transition::Activate => today,
        Transition::Renew { on }
        | Transition::GiveNotice { on }
        | Transition::Terminate { on, .. } => *on,
    };
    let name = step.name();
    if !shown.allowed_actions().contains(&name) {
        return Err(shown.refuse(name));
    }
    let schedule =
        terms::schedule(&before.rules(), &before.events(), day).map_err(AppError::internal)?;
    let mut next = Lifecycle {
        status: before.status,
        renewals_recorded: before.renewals_recorded,
        notice_given_on: before.notice_given_on,
        terminated_on: before.terminated_on,
        termination_reason: before.termination_reason.clone(),
    };
    match step {
        Transition::Activate => {
            let vendor = crate::vendors::service::get(tx, before.vendor_id)?;
            if vendor.status == VendorStatus::Blocked {
                return Err(AppError::conflict(
                    "vendor_blocked",
                    format!(
                        "vendor {} ({}) is blocked: its contract cannot be activated",
                        vendor.id, vendor.name
                    ),
                ));
            }
            next.status = ContractStatus::Active;
        }
        Transition::Renew { on } => {
            ensure_running(&before, &schedule, on)?;
            let last = terms::term(&before.rules(), before.renewals_recorded)
                .map_err(AppError::internal)?;
            let max = terms::max_terms(before.rules().renewal).map(|n| n - 1);
            if max.is_some_and(|m| before.renewals_recorded >= m) {
                return Err(AppError::conflict(
                    "no_renewals_left",
                    format!(
                        "contract {} has used all {} renewals",
                        before.number, before.renewals_recorded
                    ),
                ));
            }
            if on > last.notice_deadline {
                return Err(AppError::conflict(
                    "renewal_deadline_passed",
                    format!(
                        "the renewal of contract {} had to be exercised by {} (the term ending {}); it is {on}",
                        before.number, last.notice_deadline, last.end
                    ),
                ));
            }
            next.renewals_recorded += 1;
        }
        Transition::GiveNotice { on } => {
            ensure_running(&before, &schedule, on)?;
            next.notice_given_on = Some(on);
        }
        Transition::Terminate { on, reason } => {
            let reason = crate::validate::required_text(&reason, 1_000)
                .map_err(|m| AppError::invalid_fields(vec![FieldError::new("reason", m)]))?;
            if on < before.start_date {
                return Err(AppError::invalid(
                    "date",
                    format!("{on} is before the contract starts ({})", before.start_date),
                ));
            }
            ensure_running(&before, &schedule, on)?;
            next.status = ContractStatus::Terminated;
            next.terminated_on = Some(on);
            next.termination_reason = Some(reason);
        }
    }
    if !repo::update_lifecycle(tx, id, expected_version, &next, clock::now())? {
        return Err(stale(tx, id, expected_version));
    }
    let after = stored(tx, id)?;
    let action = format!("contract.{name}");
    audit::record(
        tx,
        &actor.name,
        &action,
        "contract",
        id,
        Some(&before),
        Some(&after),
    )?;
    with_status_on(after, today)
}

/// The contract has not ended on `day`.
fn ensure_running(contract: &Contract, schedule: &Schedule, day: NaiveDate) -> AppResult<()> {
    if schedule.standing == Standing::Ended {
        return Err(AppError::conflict(
            "contract_ended",
            format!(
                "contract {} ended on {}; it is {day}",
                contract.number,
                schedule.expires_on.unwrap_or(day)
            ),
        ));
    }
    Ok(())
}

/// The contract as stored, or 404.
fn stored(conn: &mut DbConnection, id: i64) -> AppResult<Contract> {
    repo::find(conn, id)?.ok_or_else(|| AppError::not_found("contract", id))
}

fn current(conn: &mut DbConnection, id: i64, expected_version: i64) -> AppResult<Contract> {
    let contract = stored(conn, id)?;
    crate::lifecycle::check_version("contract", id, contract.version, expected_version)?;
    Ok(contract)
}

fn stale(conn: &mut DbConnection, id: i64, expected: i64) -> AppError {
    match repo::find(conn, id) {
        Ok(Some(current)) => AppError::version_conflict("contract", id, expected, current.version),
        Ok(None) => AppError::not_found("contract", id),
        Err(error) => error,
    }
}

/// The contract with its status as of `today`: an active contract past its last day is shown as
/// `expired` (never stored, so it cannot go stale).
pub fn with_status_on(mut contract: Contract, today: NaiveDate) -> AppResult<Contract> {
    if contract.status == ContractStatus::Active {
        let schedule = terms::schedule(&contract.rules(), &contract.events(), today)
            .map_err(AppError::internal)?;
        if schedule.standing == Standing::Ended {
            contract.status = ContractStatus::Expired;
        }
    }
    Ok(contract)
}

/// The contract with this id as of `today`, and its schedule on `as_of`.
pub fn get(
    conn: &mut DbConnection,
    id: i64,
    today: NaiveDate,
    as_of: NaiveDate,
) -> AppResult<(Contract, Schedule)> {
    let contract = with_status_on(stored(conn, id)?, today)?;
    let schedule = terms::schedule(&contract.rules(), &contract.events(), as_of)
        .map_err(AppError::internal)?;
    Ok((contract, schedule))
}

/// A page of contracts, with statuses as of `today`.
pub fn list(
    conn: &mut DbConnection,
    filter: &ContractFilter,
    window: PageWindow,
    today: NaiveDate,
) -> AppResult<Page<Contract>> {
    let rows = repo::list(conn, filter, window.after, window.fetch())?;
    let rows = rows
        .into_iter()
        .map(|c| with_status_on(c, today))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(window.page(rows, |c| c.id, |c| c))
}

fn check_references(conn: &mut DbConnection, draft: &ContractDraft) -> AppResult<()> {
    let mut errors = Vec::new();
    match crate::vendors::repo::find(conn, draft.vendor_id)? {
        None => errors.push(FieldError::new(
            "vendor_id",
            format!("vendor {} does not exist", draft.vendor_id),
        )),
        Some(vendor) if vendor.archived_at.is_some() => errors.push(FieldError::new(
            "vendor_id",
            format!("vendor {} is archived", draft.vendor_id),
        )),
        Some(_) => {}
    }
    for (i, project_id) in draft.project_ids.iter().enumerate() {
        match crate::projects::repo::find(conn, *project_id)? {
            None => errors.push(FieldError::new(
                format!("project_ids[{i}]"),
                format!("project {project_id} does not exist"),
            )),
            Some(project) if project.archived_at.is_some() => errors.push(FieldError::new(
                format!("project_ids[{i}]"),
                format!("project {project_id} is archived"),
            )),
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(errors))
    }
}
