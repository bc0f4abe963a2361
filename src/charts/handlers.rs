//! `GET /projects/{id}/burn-chart.svg` and `GET /portfolio/burn-chart.svg`.

use super::{render, service};
use crate::auth::{Action, Caller};
use crate::error::{AppError, AppResult};
use crate::http::extract::Query;
use crate::http::AppState;
use crate::money::Currency;
use actix_web::{get, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

/// The SVG media type.
pub const SVG: &str = "image/svg+xml";

/// Registers the chart endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(project_burn_chart)
        .service(portfolio_burn_chart);
}

/// A project chart's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChartQuery {
    /// The day the chart is drawn for (default today, UTC): actual and committed through its
    /// month, the forecast after it.
    pub as_of: Option<NaiveDate>,
}

/// A portfolio chart's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PortfolioChartQuery {
    /// The currency (ISO 4217) every project is converted into; default the currency most
    /// projects use.
    pub currency: Option<String>,
    /// The day the chart is drawn for and whose rates convert (default today, UTC).
    pub as_of: Option<NaiveDate>,
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn svg_response(svg: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(SVG)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(svg)
}

/// Parses a reporting currency given as a query parameter.
pub fn currency_param(code: Option<&str>) -> AppResult<Option<Currency>> {
    code.map(|code| {
        Currency::parse(code.trim())
            .map_err(|e| AppError::bad_request_field("invalid_query", "currency", e.to_string()))
    })
    .transpose()
}

/// The title of a project's chart.
pub fn project_title(project: &crate::projects::model::Project) -> String {
    format!("{} {}: budget burn", project.code, project.name)
}

/// The project's budget burn chart as SVG: the phased budget, actual and actual + committed
/// through as-of (cumulative, by month), the forecast at the run rate to the end date, EAC, and
/// the month the money runs out.
#[utoipa::path(tag = "projects", params(("id" = i64, Path, description = "Project id"), ChartQuery), responses((status = 200, description = "The chart", body = String, content_type = "image/svg+xml")))]
#[get("/projects/{id}/burn-chart.svg")]
pub async fn project_burn_chart(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: Query<ChartQuery>,
) -> AppResult<HttpResponse> {
    let as_of = query.0.as_of.unwrap_or_else(today);
    let id = id.into_inner();
    let chart = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            crate::db::snapshot(conn, |conn| service::project_chart(conn, id, as_of))
        })
        .await?;
    let svg = render::svg(
        &chart.series,
        chart.currency,
        &project_title(&chart.project),
    )?;
    Ok(svg_response(svg))
}

/// The portfolio's budget burn chart as SVG: every project converted into one currency at the
/// rates of `as_of` and added month by month. A missing rate is a 422 `fx_rate_missing`.
#[utoipa::path(tag = "projects", params(PortfolioChartQuery), responses((status = 200, description = "The chart", body = String, content_type = "image/svg+xml")))]
#[get("/portfolio/burn-chart.svg")]
pub async fn portfolio_burn_chart(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<PortfolioChartQuery>,
) -> AppResult<HttpResponse> {
    let currency = caller
        .checked(
            &state.db,
            Action::ReadBudgets,
            currency_param(query.0.currency.as_deref()),
        )
        .await?;
    let as_of = query.0.as_of.unwrap_or_else(today);
    let (currency, series) = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            crate::db::snapshot(conn, |conn| {
                let currency = match currency {
                    Some(c) => c,
                    None => service::usual_currency(conn)?
                        .unwrap_or(Currency::parse("EUR").map_err(AppError::from)?),
                };
                Ok((currency, service::portfolio_chart(conn, currency, as_of)?))
            })
        })
        .await?;
    let svg = render::svg(&series, currency, &portfolio_title(currency))?;
    Ok(svg_response(svg))
}

/// The title of the portfolio's chart.
pub fn portfolio_title(currency: Currency) -> String {
    format!("Portfolio in {}: budget burn", currency.code())
}
