//! Closeout use cases: the checklist, waivers, closing (release, freeze, lock) and reopening.

use super::model::{
    self, open_items, text, BudgetLineCloseout, Checklist, ChecklistSection, CloseoutItem, RawItem,
    Section, StoredWaiver,
};
use super::repo;
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::money::storage::sum_units;
use crate::money::Currency;
use crate::projects::model::{Project, ProjectStatus};
use crate::purchase_orders::approval::ApprovalPolicy;
use crate::validate::required_text;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The checklist of project `id` as of `as_of`.
pub fn checklist(conn: &mut DbConnection, id: i64, as_of: NaiveDate) -> AppResult<Checklist> {
    let project = crate::projects::service::get(conn, id)?;
    checklist_of(conn, &project, as_of)
}

fn checklist_of(
    conn: &mut DbConnection,
    project: &Project,
    as_of: NaiveDate,
) -> AppResult<Checklist> {
    let currency = project.currency()?;
    let waivers = repo::waivers(conn, project.id)?;
    let mut sections = Vec::with_capacity(Section::ALL.len());
    for section in Section::ALL {
        let raw = raw_items(conn, section, project.id, currency)?;
        sections.push(model::section(section, raw, &waivers)?);
    }
    let (budget_lines, budget_totals) = budget_figures(conn, project, as_of)?;
    let open_count = open_items(&sections).len();
    let waived_items = sections.iter().map(|s| s.waived).sum();
    Ok(Checklist {
        project_id: project.id,
        project_code: project.code.clone(),
        project_name: project.name.clone(),
        currency: project.currency.clone(),
        project_status: project.status.as_str().to_string(),
        as_of,
        sections,
        budget_lines,
        budget_totals,
        open_items: open_count,
        waived_items,
        ready_to_close: open_count == 0 && project.status != ProjectStatus::Closed,
    })
}

fn raw_items(
    conn: &mut DbConnection,
    section: Section,
    project_id: i64,
    currency: Currency,
) -> AppResult<Vec<RawItem>> {
    match section {
        Section::OpenCommitments => repo::open_commitments(conn, project_id, currency),
        Section::Accruals => repo::accruals(conn, project_id, currency),
        Section::InvoicesOnHoldOrUnmatched => repo::invoices_unposted(conn, project_id, currency),
        Section::InvoicesUnpaid => repo::invoices_unpaid(conn, project_id),
        Section::InvoicesWithoutReceipts => {
            repo::invoices_without_receipts(conn, project_id, currency)
        }
        Section::MilestonesNotAccepted => repo::milestones_not_accepted(conn, project_id),
        Section::SlaCreditsNotApplied => repo::sla_credits_not_applied(conn, project_id),
        Section::AssetsPending => repo::assets_pending(conn, project_id),
        Section::ContractsActive => repo::contracts_active(conn, project_id),
    }
}

/// Per budget line and in total: the ledger's budget, actual, committed and accrued, the
/// forecast's EAC as of the day (run rate over the default 3 months), and the variance.
fn budget_figures(
    conn: &mut DbConnection,
    project: &Project,
    as_of: NaiveDate,
) -> AppResult<(Vec<BudgetLineCloseout>, BudgetLineCloseout)> {
    let ledger = crate::ledger::of_project(conn, project.id, None)?;
    let forecast = crate::ledger::projection::of_project(conn, project.id, as_of, 3)?;
    let currency = project.currency()?;
    let variance = |budget: &str, actual: &str, committed: &str| -> AppResult<String> {
        let units = |t: &str| -> AppResult<i64> {
            Ok(crate::money::storage::amount_to_units(
                crate::money::parse_decimal(t)?,
            )?)
        };
        text(
            units(budget)? - units(actual)? - units(committed)?,
            currency,
        )
    };
    let mut lines = Vec::with_capacity(ledger.lines.len());
    for line in &ledger.lines {
        let eac = forecast
            .lines
            .iter()
            .find(|f| f.budget_line_id == line.budget_line_id)
            .map(|f| f.figures.eac.clone())
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!(
                    "budget line {} has no forecast",
                    line.budget_line_id
                ))
            })?;
        let f = &line.figures;
        lines.push(BudgetLineCloseout {
            budget_line_id: Some(line.budget_line_id),
            category: line.category.clone(),
            cost_center: line.cost_center.clone(),
            budget: f.budget.clone(),
            actual: f.actual.clone(),
            committed: f.committed.clone(),
            accrued: f.accrued.clone(),
            forecast_eac: eac,
            variance: variance(&f.budget, &f.actual, &f.committed)?,
        });
    }
    let t = &ledger.totals;
    let totals = BudgetLineCloseout {
        budget_line_id: None,
        category: "total".to_string(),
        cost_center: String::new(),
        budget: t.budget.clone(),
        actual: t.actual.clone(),
        committed: t.committed.clone(),
        accrued: t.accrued.clone(),
        forecast_eac: forecast.project.eac.clone(),
        variance: variance(&t.budget, &t.actual, &t.committed)?,
    };
    Ok((lines, totals))
}

/// Who may waive a checklist item: finance or an admin (the permission table says so).
pub fn waive(
    tx: &mut Tx<'_>,
    actor: &Actor,
    project_id: i64,
    item_key: &str,
    reason: &str,
) -> AppResult<CloseoutItem> {
    let project = crate::projects::service::get(tx, project_id)?;
    if project.status == ProjectStatus::Closed {
        return Err(closed(&project));
    }
    let reason = required_text(reason, 2_000).map_err(|m| AppError::invalid("reason", m))?;
    let section = item_key
        .split(':')
        .next()
        .and_then(Section::parse)
        .ok_or_else(|| {
            AppError::invalid(
                "item",
                format!(
                    "`{item_key}` is not a checklist item key (`<section>:<document type>:<id>`, \
                     as listed by GET /projects/{project_id}/closeout)"
                ),
            )
        })?;
    let raw = raw_items(tx, section, project_id, project.currency()?)?;
    let item = raw
        .into_iter()
        .find(|i| i.key() == item_key)
        .ok_or_else(|| {
            AppError::conflict(
                "not_an_open_item",
                format!(
                    "`{item_key}` is not a loose end of project {} now (it may have been resolved)",
                    project.code
                ),
            )
            .with_context(serde_json::json!({ "item": item_key }))
        })?;
    let waivers = repo::waivers(tx, project_id)?;
    let before = waivers.get(item_key).cloned();
    let waiver = StoredWaiver {
        id: 0,
        item_key: item_key.to_string(),
        amount_units: item.amount_units,
        currency: item.currency.map(|c| c.code().to_string()),
        reason,
        waived_by: actor.name.clone(),
        waived_at: clock::now().and_utc(),
    };
    let id = repo::put_waiver(tx, project_id, &waiver)?;
    let waiver = StoredWaiver { id, ..waiver };
    audit::record(
        tx,
        &actor.name,
        "project.closeout.waive",
        "project",
        project_id,
        before.as_ref().map(WaiverAudit::of).as_ref(),
        Some(&WaiverAudit::of(&waiver)),
    )?;
    let mut map = std::collections::BTreeMap::new();
    map.insert(waiver.item_key.clone(), waiver);
    let section = model::section(section, vec![item], &map)?;
    section
        .items
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a waived item vanished")))
}

/// What the audit log records of a waiver.
#[derive(Debug, Serialize)]
struct WaiverAudit<'a> {
    item: &'a str,
    amount_units: Option<i64>,
    currency: Option<&'a str>,
    reason: &'a str,
    waived_by: &'a str,
}

impl<'a> WaiverAudit<'a> {
    fn of(w: &'a StoredWaiver) -> Self {
        Self {
            item: &w.item_key,
            amount_units: w.amount_units,
            currency: w.currency.as_deref(),
            reason: &w.reason,
            waived_by: &w.waived_by,
        }
    }
}

/// A commitment released when the project closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReleasedCommitment {
    /// The purchase order closed.
    pub purchase_order_id: i64,
    /// Its number.
    pub number: String,
    /// The open value released, in the budget's currency.
    pub amount: String,
}

/// The figures frozen when a project closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Snapshot {
    /// The project.
    pub project_id: i64,
    /// Its code.
    pub project_code: String,
    /// Its name.
    pub project_name: String,
    /// The budget's currency.
    pub currency: String,
    /// Who closed it.
    pub closed_by: String,
    /// When (UTC).
    pub closed_at: DateTime<Utc>,
    /// The checklist as it stood at the close, every item resolved or waived.
    pub checklist: Vec<ChecklistSection>,
    /// The purchase orders closed by the close, with the value each released.
    pub released_commitments: Vec<ReleasedCommitment>,
    /// The sum released.
    pub released_total: String,
    /// Per budget line, the final figures after the release.
    pub budget_lines: Vec<BudgetLineCloseout>,
    /// The project's final totals.
    pub budget_totals: BudgetLineCloseout,
}

/// A stored snapshot with its proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FrozenSnapshot {
    /// The closeout.
    pub closeout_id: i64,
    /// The project.
    pub project_id: i64,
    /// SHA-256 of the stored snapshot text.
    pub sha256: String,
    /// The audit row that recorded the close (its hash covers `sha256`).
    pub audit_seq: Option<i64>,
    /// Whether the stored text still hashes to `sha256` and the audit row records that hash.
    pub verified: bool,
    /// When the project was reopened after this close, if it was.
    pub reopened_at: Option<DateTime<Utc>>,
    /// Who reopened it.
    pub reopened_by: Option<String>,
    /// Why.
    pub reopen_reason: Option<String>,
    /// The figures, exactly as frozen.
    pub snapshot: Snapshot,
}

/// Closes project `id` at `expected_version`: refuses (409, listing them) while any item is
/// open; releases what the project's purchase orders still commit by closing them; freezes the
/// figures (stored, their SHA-256 in the audit chain); marks the project closed (read-only).
pub fn close(
    tx: &mut Tx<'_>,
    actor: &Actor,
    policy: &ApprovalPolicy,
    id: i64,
    expected_version: i64,
) -> AppResult<FrozenSnapshot> {
    let before = crate::projects::service::get(tx, id)?;
    crate::lifecycle::check_version("project", id, before.version, expected_version)?;
    if before.status == ProjectStatus::Closed {
        return Err(closed(&before));
    }
    if before.archived_at.is_some() {
        return Err(AppError::conflict(
            "archived",
            format!(
                "project {} is archived; restore it before closing it",
                before.code
            ),
        ));
    }
    let today = clock::now().date();
    let at_close = checklist_of(tx, &before, today)?;
    let open = open_items(&at_close.sections);
    if !open.is_empty() {
        let listed: Vec<serde_json::Value> = open
            .iter()
            .map(|i| {
                serde_json::json!({
                    "key": i.key, "number": i.number, "description": i.description,
                    "amount": i.amount, "currency": i.currency,
                    "waiver_outdated": i.waiver.is_some(),
                })
            })
            .collect();
        return Err(AppError::conflict(
            "closeout_items_open",
            format!(
                "project {} has {} open closeout item(s): resolve each, or have finance or an \
                 admin waive it with a reason (POST /projects/{id}/closeout/waivers)",
                before.code,
                open.len()
            ),
        )
        .with_context(serde_json::json!({ "open_items": listed })));
    }
    let released = release_commitments(tx, actor, policy, &before, &at_close)?;
    let currency = before.currency()?;
    let released_total = text(
        sum_units(
            released
                .iter()
                .map(|r| {
                    crate::money::storage::amount_to_units(crate::money::parse_decimal(&r.amount)?)
                })
                .collect::<Result<Vec<_>, _>>()?,
        )?,
        currency,
    )?;
    let now = clock::now();
    crate::projects::service::set_closed(tx, id, true, now)?;
    let after = crate::projects::service::get(tx, id)?;
    let (budget_lines, budget_totals) = budget_figures(tx, &after, today)?;
    let snapshot = Snapshot {
        project_id: id,
        project_code: after.code.clone(),
        project_name: after.name.clone(),
        currency: after.currency.clone(),
        closed_by: actor.name.clone(),
        closed_at: now.and_utc(),
        checklist: at_close.sections,
        released_commitments: released,
        released_total,
        budget_lines,
        budget_totals,
    };
    let text = serde_json::to_string(&snapshot).map_err(AppError::internal)?;
    let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    let closeout_id = repo::insert_closeout(tx, id, &actor.name, now, &text, &sha256)?;
    audit::record(
        tx,
        &actor.name,
        "project.close",
        "project",
        id,
        Some(&before),
        Some(&after),
    )?;
    let audit_seq = audit::record(
        tx,
        &actor.name,
        "project.closeout.freeze",
        "project_closeout",
        closeout_id,
        None::<&()>,
        Some(&serde_json::json!({ "project_id": id, "sha256": sha256 })),
    )?;
    Ok(FrozenSnapshot {
        closeout_id,
        project_id: id,
        sha256,
        audit_seq: Some(audit_seq),
        verified: true,
        reopened_at: None,
        reopened_by: None,
        reopen_reason: None,
        snapshot,
    })
}

/// Closes every purchase order that still commits budget, releasing its open value; each close
/// goes through the purchase-order service (its audit row, its ledger updates).
fn release_commitments(
    tx: &mut Tx<'_>,
    actor: &Actor,
    policy: &ApprovalPolicy,
    project: &Project,
    at_close: &Checklist,
) -> AppResult<Vec<ReleasedCommitment>> {
    let mut released = Vec::new();
    let commitments = at_close
        .sections
        .iter()
        .filter(|s| s.section == Section::OpenCommitments)
        .flat_map(|s| &s.items);
    for item in commitments {
        let po = crate::purchase_orders::service::get(tx, item.document_id)?;
        crate::purchase_orders::service::step(
            tx,
            actor,
            policy,
            po.id,
            po.version,
            crate::purchase_orders::service::PoStep::Close {
                reason: Some(format!("project {} closed", project.code)),
            },
        )?;
        released.push(ReleasedCommitment {
            purchase_order_id: po.id,
            number: po.number.clone(),
            amount: item.amount.clone().unwrap_or_default(),
        });
    }
    Ok(released)
}

/// Reopens a closed project (admins only, with a reason): it can be changed again; its last
/// snapshot stays stored, marked with the reopen.
pub fn reopen(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    reason: &str,
) -> AppResult<Project> {
    let reason = required_text(reason, 2_000).map_err(|m| AppError::invalid("reason", m))?;
    let before = crate::projects::service::get(tx, id)?;
    crate::lifecycle::check_version("project", id, before.version, expected_version)?;
    if before.status != ProjectStatus::Closed {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "project {} is {}, not closed: there is nothing to reopen",
                before.code,
                before.status.as_str()
            ),
        ));
    }
    let now = clock::now();
    if let Some(last) = repo::closeouts(tx, id)?.into_iter().next() {
        repo::mark_reopened(tx, last.id, &actor.name, now, &reason)?;
    }
    crate::projects::service::set_closed(tx, id, false, now)?;
    let after = crate::projects::service::get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "project.reopen",
        "project",
        id,
        Some(&before),
        Some(&serde_json::json!({ "project": after, "reason": reason })),
    )?;
    Ok(after)
}

/// The latest snapshot of project `id` (or closeout `closeout_id` of it), checked against its
/// hash and the audit row that recorded it.
pub fn snapshot(
    conn: &mut DbConnection,
    id: i64,
    closeout_id: Option<i64>,
) -> AppResult<FrozenSnapshot> {
    let project = crate::projects::service::get(conn, id)?;
    let rows = repo::closeouts(conn, id)?;
    let row = match closeout_id {
        Some(c) => rows.into_iter().find(|r| r.id == c).ok_or_else(|| {
            AppError::not_found("closeout", format!("{c} of project {}", project.code))
        })?,
        None => rows.into_iter().next().ok_or_else(|| {
            AppError::conflict(
                "not_closed",
                format!(
                    "project {} has never been closed: no snapshot",
                    project.code
                ),
            )
        })?,
    };
    let snapshot: Snapshot = serde_json::from_str(&row.snapshot).map_err(AppError::internal)?;
    let recomputed = hex::encode(Sha256::digest(row.snapshot.as_bytes()));
    let recorded = repo::recorded_sha256(conn, row.id)?;
    let verified = recomputed == row.sha256
        && recorded.as_ref().map(|(_, h)| h.as_str()) == Some(row.sha256.as_str());
    Ok(FrozenSnapshot {
        closeout_id: row.id,
        project_id: id,
        sha256: row.sha256,
        audit_seq: recorded.map(|(seq, _)| seq),
        verified,
        reopened_at: row.reopened_at.map(|t| t.and_utc()),
        reopened_by: row.reopened_by,
        reopen_reason: row.reopen_reason,
        snapshot,
    })
}

/// The 409 for a change to a closed project or its documents.
pub fn closed(project: &Project) -> AppError {
    AppError::conflict(
        "project_closed",
        format!(
            "project {} is closed: it and its documents are read-only; an admin may reopen it \
             with a reason (POST /projects/{}/reopen)",
            project.code, project.id
        ),
    )
    .with_context(serde_json::json!({ "project_id": project.id }))
}
