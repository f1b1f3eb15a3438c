//! Tencent's v4 REST API: `POST /v4/{service}/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`.
//!
//! # Layout
//!
//! - [`auth`]: the query string, the administrator's UserSig, and the per-app rate limit.
//! - [`reply`]: [`RestError`] and the `ActionStatus`/`ErrorCode`/`ErrorInfo` envelope.
//! - [`commands`]: the dispatch table, one file per service (`im_open_login_svc`, `openim`, ...).
//!
//! Every request is answered with HTTP 200 and the envelope, as Tencent does; the error is in
//! `ErrorCode`.

pub mod auth;
pub mod commands;
pub mod reply;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::post;
use mynah_service::Service;

pub use reply::RestError;

/// REST settings.
#[derive(Clone, Debug)]
pub struct RestConfig {
    /// Requests per second one app may make, across all commands (Tencent: 200 per API by default).
    pub requests_per_second: u32,
}

impl Default for RestConfig {
    fn default() -> RestConfig {
        RestConfig { requests_per_second: 200 }
    }
}

/// What every REST request shares. Cheap to clone.
#[derive(Clone)]
pub struct Rest {
    service: Service,
    limiter: Arc<auth::AppRateLimiter>,
}

impl Rest {
    pub fn new(service: Service, config: RestConfig) -> Rest {
        Rest { service, limiter: Arc::new(auth::AppRateLimiter::new(config.requests_per_second)) }
    }

    /// The routes this crate serves.
    pub fn router(self) -> Router {
        Router::new().route("/v4/{service}/{command}", post(handle)).with_state(self)
    }
}

async fn handle(
    State(rest): State<Rest>,
    Path((service_name, command)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let outcome = async {
        let admin = auth::authenticate(&rest.service, &rest.limiter, query.as_deref().unwrap_or(""))?;
        commands::dispatch(&rest.service, &admin, &service_name, &command, &body).await
    }
    .await;
    metrics::counter!("mynah_rest_requests_total", "command" => format!("{service_name}/{command}")).increment(1);
    reply::render(outcome)
}
