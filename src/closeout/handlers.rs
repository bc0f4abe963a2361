//! Closeout endpoints: `GET /projects/{id}/closeout`, `POST /projects/{id}/closeout/waivers`,
//! `POST /projects/{id}/close`, `POST /projects/{id}/reopen`,
//! `GET /projects/{id}/closeout/snapshot` and its `.xlsx` pack.

use super::model::{Checklist, CloseoutItem};
use super::service::{self, FrozenSnapshot};
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::{JsonBody, Query};
use crate::http::responses::{expected_version, ok_resource};
use crate::http::AppState;
use crate::projects::model::Project;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Registers the closeout endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(closeout_checklist)
        .service(waive_item)
        .service(close_project)
        .service(reopen_project)
        .service(closeout_snapshot)
        .service(closeout_pack);
}

/// The checklist's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChecklistQuery {
    /// The day the forecast figures are for (default today, UTC).
    pub as_of: Option<NaiveDate>,
}

/// The project's closeout checklist: every loose end by section (open commitments, accruals,
/// invoices on hold or unmatched, unpaid invoices, invoices without receipts, milestones not
/// accepted, SLA credits not applied, pending assets, active contracts), each with its document,
/// amount, lines and waiver; per budget line the final budget, actual, committed, last forecast
/// and variance; and whether the project can close now.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id"), ChecklistQuery), responses((status = 200, description = "The checklist", body = Checklist)))]
#[get("/projects/{id}/closeout")]
pub async fn closeout_checklist(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: Query<ChecklistQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let as_of = query.0.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let checklist = caller
        .read(&state.db, Action::ReadProjects, move |conn| {
            crate::db::snapshot(conn, |conn| service::checklist(conn, id, as_of))
        })
        .await?;
    Ok(HttpResponse::Ok().json(checklist))
}

/// A waiver of one checklist item.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiverInput {
    /// The item's key, as the checklist lists it.
    #[schema(example = "contracts_active:contract:3")]
    pub item: String,
    /// Why the item may stay as it is when the project closes.
    pub reason: String,
}

/// Waive a checklist item with a reason (finance or admin). The waiver covers the item as it is
/// now: if its amount changes, it is open again. Waiving it again replaces the waiver.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id")), request_body = WaiverInput, responses((status = 200, description = "The waived item", body = CloseoutItem)))]
#[post("/projects/{id}/closeout/waivers")]
pub async fn waive_item(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WaiveCloseoutItems)?;
    let input: WaiverInput = body.parse()?;
    let id = id.into_inner();
    let item = state
        .db
        .write(move |tx| service::waive(tx, &actor, id, &input.item, &input.reason))
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// The version of the project being closed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// The project's version; may instead be sent as an `If-Match` header.
    pub version: Option<i64>,
}

/// Close the project: refused (409 `closeout_items_open`, listing them) while any checklist
/// item is neither resolved nor waived. Closing releases what purchase orders still commit
/// (closing them), freezes the figures (the snapshot's SHA-256 is written into the audit
/// chain) and makes the project and its documents read-only.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id")), request_body = CloseInput, responses((status = 200, description = "Closed: the frozen snapshot", body = FrozenSnapshot)))]
#[post("/projects/{id}/close")]
pub async fn close_project(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::CloseProjects)?;
    let input: CloseInput = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let policy = state.settings.purchasing.approval.clone();
    let id = id.into_inner();
    let frozen = state
        .db
        .write(move |tx| service::close(tx, &actor, &policy, id, version))
        .await?;
    Ok(HttpResponse::Ok().json(frozen))
}

/// Why a closed project is reopened.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenInput {
    /// The project's version; may instead be sent as an `If-Match` header.
    pub version: Option<i64>,
    /// Why it must change again.
    pub reason: String,
}

/// Reopen a closed project (admins, with a reason; audited). Its snapshot stays, marked with the
/// reopen; closing again takes a new one.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id")), request_body = ReopenInput, responses((status = 200, description = "Reopened", body = Project)))]
#[post("/projects/{id}/reopen")]
pub async fn reopen_project(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ReopenProjects)?;
    let input: ReopenInput = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let id = id.into_inner();
    let project = state
        .db
        .write(move |tx| service::reopen(tx, &actor, id, version, &input.reason))
        .await?;
    Ok(ok_resource(&project))
}

/// Which snapshot.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SnapshotQuery {
    /// A closeout of the project (default: the latest).
    pub closeout_id: Option<i64>,
}

/// The frozen snapshot of the project's (latest) close, exactly as stored, with its SHA-256, the
/// audit row that recorded it and whether both still agree.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id"), SnapshotQuery), responses((status = 200, description = "The snapshot", body = FrozenSnapshot)))]
#[get("/projects/{id}/closeout/snapshot")]
pub async fn closeout_snapshot(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: Query<SnapshotQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let closeout = query.0.closeout_id;
    let frozen = caller
        .read(&state.db, Action::ReadProjects, move |conn| {
            service::snapshot(conn, id, closeout)
        })
        .await?;
    Ok(HttpResponse::Ok().json(frozen))
}

/// The closeout pack: the snapshot as an xlsx workbook (a summary sheet, then one sheet per
/// checklist section and the released commitments; amounts as numbers in the currency's format,
/// totals equal to the API's).
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id"), SnapshotQuery), responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
#[get("/projects/{id}/closeout/snapshot.xlsx")]
pub async fn closeout_pack(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: Query<SnapshotQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let closeout = query.0.closeout_id;
    let (code, bytes) = caller
        .read(&state.db, Action::ReadProjects, move |conn| {
            let frozen = service::snapshot(conn, id, closeout)?;
            Ok((
                frozen.snapshot.project_code.clone(),
                super::pack::workbook(&frozen)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{code}-closeout.xlsx\""),
        ))
        .body(bytes))
}
