//! Operational endpoints: health, liveness and metrics.

use crate::auth::{Action, Actor};
use crate::error::{AppError, AppResult};
use crate::http::AppState;
use actix_web::{get, web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

/// The service's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the service can serve requests.
    pub status: String,
    /// The database engine in use: `sqlite` or `postgres`.
    pub database: String,
    /// Procura's version.
    pub version: String,
}

/// Readiness: the service and its database answer. Open, no token needed.
#[utoipa::path(tag = "operations", security(()), responses(
    (status = 200, description = "Healthy", body = Health),
    (status = 503, description = "The database does not answer", body = crate::error::Problem, content_type = "application/problem+json")
))]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state
        .db
        .read(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(|e| AppError::unavailable(anyhow::Error::new(e)))
        })
        .await?;
    let database = match state.db.engine() {
        crate::db::Engine::Sqlite => "sqlite",
        crate::db::Engine::Postgres => "postgres",
    };
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        database: database.into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// Liveness: the process answers, without touching the database. Open, no token needed.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, description = "Alive", body = Object, example = json!({"status": "ok"}))))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Prometheus metrics in text format: requests by route and status, latency histogram.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    actor.require(Action::ReadMetrics)?;
    let mut buffer = String::new();
    prometheus::TextEncoder::new()
        .encode_utf8(&state.metrics.gather(), &mut buffer)
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(buffer))
}

/// Any path Procura does not serve: a problem document, not an empty 404.
pub async fn not_found(req: actix_web::HttpRequest) -> AppResult<HttpResponse> {
    Err(AppError::not_found(
        "resource",
        format!("at {} {}", req.method(), req.path()),
    ))
}
