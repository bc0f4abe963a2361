//! `/api/v1/budget-lines`: HTTP, DTOs and OpenAPI.

use super::change_requests::service::{self as changes, Proposal};
use super::change_requests::{BudgetChangeRequest, ChangeRequestStatus};
use super::model::{BudgetCategory, BudgetLine};
use super::repo::LineFilter;
use super::service::{self, LineChanges, NewLine};
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::{IdempotencyKey, JsonBody, Query};
use crate::http::responses::{expected_version, ok_resource, Page, Resource};
use crate::http::{nullable, AppState};
use crate::idempotency;
use crate::money::json::JsonDecimal;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Registers the budget line endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_budget_lines)
        .service(create_budget_line)
        .service(get_budget_line)
        .service(update_budget_line)
        .service(propose_budget_change)
        .service(list_budget_changes)
        .service(get_budget_change)
        .service(approve_budget_change)
        .service(reject_budget_change);
}

impl Resource for BudgetChangeRequest {
    fn location(&self) -> String {
        format!("/api/v1/budget-change-requests/{}", self.id)
    }
    fn version(&self) -> i64 {
        // A request changes once: from proposed to decided.
        match self.status {
            ChangeRequestStatus::Proposed => 1,
            _ => 2,
        }
    }
}

impl Resource for BudgetLine {
    fn location(&self) -> String {
        format!("/api/v1/budget-lines/{}", self.id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// One month of a phasing, as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthInput {
    /// The month, `YYYY-MM`.
    #[schema(example = "2027-01", pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: String,
    /// The amount for that month.
    pub amount: JsonDecimal,
}

/// A new budget line. `project_id`, `category`, `cost_center` and `amount` are required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBudgetLine {
    /// The project; the line takes its currency.
    pub project_id: i64,
    /// `capex` or `opex`.
    pub category: BudgetCategory,
    /// Cost center code, 1 to 64 characters; unique per project and category.
    #[schema(example = "CC-4100", min_length = 1, max_length = 64)]
    pub cost_center: String,
    /// The budget, zero or more, with at most the currency's decimals.
    pub amount: JsonDecimal,
    /// What the money is for.
    pub description: Option<String>,
    /// The monthly phasing; must add up to `amount` exactly. When absent, the amount is spread
    /// evenly over the project's months (largest remainder).
    pub months: Option<Vec<MonthInput>>,
}

/// Changes to a budget line: send only what changes, plus the `version` you read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBudgetLine {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// New category.
    pub category: Option<BudgetCategory>,
    /// New cost center.
    pub cost_center: Option<String>,
    /// New description; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// Refused (409 `change_request_required`): the amount changes by a change request.
    pub amount: Option<JsonDecimal>,
    /// Refused (409 `change_request_required`): the phasing changes by a change request.
    pub months: Option<Vec<MonthInput>>,
}

/// A proposed change to a budget line's amount and/or phasing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeBudgetChange {
    /// Why the change is needed (required).
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    /// The new amount. Without `months`, it is re-spread over the current months in proportion.
    pub amount: Option<JsonDecimal>,
    /// The new phasing; must add up to the (new or current) amount exactly.
    pub months: Option<Vec<MonthInput>>,
}

/// A decision on a budget change request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideBudgetChange {
    /// A comment on an approval; required for a rejection.
    pub reason: Option<String>,
}

/// A line's change requests, oldest first.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct BudgetChangeRequests {
    /// Every request, decided or not.
    pub items: Vec<BudgetChangeRequest>,
}

/// Filters for the budget line list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BudgetLineQuery {
    /// Only lines of this project.
    pub project_id: Option<i64>,
    /// Only `capex` or `opex` lines.
    pub category: Option<BudgetCategory>,
    /// Only lines for this cost center.
    pub cost_center: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn months(input: Option<Vec<MonthInput>>) -> Option<Vec<(String, rust_decimal::Decimal)>> {
    input.map(|months| months.into_iter().map(|m| (m.month, m.amount.0)).collect())
}

/// List budget lines, by id.
#[utoipa::path(tag = "budget-lines", params(BudgetLineQuery), responses((status = 200, description = "A page of budget lines", body = Page<BudgetLine>)))]
#[get("/budget-lines")]
pub async fn list_budget_lines(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<BudgetLineQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let window = caller
        .page(
            &state.db,
            Action::ReadBudgets,
            query.limit,
            query.cursor.as_deref(),
        )
        .await?;
    let filter = LineFilter {
        project_id: query.project_id,
        category: query.category,
        cost_center: query.cost_center.map(|c| c.trim().to_string()),
    };
    let page = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            service::list(conn, &filter, window)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a budget line.
#[utoipa::path(
    tag = "budget-lines",
    request_body = CreateBudgetLine,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body return the first response")),
    responses((status = 201, description = "Created", body = BudgetLine))
)]
#[post("/budget-lines")]
pub async fn create_budget_line(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteBudgets)?;
    let input: CreateBudgetLine = body.parse()?;
    let line = NewLine {
        project_id: input.project_id,
        category: input.category,
        cost_center: input.cost_center,
        description: input.description,
        amount: input.amount.0,
        months: months(input.months),
    };
    let by = actor.clone();
    idempotency::create(&state, &actor, key, &req, &body, move |tx| {
        service::create(tx, &by, line)
    })
    .await
}

/// Read one budget line.
#[utoipa::path(tag = "budget-lines", params(("id" = i64, Path, description = "Budget line id")), responses((status = 200, description = "The budget line", body = BudgetLine)))]
#[get("/budget-lines/{id}")]
pub async fn get_budget_line(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let line = caller
        .lookup(&state.db, Action::ReadBudgets, move |conn| {
            service::get(conn, id)
        })
        .await?;
    Ok(ok_resource(&line))
}

/// Change a budget line.
#[utoipa::path(
    tag = "budget-lines",
    params(("id" = i64, Path, description = "Budget line id"), ("If-Match" = Option<String>, Header, description = "The ETag you read, instead of `version` in the body")),
    request_body = UpdateBudgetLine,
    responses((status = 200, description = "The changed budget line", body = BudgetLine))
)]
#[patch("/budget-lines/{id}")]
pub async fn update_budget_line(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteBudgets)?;
    let input: UpdateBudgetLine = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let changes = LineChanges {
        category: input.category,
        cost_center: input.cost_center,
        description: input.description,
        amount: input.amount.map(|a| a.0),
        months: months(input.months),
    };
    let id = id.into_inner();
    let line = state
        .db
        .write(move |tx| service::update(tx, &actor, id, version, changes))
        .await?;
    Ok(ok_resource(&line))
}

/// Propose a change to a budget line's amount or phasing; the budget is unchanged until
/// finance approves it.
#[utoipa::path(
    tag = "budget-lines",
    params(("id" = i64, Path, description = "Budget line id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body return the first response")),
    request_body = ProposeBudgetChange,
    responses((status = 201, description = "Proposed", body = BudgetChangeRequest))
)]
#[post("/budget-lines/{id}/change-requests")]
pub async fn propose_budget_change(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::ProposeBudgetChanges)?;
    let input: ProposeBudgetChange = body.parse()?;
    let proposal = Proposal {
        reason: input.reason,
        amount: input.amount.map(|a| a.0),
        months: months(input.months),
    };
    let (by, line) = (actor.clone(), id.into_inner());
    idempotency::create(&state, &actor, key, &req, &body, move |tx| {
        changes::propose(tx, &by, line, proposal)
    })
    .await
}

/// A budget line's change requests, oldest first: its history.
#[utoipa::path(tag = "budget-lines", params(("id" = i64, Path, description = "Budget line id")), responses((status = 200, description = "The change requests", body = BudgetChangeRequests)))]
#[get("/budget-lines/{id}/change-requests")]
pub async fn list_budget_changes(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let items = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            changes::of_line(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(BudgetChangeRequests { items }))
}

/// Read one budget change request.
#[utoipa::path(tag = "budget-lines", params(("id" = i64, Path, description = "Change request id")), responses((status = 200, description = "The change request", body = BudgetChangeRequest)))]
#[get("/budget-change-requests/{id}")]
pub async fn get_budget_change(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let request = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            changes::get(conn, id)
        })
        .await?;
    Ok(ok_resource(&request))
}

/// Approve a budget change request and apply it (finance; not the proposer).
#[utoipa::path(tag = "budget-lines", params(("id" = i64, Path, description = "Change request id")), request_body = DecideBudgetChange, responses((status = 200, description = "Approved and applied", body = BudgetChangeRequest)))]
#[post("/budget-change-requests/{id}/approve")]
pub async fn approve_budget_change(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::DecideBudgetChanges)?;
    let input: DecideBudgetChange = body.parse()?;
    let id = id.into_inner();
    let request = state
        .db
        .write(move |tx| changes::approve(tx, &actor, id, input.reason))
        .await?;
    Ok(ok_resource(&request))
}

/// Reject a budget change request, with a reason (finance; not the proposer).
#[utoipa::path(tag = "budget-lines", params(("id" = i64, Path, description = "Change request id")), request_body = DecideBudgetChange, responses((status = 200, description = "Rejected", body = BudgetChangeRequest)))]
#[post("/budget-change-requests/{id}/reject")]
pub async fn reject_budget_change(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::DecideBudgetChanges)?;
    let input: DecideBudgetChange = body.parse()?;
    let id = id.into_inner();
    let reason = input.reason.unwrap_or_default();
    let request = state
        .db
        .write(move |tx| changes::reject(tx, &actor, id, reason))
        .await?;
    Ok(ok_resource(&request))
}
