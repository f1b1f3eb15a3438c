//! The `mynah` server as a library: [`run`] opens the backends the configuration selects (SQLite
//! and the in-process bus by default; PostgreSQL, NATS and the cluster-wide session registry for a
//! cluster node) and [`run_with`] wires the [`Backends`] it is given to the service, gateway and
//! REST API and serves until shutdown. `main.rs` only parses the command line and passes a signal
//! future; tests and other deployments pass their own backends.
//!
//! # Layout
//!
//! - [`backends`]: which store and bus the `store` and `bus` settings select, and opening them.
//! - [`config`]: typed, layered configuration.
//! - [`dev_app`]: the development app made when none is configured.
//! - [`http`]: `/healthz` and `/metrics`.
//! - [`listener`]: the accept loop, with time limits on slow clients and a per-address cap.

pub mod backends;
pub mod config;
pub mod dev_app;
pub mod http;
pub mod listener;

use std::sync::Arc;
use std::time::Duration;

use mynah_gateway::Gateway;
use mynah_rest::Rest;
use mynah_service::{Apps, Service, ServiceParts};
use mynah_store_sqlite::{SqliteConfig, SqliteStore};
use mynah_webhooks::{Webhooks, outbox};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use backends::Backends;
pub use config::{AppEntry, BackendUrl, CommandLineOverrides, Config};

/// How long shutdown waits for connections to close before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the server could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("no app is configured")]
    NoApps,
    #[error("configuration: {0}")]
    Config(String),
    #[error("data directory {path}: {source}")]
    DataDirectory { path: String, source: std::io::Error },
    #[error("store: {0}")]
    Store(#[from] mynah_store::StoreError),
    #[error("{0}")]
    Backend(String),
}

/// Adds the development app when no app is configured. Returns it (and whether it was just
/// created) so the caller can tell the user how to log in.
pub fn ensure_app(config: &mut Config) -> Result<Option<(AppEntry, bool)>, ServerError> {
    if !config.apps.is_empty() {
        return Ok(None);
    }
    create_data_directory(config)?;
    let (entry, created) = dev_app::load_or_create(&config.data)
        .map_err(|source| ServerError::DataDirectory { path: config.data.display().to_string(), source })?;
    config.apps.push(entry.clone());
    Ok(Some((entry, created)))
}

/// Serves `config` on `listener` with the backends its `store` and `bus` settings select (see
/// [`backends`]) until `shutdown` is cancelled, then closes every connection with a restart code,
/// flushes the store and returns.
pub async fn run(config: Config, listener: TcpListener, shutdown: CancellationToken) -> Result<(), ServerError> {
    if config.apps.is_empty() {
        return Err(ServerError::NoApps);
    }
    let opened = backends::open(&config).await?;
    let served = run_with(config, opened.backends.clone(), listener, shutdown).await;
    opened.close().await;
    served
}

/// Opens the embedded SQLite store in the data directory (created if missing).
pub fn open_sqlite(config: &Config) -> Result<Arc<SqliteStore>, ServerError> {
    create_data_directory(config)?;
    Ok(Arc::new(SqliteStore::open(SqliteConfig {
        durability: config.store_durability(),
        ..SqliteConfig::new(config.data.join("mynah.sqlite3"))
    })?))
}

/// Serves `config` on `listener` over `backends` until `shutdown` is cancelled, then closes every
/// connection with a restart code and returns once they are closed (or the grace period ends).
/// The caller owns the backends and closes them after.
pub async fn run_with(
    config: Config,
    backends: Backends,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    if config.apps.is_empty() {
        return Err(ServerError::NoApps);
    }
    let Backends { store, bus, registry } = backends;
    let webhooks = Webhooks::new(config.webhooks().map_err(ServerError::Config)?);
    let service = Service::new(ServiceParts {
        store: store.clone(),
        bus,
        registry,
        apps: Apps::new(config.app_configs()),
        hooks: Arc::new(webhooks.clone()),
        limits: config.send_limits(),
    });
    let tasks = TaskTracker::new();
    let rest = Rest::new(service.clone(), config.rest());
    let gateway = Gateway::new(service, config.gateway(), shutdown.clone(), tasks.clone());
    let router = gateway.router().merge(rest.router()).merge(http::routes());

    if webhooks.any() {
        let worker = outbox::run(store, webhooks, config.outbox(), shutdown.clone());
        tasks.spawn(worker);
    }
    let store_setting = config.store.as_ref().map_or_else(|| "sqlite".to_owned(), BackendUrl::redacted);
    let bus_setting = config.bus.as_ref().map_or_else(|| "local".to_owned(), BackendUrl::redacted);
    tracing::info!(listen = %config.listen, data = %config.data.display(), store = %store_setting, bus = %bus_setting, "serving");
    listener::serve(listener, router, config.http_limits(), shutdown.clone(), tasks.clone()).await;

    tasks.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tasks.wait()).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period");
    }
    Ok(())
}

fn create_data_directory(config: &Config) -> Result<(), ServerError> {
    std::fs::create_dir_all(&config.data)
        .map_err(|source| ServerError::DataDirectory { path: config.data.display().to_string(), source })
}
