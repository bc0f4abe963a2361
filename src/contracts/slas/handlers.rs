//! `/api/v1/contracts/{id}/slas`, `/api/v1/slas/{id}/measurements` and
//! `/api/v1/contracts/{id}/sla-report`: HTTP, DTOs and OpenAPI.

use super::model::{
    MeasurementPeriod, Sla, SlaCap, SlaDirection, SlaFields, SlaMetric, SlaPeriod, SlaTier,
};
use super::service::{self, Measured, SlaReport};
use crate::auth::{Action, Actor, Caller};
use crate::error::{AppError, AppResult};
use crate::http::extract::JsonBody;
use crate::http::responses::{expected_version, ok_resource, Resource};
use crate::http::{nullable, AppState};
use crate::money::json::JsonDecimal;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

/// Registers the SLA endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_slas)
        .service(create_sla)
        .service(update_sla)
        .service(record_sla_measurement)
        .service(get_sla_report);
}

impl Resource for Sla {
    fn location(&self) -> String {
        format!("/api/v1/contracts/{}/slas", self.contract_id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// Changes to an SLA's terms: send only what changes, plus the `version` you read. Periods
/// already recorded keep their evaluation and credit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSla {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// New name.
    pub name: Option<String>,
    /// New unit.
    pub unit: Option<String>,
    /// New target.
    pub target: Option<JsonDecimal>,
    /// New period fee.
    pub period_fee: Option<JsonDecimal>,
    /// New credit tiers (replacing all).
    pub tiers: Option<Vec<SlaTier>>,
    /// New cap; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<SlaCap>)]
    pub cap: Option<Option<SlaCap>>,
    /// New minimum credit; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub minimum_credit: Option<Option<JsonDecimal>>,
    /// New measurement period (only while no period is recorded).
    pub measurement_period: Option<MeasurementPeriod>,
}

/// Change an SLA's terms (its metric never changes).
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "SLA id"), ("If-Match" = Option<String>, Header, description = "The ETag you read, instead of `version` in the body")), request_body = UpdateSla, responses((status = 200, description = "The changed SLA", body = Sla)))]
#[patch("/slas/{id}")]
pub async fn update_sla(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: UpdateSla = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let changes = service::SlaChanges {
        name: input.name,
        unit: input.unit,
        target: input.target.map(|d| d.0),
        period_fee: input.period_fee.map(|d| d.0),
        tiers: input.tiers,
        cap: input.cap,
        minimum_credit: input.minimum_credit.map(|m| m.map(|d| d.0)),
        measurement_period: input.measurement_period,
    };
    let id = id.into_inner();
    let sla = state
        .db
        .write(move |tx| service::update(tx, &actor, id, version, changes))
        .await?;
    Ok(ok_resource(&sla))
}

/// A new SLA.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSla {
    /// A name unique within the contract.
    #[schema(
        example = "Colocation power availability",
        min_length = 1,
        max_length = 200
    )]
    pub name: String,
    /// `availability`, `response_time`, `resolution_time` or `custom`.
    pub metric: SlaMetric,
    /// Required for a custom metric; implied by the others.
    pub direction: Option<SlaDirection>,
    /// Unit of the target (default `percent` for availability, `hours` for times).
    pub unit: Option<String>,
    /// The committed level.
    pub target: JsonDecimal,
    /// `monthly` (default), `quarterly` or `yearly`.
    pub measurement_period: Option<MeasurementPeriod>,
    /// The fee of one measurement period in the contract's currency: the base of percentage
    /// credits.
    pub period_fee: JsonDecimal,
    /// Credit tiers: a threshold with a `percent` of the period fee or a fixed `amount`.
    pub tiers: Vec<SlaTier>,
    /// The most a period's credit may be (`percent` of the fee or `amount`).
    pub cap: Option<SlaCap>,
    /// Credits below this amount are not issued.
    pub minimum_credit: Option<JsonDecimal>,
}

/// One month's measurement: the value, or (availability only) the minutes of downtime.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordMeasurement {
    /// The period, as the SLA measures: `YYYY-MM` (monthly), `YYYY-Qn` (quarterly) or `YYYY`
    /// (yearly).
    #[schema(example = "2027-09")]
    pub period: String,
    /// The measured value in the SLA's unit.
    pub value: Option<JsonDecimal>,
    /// Minutes of downtime in the month (availability SLAs).
    pub downtime_minutes: Option<JsonDecimal>,
}

/// List a contract's SLAs.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), responses((status = 200, description = "The SLAs", body = Vec<Sla>)))]
#[get("/contracts/{id}/slas")]
pub async fn list_slas(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let slas = caller
        .read(&state.db, Action::ReadContracts, move |conn| {
            service::list(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(slas))
}

/// Define an SLA under a contract.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), request_body = CreateSla, responses((status = 201, description = "Created", body = Sla)))]
#[post("/contracts/{id}/slas")]
pub async fn create_sla(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: CreateSla = body.parse()?;
    let fields = SlaFields {
        name: input.name,
        metric: input.metric,
        direction: input.direction,
        unit: input.unit,
        target: input.target.0,
        period_fee: input.period_fee.0,
        tiers: input.tiers,
        cap: input.cap,
        minimum_credit: input.minimum_credit.map(|m| m.0),
        measurement_period: input.measurement_period.unwrap_or_default(),
    };
    let contract_id = id.into_inner();
    let sla = state
        .db
        .write(move |tx| service::create(tx, &actor, contract_id, fields))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/contracts/{contract_id}/slas")))
        .json(sla))
}

/// Record and evaluate one month of an SLA; the result and its credit are frozen.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "SLA id")), request_body = RecordMeasurement, responses((status = 201, description = "The evaluated period", body = SlaPeriod)))]
#[post("/slas/{id}/measurements")]
pub async fn record_sla_measurement(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: RecordMeasurement = body.parse()?;
    let measured = match (input.value, input.downtime_minutes) {
        (Some(value), None) => Measured::Value(value.0),
        (None, Some(minutes)) => Measured::DowntimeMinutes(minutes.0),
        _ => {
            return Err(AppError::invalid(
                "value",
                "give exactly one of `value` and `downtime_minutes`",
            ))
        }
    };
    let sla_id = id.into_inner();
    let period = input.period;
    let recorded = state
        .db
        .write(move |tx| service::record(tx, &actor, sla_id, &period, measured))
        .await?;
    Ok(HttpResponse::Created().json(recorded))
}

/// Per SLA and period: value, target, met, tier, credit and credit status, with totals.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), responses((status = 200, description = "The SLA report", body = SlaReport)))]
#[get("/contracts/{id}/sla-report")]
pub async fn get_sla_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let report = caller
        .read(&state.db, Action::ReadContracts, move |conn| {
            service::report(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}
