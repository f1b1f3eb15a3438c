//! Typed, layered configuration: defaults < `mynah.toml` < `MYNAH_*` environment < command line.
//!
//! Secrets (app keys) redact themselves in `Debug` output and logs.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use mynah_gateway::GatewayConfig;
use mynah_rest::RestConfig;
use mynah_service::{AppConfig, SendLimits};
use mynah_store_sqlite::Durability;
use mynah_usersig::SecretKey;
use mynah_webhooks::WebhookConfig;
use mynah_webhooks::outbox::OutboxConfig;
use serde::{Deserialize, Serialize};

use crate::listener::HttpLimits;

/// Every setting of a `mynah serve` process.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The HTTP and WebSocket address. Default `127.0.0.1:9800`.
    pub listen: SocketAddr,
    /// The data directory (SQLite database, development app). Default `./mynah-data`.
    pub data: PathBuf,
    /// Where messages and everything else are stored: unset (default) for SQLite in the data
    /// directory, or a PostgreSQL URL `postgres://user@host:port/database` shared by every node of
    /// a cluster. See `crate::backends`.
    pub store: Option<BackendUrl>,
    /// How pushes reach sessions: unset (default) for the in-process bus of a single node, or a NATS
    /// URL `nats://host:port` shared by every node of a cluster (which needs the PostgreSQL store).
    pub bus: Option<BackendUrl>,
    /// The apps served. When empty, a development app is created in the data directory.
    pub apps: Vec<AppEntry>,
    /// `full` (default): every acknowledged message is fsync'd. `normal`: faster, and a power loss
    /// (not a process crash) may lose the last acknowledged messages.
    pub durability: DurabilitySetting,
    /// Sessions one user may have per platform; a login over it kicks the oldest. Default 1.
    pub max_sessions_per_platform: usize,
    /// The most concurrent WebSocket connections. Default 100000.
    pub max_connections: usize,
    /// Seconds a WebSocket connection has to log in; it is closed then, whatever it is doing
    /// (silent, flooding, or not reading its replies). Default 10.
    pub login_timeout_seconds: u64,
    /// Seconds a connection may stay silent before it is closed. Default 90.
    pub idle_timeout_seconds: u64,
    /// Seconds any socket write (a reply, a push, a kick) may take before the client counts as
    /// gone (it stopped reading) and its connection is dropped. Default 10.
    pub write_timeout_seconds: u64,
    /// Milliseconds a busy connection gathers pushes before writing them in one syscall (a push
    /// after a quiet spell is written at once). Default 20; 0 writes every push at once.
    pub push_flush_window_ms: u64,
    /// The most TCP connections (HTTP, REST and WebSocket alike) open at once from one IP address;
    /// more are refused with 503. Default 1000, high enough for many users behind one NAT; 0 = no
    /// limit.
    pub max_connections_per_address: usize,
    /// Seconds a client has to send a request's headers; also how long an idle kept-alive HTTP
    /// connection stays open. Default 30.
    pub http_header_timeout_seconds: u64,
    /// Seconds a client has to send a request's body once its headers are in. Default 30.
    pub http_body_timeout_seconds: u64,
    /// Bytes of kernel send buffer each connection may hold (Linux reports twice this). Bounds
    /// what a client that stops reading ties up beyond its session queue, and makes the write
    /// timeout start once that much is waiting. Default 131072; 0 leaves the kernel's autotuning
    /// (up to `net.ipv4.tcp_wmem`'s maximum, 4 MiB on most machines).
    pub send_buffer_bytes: u32,
    /// REST API requests per second per app. Default 200 (Tencent's default per API).
    pub rest_requests_per_second: u32,
    /// Messages per second one group accepts; over it, lower priorities are dropped first and the
    /// sender still sees success (Tencent: 40). 0 = unlimited.
    pub group_messages_per_second: u32,
    /// Messages per second one user may send through the SDK; over it, 60007. 0 (default) = unlimited.
    pub user_messages_per_second: u32,
    /// How often the webhook outbox is checked, in milliseconds. Default 200.
    pub webhook_poll_interval_ms: u64,
    /// The first retry delay of a failed after-event webhook, in milliseconds; it doubles with
    /// each failure, up to ten minutes. Default 1000.
    pub webhook_first_retry_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 9800)),
            data: PathBuf::from("mynah-data"),
            store: None,
            bus: None,
            apps: Vec::new(),
            durability: DurabilitySetting::Full,
            max_sessions_per_platform: 1,
            max_connections: 100_000,
            login_timeout_seconds: 10,
            idle_timeout_seconds: 90,
            write_timeout_seconds: 10,
            push_flush_window_ms: 20,
            max_connections_per_address: 1000,
            http_header_timeout_seconds: 30,
            http_body_timeout_seconds: 30,
            send_buffer_bytes: 128 * 1024,
            rest_requests_per_second: 200,
            group_messages_per_second: 40,
            user_messages_per_second: 0,
            webhook_poll_interval_ms: 200,
            webhook_first_retry_ms: 1000,
        }
    }
}

/// How hard the store works to keep acknowledged writes across power loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DurabilitySetting {
    #[default]
    Full,
    Normal,
}

/// The URL of a store or bus. Its `Debug` hides a password (`postgres://user:secret@…`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BackendUrl(pub String);

impl BackendUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with the password of its user part, if any, replaced by `<redacted>`.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        let Some((scheme, rest)) = url.split_once("://") else { return url.clone() };
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let Some(at) = rest[..authority_end].rfind('@') else { return url.clone() };
        match rest[..at].split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:<redacted>{}", &rest[at..]),
            None => url.clone(),
        }
    }
}

impl fmt::Debug for BackendUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.redacted())
    }
}

impl fmt::Display for BackendUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.redacted())
    }
}

/// One app (tenant) as configured.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    pub sdk_app_id: u64,
    pub secret_key: String,
    #[serde(default = "default_admin")]
    pub admin_identifier: String,
    /// Overrides the server-wide `max_sessions_per_platform` for this app.
    #[serde(default)]
    pub max_sessions_per_platform: Option<usize>,
    /// The app's webhooks (third-party callbacks), when it has any.
    #[serde(default)]
    pub webhook: Option<WebhookEntry>,
}

/// An app's webhook settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEntry {
    /// The callback URL.
    pub url: String,
    /// The `CallbackCommand`s to call, e.g. `["C2C.CallbackBeforeSendMsg", "State.StateChange"]`.
    pub commands: Vec<String>,
    /// Refuse a message when its before-send callback fails (default: send it, as Tencent does).
    #[serde(default)]
    pub fail_closed: bool,
}

impl fmt::Debug for AppEntry {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("AppEntry")
            .field("sdk_app_id", &self.sdk_app_id)
            .field("secret_key", &"<redacted>")
            .field("admin_identifier", &self.admin_identifier)
            .field("max_sessions_per_platform", &self.max_sessions_per_platform)
            .field("webhook", &self.webhook)
            .finish()
    }
}

fn default_admin() -> String {
    "administrator".to_owned()
}

impl AppEntry {
    /// Parses `SDKAPPID:SECRETKEY`, the form of `--app` and `MYNAH_APPS`.
    pub fn parse(value: &str) -> Result<AppEntry, String> {
        let (id, key) = value.split_once(':').ok_or_else(|| format!("app {value:?} is not SDKAPPID:SECRETKEY"))?;
        let sdk_app_id = id.trim().parse().map_err(|_| format!("SDKAppID {id:?} is not a number"))?;
        let secret_key = key.trim().to_owned();
        if secret_key.is_empty() {
            return Err(format!("app {sdk_app_id} has an empty secret key"));
        }
        Ok(AppEntry {
            sdk_app_id,
            secret_key,
            admin_identifier: default_admin(),
            max_sessions_per_platform: None,
            webhook: None,
        })
    }
}

impl Config {
    /// Builds the layered configuration. `file` is read when it exists; `overrides` are the
    /// command-line values, applied last.
    pub fn load(file: &Path, overrides: CommandLineOverrides) -> Result<Config, String> {
        warn_about_unknown_environment();
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if file.exists() {
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(Env::prefixed("MYNAH_").only(ENVIRONMENT_SETTINGS));
        let mut config: Config = figment.extract().map_err(|error| format!("configuration: {error}"))?;
        if let Ok(apps) = std::env::var("MYNAH_APPS") {
            for entry in apps.split(',').filter(|entry| !entry.trim().is_empty()) {
                config.apps.push(AppEntry::parse(entry)?);
            }
        }
        if let Some(listen) = overrides.listen {
            config.listen = listen;
        }
        if let Some(data) = overrides.data {
            config.data = data;
        }
        if let Some(store) = overrides.store {
            config.store = Some(BackendUrl(store));
        }
        if let Some(bus) = overrides.bus {
            config.bus = Some(BackendUrl(bus));
        }
        if let Some(durability) = overrides.durability {
            config.durability = durability;
        }
        for app in overrides.apps {
            config.apps.push(AppEntry::parse(&app)?);
        }
        Ok(config)
    }

    /// The apps as the service takes them.
    pub fn app_configs(&self) -> Vec<AppConfig> {
        self.apps
            .iter()
            .map(|entry| AppConfig {
                sdk_app_id: entry.sdk_app_id,
                secret_key: SecretKey::from(entry.secret_key.clone()),
                admin_identifier: entry.admin_identifier.clone(),
                max_sessions_per_platform: entry.max_sessions_per_platform.unwrap_or(self.max_sessions_per_platform),
            })
            .collect()
    }

    /// How long one socket write may take, WebSocket or HTTP (at least a second).
    fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_seconds.max(1))
    }

    pub fn gateway(&self) -> GatewayConfig {
        GatewayConfig {
            max_connections: self.max_connections,
            login_timeout: Duration::from_secs(self.login_timeout_seconds.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout_seconds),
            write_timeout: self.write_timeout(),
            push_flush_window: Duration::from_millis(self.push_flush_window_ms),
            ..GatewayConfig::default()
        }
    }

    /// What the accept loop allows each connection.
    pub fn http_limits(&self) -> HttpLimits {
        HttpLimits {
            header_timeout: Duration::from_secs(self.http_header_timeout_seconds.max(1)),
            body_timeout: Duration::from_secs(self.http_body_timeout_seconds.max(1)),
            max_connections_per_address: self.max_connections_per_address,
            write_timeout: self.write_timeout(),
            send_buffer_bytes: self.send_buffer_bytes,
        }
    }

    /// Every app's webhooks. Unknown command names are refused, so a typo does not silently
    /// disable a callback.
    pub fn webhooks(&self) -> Result<HashMap<u64, WebhookConfig>, String> {
        let mut webhooks = HashMap::new();
        for app in &self.apps {
            let Some(entry) = &app.webhook else { continue };
            for command in &entry.commands {
                if !mynah_proto::webhooks::COMMANDS.contains(&command.as_str()) {
                    return Err(format!("app {}: unknown webhook command {command:?}", app.sdk_app_id));
                }
            }
            let config = WebhookConfig {
                url: entry.url.clone(),
                commands: entry.commands.iter().cloned().collect(),
                fail_closed: entry.fail_closed,
            };
            webhooks.insert(app.sdk_app_id, config);
        }
        Ok(webhooks)
    }

    pub fn send_limits(&self) -> SendLimits {
        SendLimits {
            group_messages_per_second: self.group_messages_per_second,
            user_messages_per_second: self.user_messages_per_second,
        }
    }

    pub fn outbox(&self) -> OutboxConfig {
        OutboxConfig {
            poll_interval: Duration::from_millis(self.webhook_poll_interval_ms.max(10)),
            first_retry_delay: Duration::from_millis(self.webhook_first_retry_ms.max(10)),
            ..OutboxConfig::default()
        }
    }

    pub fn rest(&self) -> RestConfig {
        RestConfig { requests_per_second: self.rest_requests_per_second, ..RestConfig::default() }
    }

    pub fn store_durability(&self) -> Durability {
        match self.durability {
            DurabilitySetting::Full => Durability::Full,
            DurabilitySetting::Normal => Durability::Normal,
        }
    }
}

/// Values given on the command line, which win over every other layer.
#[derive(Clone, Debug, Default)]
pub struct CommandLineOverrides {
    pub listen: Option<SocketAddr>,
    pub data: Option<PathBuf>,
    pub store: Option<String>,
    pub bus: Option<String>,
    pub apps: Vec<String>,
    pub durability: Option<DurabilitySetting>,
}

/// The settings that `MYNAH_{NAME}` environment variables may set (apps have their own, `MYNAH_APPS`).
const ENVIRONMENT_SETTINGS: &[&str] = &[
    "listen",
    "data",
    "store",
    "bus",
    "durability",
    "max_sessions_per_platform",
    "max_connections",
    "login_timeout_seconds",
    "idle_timeout_seconds",
    "rest_requests_per_second",
    "write_timeout_seconds",
    "push_flush_window_ms",
    "send_buffer_bytes",
    "max_connections_per_address",
    "http_header_timeout_seconds",
    "http_body_timeout_seconds",
    "group_messages_per_second",
    "user_messages_per_second",
    "webhook_poll_interval_ms",
    "webhook_first_retry_ms",
];

/// Other `MYNAH_*` variables: read by `main` or by the test suites, not settings.
const OTHER_ENVIRONMENT: &[&str] = &[
    "MYNAH_APPS",
    "MYNAH_CONFIG",
    "MYNAH_LOG",
    "MYNAH_BIN",
    "MYNAH_USERSIG_FRESH_VECTORS",
    "MYNAH_OFFICIAL_USERSIG_TOOL",
];

fn warn_about_unknown_environment() {
    for (name, _) in std::env::vars() {
        let Some(setting) = name.strip_prefix("MYNAH_") else { continue };
        let known = ENVIRONMENT_SETTINGS.contains(&setting.to_lowercase().as_str())
            || OTHER_ENVIRONMENT.contains(&name.as_str())
            || setting.starts_with("TEST_")
            || setting.starts_with("CRASH_")
            || setting.starts_with("FAULT_");
        if !known {
            tracing::warn!(variable = %name, "unknown MYNAH_ environment variable ignored");
        }
    }
}
