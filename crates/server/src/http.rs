//! Plain HTTP routes beside the WebSocket: `/healthz` and `/metrics`.

use std::sync::OnceLock;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The `metrics` facade has one recorder per process, by that crate's design; the first server
/// started in a process installs it and every later one shares its handle.
static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// What a metric is, for its `# TYPE` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
}

/// Every metric the server records: name, kind and `# HELP` text. Each is described and set to
/// zero when the recorder is installed, so the first scrape of a fresh server lists every family
/// and alerts on them (`rate(...)`, `absent(...)`) work from the start. A new metric belongs here.
pub const METRICS: &[(&str, MetricKind, &str)] = &[
    ("mynah_connections", MetricKind::Gauge, "WebSocket connections open now."),
    ("mynah_logins_total", MetricKind::Counter, "Successful logins."),
    ("mynah_messages_sent_total", MetricKind::Counter, "Messages stored and delivered by a send."),
    (
        "mynah_group_messages_rate_dropped_total",
        MetricKind::Counter,
        "Group messages dropped because the group was over its message rate.",
    ),
    (
        "mynah_slow_consumers_dropped_total",
        MetricKind::Counter,
        "Sessions closed because they did not read their pushes in time.",
    ),
    ("mynah_rest_requests_total", MetricKind::Counter, "REST requests, by command."),
    ("mynah_webhook_calls_total", MetricKind::Counter, "Webhook calls, by command and outcome."),
    (
        "mynah_connections_refused_total",
        MetricKind::Counter,
        "TCP connections refused before HTTP, by reason (per_address: over the per-address cap).",
    ),
];

fn prometheus() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            let installed = metrics::set_global_recorder(recorder).ok().map(|()| handle);
            if installed.is_some() {
                register_metrics();
            }
            installed
        })
        .as_ref()
}

/// Describes every metric of [`METRICS`] and creates its unlabelled series at zero. Labelled
/// families (per command) gain their labelled series as they happen; the zero series keeps the
/// family present until then and adds nothing to a sum.
fn register_metrics() {
    for &(name, kind, help) in METRICS {
        match kind {
            MetricKind::Counter => {
                metrics::describe_counter!(name, help);
                metrics::counter!(name).absolute(0);
            }
            MetricKind::Gauge => {
                metrics::describe_gauge!(name, help);
                metrics::gauge!(name).set(0.0);
            }
        }
    }
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
