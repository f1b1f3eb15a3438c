//! P7: reconnect storm. Worker processes hold N logged-in users. Senders message some of them, the
//! server is killed (`kill -9`, so every connection drops at once) and restarted on the same data
//! directory and port, more messages are sent while the clients come back, and every client
//! reconnects with jittered exponential backoff and catches up. Measured: time from the kill until
//! 99 % of the clients have resynced, the server's memory, and messages lost (every acknowledged
//! message must be held by its receiver, with no gap in its conversation).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::procfs;
use crate::report::ScenarioReport;
use crate::rng::SplitMix64;
use crate::scenarios::Context;
use crate::server::ServerProcess;
use crate::wire::{self, Endpoint, Frame};
use crate::worker::{self, UserReport, WorkerArgs};

pub struct ReconnectOptions {
    pub connections: usize,
    /// Messages sent before the kill and again while the clients come back.
    pub messages: usize,
    pub backoff_base_ms: u64,
}

const SENDERS: usize = 10;
const TARGET_SECONDS: f64 = 10.0;

/// An acknowledged message: who must hold it, in which conversation, at which sequence.
struct Acked {
    receiver: usize,
    conversation: String,
    sequence: u64,
}

pub async fn run(context: &Context, options: &ReconnectOptions) -> anyhow::Result<ScenarioReport> {
    let mut report = ScenarioReport::new(
        "P7",
        "reconnect storm: kill -9, restart, every client reconnects and resyncs",
        json!({"connections": options.connections, "messages_before_and_during": options.messages,
               "backoff": format!("full jitter, first ≤ {} ms, doubling to ≤ 5 s", options.backoff_base_ms)}),
    );
    let mut server = ServerProcess::start(&context.server).await?;
    let endpoint = server.endpoint();
    let template = WorkerArgs {
        address: endpoint.address,
        app: endpoint.app,
        key: endpoint.key.clone(),
        user_prefix: "back".to_owned(),
        first: 0,
        count: options.connections,
        concurrency: 128,
        heartbeat_seconds: 30,
        reconnect: true,
        backoff_base_ms: options.backoff_base_ms,
        backoff_cap_ms: 5_000,
    };
    let (mut workers, connected) = worker::start_workers(&template, options.connections).await?;
    let mut rng = SplitMix64::new(7);
    let mut acked = send_batch(&endpoint, options.connections, options.messages, &mut rng, 0).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before_kill = server.rss_bytes();

    let killed_at = wire::unix_nanos();
    let kill_started = Instant::now();
    server.kill().await?;
    server.restart_same_port().await?;
    let restart_time = kill_started.elapsed();
    let server_cpu = procfs::CpuMeter::start(&[server.pid()]);

    // More messages while the clients come back: they must arrive by push or by catch-up.
    let during = tokio::spawn({
        let endpoint = server.endpoint();
        let connections = options.connections;
        let messages = options.messages;
        async move {
            let mut rng = SplitMix64::new(8);
            send_batch(&endpoint, connections, messages, &mut rng, 1).await
        }
    });

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut resynced = 0;
    while Instant::now() < deadline {
        resynced = 0;
        for worker in &mut workers {
            resynced += worker.ask("status", Duration::from_secs(10)).await?["resynced"].as_u64().unwrap_or(0);
        }
        if resynced >= connected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let storm_wall = kill_started.elapsed();
    acked.extend(during.await??);
    // Pushes of the last sends may still be in flight.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let server_cores = server_cpu.cores();
    let peak_rss = procfs::peak_rss_bytes(server.pid());
    let rss_after = server.rss_bytes();

    let mut users: Vec<UserReport> = Vec::new();
    for worker in &mut workers {
        let answer = worker.ask("report", Duration::from_secs(60)).await?;
        users.extend(serde_json::from_value::<Vec<UserReport>>(answer["users"].clone())?);
    }
    for worker in workers {
        worker.exit().await;
    }
    server.stop().await?;

    let mut resync_seconds: Vec<f64> =
        users.iter().filter_map(|user| user.resynced_at).map(|at| at.saturating_sub(killed_at) as f64 / 1e9).collect();
    resync_seconds.sort_by(f64::total_cmp);
    let quantile = |fraction: f64| -> Option<f64> {
        let needed = ((connected as f64) * fraction).ceil() as usize;
        resync_seconds.get(needed.saturating_sub(1)).copied()
    };
    let by_user: HashMap<&str, &UserReport> = users.iter().map(|user| (user.user.as_str(), user)).collect();
    let mut lost = 0;
    for message in &acked {
        let receiver = format!("back{}", message.receiver);
        let held = by_user
            .get(receiver.as_str())
            .and_then(|user| user.conversations.get(&message.conversation))
            .is_some_and(|&(count, max)| count == max && max >= message.sequence);
        if !held {
            lost += 1;
        }
    }
    let failed_attempts: u32 = users.iter().map(|user| user.failed_attempts).sum();

    report.metric("connections before the kill", connected as f64, "");
    report.metric("clients resynced after the restart", resynced as f64, "");
    report.metric("server restart (kill → listening)", restart_time.as_secs_f64() * 1000.0, "ms");
    for (label, fraction) in [("50 %", 0.5), ("99 %", 0.99), ("100 %", 1.0)] {
        if let Some(seconds) = quantile(fraction) {
            report.metric(&format!("kill → {label} resynced"), seconds, "s");
        }
    }
    report.metric("storm wall time (kill → all resynced or 60 s)", storm_wall.as_secs_f64(), "s");
    report.metric("failed reconnect attempts", failed_attempts as f64, "");
    report.metric("server RSS before the kill", rss_before_kill as f64 / 1e6, "MB");
    report.metric("restarted server: peak RSS during the storm", peak_rss as f64 / 1e6, "MB");
    report.metric("restarted server: RSS after the storm", rss_after as f64 / 1e6, "MB");
    report.metric("restarted server: CPU during the storm", server_cores * 100.0, "% of a core");
    report.metric("messages acknowledged (before + during)", acked.len() as f64, "");
    report.metric("acknowledged messages lost", lost as f64, "");
    let p99 = quantile(0.99);
    report.target(
        "99 % resynced ≤ 10 s, no message lost, bounded memory",
        format!(
            "99 % in {}, {lost} lost of {}, peak RSS {:.0} MB after restart vs {:.0} MB before the kill",
            p99.map_or("never".to_owned(), |seconds| format!("{seconds:.2} s")),
            acked.len(),
            peak_rss as f64 / 1e6,
            rss_before_kill as f64 / 1e6
        ),
        p99.is_some_and(|seconds| seconds <= TARGET_SECONDS) && lost == 0,
    );
    Ok(report)
}

/// Sends `count` one-to-one messages from a few senders to random held users and returns the
/// acknowledged ones. Retries the login until the server is up again.
async fn send_batch(
    endpoint: &Endpoint,
    receivers: usize,
    count: usize,
    rng: &mut SplitMix64,
    round: u64,
) -> anyhow::Result<Vec<Acked>> {
    let plan: Vec<Vec<usize>> = {
        let mut plan = vec![Vec::new(); SENDERS];
        for index in 0..count {
            plan[index % SENDERS].push(rng.below(receivers as u64) as usize);
        }
        plan
    };
    let tasks = plan.into_iter().enumerate().map(|(sender, targets)| {
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            let user = format!("sender{sender}");
            let sig = endpoint.user_sig(&user);
            let login_deadline = Instant::now() + Duration::from_secs(20);
            let mut socket = loop {
                match wire::connect_and_login(&endpoint, 60_000 + sender, &user, &sig).await {
                    Ok((socket, _)) => break socket,
                    Err(error) if Instant::now() > login_deadline => return Err(error),
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            };
            for (index, receiver) in targets.iter().enumerate() {
                let frame = wire::send_message_frame(
                    index as u64 + 1,
                    "C2C",
                    &format!("back{receiver}"),
                    &format!("r{round}s{sender}m{index}"),
                    &wire::timed_text(wire::unix_nanos(), round),
                );
                socket.send(Message::text(frame)).await?;
            }
            let mut acked = Vec::new();
            while acked.len() < targets.len() {
                let Some(Ok(Message::Text(text))) = socket.next().await else {
                    anyhow::bail!("sender connection ended")
                };
                if let Frame::Response { id, code } = wire::classify(&text) {
                    anyhow::ensure!(code == 0, "send failed with code {code}");
                    let value: serde_json::Value = serde_json::from_str(&text)?;
                    acked.push(Acked {
                        receiver: targets[id as usize - 1],
                        conversation: format!("C2C{user}"),
                        sequence: value["data"]["message"]["sequence"].as_u64().unwrap_or(u64::MAX),
                    });
                }
            }
            anyhow::Ok(acked)
        })
    });
    let mut all = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        all.extend(task.await??);
    }
    Ok(all)
}
