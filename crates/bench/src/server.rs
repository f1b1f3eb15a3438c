//! The server under test: a `mynah serve` child process on a temporary data directory, started,
//! killed (`kill -9`) and restarted on the same data by the bench itself.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::wire::Endpoint;

/// The app every benchmark logs in to.
pub const APP_ID: u64 = 1_400_000_777;
pub const APP_KEY: &str = "mynah-bench-secret-key";

/// How to start servers.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub binary: PathBuf,
    /// `full` or `normal`.
    pub durability: String,
    /// More `MYNAH_*` settings for the server's environment, set by scenarios that need them.
    pub env: Vec<(String, String)>,
    /// `--store` (a `postgres://` URL), `None` for the embedded SQLite store in the data directory.
    pub store: Option<String>,
    /// `--bus` (a `nats://` URL), `None` for the in-process bus.
    pub bus: Option<String>,
}

/// A running server process and its data directory (deleted when this is dropped).
pub struct ServerProcess {
    options: ServerOptions,
    data: TempDir,
    child: Child,
    pub address: SocketAddr,
    /// How long the last start took until the server printed its address.
    pub start_time: Duration,
}

impl ServerProcess {
    /// Starts a server on a free loopback port with a fresh data directory.
    pub async fn start(options: &ServerOptions) -> anyhow::Result<ServerProcess> {
        let data = tempfile::Builder::new().prefix("mynah-bench-").tempdir()?;
        let listen: SocketAddr = "127.0.0.1:0".parse()?;
        let (child, address, start_time) = spawn(options, data.path(), listen).await?;
        Ok(ServerProcess { options: options.clone(), data, child, address, start_time })
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    pub fn endpoint(&self) -> Endpoint {
        Endpoint { address: self.address, app: APP_ID, key: APP_KEY.to_owned() }
    }

    pub fn rss_bytes(&self) -> u64 {
        crate::procfs::rss_bytes(self.pid())
    }

    /// `kill -9`: no shutdown, no flush; every connection drops at once.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// Starts the server again on the same data directory and the same port.
    pub async fn restart_same_port(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            match spawn(&self.options, self.data.path(), self.address).await {
                Ok((child, address, start_time)) => {
                    self.child = child;
                    self.address = address;
                    self.start_time = start_time;
                    return Ok(());
                }
                // The port can stay busy for a moment after the kill.
                Err(error) if started.elapsed() < Duration::from_secs(10) => {
                    eprintln!("restart failed, retrying: {error:#}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Stops the server gracefully (SIGTERM) and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
        }
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await.is_err() {
            self.child.start_kill()?;
            self.child.wait().await?;
        }
        Ok(())
    }
}

async fn spawn(
    options: &ServerOptions,
    data: &Path,
    listen: SocketAddr,
) -> anyhow::Result<(Child, SocketAddr, Duration)> {
    let started = Instant::now();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(data.join("server.log"))?;
    let mut command = Command::new(&options.binary);
    command.arg("serve");
    if let Some(store) = &options.store {
        command.arg("--store").arg(store);
    }
    if let Some(bus) = &options.bus {
        command.arg("--bus").arg(bus);
    }
    let mut child = command
        .arg("--listen")
        .arg(listen.to_string())
        .arg("--data")
        .arg(data)
        .arg("--app")
        .arg(format!("{APP_ID}:{APP_KEY}"))
        .arg("--durability")
        .arg(&options.durability)
        // No mynah.toml from the working directory may change what is measured.
        .arg("--config")
        .arg(data.join("no-config.toml"))
        .env("MYNAH_LOG", "warn")
        // The benchmarks measure capacity: Tencent's 40 messages/s per group (a product limit, R5)
        // would turn P4's and P9's group load into dropped messages.
        .env("MYNAH_GROUP_MESSAGES_PER_SECOND", "0")
        // Every simulated client connects from this one host: the per-address cap would refuse
        // all but the first thousand.
        .env("MYNAH_MAX_CONNECTIONS_PER_ADDRESS", "0")
        .envs(options.env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", options.binary.display()))?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .context("server start timed out")??;
        let Some(line) = line else {
            let status = child.wait().await?;
            let log = std::fs::read_to_string(data.join("server.log")).unwrap_or_default();
            bail!("server exited ({status}) before listening; log tail: {}", tail(&log, 800));
        };
        if let Some(address) = line.strip_prefix("mynah listening on ") {
            break address.trim().parse::<SocketAddr>()?;
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, address, started.elapsed()))
}

fn tail(text: &str, bytes: usize) -> &str {
    let start = text.len().saturating_sub(bytes);
    let start = (start..text.len()).find(|&index| text.is_char_boundary(index)).unwrap_or(text.len());
    &text[start..]
}

/// The `mynah` binary next to this one (both live in `target/<profile>/`).
pub fn default_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("mynah")))
        .unwrap_or_else(|| PathBuf::from("target/release/mynah"))
}
