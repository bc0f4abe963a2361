//! `/api/v1/contracts`: HTTP, DTOs and OpenAPI.

use super::model::{
    Contract, ContractDraft, ContractFields, ContractStatus, ContractType, Notice, RenewalTerms,
};
use super::repo::ContractFilter;
use super::service::{self, Transition};
use super::terms::{Schedule, Standing, Term};
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::{IdempotencyKey, JsonBody, Query};
use crate::http::responses::{etag, expected_version, ok_resource, Page, Resource};
use crate::http::AppState;
use crate::idempotency;
use crate::money::json::JsonDecimal;
use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Registers the contract endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_contracts)
        .service(create_contract)
        .service(get_contract)
        .service(update_contract)
        .service(activate_contract)
        .service(renew_contract)
        .service(give_contract_notice)
        .service(terminate_contract)
        .service(contract_consumption);
}

impl Resource for Contract {
    fn location(&self) -> String {
        format!("/api/v1/contracts/{}", self.id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A contract's terms as sent: on create, and in full on an update of a draft.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// The version you read (updates only; or send `If-Match`).
    pub version: Option<i64>,
    /// The vendor.
    pub vendor_id: i64,
    /// The projects it serves.
    #[serde(default)]
    pub project_ids: Vec<i64>,
    /// What it is for, 1 to 200 characters.
    #[schema(
        example = "Colocation, two racks, Frankfurt",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
    /// What the vendor delivers under it, up to 10,000 characters.
    pub scope: Option<String>,
    /// `fixed_price`, `time_and_materials` or `framework`.
    pub contract_type: ContractType,
    /// ISO 4217 currency of the ceiling.
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// The most that may be committed under it, zero or more.
    pub ceiling: JsonDecimal,
    /// First day, `YYYY-MM-DD`.
    pub start_date: NaiveDate,
    /// Length of the initial term in months (1 to 600).
    pub initial_term_months: u32,
    /// How it renews.
    pub renewal: RenewalTerms,
    /// Notice needed before a term ends.
    pub notice: Notice,
    /// Links to the signed documents (http or https).
    #[serde(default)]
    pub document_urls: Vec<String>,
}

impl ContractInput {
    fn draft(self) -> AppResult<ContractDraft> {
        ContractDraft::parse(ContractFields {
            vendor_id: self.vendor_id,
            project_ids: self.project_ids,
            title: self.title,
            scope: self.scope,
            contract_type: self.contract_type,
            currency: self.currency,
            ceiling: self.ceiling.0,
            start_date: self.start_date,
            initial_term_months: self.initial_term_months,
            renewal: self.renewal,
            notice: self.notice,
            document_urls: self.document_urls,
        })
    }
}

/// One term of a contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermView {
    /// 0 for the initial term, k for the k-th renewal.
    pub index: u32,
    /// First day.
    pub start: NaiveDate,
    /// Last day (inclusive).
    pub end: NaiveDate,
    /// The last day notice can be given to leave at this term's end.
    pub notice_deadline: NaiveDate,
}

impl From<Term> for TermView {
    fn from(term: Term) -> Self {
        Self {
            index: term.index,
            start: term.start,
            end: term.end,
            notice_deadline: term.notice_deadline,
        }
    }
}

/// The earliest end of the contract still open today.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExitView {
    /// The term whose end it is.
    pub term: TermView,
    /// True when reaching it needs notice (given by the term's notice deadline); false when the
    /// contract ends there anyway.
    pub needs_notice: bool,
}

/// Where a contract stands on a day, from the term engine.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    /// The day this schedule is for.
    pub as_of: NaiveDate,
    /// `not_started`, `running` or `ended`.
    #[schema(example = "running")]
    pub standing: String,
    /// The term that day falls in.
    pub current_term: TermView,
    /// The day the next term starts, if the contract continues as things stand.
    pub next_renewal: Option<NaiveDate>,
    /// The earliest end still reachable.
    pub next_exit: Option<ExitView>,
    /// The last day as things stand (absent while tacit renewal runs without limit).
    pub expires_on: Option<NaiveDate>,
    /// The latest the contract can run to with every renewal (absent without a limit).
    pub final_expiry: Option<NaiveDate>,
}

impl ScheduleView {
    fn of(schedule: Schedule, as_of: NaiveDate) -> Self {
        Self {
            as_of,
            standing: match schedule.standing {
                Standing::NotStarted => "not_started",
                Standing::Running => "running",
                Standing::Ended => "ended",
            }
            .to_string(),
            current_term: schedule.current.into(),
            next_renewal: schedule.next_renewal,
            next_exit: schedule.next_exit.map(|exit| ExitView {
                term: exit.term.into(),
                needs_notice: !exit.automatic,
            }),
            expires_on: schedule.expires_on,
            final_expiry: schedule.final_expiry,
        }
    }
}

/// A contract with its schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractWithSchedule {
    /// The contract.
    #[serde(flatten)]
    pub contract: Contract,
    /// Its terms, deadlines and expiry on `schedule.as_of`.
    pub schedule: ScheduleView,
}

/// Filters for the contract list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContractQuery {
    /// Only contracts with this vendor.
    pub vendor_id: Option<i64>,
    /// Only contracts serving this project.
    pub project_id: Option<i64>,
    /// Only contracts of this type.
    pub contract_type: Option<ContractType>,
    /// Only contracts with this stored status (`draft`, `active` or `terminated`).
    pub status: Option<ContractStatus>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The day to compute a schedule for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Compute the schedule as of this day (default today, UTC).
    pub as_of: Option<NaiveDate>,
}

/// A transition on a day.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// The day it happens (default today, UTC).
    pub date: Option<NaiveDate>,
}

/// A termination.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationInput {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// The last day of the contract (default today, UTC).
    pub date: Option<NaiveDate>,
    /// Why it ends early.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// List contracts, by id.
#[utoipa::path(tag = "contracts", params(ContractQuery), responses((status = 200, description = "A page of contracts", body = Page<Contract>)))]
#[get("/contracts")]
pub async fn list_contracts(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ContractQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let window = caller
        .page(
            &state.db,
            Action::ReadContracts,
            query.limit,
            query.cursor.as_deref(),
        )
        .await?;
    let filter = ContractFilter {
        vendor_id: query.vendor_id,
        project_id: query.project_id,
        contract_type: query.contract_type,
        status: query.status,
    };
    let page = caller
        .read(&state.db, Action::ReadContracts, move |conn| {
            service::list(conn, &filter, window, today())
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Draft a contract.
#[utoipa::path(
    tag = "contracts",
    request_body = ContractInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body return the first response")),
    responses((status = 201, description = "Created, as a draft", body = Contract))
)]
#[post("/contracts")]
pub async fn create_contract(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let draft = body.parse::<ContractInput>()?.draft()?;
    let by = actor.clone();
    idempotency::create(&state, &actor, key, &req, &body, move |tx| {
        service::create(tx, &by, draft)
    })
    .await
}

fn with_schedule(contract: Contract, schedule: Schedule, as_of: NaiveDate) -> HttpResponse {
    let tag = etag(contract.version);
    HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .json(ContractWithSchedule {
            contract,
            schedule: ScheduleView::of(schedule, as_of),
        })
}

/// Read one contract with its schedule: current term, notice deadline, next renewal, earliest
/// exit and expiry.
#[utoipa::path(
    tag = "contracts",
    params(("id" = i64, Path, description = "Contract id"), AsOfQuery),
    responses((status = 200, description = "The contract and its schedule", body = ContractWithSchedule))
)]
#[get("/contracts/{id}")]
pub async fn get_contract(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: Query<AsOfQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let as_of = query.0.as_of.unwrap_or_else(today);
    let (contract, schedule) = caller
        .lookup(&state.db, Action::ReadContracts, move |conn| {
            service::get(conn, id, today(), as_of)
        })
        .await?;
    Ok(with_schedule(contract, schedule, as_of))
}

/// Change a draft contract's terms (send them in full).
#[utoipa::path(
    tag = "contracts",
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = Option<String>, Header, description = "The ETag you read, instead of `version` in the body")),
    request_body = ContractInput,
    responses((status = 200, description = "The changed draft", body = Contract))
)]
#[patch("/contracts/{id}")]
pub async fn update_contract(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: ContractInput = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let draft = input.draft()?;
    let id = id.into_inner();
    let contract = state
        .db
        .write(move |tx| service::update(tx, &actor, id, version, draft))
        .await?;
    Ok(ok_resource(&contract))
}

async fn transition(
    state: web::Data<AppState>,
    actor: Actor,
    id: i64,
    version: i64,
    step: Transition,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let contract = state
        .db
        .write(move |tx| service::transition(tx, &actor, id, version, step, today()))
        .await?;
    Ok(ok_resource(&contract))
}

/// A transition whose body is a [`TransitionInput`]: `version` and an optional day.
async fn dated_transition(
    state: web::Data<AppState>,
    actor: Actor,
    id: i64,
    req: HttpRequest,
    body: JsonBody,
    step: fn(NaiveDate) -> Transition,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: TransitionInput = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let on = input.date.unwrap_or_else(today);
    transition(state, actor, id, version, step(on)).await
}

/// Activate a draft contract (its vendor must not be blocked).
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), request_body = TransitionInput, responses((status = 200, description = "The active contract", body = Contract)))]
#[post("/contracts/{id}/activate")]
pub async fn activate_contract(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    dated_transition(state, actor, id.into_inner(), req, body, |_| {
        Transition::Activate
    })
    .await
}

/// Exercise one explicit renewal, by the notice deadline of the current last term.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), request_body = TransitionInput, responses((status = 200, description = "The renewed contract", body = Contract)))]
#[post("/contracts/{id}/renew")]
pub async fn renew_contract(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    dated_transition(state, actor, id.into_inner(), req, body, |on| {
        Transition::Renew { on }
    })
    .await
}

/// Give notice of non-renewal on a tacitly renewing contract: it ends at the first term end
/// whose notice deadline the notice meets.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), request_body = TransitionInput, responses((status = 200, description = "The contract with notice recorded", body = Contract)))]
#[post("/contracts/{id}/notice")]
pub async fn give_contract_notice(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    dated_transition(state, actor, id.into_inner(), req, body, |on| {
        Transition::GiveNotice { on }
    })
    .await
}

/// Terminate an active contract early, with a reason.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), request_body = TerminationInput, responses((status = 200, description = "The terminated contract", body = Contract)))]
#[post("/contracts/{id}/terminate")]
pub async fn terminate_contract(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteContracts)?;
    let input: TerminationInput = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let on = input.date.unwrap_or_else(today);
    transition(
        state,
        actor,
        id.into_inner(),
        version,
        Transition::Terminate {
            on,
            reason: input.reason,
        },
    )
    .await
}

/// How much of the contract's ceiling its purchase orders and invoices use: committed (open PO
/// value), invoiced (approved invoices on its POs and milestones, net of credit memos), consumed,
/// remaining; exact, in the contract's currency.
#[utoipa::path(tag = "contracts", params(("id" = i64, Path, description = "Contract id")), responses((status = 200, description = "The contract's consumption", body = crate::contracts::consumption::Consumption)))]
#[get("/contracts/{id}/consumption")]
pub async fn contract_consumption(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let consumption = caller
        .read(&state.db, Action::ReadContracts, move |conn| {
            crate::contracts::consumption::of_contract(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(consumption))
}
