//! Change order endpoints: propose on a contract, decide, list, and the contract's baseline.

use super::model::{Baseline, ChangeOrder};
use super::service::{self, Proposal};
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::JsonBody;
use crate::http::responses::expected_version;
use crate::http::AppState;
use crate::money::json::JsonDecimal;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

/// Registers the change order endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_change_orders)
        .service(propose_change_order)
        .service(approve_change_order)
        .service(reject_change_order)
        .service(get_contract_baseline);
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A proposed change to an active contract: at least one of the new values, and a reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeChangeOrder {
    /// Why the change is needed.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    /// The new ceiling, in the contract's currency.
    pub ceiling: Option<JsonDecimal>,
    /// The new initial term in months (1 to 600).
    pub initial_term_months: Option<u32>,
    /// The new scope.
    pub scope: Option<String>,
}

/// A decision on a change order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideChangeOrder {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// Why (required to reject).
    pub reason: Option<String>,
}

/// List a contract's change orders, by sequence.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), responses((status = 200, description = "The change orders", body = Vec<ChangeOrder>)))]
#[get("/contracts/{id}/change-orders")]
pub async fn list_change_orders(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let orders = caller
        .read(&state.db, Action::ReadContracts, move |conn| {
            service::list(conn, id, today())
        })
        .await?;
    Ok(HttpResponse::Ok().json(orders))
}

/// Propose a change to an active contract's ceiling, initial term or scope.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), request_body = ProposeChangeOrder, responses((status = 201, description = "Proposed", body = ChangeOrder)))]
#[post("/contracts/{id}/change-orders")]
pub async fn propose_change_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: ProposeChangeOrder = body.parse()?;
    let proposal = Proposal {
        reason: input.reason,
        ceiling: input.ceiling.map(|c| c.0),
        initial_term_months: input.initial_term_months,
        scope: input.scope,
    };
    let contract_id = id.into_inner();
    let order = state
        .db
        .write(move |tx| service::propose(tx, &actor, contract_id, proposal, today()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/contracts/{contract_id}/change-orders"),
        ))
        .json(order))
}

/// Approve a change order and apply it to its contract (not by the person who proposed it).
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Change order id")), request_body = DecideChangeOrder, responses((status = 200, description = "Approved and applied", body = ChangeOrder)))]
#[post("/change-orders/{id}/approve")]
pub async fn approve_change_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: DecideChangeOrder = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let id = id.into_inner();
    let order = state
        .db
        .write(move |tx| service::approve(tx, &actor, id, version, input.reason, today()))
        .await?;
    Ok(HttpResponse::Ok().json(order))
}

/// Reject a change order, with a reason.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Change order id")), request_body = DecideChangeOrder, responses((status = 200, description = "Rejected", body = ChangeOrder)))]
#[post("/change-orders/{id}/reject")]
pub async fn reject_change_order(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: DecideChangeOrder = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let id = id.into_inner();
    let reason = input.reason.unwrap_or_default();
    let order = state
        .db
        .write(move |tx| service::reject(tx, &actor, id, version, &reason))
        .await?;
    Ok(HttpResponse::Ok().json(order))
}

/// The contract's figures as signed, after each approved change order, and now.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), responses((status = 200, description = "The baseline history", body = Baseline)))]
#[get("/contracts/{id}/baseline")]
pub async fn get_contract_baseline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let baseline = caller
        .read(&state.db, Action::ReadContracts, move |conn| {
            service::baseline(conn, id, today())
        })
        .await?;
    Ok(HttpResponse::Ok().json(baseline))
}
