//! Stored imports: the report of every import that reached its rows, and the error workbook
//! of those with bad rows.

use super::model::ImportReport;
use crate::db::schema::imports;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The committed import of a file, as a duplicate's refusal names it.
#[derive(Debug, Clone, Queryable)]
pub struct EarlierImport {
    /// Its id.
    pub id: i64,
    /// The file's name then.
    pub file_name: String,
    /// The file's SHA-256.
    pub sha256: String,
    /// Who imported it.
    pub created_by: String,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

/// The committed import of the file with this SHA-256, if any.
pub fn committed_with_sha(
    conn: &mut DbConnection,
    sha256: &str,
) -> AppResult<Option<EarlierImport>> {
    Ok(imports::table
        .filter(imports::sha256.eq(sha256))
        .filter(imports::status.eq("committed"))
        .select((
            imports::id,
            imports::file_name,
            imports::sha256,
            imports::created_by,
            imports::created_at,
        ))
        .get_result(conn)
        .optional()?)
}

fn report_json(report: &ImportReport) -> AppResult<String> {
    serde_json::to_string(report).map_err(AppError::internal)
}

/// Records an import; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    report: &ImportReport,
    error_workbook: Option<&[u8]>,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let id = diesel::insert_into(imports::table)
        .values((
            imports::kind.eq(report.kind_name()),
            imports::file_name.eq(&report.file_name),
            imports::sha256.eq(&report.sha256),
            imports::format.eq(&report.format),
            imports::sheet.eq(&report.sheet),
            imports::status.eq(report.status.as_str()),
            imports::dry_run.eq(report.dry_run),
            imports::rows_read.eq(report.rows as i64),
            imports::error_count.eq(report.error_count as i64),
            imports::report.eq(report_json(report)?),
            imports::error_workbook.eq(error_workbook),
            imports::created_by.eq(&report.created_by),
            imports::created_at.eq(now),
        ))
        .returning(imports::id)
        .get_result(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => AppError::conflict(
                "duplicate_import",
                "this file was imported by another request a moment ago",
            ),
            other => other.into(),
        })?;
    Ok(id)
}

/// Replaces an import's stored report (once its id and links are known).
pub fn store_report(conn: &mut DbConnection, id: i64, report: &ImportReport) -> AppResult<()> {
    diesel::update(imports::table.filter(imports::id.eq(id)))
        .set(imports::report.eq(report_json(report)?))
        .execute(conn)?;
    Ok(())
}

/// An import's report.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<ImportReport>> {
    let stored: Option<String> = imports::table
        .filter(imports::id.eq(id))
        .select(imports::report)
        .get_result(conn)
        .optional()?;
    stored
        .map(|json| {
            let mut report: ImportReport =
                serde_json::from_str(&json).map_err(AppError::internal)?;
            report.id = Some(id);
            Ok(report)
        })
        .transpose()
}

/// An import's error workbook: `None` when the import does not exist, `Some(None)` when it had
/// no errors.
pub fn error_workbook(conn: &mut DbConnection, id: i64) -> AppResult<Option<Option<Vec<u8>>>> {
    Ok(imports::table
        .filter(imports::id.eq(id))
        .select(imports::error_workbook)
        .get_result(conn)
        .optional()?)
}

/// The ids of imports after `after`, newest last, up to `limit`.
pub fn list_ids(conn: &mut DbConnection, after: i64, limit: i64) -> AppResult<Vec<i64>> {
    Ok(imports::table
        .filter(imports::id.gt(after))
        .order(imports::id)
        .limit(limit)
        .select(imports::id)
        .load(conn)?)
}
