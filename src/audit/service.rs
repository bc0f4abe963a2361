use super::model::{chain_hash, check_link, AuditFields, ChainBreak, GENESIS_HASH};
use super::repo::{self, AuditFilter, AuditRow};
use crate::clock;
use crate::db::{DbConnection, Tx};
use crate::error::{AppError, AppResult};
use serde::Serialize;
use std::fmt::Display;

/// Appends one audit row inside the caller's transaction: who (`actor`, a token name) did what
/// (`action`, such as `vendor.update`) to which record, with its state before and after.
pub fn record<B: Serialize, A: Serialize>(
    tx: &mut Tx<'_>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: impl Display,
    before: Option<&B>,
    after: Option<&A>,
) -> AppResult<i64> {
    record_many(
        tx,
        actor,
        vec![Entry {
            action,
            entity,
            entity_id: entity_id.to_string(),
            before_state: state_text(before)?,
            after_state: state_text(after)?,
        }],
    )
}

/// One change to record with [`record_many`]; states as [`state_text`] writes them.
pub struct Entry<'a> {
    /// What was done, such as `invoice.create`.
    pub action: &'a str,
    /// The kind of record.
    pub entity: &'a str,
    /// Its id.
    pub entity_id: String,
    /// Its state before, as JSON.
    pub before_state: Option<String>,
    /// Its state after, as JSON.
    pub after_state: Option<String>,
}

/// Appends audit rows for several changes by one actor, chained in the order given, in
/// multi-row statements; returns the last sequence number (the head's, when there are none).
pub fn record_many(tx: &mut Tx<'_>, actor: &str, entries: Vec<Entry<'_>>) -> AppResult<i64> {
    let (mut seq, mut prev_hash) = match tx.chain_head() {
        Some(head) => (head.seq, head.hash.clone()),
        None => repo::lock_head(tx)?,
    };
    if entries.is_empty() {
        return Ok(seq);
    }
    let occurred_at = clock::now();
    let occurred_text = clock::to_rfc3339(occurred_at);
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        seq += 1;
        let hash = chain_hash(
            &AuditFields {
                seq,
                occurred_at: &occurred_text,
                actor,
                action: entry.action,
                entity: entry.entity,
                entity_id: &entry.entity_id,
                before_state: entry.before_state.as_deref(),
                after_state: entry.after_state.as_deref(),
            },
            &prev_hash,
        );
        rows.push(AuditRow {
            seq,
            occurred_at,
            actor: actor.to_string(),
            action: entry.action.to_string(),
            entity: entry.entity.to_string(),
            entity_id: entry.entity_id,
            before_state: entry.before_state,
            after_state: entry.after_state,
            prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        });
    }
    repo::append(tx, &rows)?;
    *tx.chain_head() = Some(crate::db::ChainHead {
        seq,
        hash: prev_hash,
    });
    Ok(seq)
}

/// A state as the log stores it: compact JSON.
pub fn state_text<T: Serialize>(state: Option<&T>) -> AppResult<Option<String>> {
    state
        .map(serde_json::to_string)
        .transpose()
        .map_err(AppError::internal)
}

/// Lists audit rows after `after_seq`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    after_seq: i64,
    limit: i64,
) -> AppResult<Vec<AuditRow>> {
    Ok(repo::list(conn, filter, after_seq, limit)?)
}

/// The outcome of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Rows checked before stopping.
    pub rows_checked: i64,
    /// The first broken row, if any.
    pub first_break: Option<ChainBreak>,
}

/// Rows read per query while verifying.
const VERIFY_PAGE: i64 = 1_000;

/// Recomputes the whole chain, page by page, and stops at the first broken row.
pub fn verify(conn: &mut DbConnection) -> AppResult<Verification> {
    let mut expected_seq = 1;
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut rows_checked = 0;
    loop {
        let page = repo::list(conn, &AuditFilter::default(), expected_seq - 1, VERIFY_PAGE)?;
        if page.is_empty() {
            // Rows cut from the end leave the chain intact but fall short of the head.
            let (last_seq, _) = repo::head(conn)?;
            let first_break = (last_seq >= expected_seq).then(|| ChainBreak {
                seq: expected_seq,
                reason: format!(
                    "rows {expected_seq} to {last_seq} are missing from the end of the log"
                ),
            });
            return Ok(Verification {
                rows_checked,
                first_break,
            });
        }
        for row in &page {
            let occurred_text = clock::to_rfc3339(row.occurred_at);
            let fields = AuditFields {
                seq: row.seq,
                occurred_at: &occurred_text,
                actor: &row.actor,
                action: &row.action,
                entity: &row.entity,
                entity_id: &row.entity_id,
                before_state: row.before_state.as_deref(),
                after_state: row.after_state.as_deref(),
            };
            rows_checked += 1;
            if let Some(first_break) = check_link(
                expected_seq,
                &expected_prev,
                &fields,
                &row.prev_hash,
                &row.hash,
            ) {
                return Ok(Verification {
                    rows_checked,
                    first_break: Some(first_break),
                });
            }
            expected_seq = row.seq + 1;
            expected_prev = row.hash.clone();
        }
    }
}
