//! P4: fan-out to a group of 1,000 online members. Every member is connected; a few of them send
//! into the group on an open-loop schedule, at rising rates, each step for a few seconds. Every
//! other member's session receives each message: deliveries per second and send→delivered latency
//! per step, until the server (or the client) cannot keep up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::procfs::CpuMeter;
use crate::report::{LatencySummary, ScenarioReport, SharedHistogram};
use crate::scenarios::{Context, LatencyBatch, connect_users};
use crate::server::ServerProcess;
use crate::wire::{self, Frame, Socket};

pub struct FanoutOptions {
    pub members: usize,
    pub senders: usize,
    /// Group messages per second offered at each step.
    pub rates: Vec<f64>,
    pub step_seconds: u64,
}

const GROUP_ID: &str = "bench-fanout";
const TARGET_DELIVERIES_PER_SECOND: f64 = 1_500_000.0;
const TARGET_P99_MS: f64 = 20.0;
const ID_STEP_SHIFT: u32 = 56;
const ID_TIME_MASK: u64 = (1 << ID_STEP_SHIFT) - 1;

#[derive(Default)]
struct StepStats {
    sent: AtomicU64,
    acked: AtomicU64,
    delivered: AtomicU64,
    last_delivery_nanos: AtomicU64,
    delivery: SharedHistogram,
    ack: SharedHistogram,
}

struct Shared {
    steps: Vec<StepStats>,
    closed: AtomicU64,
}

pub async fn run(context: &Context, options: &FanoutOptions) -> anyhow::Result<ScenarioReport> {
    let members = options.members.max(2);
    let mut report = ScenarioReport::new(
        "P4",
        "group fan-out to online members",
        json!({"members": members, "senders": options.senders, "rates_msgs_per_s": options.rates, "step_seconds": options.step_seconds}),
    );
    let server = ServerProcess::start(&context.server).await?;
    let endpoint = server.endpoint();
    let names: Vec<String> = (0..members).map(|index| format!("member{index}")).collect();
    let mut sockets = connect_users(&endpoint, &names, 0, 128).await?;

    // The first member creates a meeting group ("ChatRoom" on the wire: free to join); everyone else joins it.
    let create = json!({"type": "ChatRoom", "name": "fan-out", "groupID": GROUP_ID});
    wire::call(&mut sockets[0], 2, wire::request_frame(2, "createGroup", create), &mut |_| {}).await?;
    futures_util::stream::iter(sockets.iter_mut().skip(1))
        .for_each_concurrent(64, |socket| async move {
            let join = wire::request_frame(2, "joinGroup", json!({"groupID": GROUP_ID}));
            if let Err(error) = wire::call(socket, 2, join, &mut |_| {}).await {
                eprintln!("P4: join failed: {error:#}");
            }
        })
        .await;

    let shared = Arc::new(Shared {
        steps: options.rates.iter().map(|_| StepStats::default()).collect(),
        closed: AtomicU64::new(0),
    });
    let mut sinks = Vec::new();
    let mut readers = Vec::new();
    for (index, socket) in sockets.into_iter().enumerate() {
        let (sink, stream) = socket.split();
        readers.push(tokio::spawn(read(stream, shared.clone())));
        // Dropping a listener's sink half leaves its connection open (the stream half owns it too).
        if index < options.senders.max(1) {
            sinks.push(sink);
        }
    }
    let server_pid = server.pid();
    let mut best: Option<(f64, f64)> = None;
    let mut step_rows = Vec::new();
    for (step, &rate) in options.rates.iter().enumerate() {
        let server_cpu = CpuMeter::start(&[server_pid]);
        let client_cpu = CpuMeter::start(&[std::process::id()]);
        let started_nanos = wire::unix_nanos() + 100_000_000;
        let duration = Duration::from_secs(options.step_seconds);
        let per_sender = rate / sinks.len() as f64;
        let interval = Duration::from_secs_f64(1.0 / per_sender.max(0.001));
        let count = sinks.len();
        let tasks: Vec<_> = sinks
            .into_iter()
            .enumerate()
            .map(|(index, sink)| {
                let offset = interval.mul_f64(index as f64 / count as f64);
                tokio::spawn(send_steadily(sink, shared.clone(), step, index, interval, offset, duration))
            })
            .collect();
        sinks = Vec::new();
        for task in tasks {
            sinks.push(task.await?);
        }
        let stats = &shared.steps[step];
        let expected = |stats: &StepStats| stats.sent.load(Ordering::Relaxed) * (members as u64 - 1);
        let drain_deadline = Instant::now() + Duration::from_secs(10);
        while stats.delivered.load(Ordering::Relaxed) < expected(stats) && Instant::now() < drain_deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Readers flush their local histograms every 100 ms.
        tokio::time::sleep(Duration::from_millis(250)).await;
        let delivered = stats.delivered.load(Ordering::Relaxed);
        let span = (stats.last_delivery_nanos.load(Ordering::Relaxed).saturating_sub(started_nanos)) as f64 / 1e9;
        let throughput = delivered as f64 / span.max(duration.as_secs_f64());
        let latency = LatencySummary::of(&stats.delivery.snapshot());
        let ack = LatencySummary::of(&stats.ack.snapshot());
        let complete = delivered as f64 / expected(stats).max(1) as f64;
        let server_cores = server_cpu.cores();
        let client_cores = client_cpu.cores();
        report.latency(&format!("step {}: {rate:.0} msgs/s: send → delivered", step + 1), latency.clone());
        report.latency(&format!("step {}: {rate:.0} msgs/s: send → ack", step + 1), ack);
        step_rows
            .push(json!({"offered_msgs_per_s": rate, "deliveries_per_s": throughput, "delivered_fraction": complete,
            "p99_ms": latency.p99_ms, "server_cores": server_cores, "client_cores": client_cores}));
        report.metric(
            &format!("step {}: deliveries/s (offered {rate:.0} msgs/s)", step + 1),
            throughput,
            "deliveries/s",
        );
        report.metric(&format!("step {}: delivered of expected", step + 1), complete * 100.0, "%");
        report.metric(
            &format!("step {}: server CPU / client CPU", step + 1),
            server_cores * 100.0,
            &format!("% / {:.0} %", client_cores * 100.0),
        );
        if complete >= 0.999
            && latency.p99_ms <= TARGET_P99_MS
            && best.is_none_or(|(best_rate, _)| throughput > best_rate)
        {
            best = Some((throughput, latency.p99_ms));
        }
        if complete < 0.99 || latency.p99_ms > 1000.0 || shared.closed.load(Ordering::Relaxed) > 0 {
            report.note(format!("stopped after step {}: the run could not keep up", step + 1));
            break;
        }
    }
    let closed = shared.closed.load(Ordering::Relaxed);
    report.metric("member sessions dropped", closed as f64, "");
    report.parameters["steps"] = json!(step_rows);
    drop(sinks);
    for reader in readers {
        reader.abort();
    }
    server.stop().await?;

    let (best_rate, best_p99) = best.unwrap_or((0.0, 0.0));
    report.metric("best step with p99 ≤ 20 ms", best_rate, "deliveries/s");
    report.target(
        "≥ 1.5M deliveries/s; p99 ≤ 20 ms",
        format!("{best_rate:.0} deliveries/s at p99 {best_p99:.2} ms (best step within the latency bound)"),
        best_rate >= TARGET_DELIVERIES_PER_SECOND,
    );
    Ok(report)
}

async fn send_steadily(
    mut sink: SplitSink<Socket, Message>,
    shared: Arc<Shared>,
    step: usize,
    sender: usize,
    interval: Duration,
    offset: Duration,
    duration: Duration,
) -> SplitSink<Socket, Message> {
    let base = Instant::now() + Duration::from_millis(100);
    let base_unix = wire::unix_nanos() + 100_000_000;
    let end = base + duration;
    let mut next = base + offset;
    let mut sequence = 0u64;
    while next < end {
        tokio::time::sleep_until(next.into()).await;
        let intended = base_unix + (next - base).as_nanos() as u64;
        sequence += 1;
        let client_msg_id = format!("f{step}_{sender}_{sequence}");
        // The request id carries the step and the intended send time (µs) for the ack latency.
        let id = ((step as u64) << ID_STEP_SHIFT) | ((intended / 1000) & ID_TIME_MASK);
        let frame =
            wire::send_message_frame(id, "GROUP", GROUP_ID, &client_msg_id, &wire::timed_text(intended, step as u64));
        shared.steps[step].sent.fetch_add(1, Ordering::Relaxed);
        if sink.send(Message::text(frame)).await.is_err() {
            break;
        }
        next += interval;
    }
    sink
}

async fn read(mut stream: SplitStream<Socket>, shared: Arc<Shared>) {
    let mut deliveries: Vec<LatencyBatch> = shared.steps.iter().map(|step| LatencyBatch::new(&step.delivery)).collect();
    let mut acks: Vec<LatencyBatch> = shared.steps.iter().map(|step| LatencyBatch::new(&step.ack)).collect();
    let mut counts = vec![0u64; shared.steps.len()];
    let mut flush = tokio::time::interval(Duration::from_millis(100));
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            _ = flush.tick() => {
                for (step, count) in counts.iter_mut().enumerate() {
                    shared.steps[step].delivered.fetch_add(std::mem::take(count), Ordering::Relaxed);
                }
                deliveries.iter_mut().chain(acks.iter_mut()).for_each(LatencyBatch::flush);
                continue;
            }
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break,
        };
        match wire::classify(&text) {
            Frame::MessagePush { text: Some(body) } => {
                if let Some((intended, step)) = wire::parse_timed_text(body)
                    && let Some(stats) = shared.steps.get(step as usize)
                {
                    let now = wire::unix_nanos();
                    deliveries[step as usize].record(Duration::from_nanos(now.saturating_sub(intended)));
                    counts[step as usize] += 1;
                    stats.last_delivery_nanos.fetch_max(now, Ordering::Relaxed);
                }
            }
            Frame::Response { id, code } => {
                let step = (id >> ID_STEP_SHIFT) as usize;
                if code == 0
                    && let Some(stats) = shared.steps.get(step)
                {
                    let intended_micros = id & ID_TIME_MASK;
                    let now_micros = (wire::unix_nanos() / 1000) & ID_TIME_MASK;
                    acks[step].record(Duration::from_micros(now_micros.saturating_sub(intended_micros)));
                    stats.acked.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {}
        }
    }
    for (step, count) in counts.iter().enumerate() {
        shared.steps[step].delivered.fetch_add(*count, Ordering::Relaxed);
    }
    shared.closed.fetch_add(1, Ordering::Relaxed);
}
