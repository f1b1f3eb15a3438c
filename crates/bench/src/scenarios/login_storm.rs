//! P2: login storm. N users connect at once (a bounded number in flight), each doing what an SDK
//! does to come online: WebSocket handshake, `login` (UserSig verification), then the initial
//! `getConversationList`. UserSigs are made before the clock starts: the server's work is measured,
//! not the generator's.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;

use crate::procfs::CpuMeter;
use crate::report::{LatencySummary, ScenarioReport, new_histogram, record};
use crate::scenarios::Context;
use crate::server::ServerProcess;
use crate::wire;

pub struct LoginStormOptions {
    pub logins: usize,
    pub concurrency: usize,
}

const TARGET_LOGINS_PER_SECOND: f64 = 5000.0;

pub async fn run(context: &Context, options: &LoginStormOptions) -> anyhow::Result<ScenarioReport> {
    let mut report = ScenarioReport::new(
        "P2",
        "login storm: connect + UserSig verify + initial getConversationList",
        json!({"logins": options.logins, "in_flight": options.concurrency}),
    );
    // Every login's socket stays open until the end, in this one process.
    anyhow::ensure!(
        options.logins <= crate::worker::MAX_CONNECTIONS_PER_WORKER,
        "P2 holds every connection in one process: at most {} logins",
        crate::worker::MAX_CONNECTIONS_PER_WORKER
    );
    let server = ServerProcess::start(&context.server).await?;
    let endpoint = server.endpoint();
    let credentials: Vec<(String, String)> = (0..options.logins)
        .map(|index| {
            let user = format!("storm{index}");
            let sig = endpoint.user_sig(&user);
            (user, sig)
        })
        .collect();

    let server_cpu = CpuMeter::start(&[server.pid()]);
    let client_cpu = CpuMeter::start(&[std::process::id()]);
    let started = Instant::now();
    let outcomes = futures_util::stream::iter(credentials.iter().enumerate())
        .map(|(index, (user, sig))| {
            let endpoint = &endpoint;
            async move {
                let begun = Instant::now();
                let (mut socket, _) = wire::connect_and_login(endpoint, index, user, sig).await?;
                let logged_in = begun.elapsed();
                let frame = wire::request_frame(2, "getConversationList", json!({}));
                wire::call(&mut socket, 2, frame, &mut |_| {}).await?;
                anyhow::Ok((socket, logged_in, begun.elapsed()))
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let elapsed = started.elapsed();
    let server_cores = server_cpu.cores();
    let server_cpu_used = server_cpu.used();
    let client_cores = client_cpu.cores();

    let mut login_latency = new_histogram();
    let mut ready_latency = new_histogram();
    let mut sockets = Vec::new();
    let mut failures = 0;
    let mut first_error = None;
    for outcome in outcomes {
        match outcome {
            Ok((socket, logged_in, ready)) => {
                record(&mut login_latency, logged_in);
                record(&mut ready_latency, ready);
                sockets.push(socket);
            }
            Err(error) => {
                failures += 1;
                first_error.get_or_insert_with(|| format!("{error:#}"));
            }
        }
    }
    let succeeded = sockets.len();
    drop(sockets);
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.stop().await?;

    let rate = succeeded as f64 / elapsed.as_secs_f64();
    report.metric("logins completed", succeeded as f64, "");
    report.metric("logins failed", failures as f64, "");
    report.metric("wall time", elapsed.as_secs_f64(), "s");
    report.metric("login rate (through initial sync)", rate, "logins/s");
    report.metric("server CPU", server_cores * 100.0, "% of a core");
    report.metric("server CPU per login", server_cpu_used.as_secs_f64() * 1e6 / succeeded.max(1) as f64, "µs");
    report.metric("client CPU (this process)", client_cores * 100.0, "% of a core");
    report.latency("connect → login acknowledged", LatencySummary::of(&login_latency));
    report.latency("connect → initial getConversationList", LatencySummary::of(&ready_latency));
    report.target("≥ 5,000 logins/s", format!("{rate:.0} logins/s"), rate >= TARGET_LOGINS_PER_SECOND && failures == 0);
    if let Some(error) = first_error {
        report.note(format!("first failure: {error}"));
    }
    report.note("fresh users: the initial conversation list is empty");
    Ok(report)
}
