use crate::db::schema::{audit_head, audit_log};
use crate::db::{DbConnection, MultiBackend};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One stored audit row.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
pub struct AuditRow {
    pub seq: i64,
    pub occurred_at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Locks the head row until the transaction ends (so appends are serialised on both engines)
/// and reads the last sequence number and hash. The transaction writes the head back once,
/// before it commits (see [`crate::db::ChainHead`]).
pub fn lock_head(conn: &mut DbConnection) -> QueryResult<(i64, String)> {
    diesel::update(audit_head::table.filter(audit_head::id.eq(1)))
        .set(audit_head::last_seq.eq(audit_head::last_seq))
        .returning((audit_head::last_seq, audit_head::last_hash))
        .get_result(conn)
}

/// The last sequence number handed out and the hash of its row.
pub fn head(conn: &mut DbConnection) -> QueryResult<(i64, String)> {
    audit_head::table
        .filter(audit_head::id.eq(1))
        .select((audit_head::last_seq, audit_head::last_hash))
        .get_result(conn)
}

/// Appends rows to the log, many per statement (the head is advanced by the caller's
/// transaction).
pub fn append(conn: &mut DbConnection, rows: &[AuditRow]) -> QueryResult<()> {
    crate::insert_rows!(conn, audit_log::table, rows, 10);
    Ok(())
}

/// Filters for listing the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
}

/// Rows after `after_seq`, oldest first, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_log::table.into_boxed::<MultiBackend>();
    if let Some(entity) = &filter.entity {
        query = query.filter(audit_log::entity.eq(entity.clone()));
    }
    if let Some(entity_id) = &filter.entity_id {
        query = query.filter(audit_log::entity_id.eq(entity_id.clone()));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::actor.eq(actor.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    query
        .filter(audit_log::seq.gt(after_seq))
        .order(audit_log::seq)
        .limit(limit)
        .load(conn)
}
