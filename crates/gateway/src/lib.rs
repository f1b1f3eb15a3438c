//! The WebSocket endpoint: the only crate that knows a socket exists.
//!
//! # Layout
//!
//! - [`GatewayConfig`] and [`Gateway`]: settings and the shared handles every connection uses.
//! - [`connection`]: one task per connection: login, then requests, pushes, heartbeat and kicks.
//! - [`dispatch`]: one request to the service call that serves it, and its encoded response.
//! - [`write`]: socket writes bounded by the write timeout, and a connection's last frames.
//!
//! Socket buffers are sized explicitly: tungstenite's defaults cost ~140 KB per idle connection.
//! Pushes to a busy connection are coalesced into one write per flush window
//! ([`GatewayConfig::push_flush_window`]).

pub mod connection;
pub mod dispatch;
pub mod write;

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
    /// A connection that has not logged in by then is closed, whatever it is doing: the deadline
    /// covers its replies too, so flooding without reading does not outlive it.
    pub login_timeout: Duration,
    /// A connection silent for this long is closed (clients heartbeat every 30 s).
    pub idle_timeout: Duration,
    /// The most concurrent connections; more are refused with 503.
    pub max_connections: usize,
    /// Read buffer size of each socket, in bytes: how much one read takes in (larger frames are
    /// read in several). Every idle connection keeps this buffer, and it is zeroed before each
    /// read, while requests are mostly a few hundred bytes: 2 KiB.
    pub read_buffer_bytes: usize,
    /// How many bytes of frames a socket gathers before it writes them; a flush writes whatever
    /// is gathered. 16 KiB holds a flush window's pushes (a few hundred bytes each) in one write.
    /// The buffer grows only when that much is written, so idle connections do not pay for it.
    pub write_buffer_bytes: usize,
    /// How long any write to a socket (a reply, pushes, a kick or close frame) may take before the
    /// client counts as gone (it stopped reading); the connection is then dropped and the client
    /// resyncs when it returns.
    pub write_timeout: Duration,
    /// The shortest time between two writes of pushes to one socket. A push that arrives sooner
    /// after the last write waits for the window to end, and the pushes gathered meanwhile go out
    /// in one write: one syscall per window instead of one per push. A push after a quiet spell
    /// is written at once. Zero writes every push as soon as it arrives.
    ///
    /// 20 ms by measurement (P4, 1,000 members, on the 2-vCPU VM where a loopback write costs
    /// ~8-10 µs of server CPU): against 5 ms it cut server CPU per delivery from ~2.3 to ~1.4 µs
    /// at 1,000 msgs/s and lowered p99 at every rate, because the CPU it saves is what pushes and
    /// acks were queueing for. A machine with cheaper syscalls may prefer less.
    pub push_flush_window: Duration,
}

impl Default for GatewayConfig {
    fn default() -> GatewayConfig {
        GatewayConfig {
            login_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
            max_connections: 100_000,
            read_buffer_bytes: 2 * 1024,
            write_buffer_bytes: 16 * 1024,
            write_timeout: Duration::from_secs(10),
            push_flush_window: Duration::from_millis(20),
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
    let tasks = gateway.tasks.clone();
    upgrade
        .read_buffer_size(gateway.config.read_buffer_bytes)
        .write_buffer_size(gateway.config.write_buffer_bytes)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| tasks.track_future(connection::serve(socket, gateway, client_ip, slot)))
}
