//! The HTTP layer: shared state, extractors, response shapes, operational endpoints and the
//! route table.

pub mod extract;
pub mod ops;
pub mod responses;

use crate::config::Settings;
use crate::db::Db;
use serde::{Deserialize, Deserializer};
use std::sync::Arc;
use utoipa::ToSchema;

/// What every handler can reach.
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The running configuration.
    pub settings: Arc<Settings>,
    /// Prometheus metrics.
    pub metrics: prometheus::Registry,
}

/// Registers every `/api/v1` endpoint (relative to that scope).
pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    crate::vendors::handlers::routes(cfg);
    crate::projects::handlers::routes(cfg);
    crate::budgets::handlers::routes(cfg);
    crate::ledger::handlers::routes(cfg);
    crate::closeout::handlers::routes(cfg);
    crate::charts::handlers::routes(cfg);
    crate::rfps::handlers::routes(cfg);
    crate::fx::handlers::routes(cfg);
    crate::contracts::handlers::routes(cfg);
    crate::contracts::slas::handlers::routes(cfg);
    crate::contracts::change_orders::handlers::routes(cfg);
    crate::contracts::sows::handlers::routes(cfg);
    crate::purchase_orders::handlers::routes(cfg);
    crate::assets::handlers::routes(cfg);
    crate::invoices::handlers::routes(cfg);
    crate::alerts::handlers::routes(cfg);
    crate::audit::handlers::routes(cfg);
    crate::imports::handlers::routes(cfg);
    crate::reports::handlers::routes(cfg);
}

/// A body that carries only the `version` being acted on (archive, restore).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionOnly {
    /// The version you read; may instead be sent as an `If-Match` header.
    pub version: Option<i64>,
}

/// Deserialises a field that distinguishes "absent" (`None`) from `null` (`Some(None)`), for
/// PATCH bodies. Use with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
