//! `GET /api/v1/projects/{id}/ledger`.

use super::{Figure, Ledger};
use crate::auth::{Action, Caller};
use crate::error::{AppError, AppResult};
use crate::http::extract::Query;
use crate::http::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

/// Registers the ledger endpoint.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(project_ledger);
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
    let drill = match (query.0.line, query.0.figure) {
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
    let id = id.into_inner();
    let ledger = caller
        .read(&state.db, Action::ReadBudgets, move |conn| {
            super::of_project(conn, id, drill)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ledger))
}
