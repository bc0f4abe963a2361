//! The report endpoints under `/reports`: each as JSON, and the same path with `.xlsx` as a
//! workbook of the same rows and totals.

use super::model::*;
use super::service;
use crate::auth::{Action, Caller};
use crate::charts::handlers::currency_param;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::export::xlsx::CONTENT_TYPE as XLSX;
use crate::http::extract::Query;
use crate::http::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

/// Registers the report endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(budget_vs_actual_report)
        .service(budget_vs_actual_workbook)
        .service(accruals_report)
        .service(accruals_workbook)
        .service(open_commitments_report)
        .service(open_commitments_workbook)
        .service(vendor_spend_report)
        .service(vendor_spend_workbook)
        .service(invoices_on_hold_report)
        .service(invoices_on_hold_workbook)
        .service(sla_credits_report)
        .service(sla_credits_workbook)
        .service(vendor_scorecard_report)
        .service(vendor_scorecard_workbook);
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Runs a report in one consistent snapshot, after checking the caller may `action`.
async fn run<T, F>(state: &AppState, caller: Caller, action: Action, work: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    caller
        .read(&state.db, action, move |conn| {
            crate::db::snapshot(conn, work)
        })
        .await
}

fn workbook_response(bytes: Vec<u8>, name: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.xlsx\""),
        ))
        .body(bytes)
}

/// The days the reports accept: years 1900 to 9999 (a day outside is a client mistake, and
/// not every engine stores it).
fn day(name: &str, value: Option<NaiveDate>) -> AppResult<Option<NaiveDate>> {
    match value {
        Some(d) if !(1900..=9999).contains(&d.year()) => Err(AppError::bad_request_field(
            "invalid_query",
            name,
            format!("{d} is outside the years 1900 to 9999"),
        )),
        other => Ok(other),
    }
}

/// A window `from..=to`: `to` defaults to today (UTC), `from` to 1 January of `to`'s year.
fn window(from: Option<NaiveDate>, to: Option<NaiveDate>) -> AppResult<(NaiveDate, NaiveDate)> {
    let to = day("to", to)?.unwrap_or_else(today);
    let from = match day("from", from)? {
        Some(from) => from,
        None => NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to),
    };
    if from > to {
        return Err(AppError::bad_request_field(
            "invalid_query",
            "from",
            format!("{from} is after `to` ({to})"),
        ));
    }
    Ok((from, to))
}

fn id_filter(name: &str, id: Option<i64>) -> AppResult<Option<i64>> {
    match id {
        Some(id) if id < 1 => Err(AppError::bad_request_field(
            "invalid_query",
            name,
            format!("{id} is not an id (1 or more)"),
        )),
        other => Ok(other),
    }
}

// ---------------------------------------------------------------------------------------------

/// Budget vs actual's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BudgetVsActualQuery {
    /// One project (default: every project not archived).
    pub project_id: Option<i64>,
    /// The forecast's as-of day (default today, UTC).
    pub as_of: Option<NaiveDate>,
}

async fn budget_vs_actual(
    state: &AppState,
    caller: Caller,
    q: BudgetVsActualQuery,
) -> AppResult<BudgetVsActual> {
    run(state, caller, Action::ReadBudgets, move |conn| {
        let project = id_filter("project_id", q.project_id)?;
        let as_of = day("as_of", q.as_of)?.unwrap_or_else(today);
        service::budget_vs_actual(conn, project, as_of)
    })
    .await
}

/// Budget vs actual vs forecast per project and budget line: budget, actual, committed,
/// accrued, remaining, estimate to complete, EAC, variance (budget − EAC), utilisation and
/// EAC %, with project totals and totals per currency (never across currencies).
#[utoipa::path(tag = "reports", params(BudgetVsActualQuery), responses((status = 200, description = "The report", body = BudgetVsActual)))]
#[get("/reports/budget-vs-actual")]
pub async fn budget_vs_actual_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<BudgetVsActualQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(budget_vs_actual(&state, caller, query.0).await?))
}

/// Budget vs actual vs forecast as an xlsx workbook.
#[utoipa::path(tag = "reports", params(BudgetVsActualQuery), responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
#[get("/reports/budget-vs-actual.xlsx")]
pub async fn budget_vs_actual_workbook(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<BudgetVsActualQuery>,
) -> AppResult<HttpResponse> {
    let report = budget_vs_actual(&state, caller, query.0).await?;
    let name = format!("budget-vs-actual-{}", report.as_of);
    Ok(workbook_response(
        super::xlsx::budget_vs_actual(&report)?,
        name,
    ))
}

// ---------------------------------------------------------------------------------------------

/// The parameters of the per-PO-line reports.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// One project (default: every project).
    pub project_id: Option<i64>,
}

async fn accruals(state: &AppState, caller: Caller, q: ProjectQuery) -> AppResult<Accruals> {
    run(state, caller, Action::ReadPurchasing, move |conn| {
        let project = id_filter("project_id", q.project_id)?;
        service::accruals(conn, project)
    })
    .await
}

/// Accruals: every PO line received and not yet invoiced, with its order, vendor, quantities,
/// receipts and returns, and the accrued value in the budget's currency (the ledger's figure);
/// totals per currency.
#[utoipa::path(tag = "reports", params(ProjectQuery), responses((status = 200, description = "The report", body = Accruals)))]
#[get("/reports/accruals")]
pub async fn accruals_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ProjectQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(accruals(&state, caller, query.0).await?))
}

/// Accruals as an xlsx workbook.
#[utoipa::path(tag = "reports", params(ProjectQuery), responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
#[get("/reports/accruals.xlsx")]
pub async fn accruals_workbook(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ProjectQuery>,
) -> AppResult<HttpResponse> {
    let report = accruals(&state, caller, query.0).await?;
    Ok(workbook_response(
        super::xlsx::accruals(&report)?,
        format!("accruals-{}", today()),
    ))
}

async fn open_commitments(
    state: &AppState,
    caller: Caller,
    q: ProjectQuery,
) -> AppResult<OpenCommitments> {
    run(state, caller, Action::ReadPurchasing, move |conn| {
        let project = id_filter("project_id", q.project_id)?;
        service::open_commitments(conn, project)
    })
    .await
}

/// Open commitments: every line of an approved, issued or (partly) received order with value
/// not yet invoiced: its value, what invoices released, what is open and what of it is
/// accrued, in the budget's currency; totals per currency.
#[utoipa::path(tag = "reports", params(ProjectQuery), responses((status = 200, description = "The report", body = OpenCommitments)))]
#[get("/reports/open-commitments")]
pub async fn open_commitments_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ProjectQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(open_commitments(&state, caller, query.0).await?))
}

/// Open commitments as an xlsx workbook.
#[utoipa::path(tag = "reports", params(ProjectQuery), responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
#[get("/reports/open-commitments.xlsx")]
pub async fn open_commitments_workbook(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ProjectQuery>,
) -> AppResult<HttpResponse> {
    let report = open_commitments(&state, caller, query.0).await?;
    Ok(workbook_response(
        super::xlsx::open_commitments(&report)?,
        format!("open-commitments-{}", today()),
    ))
}

// ---------------------------------------------------------------------------------------------

/// Vendor spend's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VendorSpendQuery {
    /// First invoice date (default 1 January of `to`'s year).
    pub from: Option<NaiveDate>,
    /// Last invoice date (default today, UTC).
    pub to: Option<NaiveDate>,
    /// `vendor` (default), `contract` or `month`.
    pub group: Option<SpendGroup>,
    /// One vendor.
    pub vendor_id: Option<i64>,
    /// A reporting currency (ISO 4217): each row's net also converted at the rates of its
    /// invoice dates; a missing rate is a 422 `fx_rate_missing`.
    pub currency: Option<String>,
}

async fn vendor_spend(
    state: &AppState,
    caller: Caller,
    q: VendorSpendQuery,
) -> AppResult<VendorSpend> {
    run(state, caller, Action::ReadPurchasing, move |conn| {
        let (from, to) = window(q.from, q.to)?;
        let vendor = id_filter("vendor_id", q.vendor_id)?;
        let reporting = currency_param(q.currency.as_deref())?;
        let group = q.group.unwrap_or_default();
        service::vendor_spend(conn, group, from, to, vendor, reporting)
    })
    .await
}

/// Vendor spend: approved and paid invoices and credit memos dated in the window, net of tax,
/// per vendor, contract or month and per currency (currencies are never added together); with
/// `currency`, each row also converted at its invoice dates' rates, and the converted total.
#[utoipa::path(tag = "reports", params(VendorSpendQuery), responses((status = 200, description = "The report", body = VendorSpend)))]
#[get("/reports/vendor-spend")]
pub async fn vendor_spend_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<VendorSpendQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(vendor_spend(&state, caller, query.0).await?))
}

/// Vendor spend as an xlsx workbook.
#[utoipa::path(tag = "reports", params(VendorSpendQuery), responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
#[get("/reports/vendor-spend.xlsx")]
pub async fn vendor_spend_workbook(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<VendorSpendQuery>,
) -> AppResult<HttpResponse> {
    let report = vendor_spend(&state, caller, query.0).await?;
    let name = format!("vendor-spend-{}-{}", report.from, report.to);
    Ok(workbook_response(super::xlsx::vendor_spend(&report)?, name))
}

// ---------------------------------------------------------------------------------------------

/// Invoices on hold's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HoldQuery {
    /// The day ages are counted to (default today, UTC).
    pub as_of: Option<NaiveDate>,
}

async fn invoices_on_hold(
    state: &AppState,
    caller: Caller,
    q: HoldQuery,
) -> AppResult<InvoicesOnHold> {
    run(state, caller, Action::ReadPurchasing, move |conn| {
        let as_of = day("as_of", q.as_of)?.unwrap_or_else(today);
        service::invoices_on_hold(conn, as_of)
    })
    .await
}

/// Invoices on hold: each with every hold reason and its age in days since it was recorded
/// (and held), in buckets 0–30, 31–60, 61–90 and over 90; totals per bucket and currency.
#[utoipa::path(tag = "reports", params(HoldQuery), responses((status = 200, description = "The report", body = InvoicesOnHold)))]
#[get("/reports/invoices-on-hold")]
pub async fn invoices_on_hold_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<HoldQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(invoices_on_hold(&state, caller, query.0).await?))
}

/// Invoices on hold as an xlsx workbook.
#[utoipa::path(tag = "reports", params(HoldQuery), responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
#[get("/reports/invoices-on-hold.xlsx")]
pub async fn invoices_on_hold_workbook(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<HoldQuery>,
) -> AppResult<HttpResponse> {
    let report = invoices_on_hold(&state, caller, query.0).await?;
    let name = format!("invoices-on-hold-{}", report.as_of);
    Ok(workbook_response(
        super::xlsx::invoices_on_hold(&report)?,
        name,
    ))
}

// ---------------------------------------------------------------------------------------------

/// SLA credits' parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlaCreditsQuery {
    /// First day of the window: a period counts when its first day is in it (default 1
    /// January of `to`'s year).
    pub from: Option<NaiveDate>,
    /// Last day of the window (default today, UTC).
    pub to: Option<NaiveDate>,
    /// One vendor.
    pub vendor_id: Option<i64>,
}

async fn sla_credits(
    state: &AppState,
    caller: Caller,
    q: SlaCreditsQuery,
) -> AppResult<SlaCredits> {
    run(state, caller, Action::ReadContracts, move |conn| {
        let (from, to) = window(q.from, q.to)?;
        let vendor = id_filter("vendor_id", q.vendor_id)?;
        service::sla_credits(conn, from, to, vendor)
    })
    .await
}

/// SLA credits: every SLA period starting in the window that earned a credit, with its
/// contract, measured value, tier, credit, whether it is receivable or applied, and its credit
/// memo; totals per currency.
#[utoipa::path(tag = "reports", params(SlaCreditsQuery), responses((status = 200, description = "The report", body = SlaCredits)))]
#[get("/reports/sla-credits")]
pub async fn sla_credits_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<SlaCreditsQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(sla_credits(&state, caller, query.0).await?))
}

/// SLA credits as an xlsx workbook.
#[utoipa::path(tag = "reports", params(SlaCreditsQuery), responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
#[get("/reports/sla-credits.xlsx")]
pub async fn sla_credits_workbook(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<SlaCreditsQuery>,
) -> AppResult<HttpResponse> {
    let report = sla_credits(&state, caller, query.0).await?;
    let name = format!("sla-credits-{}-{}", report.from, report.to);
    Ok(workbook_response(super::xlsx::sla_credits(&report)?, name))
}

// ---------------------------------------------------------------------------------------------

/// The scorecard's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScorecardQuery {
    /// One vendor (default: every vendor with activity in the window).
    pub vendor_id: Option<i64>,
    /// First day of the window (default 1 January of `to`'s year).
    pub from: Option<NaiveDate>,
    /// Last day of the window (default today, UTC).
    pub to: Option<NaiveDate>,
    /// The day "past due" is judged on (default today, UTC).
    pub as_of: Option<NaiveDate>,
    /// `window` (default: one row per vendor for the whole window) or `month` (one row per
    /// vendor and calendar month with activity).
    pub period: Option<ScorePeriod>,
}

async fn vendor_scorecard(
    state: &AppState,
    caller: Caller,
    q: ScorecardQuery,
) -> AppResult<VendorScorecard> {
    run(state, caller, Action::ReadPurchasing, move |conn| {
        let (from, to) = window(q.from, q.to)?;
        let vendor = id_filter("vendor_id", q.vendor_id)?;
        let as_of = day("as_of", q.as_of)?.unwrap_or_else(today);
        let period = q.period.unwrap_or_default();
        service::vendor_scorecard(conn, vendor, from, to, as_of, period)
    })
    .await
}

/// The vendor scorecard for a window, per vendor and period (the window, or each month): PO
/// lines promised in it (on time, late, open past due,
/// closed short, not yet due, on-time percent), SLA periods measured and met, invoices, those
/// held (exceptions) and held as suspected duplicates, and SLA credits receivable and applied.
#[utoipa::path(tag = "reports", params(ScorecardQuery), responses((status = 200, description = "The report", body = VendorScorecard)))]
#[get("/reports/vendor-scorecard")]
pub async fn vendor_scorecard_report(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ScorecardQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(vendor_scorecard(&state, caller, query.0).await?))
}

/// The vendor scorecard as an xlsx workbook.
#[utoipa::path(tag = "reports", params(ScorecardQuery), responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
#[get("/reports/vendor-scorecard.xlsx")]
pub async fn vendor_scorecard_workbook(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ScorecardQuery>,
) -> AppResult<HttpResponse> {
    let report = vendor_scorecard(&state, caller, query.0).await?;
    let name = format!("vendor-scorecard-{}-{}", report.from, report.to);
    Ok(workbook_response(
        super::xlsx::vendor_scorecard(&report)?,
        name,
    ))
}
