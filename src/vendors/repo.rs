use super::model::{Vendor, VendorDraft, VendorStatus};
use crate::db::schema::{vendor_tags, vendors};
use crate::db::sql::{escape_like, lower};
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, Queryable)]
struct VendorRow {
    id: i64,
    name: String,
    tax_id: Option<String>,
    emails: String,
    status: String,
    notes: Option<String>,
    archived_at: Option<NaiveDateTime>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl VendorRow {
    fn into_vendor(self, tags: Vec<String>) -> AppResult<Vendor> {
        let corrupt = |what: &str| {
            AppError::internal(anyhow::anyhow!("vendor {} has a corrupt {what}", self.id))
        };
        let emails: Vec<String> =
            serde_json::from_str(&self.emails).map_err(|_| corrupt("emails list"))?;
        let status = VendorStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?;
        Ok(Vendor {
            id: self.id,
            name: self.name,
            tax_id: self.tax_id,
            emails,
            status,
            tags,
            notes: self.notes,
            archived_at: self.archived_at.map(|t| t.and_utc()),
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

fn emails_text(draft: &VendorDraft) -> AppResult<String> {
    serde_json::to_string(&draft.emails).map_err(AppError::internal)
}

/// Inserts a vendor and its tags; returns its id.
pub fn insert(conn: &mut DbConnection, draft: &VendorDraft, now: NaiveDateTime) -> AppResult<i64> {
    let id = diesel::insert_into(vendors::table)
        .values((
            vendors::name.eq(&draft.name),
            vendors::tax_id.eq(&draft.tax_id),
            vendors::emails.eq(emails_text(draft)?),
            vendors::status.eq(draft.status.as_str()),
            vendors::notes.eq(&draft.notes),
            vendors::version.eq(1),
            vendors::created_at.eq(now),
            vendors::updated_at.eq(now),
        ))
        .returning(vendors::id)
        .get_result(conn)?;
    replace_tags(conn, id, &draft.tags)?;
    Ok(id)
}

/// Writes `draft` over vendor `id` if it is still at `expected_version`; false if it moved on.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    draft: &VendorDraft,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let changed = diesel::update(
        vendors::table
            .filter(vendors::id.eq(id))
            .filter(vendors::version.eq(expected_version)),
    )
    .set((
        vendors::name.eq(&draft.name),
        vendors::tax_id.eq(&draft.tax_id),
        vendors::emails.eq(emails_text(draft)?),
        vendors::status.eq(draft.status.as_str()),
        vendors::notes.eq(&draft.notes),
        vendors::version.eq(expected_version + 1),
        vendors::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    replace_tags(conn, id, &draft.tags)?;
    Ok(true)
}

/// Sets or clears the archive mark if the vendor is at `expected_version`.
pub fn set_archived(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    archived_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        vendors::table
            .filter(vendors::id.eq(id))
            .filter(vendors::version.eq(expected_version)),
    )
    .set((
        vendors::archived_at.eq(archived_at),
        vendors::version.eq(expected_version + 1),
        vendors::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

fn replace_tags(conn: &mut DbConnection, id: i64, tags: &[String]) -> QueryResult<()> {
    diesel::delete(vendor_tags::table.filter(vendor_tags::vendor_id.eq(id))).execute(conn)?;
    // One statement per tag: multi-row VALUES is not available across both engines in Diesel's
    // multi-connection, and a vendor has at most a few dozen tags.
    for tag in tags {
        diesel::insert_into(vendor_tags::table)
            .values((vendor_tags::vendor_id.eq(id), vendor_tags::tag.eq(tag)))
            .execute(conn)?;
    }
    Ok(())
}

/// The vendor with this id.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<Vendor>> {
    let row: Option<VendorRow> = vendors::table
        .filter(vendors::id.eq(id))
        .get_result(conn)
        .optional()?;
    match row {
        None => Ok(None),
        Some(row) => {
            // `= ?` rather than `IN (…)`: a fixed statement that Diesel prepares once and caches.
            let tags = vendor_tags::table
                .filter(vendor_tags::vendor_id.eq(row.id))
                .select(vendor_tags::tag)
                .order(vendor_tags::tag)
                .load(conn)?;
            row.into_vendor(tags).map(Some)
        }
    }
}

/// The id of the vendor holding this normalised tax id, if any.
pub fn id_by_tax_id(conn: &mut DbConnection, tax_id: &str) -> QueryResult<Option<i64>> {
    vendors::table
        .filter(vendors::tax_id.eq(tax_id))
        .select(vendors::id)
        .get_result(conn)
        .optional()
}

/// Filters for listing vendors.
#[derive(Debug, Clone, Default)]
pub struct VendorFilter {
    pub status: Option<VendorStatus>,
    pub tag: Option<String>,
    pub name_contains: Option<String>,
    pub tax_id: Option<String>,
    pub include_archived: bool,
}

/// Vendors with an id above `after`, by id, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &VendorFilter,
    after: i64,
    limit: i64,
) -> AppResult<Vec<Vendor>> {
    let mut query = vendors::table.into_boxed::<MultiBackend>();
    if let Some(status) = filter.status {
        query = query.filter(vendors::status.eq(status.as_str()));
    }
    if let Some(tag) = &filter.tag {
        let tagged = vendor_tags::table
            .filter(vendor_tags::tag.eq(tag.clone()))
            .select(vendor_tags::vendor_id);
        query = query.filter(vendors::id.eq_any(tagged));
    }
    if let Some(text) = &filter.name_contains {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        query = query.filter(lower(vendors::name).like(pattern).escape('\\'));
    }
    if let Some(tax_id) = &filter.tax_id {
        query = query.filter(vendors::tax_id.eq(tax_id.clone()));
    }
    if !filter.include_archived {
        query = query.filter(vendors::archived_at.is_null());
    }
    let rows: Vec<VendorRow> = query
        .filter(vendors::id.gt(after))
        .order(vendors::id)
        .limit(limit)
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut tags = tags_of(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let own = tags.remove(&row.id).unwrap_or_default();
            row.into_vendor(own)
        })
        .collect()
}

fn tags_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<HashMap<i64, Vec<String>>> {
    let pairs: Vec<(i64, String)> = vendor_tags::table
        .filter(vendor_tags::vendor_id.eq_any(ids))
        .order((vendor_tags::vendor_id, vendor_tags::tag))
        .load(conn)?;
    let mut by_vendor: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, tag) in pairs {
        by_vendor.entry(id).or_default().push(tag);
    }
    Ok(by_vendor)
}
