//! `/api/v1/assets`: HTTP, DTOs and OpenAPI.

use super::depreciation::{DepreciationMethod, DepreciationPeriod};
use super::model::{Asset, AssetEvent, AssetStatus};
use super::repo::AssetFilter;
use super::service::{self, AssetMove, RegisterChanges};
use crate::auth::{Action, Actor, Caller};
use crate::error::{AppError, AppResult};
use crate::http::extract::{JsonBody, Query};
use crate::http::responses::{expected_version, ok_resource, Page, PageWindow, Resource};
use crate::http::{nullable, AppState};
use crate::money::parse_decimal;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Registers the asset endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // Literal paths first, so `/assets/export` is not read as an id.
    cfg.service(export_assets)
        .service(get_asset_by_tag)
        .service(list_assets)
        .service(get_asset)
        .service(update_asset)
        .service(transition_asset)
        .service(list_asset_events)
        .service(asset_depreciation);
}

impl Resource for Asset {
    fn location(&self) -> String {
        format!("/api/v1/assets/{}", self.id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Filters for the asset list and export.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    /// Only assets in this status.
    pub status: Option<AssetStatus>,
    /// Only assets of this project.
    pub project_id: Option<i64>,
    /// Only assets from this vendor.
    pub vendor_id: Option<i64>,
    /// Only assets bought on this purchase order.
    pub po_id: Option<i64>,
    /// Only assets created by this receipt.
    pub receipt_id: Option<i64>,
    /// Only assets of this category.
    pub category: Option<String>,
    /// Page size, 1 to 200 (default 50); not used by the export.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; not used by the export.
    pub cursor: Option<String>,
    /// Export only: `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

impl AssetQuery {
    fn filter(&self) -> AssetFilter {
        AssetFilter {
            status: self.status,
            project_id: self.project_id,
            vendor_id: self.vendor_id,
            po_id: self.po_id,
            receipt_id: self.receipt_id,
            category: self.category.clone(),
        }
    }
}

/// The page a listing asks for (`format` belongs to the export).
fn listing_window(query: &AssetQuery) -> AppResult<PageWindow> {
    if query.format.is_some() {
        return Err(AppError::bad_request_field(
            "invalid_query",
            "format",
            "is for /api/v1/assets/export",
        ));
    }
    PageWindow::parse(query.limit, query.cursor.as_deref())
}

/// Whether an export asks for xlsx (or CSV, the default).
fn export_is_xlsx(query: &AssetQuery) -> AppResult<bool> {
    match query.format.as_deref() {
        None | Some("csv") => Ok(false),
        Some("xlsx") => Ok(true),
        Some(other) => Err(AppError::bad_request_field(
            "invalid_query",
            "format",
            format!("`{other}` is not an export format (csv or xlsx)"),
        )),
    }
}

/// List assets, by id.
#[utoipa::path(tag = "assets", params(AssetQuery), responses((status = 200, description = "A page of assets", body = Page<Asset>)))]
#[get("/assets")]
pub async fn list_assets(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AssetQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let window = caller
        .checked(&state.db, Action::ReadAssets, listing_window(&query))
        .await?;
    let filter = query.filter();
    let page = caller
        .read(&state.db, Action::ReadAssets, move |conn| {
            service::list(conn, &filter, window)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Export the asset register for a CMDB: one row per asset with its lineage, as CSV (default) or
/// xlsx (`format=xlsx`).
#[utoipa::path(tag = "assets", params(AssetQuery), responses((status = 200, description = "The register", content(
    (String = "text/csv"),
    (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
))))]
#[get("/assets/export")]
pub async fn export_assets(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AssetQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let xlsx = caller
        .checked(&state.db, Action::ReadAssets, export_is_xlsx(&query))
        .await?;
    let filter = query.filter();
    let rows = caller
        .read(&state.db, Action::ReadAssets, move |conn| {
            service::export_rows(conn, &filter)
        })
        .await?;
    if xlsx {
        let body = web::block(move || service::to_xlsx(&rows))
            .await
            .map_err(AppError::internal)??;
        return Ok(HttpResponse::Ok()
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .insert_header((
                "Content-Disposition",
                "attachment; filename=\"procura-assets.xlsx\"",
            ))
            .body(body));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"procura-assets.csv\"",
        ))
        .body(service::to_csv(&rows)))
}

/// Find an asset by its tag (for barcode scanners).
#[utoipa::path(tag = "assets", params(("tag" = String, Path, description = "Asset tag")), responses((status = 200, description = "The asset", body = Asset)))]
#[get("/assets/by-tag/{tag}")]
pub async fn get_asset_by_tag(
    state: web::Data<AppState>,
    caller: Caller,
    tag: web::Path<String>,
) -> AppResult<HttpResponse> {
    let tag = tag.into_inner();
    let asset = caller
        .lookup(&state.db, Action::ReadAssets, move |conn| {
            service::by_tag(conn, &tag)
        })
        .await?;
    Ok(ok_resource(&asset))
}

/// Read an asset with its lineage.
#[utoipa::path(tag = "assets", params(("id" = i64, Path, description = "Asset id")), responses((status = 200, description = "The asset", body = Asset)))]
#[get("/assets/{id}")]
pub async fn get_asset(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let asset = caller
        .lookup(&state.db, Action::ReadAssets, move |conn| {
            service::get(conn, id)
        })
        .await?;
    Ok(ok_resource(&asset))
}

/// Changes to an asset's register entry: send only what changes, plus the `version`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAsset {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// Serial number; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub serial_number: Option<Option<String>>,
    /// Site; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub site: Option<Option<String>>,
    /// Room; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub room: Option<Option<String>>,
    /// Rack; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub rack: Option<Option<String>>,
    /// Rack unit; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub rack_unit: Option<Option<String>>,
    /// A note for the move.
    pub note: Option<String>,
}

/// Record an asset's serial number and location; a new location is recorded as a move.
#[utoipa::path(
    tag = "assets",
    params(("id" = i64, Path, description = "Asset id"), ("If-Match" = Option<String>, Header, description = "The ETag you read, instead of `version` in the body")),
    request_body = UpdateAsset,
    responses((status = 200, description = "The asset", body = Asset))
)]
#[patch("/assets/{id}")]
pub async fn update_asset(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteAssets)?;
    let input: UpdateAsset = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let changes = RegisterChanges {
        serial_number: input.serial_number,
        site: input.site,
        room: input.room,
        rack: input.rack,
        rack_unit: input.rack_unit,
        note: input.note,
    };
    let id = id.into_inner();
    let asset = state
        .db
        .write(move |tx| service::register(tx, &actor, id, version, changes))
        .await?;
    Ok(ok_resource(&asset))
}

/// A lifecycle move.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetTransition {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// The new status.
    pub to: AssetStatus,
    /// Why, or what happened.
    pub note: Option<String>,
    /// Into service only: the in-service date (default today, UTC).
    pub date: Option<NaiveDate>,
}

/// Move an asset along its lifecycle: pending → in service (needs serial and site and room) →
/// in repair ↔ in service → retired → disposed.
#[utoipa::path(tag = "assets", params(("id" = i64, Path, description = "Asset id")), request_body = AssetTransition, responses((status = 200, description = "The asset", body = Asset)))]
#[post("/assets/{id}/transition")]
pub async fn transition_asset(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteAssets)?;
    let input: AssetTransition = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let id = id.into_inner();
    let asset = state
        .db
        .write(move |tx| {
            service::transition(
                tx,
                &actor,
                id,
                version,
                AssetMove {
                    to: input.to,
                    note: input.note,
                    date: input.date,
                },
                today(),
            )
        })
        .await?;
    Ok(ok_resource(&asset))
}

/// An asset's history: creation, registration, moves and status changes.
#[utoipa::path(tag = "assets", params(("id" = i64, Path, description = "Asset id")), responses((status = 200, description = "Events, oldest first", body = Vec<AssetEvent>)))]
#[get("/assets/{id}/events")]
pub async fn list_asset_events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let events = caller
        .read(&state.db, Action::ReadAssets, move |conn| {
            service::events(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(events))
}

/// How to depreciate.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    /// Equal charges.
    StraightLine,
    /// A fixed rate on the book value, switching to straight-line when that charges more.
    DecliningBalance,
}

/// Depreciation parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DepreciationQuery {
    /// `straight_line` (default) or `declining_balance`.
    pub method: Option<MethodName>,
    /// Useful life in years, 1 to 100.
    pub life_years: u32,
    /// Salvage value at the end of its life (default 0), in the cost's currency.
    #[param(value_type = Option<String>)]
    pub salvage: Option<String>,
    /// Declining balance only: the rate multiple (default 2, double declining).
    #[param(value_type = Option<String>)]
    pub factor: Option<String>,
}

/// A depreciation schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepreciationSchedule {
    /// The asset's tag.
    pub tag: String,
    /// Its cost.
    pub cost: String,
    /// The cost's currency.
    pub currency: String,
    /// The first year starts on this day.
    pub in_service_date: Option<NaiveDate>,
    /// The method's name.
    pub method: String,
    /// One row per year; the charges add up to cost − salvage exactly.
    pub periods: Vec<DepreciationRow>,
}

/// One year of a schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepreciationRow {
    /// Year number, from 1.
    pub period: u32,
    /// Book value at the start.
    pub opening_book_value: String,
    /// This year's charge (rounded half-even to the currency; the last year takes the rest).
    pub charge: String,
    /// Charges so far.
    pub accumulated: String,
    /// Book value at the end.
    pub closing_book_value: String,
    /// Whether this year's charge is straight-line (after the switch, for declining balance).
    pub straight_line: bool,
}

impl From<DepreciationPeriod> for DepreciationRow {
    fn from(p: DepreciationPeriod) -> Self {
        Self {
            period: p.period,
            opening_book_value: p.opening_book_value.to_string(),
            charge: p.charge.to_string(),
            accumulated: p.accumulated.to_string(),
            closing_book_value: p.closing_book_value.to_string(),
            straight_line: p.straight_line,
        }
    }
}

fn query_decimal(field: &str, text: Option<&str>, default: Decimal) -> AppResult<Decimal> {
    match text {
        None => Ok(default),
        Some(text) => {
            parse_decimal(text).map_err(|e| AppError::bad_request_field("invalid_query", field, e))
        }
    }
}

/// The salvage value and method a depreciation query asks for.
fn depreciation_terms(query: &DepreciationQuery) -> AppResult<(Decimal, DepreciationMethod)> {
    let salvage = query_decimal("salvage", query.salvage.as_deref(), Decimal::ZERO)?;
    let method = match query.method.unwrap_or(MethodName::StraightLine) {
        MethodName::StraightLine => DepreciationMethod::StraightLine,
        MethodName::DecliningBalance => DepreciationMethod::DecliningBalance {
            factor: query_decimal("factor", query.factor.as_deref(), Decimal::TWO)?,
        },
    };
    Ok((salvage, method))
}

/// An asset's depreciation schedule from its cost (known once its invoice is approved).
#[utoipa::path(tag = "assets", params(("id" = i64, Path, description = "Asset id"), DepreciationQuery), responses((status = 200, description = "The schedule", body = DepreciationSchedule)))]
#[get("/assets/{id}/depreciation")]
pub async fn asset_depreciation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: Query<DepreciationQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let (salvage, method) = caller
        .checked(&state.db, Action::ReadAssets, depreciation_terms(&query))
        .await?;
    let id = id.into_inner();
    let life = query.life_years;
    let (asset, periods) = caller
        .read(&state.db, Action::ReadAssets, move |conn| {
            service::depreciation(conn, id, method, life, salvage)
        })
        .await?;
    Ok(HttpResponse::Ok().json(DepreciationSchedule {
        tag: asset.tag,
        cost: asset.cost.unwrap_or_default(),
        currency: asset.cost_currency,
        in_service_date: asset.in_service_date,
        method: match method {
            DepreciationMethod::StraightLine => "straight_line".to_string(),
            DepreciationMethod::DecliningBalance { factor } => {
                format!("declining_balance (factor {factor}, switching to straight-line)")
            }
        },
        periods: periods.into_iter().map(DepreciationRow::from).collect(),
    }))
}
