//! `mynah-bench`: starts a `mynah` server binary, drives real WebSocket clients against it over
//! loopback, and reports throughput, latency percentiles, server memory per connection and server
//! CPU for the scenarios of `shared/guide/performance.md` (P1-P4, P6-P9). Results are printed as
//! tables and written as JSON with `--out`. See `docs/performance.md` for measured numbers.
//!
//! # Layout
//!
//! - [`server`]: the server under test as a child process (start, kill -9, restart).
//! - [`wire`]: the client side of the protocol, lean enough for thousands of sockets.
//! - [`worker`]: worker processes holding many connections (20,000 open files per process).
//! - [`scenarios`]: one file per scenario.
//! - [`report`]: histograms, tables and JSON; [`procfs`]: memory and CPU from `/proc`.
//! - [`rng`]: a seeded generator for reproducible choices.
//! - [`xmpp`]: a minimal XMPP-over-WebSocket client, for the ejabberd comparison (P9).

mod cluster;
mod procfs;
mod raw;
mod report;
mod rng;
mod scenarios;
mod server;
mod wire;
mod worker;
mod xmpp;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use serde_json::json;

use crate::report::ScenarioReport;
use crate::scenarios::Context;
use crate::server::ServerOptions;

#[derive(Parser)]
#[command(name = "mynah-bench", about = "Benchmarks a mynah server binary over loopback WebSockets")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Internal: hold connections for a scenario (started by the bench itself).
    #[command(hide = true)]
    Worker(worker::WorkerArgs),
    /// Print the median of every metric over several result files (`--out` of earlier runs).
    Summarize { files: Vec<PathBuf> },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Scenarios to run, comma-separated: p1,p2,p3,p4,p6,p7,p8 (p9 needs scripts/bench-ejabberd.sh).
    #[arg(long, default_value = "p1,p2,p3,p4,p6,p7", value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The `mynah` binary to benchmark (default: the one next to this binary).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Durability of the server under test: full (fsync per group commit) or normal.
    #[arg(long, default_value = "full")]
    durability: String,
    /// P3 and P4: run this many `mynah` nodes sharing a throwaway PostgreSQL (fsync on) and
    /// nats-server on this machine; clients are spread over the nodes. Implies `--cluster`
    /// when above 1.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// P3 and P4: run the nodes on PostgreSQL and NATS even with one node.
    #[arg(long)]
    cluster: bool,

    /// P1: idle connections held.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// P1: seconds of idle CPU measurement.
    #[arg(long, default_value_t = 20)]
    idle_seconds: u64,

    /// P2: logins in the storm.
    #[arg(long, default_value_t = 10_000)]
    logins: usize,
    /// P2: logins in flight at once.
    #[arg(long, default_value_t = 200)]
    login_concurrency: usize,

    /// P3: online users (in pairs, each sending to its partner).
    #[arg(long, default_value_t = 1_000)]
    p3_users: usize,
    /// P3: seconds of the closed-loop peak phase.
    #[arg(long, default_value_t = 20)]
    p3_seconds: u64,
    /// P3: seconds of the open-loop phase at half the peak rate.
    #[arg(long, default_value_t = 15)]
    p3_half_seconds: u64,
    /// P3: sends in flight per connection in the closed loop.
    #[arg(long, default_value_t = 2)]
    p3_window: usize,
    /// P3: fill the store with this many messages first (1000000 for the target's 1M rows).
    #[arg(long, default_value_t = 0)]
    p3_rows: u64,

    /// P4: online members of the group.
    #[arg(long, default_value_t = 1_000)]
    group_members: usize,
    /// P4: members that send into the group. A connection's requests are served one at a time and
    /// each send waits for its commit, so 10 senders could not offer 1,500 msgs/s: 50 can.
    #[arg(long, default_value_t = 50)]
    group_senders: usize,
    /// P4: offered group messages per second, one step each.
    #[arg(long, default_value = "100,300,600,1000,1500", value_delimiter = ',')]
    fanout_rates: Vec<f64>,
    /// P4: seconds per step.
    #[arg(long, default_value_t = 5)]
    fanout_step_seconds: u64,

    /// P8: members of the busy group that read everything (one stalled member comes on top).
    #[arg(long, default_value_t = 500)]
    p8_members: usize,
    /// P8: members that send into the group.
    #[arg(long, default_value_t = 20)]
    p8_senders: usize,
    /// P8: group messages per second, in both phases.
    #[arg(long, default_value_t = 300.0)]
    p8_rate: f64,
    /// P8: seconds of each phase (A: all reading; B: one member stalled).
    #[arg(long, default_value_t = 5)]
    p8_phase_seconds: u64,
    /// P8: phase B goes on until the stalled member is dropped, for at most this many seconds.
    #[arg(long, default_value_t = 60)]
    p8_max_phase_b_seconds: u64,
    /// P8: the stalled member's socket receive buffer in bytes (the kernel doubles it).
    #[arg(long, default_value_t = 4096)]
    p8_recv_buffer: u32,
    /// P8: the server's write_timeout_seconds, short to keep the run short (0: its default, 10).
    #[arg(long, default_value_t = 2)]
    p8_write_timeout_seconds: u64,

    /// P6: messages missed while offline.
    #[arg(long, default_value_t = 10_000)]
    sync_messages: usize,
    /// P6: conversations they are spread over.
    #[arg(long, default_value_t = 100)]
    sync_conversations: usize,
    /// P6: catch-ups measured per mode.
    #[arg(long, default_value_t = 5)]
    sync_repetitions: usize,

    /// P7: connections that drop and come back.
    #[arg(long, default_value_t = 10_000)]
    storm_connections: usize,
    /// P7: messages sent before the kill, and again while clients come back.
    #[arg(long, default_value_t = 2_000)]
    storm_messages: usize,
    /// P7: the first reconnect waits a random time up to this many ms (full jitter).
    #[arg(long, default_value_t = 500)]
    storm_backoff_ms: u64,

    /// P9: ejabberd's WebSocket endpoint (set up by scripts/bench-ejabberd.sh).
    #[arg(long)]
    ejabberd_ws: Option<String>,
    /// P9: ejabberd's process id, for its memory.
    #[arg(long, default_value_t = 0)]
    ejabberd_pid: u32,
    /// P9: users registered on ejabberd as user0.. with password "bench"; the same count on Mynah.
    #[arg(long, default_value_t = 200)]
    ejabberd_users: usize,
    /// P9: one-to-one msgs/s offered, one step each.
    #[arg(long, default_value = "500,1000,2000,4000,8000", value_delimiter = ',')]
    p9_c2c_rates: Vec<f64>,
    /// P9: group msgs/s offered, one step each.
    #[arg(long, default_value = "10,30,100,300", value_delimiter = ',')]
    p9_group_rates: Vec<f64>,
    /// P9: seconds per step.
    #[arg(long, default_value_t = 4)]
    p9_step_seconds: u64,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        // A worker holds up to ~15k mostly idle sockets: one thread is plenty and keeps its CPU
        // out of the server's way.
        Some(Command::Worker(args)) => {
            tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(worker::run(args))
        }
        Some(Command::Summarize { files }) => report::summarize(&files),
        None => tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run(cli.run)),
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let binary = args.server_bin.clone().unwrap_or_else(server::default_binary);
    anyhow::ensure!(
        binary.exists(),
        "no server binary at {}: build it with `cargo build --release -p mynah-server`",
        binary.display()
    );
    let context = Context {
        server: ServerOptions {
            binary: binary.clone(),
            durability: args.durability.clone(),
            env: Vec::new(),
            store: None,
            bus: None,
        },
        topology: cluster::Topology { nodes: args.nodes.max(1), cluster: args.cluster || args.nodes > 1 },
    };
    let machine = procfs::Machine::read();
    println!(
        "mynah-bench: {} CPUs ({}), {:.1} GiB, kernel {}, open files {}; server {}",
        machine.cpus,
        machine.cpu_model,
        machine.memory_bytes as f64 / (1u64 << 30) as f64,
        machine.kernel,
        machine.open_files_limit,
        binary.display()
    );
    let started = Instant::now();
    let mut reports: Vec<ScenarioReport> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    for scenario in &args.scenarios {
        let scenario_started = Instant::now();
        let outcome = run_scenario(&context, &args, scenario.trim()).await;
        match outcome {
            Ok(mut report) => {
                report.metric("scenario wall time", scenario_started.elapsed().as_secs_f64(), "s");
                report.print();
                reports.push(report);
            }
            Err(error) => {
                eprintln!("scenario {scenario} failed: {error:#}");
                failures.push(format!("{scenario}: {error:#}"));
            }
        }
    }
    println!();
    println!("all scenarios: {:.0} s", started.elapsed().as_secs_f64());
    if let Some(out) = &args.out {
        let document = json!({
            "date_unix": wire::unix_seconds(),
            "command": std::env::args().collect::<Vec<_>>().join(" "),
            "machine": machine,
            "server_binary": binary.display().to_string(),
            "durability": args.durability,
            "nodes": context.topology.nodes,
            "cluster": context.topology.cluster,
            "scenarios": reports,
            "failures": failures,
        });
        std::fs::write(out, serde_json::to_string_pretty(&document)?)
            .with_context(|| format!("writing {}", out.display()))?;
        println!("results written to {}", out.display());
    }
    anyhow::ensure!(failures.is_empty(), "{} scenario(s) could not run", failures.len());
    Ok(())
}

async fn run_scenario(context: &Context, args: &RunArgs, name: &str) -> anyhow::Result<ScenarioReport> {
    use scenarios::*;
    match name {
        "p1" => {
            idle::run(context, &idle::IdleOptions { connections: args.connections, idle_seconds: args.idle_seconds })
                .await
        }
        "p2" => {
            let options = login_storm::LoginStormOptions { logins: args.logins, concurrency: args.login_concurrency };
            login_storm::run(context, &options).await
        }
        "p3" => {
            let options = one_to_one::OneToOneOptions {
                users: args.p3_users,
                peak_seconds: args.p3_seconds,
                half_seconds: args.p3_half_seconds,
                window: args.p3_window,
                rows: args.p3_rows,
            };
            one_to_one::run(context, &options).await
        }
        "p4" => {
            let options = fanout::FanoutOptions {
                members: args.group_members,
                senders: args.group_senders,
                rates: args.fanout_rates.clone(),
                step_seconds: args.fanout_step_seconds,
            };
            fanout::run(context, &options).await
        }
        "p6" => {
            let options = offline_sync::OfflineSyncOptions {
                messages: args.sync_messages,
                conversations: args.sync_conversations,
                repetitions: args.sync_repetitions,
            };
            offline_sync::run(context, &options).await
        }
        "p7" => {
            let options = reconnect::ReconnectOptions {
                connections: args.storm_connections,
                messages: args.storm_messages,
                backoff_base_ms: args.storm_backoff_ms,
            };
            reconnect::run(context, &options).await
        }
        "p8" => {
            let options = slow_consumer::SlowConsumerOptions {
                members: args.p8_members,
                senders: args.p8_senders,
                rate: args.p8_rate,
                phase_seconds: args.p8_phase_seconds,
                max_phase_b_seconds: args.p8_max_phase_b_seconds,
                recv_buffer: args.p8_recv_buffer,
                write_timeout_seconds: args.p8_write_timeout_seconds,
            };
            slow_consumer::run(context, &options).await
        }
        "p9" => {
            let options = ejabberd::PeerOptions {
                ws_url: args.ejabberd_ws.clone().context("p9 needs --ejabberd-ws (run scripts/bench-ejabberd.sh)")?,
                pid: args.ejabberd_pid,
                users: args.ejabberd_users,
                c2c_rates: args.p9_c2c_rates.clone(),
                group_rates: args.p9_group_rates.clone(),
                step_seconds: args.p9_step_seconds,
            };
            ejabberd::run(context, &options).await
        }
        other => anyhow::bail!("unknown scenario {other:?} (known: p1, p2, p3, p4, p6, p7, p8, p9)"),
    }
}
