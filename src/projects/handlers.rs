//! `/api/v1/projects`: HTTP, DTOs and OpenAPI.

use super::model::{
    normalize_code, BudgetPolicy, Project, ProjectChanges, ProjectDraft, ProjectFields,
    ProjectStatus,
};
use super::repo::ProjectFilter;
use super::service;
use crate::auth::{Action, Actor, Caller};
use crate::error::AppResult;
use crate::http::extract::{IdempotencyKey, JsonBody, Query};
use crate::http::responses::{expected_version, ok_resource, Page, Resource};
use crate::http::{nullable, AppState, VersionOnly};
use crate::idempotency;
use crate::money::json::JsonDecimal;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Registers the project endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_projects)
        .service(create_project)
        .service(get_project)
        .service(update_project)
        .service(archive_project)
        .service(restore_project);
}

impl Resource for Project {
    fn location(&self) -> String {
        format!("/api/v1/projects/{}", self.id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// A new project. `code`, `name` and `currency` are required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    /// Unique code: 1 to 32 letters, digits, `-`, `_` or `.`; stored upper case.
    #[schema(example = "DC-MOVE-2027", pattern = r"^\s*[A-Za-z0-9._-]{1,32}\s*$")]
    pub code: String,
    /// Name, 1 to 200 characters.
    #[schema(example = "Data-centre move 2027", min_length = 1, max_length = 200)]
    pub name: String,
    /// ISO 4217 currency of the project's budget, upper case.
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// `planned`, `active` (default), `on_hold` or `completed`.
    pub status: Option<ProjectStatus>,
    /// Project manager's name.
    pub pm_name: Option<String>,
    /// Project manager's email, for budget alerts.
    pub pm_email: Option<String>,
    /// Finance owner's name.
    pub finance_owner_name: Option<String>,
    /// Finance owner's email, for budget alerts.
    pub finance_owner_email: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub start_date: Option<NaiveDate>,
    /// Last day, `YYYY-MM-DD`; not before `start_date`.
    pub end_date: Option<NaiveDate>,
    /// Budget-use percentages that raise alerts, strictly ascending (default 80, 90, 100).
    pub alert_thresholds: Option<Vec<JsonDecimal>>,
    /// What a purchase-order approval that breaks a budget line does (default `block`).
    pub budget_policy: Option<BudgetPolicy>,
}

/// Changes to a project: send only what changes, plus the `version` you read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    /// The version you read (or send `If-Match`).
    pub version: Option<i64>,
    /// New code.
    pub code: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New currency; refused once the project has budget lines.
    pub currency: Option<String>,
    /// New status.
    pub status: Option<ProjectStatus>,
    /// New PM name; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub pm_name: Option<Option<String>>,
    /// New PM email; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub pm_email: Option<Option<String>>,
    /// New finance owner name; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub finance_owner_name: Option<Option<String>>,
    /// New finance owner email; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub finance_owner_email: Option<Option<String>>,
    /// New start date; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub start_date: Option<Option<NaiveDate>>,
    /// New end date; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub end_date: Option<Option<NaiveDate>>,
    /// The full new list of alert thresholds.
    pub alert_thresholds: Option<Vec<JsonDecimal>>,
    /// New budget policy.
    pub budget_policy: Option<BudgetPolicy>,
}

/// Filters for the project list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// Only projects with this status.
    pub status: Option<ProjectStatus>,
    /// Only projects in this currency.
    pub currency: Option<String>,
    /// Only the project with this code.
    pub code: Option<String>,
    /// Only projects whose name contains this text (case-insensitive).
    pub q: Option<String>,
    /// Include archived projects (default false).
    pub include_archived: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn decimals(values: Option<Vec<JsonDecimal>>) -> Option<Vec<rust_decimal::Decimal>> {
    values.map(|v| v.into_iter().map(|d| d.0).collect())
}

/// List projects, by id.
#[utoipa::path(tag = "projects", params(ProjectQuery), responses((status = 200, description = "A page of projects", body = Page<Project>)))]
#[get("/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ProjectQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let window = caller
        .page(
            &state.db,
            Action::ReadProjects,
            query.limit,
            query.cursor.as_deref(),
        )
        .await?;
    let filter = ProjectFilter {
        status: query.status,
        currency: query.currency.map(|c| c.trim().to_uppercase()),
        code: query.code.map(|c| normalize_code(&c).unwrap_or(c)),
        name_contains: query
            .q
            .filter(|q| !q.trim().is_empty())
            .map(|q| q.trim().to_string()),
        include_archived: query.include_archived.unwrap_or(false),
    };
    let page = caller
        .read(&state.db, Action::ReadProjects, move |conn| {
            service::list(conn, &filter, window)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a project.
#[utoipa::path(
    tag = "projects",
    request_body = CreateProject,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body return the first response")),
    responses((status = 201, description = "Created", body = Project))
)]
#[post("/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteProjects)?;
    let input: CreateProject = body.parse()?;
    let draft = ProjectDraft::parse(ProjectFields {
        code: input.code,
        name: input.name,
        currency: input.currency,
        status: input.status,
        pm_name: input.pm_name,
        pm_email: input.pm_email,
        finance_owner_name: input.finance_owner_name,
        finance_owner_email: input.finance_owner_email,
        start_date: input.start_date,
        end_date: input.end_date,
        alert_thresholds: decimals(input.alert_thresholds),
        budget_policy: input.budget_policy,
    })?;
    let by = actor.clone();
    idempotency::create(&state, &actor, key, &req, &body, move |tx| {
        service::create(tx, &by, draft)
    })
    .await
}

/// Read one project.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id")), responses((status = 200, description = "The project", body = Project)))]
#[get("/projects/{id}")]
pub async fn get_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let project = caller
        .lookup(&state.db, Action::ReadProjects, move |conn| {
            service::get(conn, id)
        })
        .await?;
    Ok(ok_resource(&project))
}

/// Change a project.
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, description = "Project id"), ("If-Match" = Option<String>, Header, description = "The ETag you read, instead of `version` in the body")),
    request_body = UpdateProject,
    responses((status = 200, description = "The changed project", body = Project))
)]
#[patch("/projects/{id}")]
pub async fn update_project(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteProjects)?;
    let input: UpdateProject = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let changes = ProjectChanges {
        code: input.code,
        name: input.name,
        currency: input.currency,
        status: input.status,
        pm_name: input.pm_name,
        pm_email: input.pm_email,
        finance_owner_name: input.finance_owner_name,
        finance_owner_email: input.finance_owner_email,
        start_date: input.start_date,
        end_date: input.end_date,
        alert_thresholds: decimals(input.alert_thresholds),
        budget_policy: input.budget_policy,
    };
    let id = id.into_inner();
    let project = state
        .db
        .write(move |tx| service::update(tx, &actor, id, version, changes))
        .await?;
    Ok(ok_resource(&project))
}

/// Archive a project (hidden from lists, kept for history).
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id")), request_body = VersionOnly, responses((status = 200, description = "The archived project", body = Project)))]
#[post("/projects/{id}/archive")]
pub async fn archive_project(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    set_archived(state, actor, id.into_inner(), req, body, true).await
}

/// Restore an archived project.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id")), request_body = VersionOnly, responses((status = 200, description = "The restored project", body = Project)))]
#[post("/projects/{id}/restore")]
pub async fn restore_project(
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
    actor.require(Action::WriteProjects)?;
    let input: VersionOnly = body.parse()?;
    let version = expected_version(input.version, &req)?;
    let project = state
        .db
        .write(move |tx| service::set_archived(tx, &actor, id, version, archive))
        .await?;
    Ok(ok_resource(&project))
}
