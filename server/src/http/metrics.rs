//! `/metrics` in the Prometheus text format (`metrics-exporter-prometheus`, no listener
//! of its own). Off unless `KINOBILL__METRICS__ENABLED=true` (served on the main
//! address) or `KINOBILL__METRICS__ADDR` (served only there, e.g. an address the
//! internet does not reach). Business counters are recorded where things happen
//! (`app::ssr::metrics`); requests here; gauges that are cheaper to read than to
//! track (outbox backlog, connection pool) are read at each scrape.

use std::sync::OnceLock;
use std::time::Instant;

use app::ssr::AppState;
use app::ssr::services::outbox_admin;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Request latency buckets (seconds): a page or API call is fast, a provider call
/// inside a checkout may take seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process-wide recorder, installed on first use (a process has one recorder,
/// however many apps it runs, as in the tests).
pub fn handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
                .and_then(|b| b.install_recorder());
            match built {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::error!(error = %e, "installing the metrics recorder");
                    None
                }
            }
        })
        .clone()
}

/// Counts every request and its latency by route (the route's pattern, never the raw
/// path: ids would make one series per payment).
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!(
        "kinobill_http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status
    )
    .increment(1);
    metrics::histogram!(
        "kinobill_http_request_duration_seconds",
        "method" => method,
        "route" => route
    )
    .record(started.elapsed().as_secs_f64());
    res
}

/// Reads the gauges, then renders everything recorded.
pub async fn render(State(state): State<AppState>) -> Response {
    let Some(handle) = handle() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics are unavailable\n").into_response();
    };
    match outbox_admin::backlog(&state).await {
        Ok(backlog) => {
            for b in backlog {
                let destination = b.destination.as_str();
                metrics::gauge!("kinobill_outbox_pending", "destination" => destination)
                    .set(b.pending as f64);
                metrics::gauge!("kinobill_outbox_oldest_age_seconds", "destination" => destination)
                    .set(b.oldest_age_secs);
            }
        }
        Err(e) => {
            e.log_if_internal();
            metrics::counter!("kinobill_metrics_scrape_errors_total").increment(1);
        }
    }
    let (size, idle) = pool_usage(&state.db);
    metrics::gauge!("kinobill_db_pool_connections", "state" => "open").set(f64::from(size));
    metrics::gauge!("kinobill_db_pool_connections", "state" => "idle").set(idle as f64);
    handle.run_upkeep();
    let mut res = handle.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}

fn pool_usage(db: &sea_orm::DatabaseConnection) -> (u32, usize) {
    use sea_orm::DbBackend;
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}
