//! P1: idle authenticated connections. Worker processes log in N users and heartbeat every 30 s
//! (spread evenly); the server's resident memory is read before and after, and its CPU over an
//! idle window.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::procfs::{self, CpuMeter};
use crate::report::ScenarioReport;
use crate::scenarios::Context;
use crate::server::ServerProcess;
use crate::worker::{self, WorkerArgs};

pub struct IdleOptions {
    pub connections: usize,
    pub idle_seconds: u64,
}

/// Target: at most 8 KB (taken as 8,192 bytes) of server RSS per connection.
const RSS_TARGET_BYTES: f64 = 8192.0;
/// Target: idle CPU at most 2 % of one core.
const IDLE_CPU_TARGET: f64 = 0.02;

pub async fn run(context: &Context, options: &IdleOptions) -> anyhow::Result<ScenarioReport> {
    let mut report = ScenarioReport::new(
        "P1",
        "idle authenticated WebSocket connections",
        json!({"connections": options.connections, "idle_seconds": options.idle_seconds, "heartbeat_seconds": 30}),
    );
    let server = ServerProcess::start(&context.server).await?;
    let endpoint = server.endpoint();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = server.rss_bytes();
    let slab_before = procfs::slab_bytes();

    let template = WorkerArgs {
        address: endpoint.address,
        app: endpoint.app,
        key: endpoint.key.clone(),
        user_prefix: "idle".to_owned(),
        first: 0,
        count: options.connections,
        concurrency: 128,
        heartbeat_seconds: 30,
        reconnect: false,
        backoff_base_ms: 500,
        backoff_cap_ms: 5_000,
    };
    let ramp_started = Instant::now();
    let (mut workers, connected) = worker::start_workers(&template, options.connections).await?;
    let ramp = ramp_started.elapsed();
    // Let the allocator and the kernel settle after the ramp.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after = server.rss_bytes();
    let slab_after = procfs::slab_bytes();

    let worker_pids: Vec<u32> = workers.iter().map(|worker| worker.pid()).collect();
    let server_cpu = CpuMeter::start(&[server.pid()]);
    let client_cpu = CpuMeter::start(&worker_pids);
    tokio::time::sleep(Duration::from_secs(options.idle_seconds)).await;
    let idle_cores = server_cpu.cores();
    let client_cores = client_cpu.cores();
    let rss_end = server.rss_bytes();

    let mut still_connected = 0;
    for worker in &mut workers {
        still_connected += worker.ask("status", Duration::from_secs(10)).await?["connected"].as_u64().unwrap_or(0);
    }
    for worker in workers {
        worker.exit().await;
    }
    server.stop().await?;

    let per_connection = (rss_after.saturating_sub(rss_before)) as f64 / connected.max(1) as f64;
    let slab_per_connection = (slab_after.saturating_sub(slab_before)) as f64 / connected.max(1) as f64;
    report.metric("connections logged in", connected as f64, "");
    report.metric("connections still open after the idle window", still_connected as f64, "");
    report.metric(
        "ramp (connect + login, 128 in flight per worker)",
        connected as f64 / ramp.as_secs_f64(),
        "logins/s",
    );
    report.metric("server RSS before", rss_before as f64 / 1e6, "MB");
    report.metric("server RSS with all connected", rss_after as f64 / 1e6, "MB");
    report.metric("server RSS at the end of the idle window", rss_end as f64 / 1e6, "MB");
    report.metric("server RSS per connection", per_connection, "bytes");
    report.metric("kernel slab per connection (both loopback ends)", slab_per_connection, "bytes");
    report.metric("server CPU while idle", idle_cores * 100.0, "% of a core");
    report.metric("client CPU while idle (workers)", client_cores * 100.0, "% of a core");
    report.target(
        "≤ 8 KB server RSS per connection",
        format!("{per_connection:.0} bytes/connection at {connected} connections"),
        per_connection <= RSS_TARGET_BYTES,
    );
    report.target(
        "idle CPU ≤ 2 % of a core with heartbeats",
        format!("{:.2} % of a core ({} heartbeats/s)", idle_cores * 100.0, connected / 30),
        idle_cores <= IDLE_CPU_TARGET,
    );
    if connected < options.connections as u64 {
        report.note(format!("only {connected} of {} connections logged in", options.connections));
    }
    Ok(report)
}
