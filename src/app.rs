//! Building and running the HTTP server.

use crate::config::Settings;
use crate::db::Db;
use crate::http::extract::path_error;
use crate::http::{ops, AppState};
use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

/// The open routes outside `/api/v1` that appear in the OpenAPI document.
pub fn open_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(ops::health)
        .service(ops::live)
        .service(ops::metrics);
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    worker: Option<AlertWorker>,
}

/// What the in-server alert worker needs.
struct AlertWorker {
    db: Db,
    settings: crate::config::AlertSettings,
}

impl Application {
    /// Binds `settings.bind` (port 0 picks a free port) and prepares the server.
    pub fn build(settings: Settings, db: Db) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let registry = prometheus::Registry::new();
        let prometheus = PrometheusMetricsBuilder::new("procura")
            .registry(registry.clone())
            .mask_unmatched_patterns("UNMATCHED")
            .exclude_regex("^/docs")
            .build()
            .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
        let openapi = crate::openapi::document();
        let shutdown_timeout = settings.shutdown_timeout_secs;
        let max_body_bytes = settings.max_body_bytes;
        let workers = settings.workers;
        let worker = (settings.alerts.interval_secs > 0).then(|| AlertWorker {
            db: db.clone(),
            settings: settings.alerts.clone(),
        });
        let state = web::Data::new(AppState {
            db,
            settings: Arc::new(settings),
            metrics: registry,
        });
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .configure(open_routes)
                .service(utoipa_actix_web::scope("/api/v1").configure(crate::http::api_routes))
                .split_for_parts();
            app.app_data(state.clone())
                .app_data(web::PathConfig::default().error_handler(path_error))
                // The body extractor's own limit (256 KiB by default) must not undercut ours.
                .app_data(web::PayloadConfig::new(max_body_bytes))
                // The dashboard's HTML pages: outside `/api/v1` and the OpenAPI document.
                .configure(crate::dashboard::routes)
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header(("Location", "/docs/"))
                            .finish()
                    }),
                )
                .default_service(web::to(ops::not_found))
                .wrap(prometheus.clone())
                .wrap(TracingLogger::default())
        })
        .listen(listener)?
        .shutdown_timeout(shutdown_timeout);
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            worker,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests and stops.
    /// With alerts configured, a worker runs the scheduled check and delivery every interval
    /// alongside.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = self
            .worker
            .map(|worker| actix_web::rt::spawn(run_worker(worker)));
        let outcome = self.server.await;
        if let Some(worker) = worker {
            worker.abort();
        }
        outcome
    }
}

async fn run_worker(worker: AlertWorker) {
    let mut ticks = actix_web::rt::time::interval(std::time::Duration::from_secs(
        worker.settings.interval_secs,
    ));
    loop {
        ticks.tick().await;
        let (db, settings) = (worker.db.clone(), worker.settings.clone());
        let today = chrono::Utc::now().date_naive();
        match web::block(move || crate::alerts::run_once(&db, &settings, today)).await {
            Ok(Ok(report)) if report.raised + report.sent + report.failed > 0 => {
                tracing::info!(
                    raised = report.raised,
                    sent = report.sent,
                    failed = report.failed,
                    "alerts run"
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::error!("alerts run failed: {error}"),
            Err(error) => tracing::error!("alerts run panicked: {error}"),
        }
    }
}
