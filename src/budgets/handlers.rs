//! `/api/v1/budget-lines`: HTTP, DTOs and OpenAPI.

use super::model::{BudgetCategory, BudgetLine};
use super::repo::LineFilter;
use super::service::{self, LineChanges, NewLine};
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::{IdempotencyKey, JsonBody, Query};
use crate::http::responses::{expected_version, ok_resource, Page, PageWindow, Resource};
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
        .service(update_budget_line);
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
    /// New amount. Without `months`, it is re-spread over the current months in proportion.
    pub amount: Option<JsonDecimal>,
    /// New phasing; must add up to the (new or current) amount exactly.
    pub months: Option<Vec<MonthInput>>,
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
    let window = PageWindow::parse(query.limit, query.cursor.as_deref())?;
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
