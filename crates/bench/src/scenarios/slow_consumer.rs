//! P8: a slow consumer in a busy group. The members of a group are all online and read everything;
//! a few of them send into the group at a fixed rate. One more member, connected with a small
//! socket receive buffer, reads along in phase A and stops reading its socket entirely in phase B.
//! The other members' send→delivered latency is measured in both phases (P4's machinery, one
//! "step" per phase), the server's memory before and after phase B, and when the server gave up on
//! the stalled member: a session's queue holds 1,024 deliveries and a blocked write is abandoned
//! after `write_timeout_seconds`, so the server drops it instead of buffering without bound.
//!
//! When the server dropped it is read from the server's `/metrics` (its open connections and
//! `mynah_slow_consumers_dropped_total`), polled during phase B: the client cannot see the end
//! of its connection before it reads what its socket buffers still hold. After phase B the stalled
//! member reads again, to the end: the frames still buffered in the sockets, and the close frame's
//! code and reason if the server sent one.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

use crate::raw::RawReader;
use crate::report::{LatencySummary, ScenarioReport};
use crate::scenarios::Context;
use crate::scenarios::fanout::{self, Shared};
use crate::server::ServerProcess;

pub struct SlowConsumerOptions {
    /// Members that read everything (the stalled member comes on top).
    pub members: usize,
    pub senders: usize,
    /// Group messages per second, in both phases.
    pub rate: f64,
    pub phase_seconds: u64,
    /// Phase B goes on past `phase_seconds`, a second at a time, until the server drops the stalled
    /// member, for at most this many seconds in all.
    pub max_phase_b_seconds: u64,
    /// The stalled member's socket receive buffer, in bytes (the kernel doubles it).
    pub recv_buffer: u32,
    /// The server's `write_timeout_seconds`; 0 keeps its default (10 s).
    pub write_timeout_seconds: u64,
}

const PHASE_A: usize = 0;
const PHASE_B: usize = 1;
const TARGET_P99_INCREASE: f64 = 0.10;
const TARGET_MEMORY_BYTES: f64 = 1024.0 * 1024.0;
const CONNECTIONS_METRIC: &str = "mynah_connections";
const SLOW_DROPS_METRIC: &str = "mynah_slow_consumers_dropped_total";

pub async fn run(context: &Context, options: &SlowConsumerOptions) -> anyhow::Result<ScenarioReport> {
    let members = options.members.max(2);
    let mut report = ScenarioReport::new(
        "P8",
        "slow consumer in a busy group",
        json!({"members": members, "senders": options.senders, "rate_msgs_per_s": options.rate,
            "phase_seconds": options.phase_seconds, "max_phase_b_seconds": options.max_phase_b_seconds,
            "slow_recv_buffer_bytes": options.recv_buffer,
            "server_write_timeout_seconds": options.write_timeout_seconds}),
    );
    let mut server_options = context.server.clone();
    if options.write_timeout_seconds > 0 {
        server_options.env.push(("MYNAH_WRITE_TIMEOUT_SECONDS".to_owned(), options.write_timeout_seconds.to_string()));
    }
    let server = ServerProcess::start(&server_options).await?;
    let endpoint = server.endpoint();
    let names: Vec<String> = (0..members).map(|index| format!("member{index}")).collect();
    let mut connections = fanout::connect_members(std::slice::from_ref(&endpoint), &names, 0, 128, None).await?;
    let slow = ["slow".to_owned()];
    connections.extend(
        fanout::connect_members(std::slice::from_ref(&endpoint), &slow, members, 1, Some(options.recv_buffer)).await?,
    );
    fanout::create_and_join(&mut connections, "P8").await?;
    let (slow_reader, _slow_writer) = connections.pop().context("the slow member")?;

    let shared = Shared::new(2);
    let mut listening = fanout::listen(connections, options.senders, &shared);
    let (stop_reading, stop) = oneshot::channel();
    let slow_task = tokio::spawn(read_until(slow_reader, stop));
    let duration = Duration::from_secs(options.phase_seconds);
    let receivers = members as u64 - 1;

    // Phase A: everyone reads.
    let rss_start = server.rss_bytes();
    listening.sinks =
        fanout::send_step(std::mem::take(&mut listening.sinks), &shared, PHASE_A, options.rate, duration).await?;
    fanout::await_deliveries(&shared.steps[PHASE_A], receivers).await;
    let rss_before = server.rss_bytes();

    // Phase B: the slow member stops reading; its writer stays open, so the server sees no leave.
    let _ = stop_reading.send(());
    let (mut slow_reader, slow_frames_a, slow_ended_early) = slow_task.await?;
    let baseline = metrics(server.address).await?;
    let baseline_connections = metric_value(&baseline, CONNECTIONS_METRIC).context("no connection gauge")?;
    let baseline_drops = metric_value(&baseline, SLOW_DROPS_METRIC).unwrap_or(0.0);
    let phase_b_started = Instant::now();
    let phase_b_cap = phase_b_started + Duration::from_secs(options.max_phase_b_seconds.max(options.phase_seconds));
    let watch_until = phase_b_cap + Duration::from_secs(1);
    let watcher = tokio::spawn(watch_for_drop(server.address, baseline_connections, baseline_drops, watch_until));
    listening.sinks =
        fanout::send_step(std::mem::take(&mut listening.sinks), &shared, PHASE_B, options.rate, duration).await?;
    // The kernel's socket buffers take the first MiBs: the server's write blocks only then.
    while !watcher.is_finished() && Instant::now() + Duration::from_secs(1) <= phase_b_cap {
        let second = Duration::from_secs(1);
        listening.sinks =
            fanout::send_step(std::mem::take(&mut listening.sinks), &shared, PHASE_B, options.rate, second).await?;
    }
    let phase_b_seconds = phase_b_started.elapsed().as_secs_f64();
    fanout::await_deliveries(&shared.steps[PHASE_B], receivers).await;
    let rss_after = server.rss_bytes();
    let dropped = watcher.await?.map(|(seen, by_write_timeout)| (seen - phase_b_started, by_write_timeout));
    let rss_after_drop = server.rss_bytes();
    let peak_rss = crate::procfs::peak_rss_bytes(server.pid());

    // The stalled member reads again: what its sockets still held, then the end (or silence).
    let drained = slow_reader.drain(Duration::from_secs(2)).await;
    let others_dropped = shared.closed.load(Ordering::Relaxed);
    listening.stop();
    server.stop().await?;

    let mut p99 = [0.0; 2];
    for (phase, name) in [(PHASE_A, "A, all reading"), (PHASE_B, "B, one member stalled")] {
        let stats = &shared.steps[phase];
        let latency = LatencySummary::of(&stats.delivery.snapshot());
        let expected = stats.sent.load(Ordering::Relaxed) * receivers;
        let delivered = stats.delivered.load(Ordering::Relaxed);
        p99[phase] = latency.p99_ms;
        report.latency(&format!("phase {name}: others' send → delivered"), latency);
        report.latency(&format!("phase {name}: send → ack"), LatencySummary::of(&stats.ack.snapshot()));
        report.metric(
            &format!("phase {name}: delivered of expected"),
            delivered as f64 * 100.0 / expected.max(1) as f64,
            "%",
        );
    }
    let ratio = p99[PHASE_B] / p99[PHASE_A].max(0.001);
    let growth = rss_after as f64 - rss_before as f64;
    let held = drained.bytes as f64;
    let mib = |bytes: f64| bytes / (1024.0 * 1024.0);
    report.metric("phase B length", phase_b_seconds, "s");
    report.metric("others' p99, phase B / phase A", ratio, "x");
    report.metric("server RSS growth over phase A", mib(rss_before as f64 - rss_start as f64), "MiB");
    report.metric("server RSS before phase B", mib(rss_before as f64), "MiB");
    report.metric("server RSS after phase B", mib(rss_after as f64), "MiB");
    report.metric("server RSS growth over phase B", mib(growth), "MiB");
    report.metric("server RSS after the drop", mib(rss_after_drop as f64), "MiB");
    report.metric("server peak RSS", mib(peak_rss as f64), "MiB");
    report.metric("slow member: frames read in phase A", slow_frames_a as f64, "");
    report.metric("slow member: frames still buffered after phase B", drained.frames as f64, "");
    report.metric("slow member: bytes still buffered after phase B", mib(held), "MiB");
    report.metric("other member sessions dropped", others_dropped as f64, "");
    match &dropped {
        Some((after, by_write_timeout)) => {
            report.metric("slow member dropped after phase B began", after.as_secs_f64(), "s");
            report.note(format!(
                "the server dropped the stalled member {:.1} s into phase B ({})",
                after.as_secs_f64(),
                if *by_write_timeout { "its blocked write timed out" } else { "its connection ended" }
            ));
        }
        None => report.note("the server never dropped the stalled member while it was watched"),
    }
    let close = match &drained.close {
        Some((code, reason)) => format!("close frame {code} {reason:?}"),
        None if drained.ended => "connection ended without a close frame".to_owned(),
        None => "connection still open".to_owned(),
    };
    report.note(format!("the stalled member, reading again: {} frames, then {close}", drained.frames));
    if slow_ended_early {
        report.note("the slow member's connection ended during phase A");
    }
    report.target(
        "others' p99 moves ≤ 10 %",
        format!("p99 {:.2} ms → {:.2} ms ({:+.1} %)", p99[PHASE_A], p99[PHASE_B], (ratio - 1.0) * 100.0),
        ratio <= 1.0 + TARGET_P99_INCREASE && others_dropped == 0,
    );
    // What the server held for the stalled member is mostly in its socket's send buffer (kernel
    // memory, not in its RSS), which the member reads once it reads again; its own queue (at most
    // 1,024 deliveries, which share their payload with the other members') is in the RSS, but so
    // is the store's growth, which makes the RSS grow as much in phase A: context, not the check.
    report.target(
        "slow consumer disconnected, its queue ≤ 1 MiB",
        format!(
            "{}; {:.2} MiB still buffered for it in the sockets; server RSS {:+.2} MiB over phase B \
             ({:+.2} MiB over phase A)",
            match &dropped {
                Some((after, _)) => format!("dropped after {:.1} s", after.as_secs_f64()),
                None => "not dropped".to_owned(),
            },
            mib(held),
            mib(growth),
            mib(rss_before as f64 - rss_start as f64)
        ),
        dropped.is_some() && held <= TARGET_MEMORY_BYTES,
    );
    Ok(report)
}

/// Reads and discards the slow member's frames until told to stop. Returns the reader, the frames
/// read and whether the connection ended before that.
async fn read_until(mut reader: RawReader, mut stop: oneshot::Receiver<()>) -> (RawReader, u64, bool) {
    let mut frames = 0;
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => return (reader, frames, false),
            frame = reader.next_text_bytes() => match frame {
                Ok(Some(_)) => frames += 1,
                Ok(None) | Err(_) => break,
            },
        }
    }
    (reader, frames, true)
}

/// Polls the server's metrics until it drops a connection (fewer than `connections` open) or
/// counts a slow consumer, or until `until`. Returns when it saw that, and whether the count did.
async fn watch_for_drop(address: SocketAddr, connections: f64, drops: f64, until: Instant) -> Option<(Instant, bool)> {
    while Instant::now() < until {
        if let Ok(text) = metrics(address).await {
            let by_write_timeout = metric_value(&text, SLOW_DROPS_METRIC).is_some_and(|value| value > drops);
            if by_write_timeout || metric_value(&text, CONNECTIONS_METRIC).is_some_and(|open| open < connections) {
                return Some((Instant::now(), by_write_timeout));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// The server's `/metrics` text (the response's head included: the lines looked for are in the body).
async fn metrics(address: SocketAddr) -> anyhow::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").await?;
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(2), stream.read_to_string(&mut text)).await??;
    Ok(text)
}

/// The value of an unlabelled metric in Prometheus text.
fn metric_value(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')).and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_unlabelled_metric() {
        let text = "# TYPE mynah_connections gauge\nmynah_connections 501\nmynah_connections_total 7\n";
        assert_eq!(metric_value(text, CONNECTIONS_METRIC), Some(501.0));
        assert_eq!(metric_value(text, SLOW_DROPS_METRIC), None);
    }
}
