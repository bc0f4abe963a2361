//! The dashboard: read-only HTML pages served by Procura for people who would rather look than
//! call the API. Server-rendered (maud), inline CSS, no JavaScript, no external assets, so it
//! works offline.
//!
//! Rules owned here:
//! - `GET /dashboard` without a valid sign-in shows a form asking for an API token;
//!   `POST /dashboard/sign-in` checks it through the auth service (a wrong one re-shows the form
//!   with a 401) and keeps it in an `HttpOnly`, `SameSite=Strict`, `Path=/dashboard` cookie
//!   ([`session`]); `POST /dashboard/sign-out` clears it;
//! - any role that may read budgets may look; alerts show only to roles that may read them;
//!   nothing on these pages changes data;
//! - every figure is the ledger's or the forecast's, as the API presents it (the same
//!   strings); the pages only arrange them;
//! - the routes sit outside `/api/v1` and outside the OpenAPI document.

pub mod pages;
pub mod session;

use crate::alerts::{Alert, AlertFilter};
use crate::auth::service::authenticate;
use crate::auth::{Action, Actor};
use crate::charts::{handlers as chart_handlers, render, service as charts};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::http::AppState;
use crate::ledger::projection::{self, DEFAULT_WINDOW};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use maud::Markup;
use serde::Deserialize;
use std::collections::HashMap;

/// Registers the dashboard's routes (plain actix routes: not part of the OpenAPI document).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(portfolio_page))
        .route(
            "/dashboard/",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, "/dashboard"))
                    .finish()
            }),
        )
        .route("/dashboard/sign-in", web::post().to(sign_in))
        .route("/dashboard/sign-out", web::post().to(sign_out))
        .route("/dashboard/projects/{id}", web::get().to(project_page));
}

/// What a page may be asked for.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    as_of: Option<String>,
    currency: Option<String>,
}

impl PageQuery {
    fn parse(req: &HttpRequest) -> PageQuery {
        // A page never fails on its query: what does not parse is ignored.
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default()
    }

    fn as_of(&self) -> NaiveDate {
        self.as_of
            .as_deref()
            .and_then(|text| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok())
            .filter(|date| (1900..=9999).contains(&chrono::Datelike::year(date)))
            .unwrap_or_else(|| Utc::now().date_naive())
    }
}

fn html(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(markup.into_string())
}

/// The sign-in form (with `message` and `status`), clearing a cookie that no longer works.
fn sign_in_form(req: &HttpRequest, status: StatusCode, message: Option<&str>) -> HttpResponse {
    let mut response = html(status, pages::sign_in(message));
    if session::token(req).is_some() || message.is_some() {
        if let Ok(value) = header::HeaderValue::from_str(&session::sign_out(req)) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// An error as a page: sign-in for a token that stopped working, the detail otherwise. 5xx
/// causes are logged here, as the problem renderer would.
fn error_page(req: &HttpRequest, actor: Option<&Actor>, error: AppError) -> HttpResponse {
    let status = error.status();
    if status == StatusCode::UNAUTHORIZED {
        return sign_in_form(
            req,
            status,
            Some("Your sign-in is no longer valid (the token was revoked or is wrong). Sign in again."),
        );
    }
    if status.is_server_error() {
        tracing::error!("dashboard: {error}");
    }
    let title = status.canonical_reason().unwrap_or("Error");
    html(status, pages::problem(actor, title, error.detail()))
}

/// The signed-in reader: the token checked, and allowed to read budgets.
fn reader(conn: &mut DbConnection, token: &str) -> AppResult<Actor> {
    let actor = authenticate(conn, token)?;
    actor.require(Action::ReadBudgets)?;
    Ok(actor)
}

/// A chart as SVG text, or the reason there is none, for the page to show.
fn chart_or_reason(
    series: AppResult<crate::charts::series::BurnSeries>,
    currency: crate::money::Currency,
    title: &str,
) -> Result<String, String> {
    series
        .and_then(|s| render::svg(&s, currency, title))
        .map_err(|e| e.detail().to_string())
}

struct PortfolioData {
    actor: Actor,
    portfolio: crate::ledger::portfolio::Portfolio,
    eacs: HashMap<i64, String>,
    currency: Option<crate::money::Currency>,
    conversion_problem: Option<String>,
    chart: Result<String, String>,
}

async fn portfolio_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(token) = session::token(&req) else {
        return sign_in_form(&req, StatusCode::OK, None);
    };
    let query = PageQuery::parse(&req);
    let as_of = query.as_of();
    // A currency that does not parse is ignored, like a bad date.
    let asked = chart_handlers::currency_param(query.currency.as_deref()).unwrap_or_default();
    let data = state
        .db
        .read(move |conn| {
            let actor = reader(conn, &token)?;
            crate::db::snapshot(conn, |conn| {
                let currency = match asked {
                    Some(c) => Some(c),
                    None => charts::usual_currency(conn)?,
                };
                let (portfolio, conversion_problem) =
                    match crate::ledger::portfolio::portfolio(conn, currency, as_of) {
                        Ok(p) => (p, None),
                        Err(e) if e.code() == "fx_rate_missing" => (
                            crate::ledger::portfolio::portfolio(conn, None, as_of)?,
                            Some(format!(
                                "No converted totals or chart: {}. Pick another currency or record the rate.",
                                e.detail()
                            )),
                        ),
                        Err(e) => return Err(e),
                    };
                let mut eacs = HashMap::new();
                for project in &portfolio.projects {
                    let forecast = projection::of_project(
                        conn,
                        project.project_id,
                        as_of,
                        DEFAULT_WINDOW,
                    )?;
                    eacs.insert(project.project_id, forecast.project.eac);
                }
                let chart = match currency {
                    None => Err("No projects yet.".to_string()),
                    Some(c) => chart_or_reason(
                        charts::portfolio_chart(conn, c, as_of),
                        c,
                        &chart_handlers::portfolio_title(c),
                    ),
                };
                Ok(PortfolioData {
                    actor,
                    portfolio,
                    eacs,
                    currency,
                    conversion_problem,
                    chart,
                })
            })
        })
        .await;
    match data {
        Err(error) => error_page(&req, None, error),
        Ok(data) => html(
            StatusCode::OK,
            pages::portfolio(&pages::PortfolioPage {
                actor: &data.actor,
                as_of,
                currency: data.currency.map(|c| c.code().to_string()),
                portfolio: &data.portfolio,
                eacs: &data.eacs,
                conversion_problem: data.conversion_problem,
                chart: data.chart,
            }),
        ),
    }
}

struct ProjectData {
    actor: Actor,
    project: crate::projects::model::Project,
    ledger: crate::ledger::Ledger,
    forecast: crate::ledger::projection::Forecast,
    chart: Result<String, String>,
    alerts: Option<Vec<Alert>>,
    closeout: crate::closeout::model::Checklist,
}

/// The most alerts a project page lists (the newest).
const ALERTS_SHOWN: usize = 50;

async fn project_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let Some(token) = session::token(&req) else {
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/dashboard"))
            .finish();
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&req, None, AppError::not_found("project", id.as_str()));
    };
    let as_of = PageQuery::parse(&req).as_of();
    let data = state
        .db
        .read(move |conn| {
            let actor = reader(conn, &token)?;
            let may_read_alerts = actor.require(Action::ReadAlerts).is_ok();
            crate::db::snapshot(conn, |conn| {
                let project = crate::projects::service::get(conn, id)?;
                let ledger = crate::ledger::of_project(conn, id, None)?;
                let forecast = projection::of_project(conn, id, as_of, DEFAULT_WINDOW)?;
                let closeout = crate::closeout::service::checklist(conn, id, as_of)?;
                let chart = match charts::project_chart(conn, id, as_of) {
                    Ok(c) => chart_or_reason(
                        Ok(c.series),
                        c.currency,
                        &chart_handlers::project_title(&c.project),
                    ),
                    Err(e) => Err(e.detail().to_string()),
                };
                let alerts = if may_read_alerts {
                    let filter = AlertFilter {
                        project_id: Some(id),
                        ..AlertFilter::default()
                    };
                    let mut all = Vec::new();
                    let mut after = 0;
                    loop {
                        let page = crate::alerts::list(conn, &filter, after, 500)?;
                        let Some(last) = page.last() else { break };
                        after = last.id;
                        all.extend(page);
                        if all.len() > ALERTS_SHOWN {
                            let cut = all.len() - ALERTS_SHOWN;
                            all.drain(..cut);
                        }
                    }
                    all.reverse();
                    Some(all)
                } else {
                    None
                };
                Ok(ProjectData {
                    actor,
                    project,
                    ledger,
                    forecast,
                    chart,
                    alerts,
                    closeout,
                })
            })
        })
        .await;
    match data {
        Err(error) => error_page(&req, None, error),
        Ok(data) => html(
            StatusCode::OK,
            pages::project(&pages::ProjectPage {
                actor: &data.actor,
                as_of,
                project: &data.project,
                ledger: &data.ledger,
                forecast: &data.forecast,
                chart: data.chart,
                alerts: data.alerts,
                closeout: &data.closeout,
            }),
        ),
    }
}

/// The sign-in form's body.
#[derive(Debug, Deserialize)]
struct SignIn {
    token: String,
}

async fn sign_in(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    if !session::same_origin(&req) {
        return html(
            StatusCode::FORBIDDEN,
            pages::problem(None, "Forbidden", "This form was sent from another site."),
        );
    }
    let token = match serde_urlencoded::from_bytes::<SignIn>(&body) {
        Ok(form) => form.token.trim().to_string(),
        Err(_) => return sign_in_form(&req, StatusCode::BAD_REQUEST, Some("Enter an API token.")),
    };
    let checked = {
        let token = token.clone();
        state.db.lookup(move |conn| reader(conn, &token)).await
    };
    match checked {
        Ok(_) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/dashboard"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
            if let Ok(value) = header::HeaderValue::from_str(&session::sign_in(&req, &token)) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) if error.status() == StatusCode::UNAUTHORIZED => sign_in_form(
            &req,
            StatusCode::UNAUTHORIZED,
            Some("That token is not valid or has been revoked."),
        ),
        Err(error) if error.status() == StatusCode::FORBIDDEN => sign_in_form(
            &req,
            StatusCode::FORBIDDEN,
            Some("That token's role may not read budgets, so it cannot use the dashboard."),
        ),
        Err(error) => error_page(&req, None, error),
    }
}

async fn sign_out(req: HttpRequest) -> HttpResponse {
    if !session::same_origin(&req) {
        return html(
            StatusCode::FORBIDDEN,
            pages::problem(None, "Forbidden", "This form was sent from another site."),
        );
    }
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/dashboard"))
        .finish();
    if let Ok(value) = header::HeaderValue::from_str(&session::sign_out(&req)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
