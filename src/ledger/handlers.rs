//! The ledger, forecast and portfolio endpoints, and what PMs enter for the forecast:
//! `GET /projects/{id}/ledger`, `GET /projects/{id}/forecast`, `GET /ledger`,
//! `GET/POST /budget-lines/{id}/estimates`, `GET/POST /projects/{id}/progress`.

use super::estimates::{self, Estimate, NewProgress, Progress};
use super::portfolio::Portfolio;
use super::projection::{Forecast, DEFAULT_WINDOW};
use super::{Figure, Ledger};
use crate::auth::{Action, Actor, Caller};
use crate::charts::handlers::currency_param;
use crate::error::{AppError, AppResult};
use crate::http::extract::{JsonBody, Query};
use crate::http::AppState;
use crate::money::json::JsonDecimal;
use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Registers the ledger endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(project_ledger)
        .service(project_forecast)
        .service(portfolio_ledger)
        .service(enter_estimate)
        .service(list_estimates)
        .service(enter_progress)
        .service(list_progress);
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Which figure to list the documents of.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// A budget line of the project: list the documents behind one of its figures.
    pub line: Option<i64>,
    /// `committed`, `accrued` or `actual` (with `line`).
    pub figure: Option<Figure>,
}

/// The project's budget ledger: per budget line and in total, budget, committed, accrued,
/// actual, remaining and utilisation, exact in the project's currency. With `line` and `figure`
/// it also lists the purchase-order or invoice lines behind that figure, which add up to it.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id"), LedgerQuery), responses((status = 200, description = "The ledger", body = Ledger)))]
#[get("/projects/{id}/ledger")]
pub async fn project_ledger(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: Query<LedgerQuery>,
) -> AppResult<HttpResponse> {
    let (line, figure) = (query.0.line, query.0.figure);
    let id = id.into_inner();
    let ledger = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            let drill = match (line, figure) {
                (None, None) => None,
                (Some(line), Some(figure)) => Some((line, figure)),
                (Some(_), None) => {
                    return Err(AppError::bad_request_field(
                        "invalid_query",
                        "figure",
                        "is required with `line` (committed, accrued or actual)",
                    ))
                }
                (None, Some(_)) => {
                    return Err(AppError::bad_request_field(
                        "invalid_query",
                        "line",
                        "is required with `figure`",
                    ))
                }
            };
            crate::db::snapshot(conn, |conn| super::of_project(conn, id, drill))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ledger))
}

/// The forecast's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// The day to forecast for (default today, UTC): the run-rate window ends in its month and
    /// earned value uses progress recorded for it or earlier.
    pub as_of: Option<NaiveDate>,
    /// Months the run rate averages, 1 to 120 (default 3).
    pub window: Option<u32>,
}

/// The project's forecast: per budget line and for the project, estimate to complete, EAC, VAC,
/// utilisation, the run-rate projection with the month the money runs out, and earned value
/// (PV, EV, AC, CV, SV, CPI, SPI, three EAC variants, ETC, VAC, TCPI) where progress was
/// recorded. Exact decimals; rounded only for presentation, as `rounding` states.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id"), ForecastQuery), responses((status = 200, description = "The forecast", body = Forecast)))]
#[get("/projects/{id}/forecast")]
pub async fn project_forecast(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: Query<ForecastQuery>,
) -> AppResult<HttpResponse> {
    let window = query.0.window.unwrap_or(DEFAULT_WINDOW);
    let as_of = query.0.as_of.unwrap_or_else(today);
    let id = id.into_inner();
    let forecast = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            if !(1..=120).contains(&window) {
                return Err(AppError::bad_request_field(
                    "invalid_query",
                    "window",
                    format!("{window} is not between 1 and 120 months"),
                ));
            }
            crate::db::snapshot(conn, |conn| {
                super::projection::of_project(conn, id, as_of, window)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(forecast))
}

/// The portfolio's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PortfolioQuery {
    /// A reporting currency (ISO 4217) to convert every project's figures into.
    pub currency: Option<String>,
    /// The day whose rates convert (default today, UTC).
    pub as_of: Option<NaiveDate>,
}

/// The portfolio: every project's budget, committed, accrued, actual and remaining, totals per
/// currency, and with `currency` all of it converted at the rates of `as_of`.
#[utoipa::path(tag = "projects", params(PortfolioQuery), responses((status = 200, description = "The portfolio", body = Portfolio)))]
#[get("/ledger")]
pub async fn portfolio_ledger(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<PortfolioQuery>,
) -> AppResult<HttpResponse> {
    let reporting = caller
        .checked(
            &state.db,
            Action::ReadBudgets,
            currency_param(query.0.currency.as_deref()),
        )
        .await?;
    let as_of = query.0.as_of.unwrap_or_else(today);
    let portfolio = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            crate::db::snapshot(conn, |conn| {
                super::portfolio::portfolio(conn, reporting, as_of)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(portfolio))
}

/// A new estimate to complete.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterEstimate {
    /// What is still to be spent on the line beyond actual and committed, zero or more.
    pub estimate_to_complete: JsonDecimal,
    /// Why.
    pub note: Option<String>,
}

/// A line's estimates, oldest first (the latest counts).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Estimates {
    /// Every estimate entered.
    pub items: Vec<Estimate>,
}

/// Enter a budget line's estimate to complete (the project's PM or an admin); it supersedes the
/// last one and moves EAC, so the thresholds are evaluated at once.
#[utoipa::path(tag = "budget-lines", params(("id" = i64, Path, description = "Budget line id")), request_body = EnterEstimate, responses((status = 201, description = "Entered", body = Estimate)))]
#[post("/budget-lines/{id}/estimates")]
pub async fn enter_estimate(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteForecasts)?;
    let input: EnterEstimate = body.parse()?;
    let line = id.into_inner();
    let estimate = state
        .db
        .write(move |tx| {
            estimates::enter_estimate(tx, &actor, line, input.estimate_to_complete.0, input.note)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/budget-lines/{line}/estimates"),
        ))
        .json(estimate))
}

/// A budget line's estimates to complete, oldest first.
#[utoipa::path(tag = "budget-lines", params(("id" = i64, Path, description = "Budget line id")), responses((status = 200, description = "The estimates", body = Estimates)))]
#[get("/budget-lines/{id}/estimates")]
pub async fn list_estimates(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let items = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            estimates::estimates_of(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Estimates { items }))
}

/// Progress at the end of a month, for earned value.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterProgress {
    /// The month, `YYYY-MM`.
    #[schema(example = "2027-03", pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: String,
    /// Percent complete at its end, 0 to 100.
    pub percent_complete: JsonDecimal,
    /// A budget line of the project; without one, the progress of the whole project.
    pub budget_line_id: Option<i64>,
    /// Why.
    pub note: Option<String>,
}

/// A project's progress entries, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressEntries {
    /// Every entry (for a month, the latest counts).
    pub items: Vec<Progress>,
}

/// Record progress for the project or one of its lines (the project's PM or an admin).
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id")), request_body = EnterProgress, responses((status = 201, description = "Recorded", body = Progress)))]
#[post("/projects/{id}/progress")]
pub async fn enter_progress(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    actor.require(Action::WriteForecasts)?;
    let input: EnterProgress = body.parse()?;
    let project = id.into_inner();
    let entry = NewProgress {
        budget_line_id: input.budget_line_id,
        month: input.month,
        percent_complete: input.percent_complete.0,
        note: input.note,
    };
    let progress = state
        .db
        .write(move |tx| estimates::enter_progress(tx, &actor, project, entry))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/projects/{project}/progress"),
        ))
        .json(progress))
}

/// A project's progress entries, oldest first.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id")), responses((status = 200, description = "The progress entries", body = ProgressEntries)))]
#[get("/projects/{id}/progress")]
pub async fn list_progress(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let items = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            estimates::progress_of(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ProgressEntries { items }))
}
