//! `/api/v1/audit`: read and verify the audit log.

use super::model::ChainBreak;
use super::repo::{AuditFilter, AuditRow};
use super::service;
use crate::auth::{Action, Caller};
use crate::clock;
use crate::error::AppResult;
use crate::http::extract::Query;
use crate::http::responses::Page;
use crate::http::AppState;
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Registers the audit endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit).service(verify_audit);
}

/// One audit row.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// When (UTC).
    pub occurred_at: String,
    /// The token name that made the change.
    pub actor: String,
    /// What was done, such as `vendor.update`.
    pub action: String,
    /// The kind of record, such as `vendor`.
    pub entity: String,
    /// The record's id.
    pub entity_id: String,
    /// The record before the change (absent on create).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The previous row's hash.
    pub prev_hash: String,
    /// SHA-256 over this row's fields and `prev_hash`.
    pub hash: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        let parse = |text: Option<String>| {
            text.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
        };
        Self {
            seq: row.seq,
            occurred_at: clock::to_rfc3339(row.occurred_at),
            actor: row.actor,
            action: row.action,
            entity: row.entity,
            entity_id: row.entity_id,
            before: parse(row.before_state),
            after: parse(row.after_state),
            prev_hash: row.prev_hash,
            hash: row.hash,
        }
    }
}

/// Filters for the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only rows about this kind of record (`vendor`, `project`, `budget_line`, `fx_rate`, `token`).
    pub entity: Option<String>,
    /// Only rows about the record with this id (use with `entity`).
    pub id: Option<String>,
    /// Only rows by this actor (token name).
    pub actor: Option<String>,
    /// Only rows with this action, such as `vendor.update`.
    pub action: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List audit rows, oldest first.
#[utoipa::path(tag = "audit", params(AuditQuery), responses((status = 200, description = "A page of audit rows", body = Page<AuditEntry>)))]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let window = caller
        .page(
            &state.db,
            Action::ReadAudit,
            query.limit,
            query.cursor.as_deref(),
        )
        .await?;
    let filter = AuditFilter {
        entity: query.entity,
        entity_id: query.id,
        actor: query.actor,
        action: query.action,
    };
    let rows = caller
        .read(&state.db, Action::ReadAudit, move |conn| {
            service::list(conn, &filter, window.after, window.fetch())
        })
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |r| r.seq, AuditEntry::from)))
}

/// The result of verifying the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    /// True when every row chains correctly to the one before it.
    pub valid: bool,
    /// Rows checked.
    pub rows_checked: i64,
    /// The first row whose chain is broken, and why.
    pub first_broken: Option<ChainBreak>,
}

/// Recompute the hash chain and name the first broken row.
#[utoipa::path(tag = "audit", responses((status = 200, description = "The verification result", body = AuditVerification)))]
#[get("/audit/verify")]
pub async fn verify_audit(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    let outcome = caller
        .read(&state.db, Action::ReadAudit, service::verify)
        .await?;
    Ok(HttpResponse::Ok().json(AuditVerification {
        valid: outcome.first_break.is_none(),
        rows_checked: outcome.rows_checked,
        first_broken: outcome.first_break,
    }))
}
