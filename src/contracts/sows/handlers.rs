//! SOW and milestone endpoints.

use super::model::{Milestone, Sow};
use super::service::{self, MilestoneInput, MilestoneStep, SowInput};
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::JsonBody;
use crate::http::responses::expected_version;
use crate::http::AppState;
use crate::money::json::JsonDecimal;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

/// Registers the SOW endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_sows)
        .service(create_sow)
        .service(add_milestones)
        .service(submit_milestone)
        .service(accept_milestone)
        .service(reject_milestone);
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A milestone of a new SOW.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMilestone {
    /// What is delivered.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// What it is worth, more than zero.
    pub amount: JsonDecimal,
    /// When it is due.
    pub due_date: NaiveDate,
    /// How acceptance is judged.
    #[schema(min_length = 1, max_length = 2000)]
    pub acceptance_criteria: String,
}

/// A new statement of work.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSow {
    /// The project it serves: one of the contract's projects.
    pub project_id: i64,
    /// Its title.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// What is in scope.
    pub scope: Option<String>,
    /// The deliverables.
    #[serde(default)]
    pub deliverables: Vec<String>,
    /// Its value in the contract's currency; with the contract's other SOWs, within its ceiling.
    pub value: JsonDecimal,
    /// Its milestones; their amounts add up to at most `value`.
    #[serde(default)]
    pub milestones: Vec<CreateMilestone>,
}

/// A milestone move: the version you read, and a comment (accept) or reason (reject).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneDecision {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// Acceptance comment, or the reason for a rejection (required to reject).
    pub comment: Option<String>,
}

/// List a contract's statements of work with their milestones.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), responses((status = 200, description = "The SOWs", body = Vec<Sow>)))]
#[get("/contracts/{id}/sows")]
pub async fn list_sows(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let sows = caller
        .read(&state.db, Action::ReadContracts, move |conn| {
            service::list(conn, id, today())
        })
        .await?;
    Ok(HttpResponse::Ok().json(sows))
}

/// Add a statement of work with milestones to a contract.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), request_body = CreateSow, responses((status = 201, description = "Created", body = Sow)))]
#[post("/contracts/{id}/sows")]
pub async fn create_sow(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: CreateSow = body.parse()?;
    let sow = SowInput {
        project_id: input.project_id,
        title: input.title,
        scope: input.scope,
        deliverables: input.deliverables,
        value: input.value.0,
        milestones: input
            .milestones
            .into_iter()
            .map(|m| MilestoneInput {
                name: m.name,
                amount: m.amount.0,
                due_date: m.due_date,
                acceptance_criteria: m.acceptance_criteria,
            })
            .collect(),
    };
    let contract_id = id.into_inner();
    let created = state
        .db
        .write(move |tx| service::create(tx, &actor, contract_id, sow, today()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/contracts/{contract_id}/sows")))
        .json(created))
}

/// Milestones to add to a SOW.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMilestones {
    /// The new milestones (pending).
    pub milestones: Vec<CreateMilestone>,
}

/// Add milestones to a SOW (its milestones never add up to more than the SOW).
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "SOW id")), request_body = AddMilestones, responses((status = 200, description = "The SOW with its milestones", body = Sow)))]
#[post("/sows/{id}/milestones")]
pub async fn add_milestones(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: AddMilestones = body.parse()?;
    let milestones = input
        .milestones
        .into_iter()
        .map(|m| MilestoneInput {
            name: m.name,
            amount: m.amount.0,
            due_date: m.due_date,
            acceptance_criteria: m.acceptance_criteria,
        })
        .collect();
    let sow_id = id.into_inner();
    let sow = state
        .db
        .write(move |tx| service::add_milestones(tx, &actor, sow_id, milestones, today()))
        .await?;
    Ok(HttpResponse::Ok().json(sow))
}

async fn move_milestone(
    state: web::Data<AppState>,
    actor: Actor,
    action: Action,
    id: i64,
    req: HttpRequest,
    body: JsonBody,
    step: fn(Option<String>) -> MilestoneStep,
) -> AppResult<HttpResponse> {
    actor.require(action)?;
    let input: MilestoneDecision = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let step = step(input.comment);
    let moved: Milestone = state
        .db
        .write(move |tx| service::step(tx, &actor, id, version, step))
        .await?;
    Ok(HttpResponse::Ok().json(moved))
}

/// Submit a delivered milestone for acceptance (again, after a rejection).
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Milestone id")), request_body = MilestoneDecision, responses((status = 200, description = "Submitted", body = Milestone)))]
#[post("/milestones/{id}/submit")]
pub async fn submit_milestone(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    move_milestone(
        state,
        actor,
        Action::WriteContracts,
        id.into_inner(),
        req,
        body,
        |_| MilestoneStep::Submit,
    )
    .await
}

/// Accept a submitted milestone (project managers): it becomes billable.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Milestone id")), request_body = MilestoneDecision, responses((status = 200, description = "Accepted", body = Milestone)))]
#[post("/milestones/{id}/accept")]
pub async fn accept_milestone(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    move_milestone(
        state,
        actor,
        Action::AcceptMilestones,
        id.into_inner(),
        req,
        body,
        |comment| MilestoneStep::Accept { comment },
    )
    .await
}

/// Reject a submitted milestone with a reason (project managers).
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Milestone id")), request_body = MilestoneDecision, responses((status = 200, description = "Rejected", body = Milestone)))]
#[post("/milestones/{id}/reject")]
pub async fn reject_milestone(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    move_milestone(
        state,
        actor,
        Action::AcceptMilestones,
        id.into_inner(),
        req,
        body,
        |comment| MilestoneStep::Reject {
            reason: comment.unwrap_or_default(),
        },
    )
    .await
}
