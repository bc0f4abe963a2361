//! `/api/v1/vendors`: HTTP, DTOs and OpenAPI.

use super::model::{Vendor, VendorChanges, VendorDraft, VendorStatus};
use super::repo::VendorFilter;
use super::service;
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::{IdempotencyKey, JsonBody, Query};
use crate::http::responses::{expected_version, ok_resource, Page, Resource};
use crate::http::{nullable, AppState, VersionOnly};
use crate::idempotency;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Registers the vendor endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_vendors)
        .service(create_vendor)
        .service(get_vendor)
        .service(update_vendor)
        .service(archive_vendor)
        .service(restore_vendor);
}

impl Resource for Vendor {
    fn location(&self) -> String {
        format!("/api/v1/vendors/{}", self.id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// A new vendor. Only `name` is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVendor {
    /// Trading or legal name, 1 to 200 characters.
    #[schema(example = "Northwind Networks Ltd", min_length = 1, max_length = 200)]
    pub name: String,
    /// Legal or tax id; spaces, dots, dashes and slashes are removed and letters upper-cased
    /// before it is stored and checked for uniqueness.
    #[schema(example = "GB 123 456 789")]
    pub tax_id: Option<String>,
    /// Contact email addresses (up to 20).
    #[serde(default)]
    pub emails: Vec<String>,
    /// `active` (default) or `blocked`.
    pub status: Option<VendorStatus>,
    /// Labels (up to 30), stored lower case.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Free-text notes, up to 4,000 characters.
    pub notes: Option<String>,
}

/// Changes to a vendor: send only what changes, plus the `version` you read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVendor {
    /// The version you read; the update is refused with 409 if the vendor changed since.
    /// May instead be sent as an `If-Match` header.
    pub version: Option<i64>,
    /// New name.
    pub name: Option<String>,
    /// New tax id; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub tax_id: Option<Option<String>>,
    /// The full new list of contact emails.
    pub emails: Option<Vec<String>>,
    /// `active` or `blocked`.
    pub status: Option<VendorStatus>,
    /// The full new list of tags.
    pub tags: Option<Vec<String>>,
    /// New notes; `null` clears them.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

/// Filters for the vendor list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VendorQuery {
    /// Only vendors with this status.
    pub status: Option<VendorStatus>,
    /// Only vendors carrying this tag.
    pub tag: Option<String>,
    /// Only vendors whose name contains this text (case-insensitive).
    pub q: Option<String>,
    /// Only the vendor with this tax id (normalised before matching).
    pub tax_id: Option<String>,
    /// Include archived vendors (default false).
    pub include_archived: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List vendors, by id.
#[utoipa::path(tag = "vendors", params(VendorQuery), responses((status = 200, description = "A page of vendors", body = Page<Vendor>)))]
#[get("/vendors")]
pub async fn list_vendors(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<VendorQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let window = caller
        .page(
            &state.db,
            Action::ReadVendors,
            query.limit,
            query.cursor.as_deref(),
        )
        .await?;
    let filter = VendorFilter {
        status: query.status,
        tag: query.tag.map(|t| t.trim().to_lowercase()),
        name_contains: query
            .q
            .filter(|q| !q.trim().is_empty())
            .map(|q| q.trim().to_string()),
        tax_id: query
            .tax_id
            .map(|t| super::model::normalize_tax_id(&t).unwrap_or(t)),
        include_archived: query.include_archived.unwrap_or(false),
    };
    let page = caller
        .read(&state.db, Action::ReadVendors, move |conn| {
            service::list(conn, &filter, window)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a vendor.
#[utoipa::path(
    tag = "vendors",
    request_body = CreateVendor,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body return the first response")),
    responses((status = 201, description = "Created", body = Vendor))
)]
#[post("/vendors")]
pub async fn create_vendor(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteVendors)?;
    let input: CreateVendor = body.parse()?;
    let draft = VendorDraft::parse(
        &input.name,
        input.tax_id.as_deref(),
        &input.emails,
        input.status.unwrap_or(VendorStatus::Active),
        &input.tags,
        input.notes.as_deref(),
    )?;
    let by = actor.clone();
    idempotency::create(&state, &actor, key, &req, &body, move |tx| {
        service::create(tx, &by, draft)
    })
    .await
}

/// Read one vendor.
#[utoipa::path(tag = "vendors", params(("id" = i64, Path, description = "Vendor id")), responses((status = 200, description = "The vendor", body = Vendor)))]
#[get("/vendors/{id}")]
pub async fn get_vendor(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let vendor = caller
        .lookup(&state.db, Action::ReadVendors, move |conn| {
            service::get(conn, id)
        })
        .await?;
    Ok(ok_resource(&vendor))
}

/// Change a vendor.
#[utoipa::path(
    tag = "vendors",
    params(("id" = i64, Path, description = "Vendor id"), ("If-Match" = Option<String>, Header, description = "The ETag you read, instead of `version` in the body")),
    request_body = UpdateVendor,
    responses((status = 200, description = "The changed vendor", body = Vendor))
)]
#[patch("/vendors/{id}")]
pub async fn update_vendor(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteVendors)?;
    let input: UpdateVendor = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let changes = VendorChanges {
        name: input.name,
        tax_id: input.tax_id,
        emails: input.emails,
        status: input.status,
        tags: input.tags,
        notes: input.notes,
    };
    let id = id.into_inner();
    let vendor = state
        .db
        .write(move |tx| service::update(tx, &actor, id, version, changes))
        .await?;
    Ok(ok_resource(&vendor))
}

/// Archive a vendor (hidden from lists, kept for history).
#[utoipa::path(tag = "vendors", params(("id" = i64, Path, description = "Vendor id")), request_body = VersionOnly, responses((status = 200, description = "The archived vendor", body = Vendor)))]
#[post("/vendors/{id}/archive")]
pub async fn archive_vendor(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    set_archived(state, actor, id.into_inner(), req, body, true).await
}

/// Restore an archived vendor.
#[utoipa::path(tag = "vendors", params(("id" = i64, Path, description = "Vendor id")), request_body = VersionOnly, responses((status = 200, description = "The restored vendor", body = Vendor)))]
#[post("/vendors/{id}/restore")]
pub async fn restore_vendor(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    set_archived(state, actor, id.into_inner(), req, body, false).await
}

async fn set_archived(
    state: web::Data<AppState>,
    actor: Actor,
    id: i64,
    req: HttpRequest,
    body: JsonBody,
    archive: bool,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteVendors)?;
    let input: VersionOnly = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let vendor = state
        .db
        .write(move |tx| service::set_archived(tx, &actor, id, version, archive))
        .await?;
    Ok(ok_resource(&vendor))
}
