//! Vendor use cases. Every change runs inside the caller's transaction and writes its audit row.

use super::model::{Vendor, VendorChanges, VendorDraft};
use super::repo::{self, VendorFilter};
use crate::audit;
use crate::auth::Actor;
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use crate::http::responses::{Page, PageWindow};
use crate::lifecycle;

/// Creates a vendor.
pub fn create(tx: &mut Tx<'_>, actor: &Actor, draft: VendorDraft) -> AppResult<Vendor> {
    ensure_tax_id_free(tx, draft.tax_id.as_deref(), None)?;
    let id = repo::insert(tx, &draft, clock::now())?;
    let vendor = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "vendor.create",
        "vendor",
        id,
        None::<&()>,
        Some(&vendor),
    )?;
    Ok(vendor)
}

/// Applies `changes` to vendor `id` if it is still at `expected_version`.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    changes: VendorChanges,
) -> AppResult<Vendor> {
    let before = get(tx, id)?;
    if before.archived_at.is_some() {
        return Err(AppError::conflict(
            "archived",
            format!("vendor {id} is archived; restore it before changing it"),
        ));
    }
    lifecycle::check_version("vendor", id, before.version, expected_version)?;
    let draft = VendorDraft::of(&before).apply(changes)?;
    ensure_tax_id_free(tx, draft.tax_id.as_deref(), Some(id))?;
    if !repo::update(tx, id, expected_version, &draft, clock::now())? {
        return Err(stale(tx, id, expected_version));
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        "vendor.update",
        "vendor",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Archives (`archive = true`) or restores a vendor at `expected_version`.
pub fn set_archived(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    archive: bool,
) -> AppResult<Vendor> {
    let before = get(tx, id)?;
    lifecycle::check_version("vendor", id, before.version, expected_version)?;
    let action = lifecycle::archive_action("vendor", id, before.archived_at.is_some(), archive)?;
    let now = clock::now();
    if !repo::set_archived(tx, id, expected_version, archive.then_some(now), now)? {
        return Err(stale(tx, id, expected_version));
    }
    let after = get(tx, id)?;
    audit::record(
        tx,
        &actor.name,
        &action,
        "vendor",
        id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// The vendor with this id, or 404.
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Vendor> {
    repo::find(conn, id)?.ok_or_else(|| AppError::not_found("vendor", id))
}

/// A page of vendors.
pub fn list(
    conn: &mut DbConnection,
    filter: &VendorFilter,
    window: PageWindow,
) -> AppResult<Page<Vendor>> {
    let rows = repo::list(conn, filter, window.after, window.fetch())?;
    Ok(window.page(rows, |v| v.id, |v| v))
}

fn stale(conn: &mut DbConnection, id: i64, expected: i64) -> AppError {
    match repo::find(conn, id) {
        Ok(Some(current)) => AppError::version_conflict("vendor", id, expected, current.version),
        Ok(None) => AppError::not_found("vendor", id),
        Err(error) => error,
    }
}

fn ensure_tax_id_free(
    conn: &mut DbConnection,
    tax_id: Option<&str>,
    except: Option<i64>,
) -> AppResult<()> {
    let Some(tax_id) = tax_id else { return Ok(()) };
    match repo::id_by_tax_id(conn, tax_id)? {
        Some(holder) if Some(holder) != except => Err(AppError::conflict(
            "duplicate_tax_id",
            format!("tax id {tax_id} already belongs to vendor {holder}"),
        )
        .with_context(serde_json::json!({ "field": "tax_id", "vendor_id": holder }))),
        _ => Ok(()),
    }
}
