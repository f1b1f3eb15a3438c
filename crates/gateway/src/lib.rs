//! The WebSocket endpoint: the only crate that knows a socket exists.
//!
//! # Layout
//!
//! - [`GatewayConfig`] and [`Gateway`]: settings and the shared handles every connection uses.
//! - [`connection`]: one task per connection: login, then requests, pushes, heartbeat and kicks.
//! - [`dispatch`]: one request to the service call that serves it, and its encoded response.
//!
//! Socket buffers are sized explicitly: tungstenite's defaults cost ~140 KB per idle connection.

pub mod connection;
pub mod dispatch;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use mynah_proto::frames::MAX_FRAME_BYTES;
use mynah_service::Service;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Gateway settings.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// A connection that has not logged in by then is closed.
    pub login_timeout: Duration,
    /// A connection silent for this long is closed (clients heartbeat every 30 s).
    pub idle_timeout: Duration,
    /// The most concurrent connections; more are refused with 503.
    pub max_connections: usize,
    /// Read and write buffer size of each socket, in bytes.
    pub socket_buffer_bytes: usize,
    /// How long writing pushes to a socket may take before the client counts as gone (it stopped
    /// reading); the connection is then dropped and the client resyncs when it returns.
    pub write_timeout: Duration,
}

impl Default for GatewayConfig {
    fn default() -> GatewayConfig {
        GatewayConfig {
            login_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
            max_connections: 100_000,
            socket_buffer_bytes: 4 * 1024,
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// What every connection shares. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    pub service: Service,
    pub config: GatewayConfig,
    /// Cancelled at shutdown: connections close with 1012 so clients reconnect elsewhere or later.
    pub shutdown: CancellationToken,
    /// Tracks connection tasks so shutdown can wait for them.
    pub tasks: TaskTracker,
    connection_slots: Arc<Semaphore>,
}

impl Gateway {
    pub fn new(service: Service, config: GatewayConfig, shutdown: CancellationToken, tasks: TaskTracker) -> Gateway {
        let connection_slots = Arc::new(Semaphore::new(config.max_connections));
        Gateway { service, config, shutdown, tasks, connection_slots }
    }

    /// The routes this crate serves: `GET /ws`.
    pub fn router(self) -> Router {
        Router::new().route("/ws", get(upgrade)).with_state(self)
    }
}

async fn upgrade(
    State(gateway): State<Gateway>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Present when the server is served with connect info (as `mynah_server::run` does).
    let client_ip = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let Ok(slot) = gateway.connection_slots.clone().try_acquire_owned() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "connection limit reached").into_response();
    };
    let buffer = gateway.config.socket_buffer_bytes;
    let tasks = gateway.tasks.clone();
    upgrade
        .read_buffer_size(buffer)
        .write_buffer_size(buffer)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| {
            tasks.track_future(async move {
                connection::serve(socket, gateway, client_ip).await;
                drop(slot);
            })
        })
}
