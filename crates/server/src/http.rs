//! Plain HTTP routes beside the WebSocket: `/healthz` and `/metrics`.

use std::sync::OnceLock;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The `metrics` facade has one recorder per process, by that crate's design; the first server
/// started in a process installs it and every later one shares its handle.
static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

fn prometheus() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok().map(|()| handle)
        })
        .as_ref()
}

/// `/healthz` answers 200 once the server serves requests; `/metrics` renders Prometheus text.
pub fn routes() -> Router {
    let handle = prometheus();
    Router::new().route("/healthz", get(|| async { "ok" })).route(
        "/metrics",
        get(move || async move {
            match handle {
                Some(handle) => (StatusCode::OK, handle.render()),
                None => (StatusCode::SERVICE_UNAVAILABLE, "another metrics recorder is installed".to_owned()),
            }
        }),
    )
}
