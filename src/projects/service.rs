//! Project use cases. Every change runs inside the caller's transaction and writes its audit row.

use super::model::{Project, ProjectChanges, ProjectDraft, ProjectStatus};
use super::repo::{self, ProjectFilter};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::http::responses::{Page, PageWindow};
use crate::lifecycle;

/// Creates a project.
pub fn create(tx: &mut Tx<'_>, actor: &Actor, draft: ProjectDraft) -> AppResult<Project> {
    ensure_code_free(tx, &draft.code, None)?;
    let id = repo::insert(tx, &draft, clock::now())?;
    let project = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "project.create",
        "project",
        id,
        None::<&()>,
        Some(&project),
    )?;
    Ok(project)
}

/// Applies `changes` to project `id` if it is still at `expected_version`.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    changes: ProjectChanges,
) -> AppResult<Project> {
    let before = get_writable(tx, id)?;
    lifecycle::check_version("project", id, before.version, expected_version)?;
    let draft = ProjectDraft::apply(&before, changes)?;
    if draft.currency.code() != before.currency && repo::has_budget_lines(tx, id)? {
        return Err(AppError::conflict(
            "currency_locked",
            format!(
                "project {id} has budget lines in {}; its currency cannot change to {}",
                before.currency, draft.currency
            ),
        ));
    }
    ensure_code_free(tx, &draft.code, Some(id))?;
    if !repo::update(tx, id, expected_version, &draft, clock::now())? {
        return Err(stale(tx, id, expected_version));
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "project.update",
        "project",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Archives (`archive = true`) or restores a project at `expected_version`.
pub fn set_archived(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    archive: bool,
) -> AppResult<Project> {
    let before = get(tx, id)?;
    lifecycle::check_version("project", id, before.version, expected_version)?;
    let action = lifecycle::archive_action("project", id, before.archived_at.is_some(), archive)?;
    let now = clock::now();
    if !repo::set_archived(tx, id, expected_version, archive.then_some(now), now)? {
        return Err(stale(tx, id, expected_version));
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        &action,
        "project",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// The project with this id, or 404.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Project> {
    repo::find(conn, id)?.ok_or_else(|| AppError::not_found("project", id))
}

/// The project with this id if it may be changed (or have things added to it): not archived,
/// not closed.
pub fn get_writable(conn: &mut DbConnection, id: i64) -> AppResult<Project> {
    ensure_open(conn, id)?;
    let project = get(conn, id)?;
    if project.archived_at.is_some() {
        return Err(AppError::conflict(
            "archived",
            format!("project {id} is archived; restore it before changing it or its budget"),
        ));
    }
    Ok(project)
}

/// Ok unless project `id` is closed: every change to a project or its documents (budget lines,
/// purchase orders, receipts, invoices, statements of work and their milestones) checks this in
/// its transaction (writers take turns, so a close and a change never interleave).
pub fn ensure_open(conn: &mut DbConnection, id: i64) -> AppResult<()> {
    match repo::is_closed(conn, id)? {
        Some(true) => Err(crate::closeout::service::closed(&get(conn, id)?)),
        _ => Ok(()),
    }
}

/// Ok unless one of these budget lines belongs to a closed project (an invoice's lines may
/// span projects).
pub fn ensure_budget_lines_open(
    conn: &mut DbConnection,
    budget_line_ids: impl IntoIterator<Item = i64>,
) -> AppResult<()> {
    let ids: std::collections::BTreeSet<i64> = budget_line_ids.into_iter().collect();
    let ids: Vec<i64> = ids.into_iter().collect();
    for chunk in ids.chunks(500) {
        for project in repo::projects_of_budget_lines(conn, chunk)? {
            ensure_open(conn, project)?;
        }
    }
    Ok(())
}

/// Closes (`closed = true`) or reopens a project: only the closeout calls this, after its
/// checks; a reopened project is `completed`.
pub fn set_closed(
    tx: &mut Tx<'_>,
    id: i64,
    closed: bool,
    now: chrono::NaiveDateTime,
) -> AppResult<()> {
    let status = if closed {
        ProjectStatus::Closed
    } else {
        ProjectStatus::Completed
    };
    repo::set_status(tx, id, status, now)?;
    Ok(())
}

/// A page of projects.
pub fn list(
    conn: &mut DbConnection,
    filter: &ProjectFilter,
    window: PageWindow,
) -> AppResult<Page<Project>> {
    let rows = repo::list(conn, filter, window.after, window.fetch())?;
    Ok(window.page(rows, |p| p.id, |p| p))
}

fn stale(conn: &mut DbConnection, id: i64, expected: i64) -> AppError {
    match repo::find(conn, id) {
        Ok(Some(current)) => AppError::version_conflict("project", id, expected, current.version),
        Ok(None) => AppError::not_found("project", id),
        Err(error) => error,
    }
}

fn ensure_code_free(conn: &mut DbConnection, code: &str, except: Option<i64>) -> AppResult<()> {
    match repo::id_by_code(conn, code)? {
        Some(holder) if Some(holder) != except => Err(AppError::conflict(
            "duplicate_project_code",
            format!("project code {code} is already used by project {holder}"),
        )
        .with_context(serde_json::json!({ "field": "code", "project_id": holder }))),
        _ => Ok(()),
    }
}
