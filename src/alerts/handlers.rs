//! `/api/v1/alerts`: the outbox, seen and acted on.

use super::{Alert, AlertFilter, AlertStatus, RunReport};
use crate::auth::{Action, Actor, Caller};
use crate::error::{AppError, AppResult};
use crate::http::extract::Query;
use crate::http::responses::Page;
use crate::http::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

/// Registers the alert endpoints.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(run_alerts)
        .service(list_alerts)
        .service(resend_alert);
}

/// Filters for the alert list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// `pending` or `sent`.
    pub status: Option<AlertStatus>,
    /// Only this kind (`budget_overrun_approved`, `contract_notice_deadline`, …).
    pub kind: Option<String>,
    /// Only this project's alerts.
    pub project_id: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List alerts with their delivery status, attempts and last error.
#[utoipa::path(tag = "alerts", params(AlertQuery), responses((status = 200, description = "A page of alerts", body = Page<Alert>)))]
#[get("/alerts")]
pub async fn list_alerts(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AlertQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let window = caller
        .page(
            &state.db,
            Action::ReadAlerts,
            query.limit,
            query.cursor.as_deref(),
        )
        .await?;
    let filter = AlertFilter {
        id: None,
        status: query.status,
        kind: query.kind,
        project_id: query.project_id,
    };
    let page = caller
        .read(&state.db, Action::ReadAlerts, move |conn| {
            let rows = super::list(conn, &filter, window.after, window.fetch())?;
            Ok(window.page(rows, |a| a.id, |a| a))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Send an alert again (a lost or bounced message): it becomes pending and due now, and keeps
/// its Message-ID.
#[utoipa::path(tag = "alerts", params(("id" = i64, Path, description = "Alert id")), responses((status = 200, description = "Queued again", body = Alert)))]
#[post("/alerts/{id}/resend")]
pub async fn resend_alert(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageAlerts)?;
    let id = id.into_inner();
    let alert = state
        .db
        .write(move |tx| {
            let before = super::get(tx, id)?;
            let after = super::resend(tx, id, crate::clock::now())?;
            crate::audit::record(
                tx,
                &actor.name,
                "alert.resend",
                "alert",
                id,
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(alert))
}

/// The day the scheduled check runs for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    /// Check as of this day (default today, UTC).
    pub as_of: Option<NaiveDate>,
}

/// Run the scheduled contract check and deliver every due alert now (what the server's worker
/// does every interval, and `procura alerts run` from the command line).
#[utoipa::path(tag = "alerts", params(RunQuery), responses((status = 200, description = "What the run did", body = RunReport)))]
#[post("/alerts/run")]
pub async fn run_alerts(
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<RunQuery>,
) -> AppResult<HttpResponse> {
    actor.require(Action::ManageAlerts)?;
    let today = query.0.as_of.unwrap_or_else(|| Utc::now().date_naive());
    if !(1900..=9999).contains(&chrono::Datelike::year(&today)) {
        return Err(AppError::bad_request_field(
            "invalid_query",
            "as_of",
            "must be a day between the years 1900 and 9999",
        ));
    }
    let db = state.db.clone();
    let settings = state.settings.alerts.clone();
    let report = web::block(move || super::run_once(&db, &settings, today))
        .await
        .map_err(AppError::internal)??;
    Ok(HttpResponse::Ok().json(report))
}
