//! The `mynah` command: `serve` runs the server, `usersig` makes a UserSig for development.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Parser, Subcommand};
use mynah_server::config::DurabilitySetting;
use mynah_server::{CommandLineOverrides, Config};
use mynah_usersig::SecretKey;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "mynah", version, about = "A self-hosted server for the Tencent Cloud Chat APIs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:9800; port 0 picks a free one).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Data directory (default ./mynah-data).
        #[arg(long)]
        data: Option<PathBuf>,
        /// The store: a postgres://user@host:port/database URL shared by a cluster's nodes
        /// (default: SQLite in the data directory).
        #[arg(long)]
        store: Option<String>,
        /// The bus: a nats://host:port URL shared by a cluster's nodes (default: in-process; a
        /// cluster needs the PostgreSQL store too).
        #[arg(long)]
        bus: Option<String>,
        /// An app as SDKAPPID:SECRETKEY; repeat for more apps.
        #[arg(long = "app")]
        apps: Vec<String>,
        /// Configuration file.
        #[arg(long, env = "MYNAH_CONFIG", default_value = "mynah.toml")]
        config: PathBuf,
        /// Durability of acknowledged messages.
        #[arg(long, value_enum)]
        durability: Option<DurabilitySetting>,
    },
    /// Print a UserSig (TLSSigAPIv2) for a user of an app.
    Usersig {
        #[arg(long)]
        sdkappid: u64,
        #[arg(long)]
        key: String,
        #[arg(long)]
        user: String,
        /// Validity in seconds.
        #[arg(long, default_value_t = 86_400)]
        expire: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("MYNAH_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Usersig { sdkappid, key, user, expire } => {
            println!("{}", mynah_usersig::generate(sdkappid, &SecretKey::from(key), &user, expire, unix_now()));
            Ok(())
        }
        Command::Serve { listen, data, store, bus, apps, config, durability } => {
            let overrides = CommandLineOverrides { listen, data, store, bus, apps, durability };
            let mut config = Config::load(&config, overrides).map_err(anyhow::Error::msg)?;
            if let Some((app, created)) = mynah_server::ensure_app(&mut config)? {
                let verb = if created { "created" } else { "using" };
                println!("{verb} development app: SDKAppID {} secret key {}", app.sdk_app_id, app.secret_key);
                println!(
                    "make a UserSig with: mynah usersig --sdkappid {} --key {} --user alice",
                    app.sdk_app_id, app.secret_key
                );
            }
            // Refuse a store or bus that cannot run before announcing an address.
            config.backend_choice()?;
            let listener =
                TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
            let address = listener.local_addr()?;
            config.listen = address;
            println!("mynah listening on {address}");
            let shutdown = CancellationToken::new();
            tokio::spawn(cancel_on_signal(shutdown.clone()));
            mynah_server::run(config, listener, shutdown).await?;
            Ok(())
        }
    }
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                let _ = interrupt.await;
                shutdown.cancel();
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
    shutdown.cancel();
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}
