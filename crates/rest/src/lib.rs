//! Tencent's v4 REST API: `POST /v4/{service}/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`.
//!
//! # Layout
//!
//! - [`auth`]: the query string, the administrator's UserSig, and the per-app rate limit.
//! - [`failures`]: the bound on requests whose credentials fail, per source address.
//! - [`reply`]: [`RestError`] and the `ActionStatus`/`ErrorCode`/`ErrorInfo` envelope.
//! - [`commands`]: the dispatch table, one file per service (`im_open_login_svc`, `openim`, ...).
//!
//! Every request is answered with HTTP 200 and the envelope, as Tencent does; the error is in
//! `ErrorCode`.

pub mod auth;
pub mod commands;
pub mod failures;
pub mod reply;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::response::Response;
use axum::routing::post;
use mynah_service::Service;

pub use reply::RestError;

/// REST settings.
#[derive(Clone, Debug)]
pub struct RestConfig {
    /// Requests per second one app may make, across all commands (Tencent: 200 per API by default).
    /// Only requests that authenticate are charged.
    pub requests_per_second: u32,
    /// Failed authentications one source address may make in a burst, refilled over a minute;
    /// past it, its requests get 60007 without being verified (see [`failures`]).
    pub failed_auth_per_minute: u32,
}

impl Default for RestConfig {
    fn default() -> RestConfig {
        RestConfig { requests_per_second: 200, failed_auth_per_minute: 60 }
    }
}

/// What every REST request shares. Cheap to clone.
#[derive(Clone)]
pub struct Rest {
    service: Service,
    limiter: Arc<auth::AppRateLimiter>,
    failures: Arc<failures::FailedAuthLimiter>,
}

impl Rest {
    pub fn new(service: Service, config: RestConfig) -> Rest {
        Rest {
            service,
            limiter: Arc::new(auth::AppRateLimiter::new(config.requests_per_second)),
            failures: Arc::new(failures::FailedAuthLimiter::new(config.failed_auth_per_minute)),
        }
    }

    /// The routes this crate serves. The router must be served with
    /// `into_make_service_with_connect_info::<SocketAddr>()`: failed authentications are bounded per
    /// source address.
    pub fn router(self) -> Router {
        Router::new().route("/v4/{service}/{command}", post(handle)).with_state(self)
    }
}

async fn handle(
    State(rest): State<Rest>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((service_name, command)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let outcome = async {
        if !rest.failures.allows(peer.ip()) {
            return Err(RestError::new(
                mynah_proto::rest::codes::RATE_LIMITED,
                "too many failed authentications from this address",
            ));
        }
        let admin = auth::authenticate(&rest.service, query.as_deref().unwrap_or(""))
            .inspect_err(|_| rest.failures.charge(peer.ip()))?;
        // Charged only once the UserSig verified, so a caller without it cannot spend the budget.
        rest.limiter.check(admin.app)?;
        commands::dispatch(&rest.service, &admin, &service_name, &command, &body).await
    }
    .await;
    metrics::counter!("mynah_rest_requests_total", "command" => format!("{service_name}/{command}")).increment(1);
    reply::render(outcome)
}
