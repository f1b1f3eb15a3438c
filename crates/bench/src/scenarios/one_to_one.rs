//! P3: one-to-one messages, persisted before the ack (fsync'd group commit). Users are online in
//! pairs and each sends to its partner. Three phases on the same connections:
//!
//! 1. optional fill: closed loop until the store holds `--p3-rows` messages;
//! 2. peak: closed loop, `window` sends in flight per connection, for `peak_seconds`;
//! 3. half rate: open loop at half the peak rate for `half_seconds`, latency measured from each
//!    message's intended send time (no coordinated omission).
//!
//! Every message carries its intended send time, so the receiver measures send→delivered.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;

use crate::cluster::Deployment;
use crate::procfs::CpuMeter;
use crate::report::{LatencySummary, ScenarioReport, SharedHistogram};
use crate::scenarios::{Context, LatencyBatch, connect_users_to};
use crate::wire::{self, Frame, Socket};

pub struct OneToOneOptions {
    pub users: usize,
    pub peak_seconds: u64,
    pub half_seconds: u64,
    pub window: usize,
    /// Fill the store to this many messages before measuring (0: no fill).
    pub rows: u64,
}

const FILL: usize = 0;
const PEAK: usize = 1;
const HALF: usize = 2;
const PHASE_NAMES: [&str; 3] = ["fill", "peak (closed loop)", "half rate (open loop)"];

#[derive(Default)]
struct PhaseStats {
    sent: AtomicU64,
    acked: AtomicU64,
    errors: AtomicU64,
    delivered: AtomicU64,
    last_ack_nanos: AtomicU64,
    ack: SharedHistogram,
    delivery: SharedHistogram,
}

struct Shared {
    phases: [PhaseStats; 3],
    closed: AtomicU64,
}

/// One connection's sending half and what its reader needs to match acks.
struct Sender {
    sink: SplitSink<Socket, Message>,
    pending: mpsc::UnboundedSender<(u64, usize)>,
    window: Arc<Semaphore>,
    index: usize,
    partner: String,
    sent: u64,
}

impl Sender {
    async fn send(&mut self, shared: &Shared, intended: u64, phase: usize) -> anyhow::Result<()> {
        self.sent += 1;
        let client_msg_id = format!("b{}_{}", self.index, self.sent);
        let frame = wire::send_message_frame(
            self.sent,
            "C2C",
            &self.partner,
            &client_msg_id,
            &wire::timed_text(intended, phase as u64),
        );
        let _ = self.pending.send((intended, phase));
        shared.phases[phase].sent.fetch_add(1, Ordering::Relaxed);
        self.sink.send(Message::text(frame)).await?;
        Ok(())
    }

    /// Sends as fast as acks come back, `window` in flight, until `until` or the fill goal.
    async fn closed_loop(mut self, shared: Arc<Shared>, phase: usize, until: Instant, goal: u64) -> Sender {
        let window = self.window.clone();
        loop {
            let done =
                Instant::now() >= until || (goal > 0 && shared.phases[phase].acked.load(Ordering::Relaxed) >= goal);
            if done {
                break;
            }
            let permit = tokio::select! {
                permit = window.acquire() => permit,
                _ = tokio::time::sleep_until(until.into()) => break,
            };
            let Ok(permit) = permit else { break };
            permit.forget();
            if self.send(&shared, wire::unix_nanos(), phase).await.is_err() {
                break;
            }
        }
        self
    }

    /// Sends one message every `interval`, on schedule whatever the server does.
    async fn open_loop(
        mut self,
        shared: Arc<Shared>,
        phase: usize,
        interval: Duration,
        offset: Duration,
        duration: Duration,
    ) -> Sender {
        let base = Instant::now() + Duration::from_millis(100);
        let base_unix = wire::unix_nanos() + 100_000_000;
        let end = base + duration;
        let mut next = base + offset;
        while next < end {
            tokio::time::sleep_until(next.into()).await;
            let intended = base_unix + (next - base).as_nanos() as u64;
            if self.send(&shared, intended, phase).await.is_err() {
                break;
            }
            next += interval;
        }
        self
    }
}

async fn read(
    mut stream: SplitStream<Socket>,
    mut pending: mpsc::UnboundedReceiver<(u64, usize)>,
    window: Arc<Semaphore>,
    shared: Arc<Shared>,
) {
    let mut acks: Vec<LatencyBatch> = shared.phases.iter().map(|phase| LatencyBatch::new(&phase.ack)).collect();
    let mut deliveries: Vec<LatencyBatch> =
        shared.phases.iter().map(|phase| LatencyBatch::new(&phase.delivery)).collect();
    let mut flush = tokio::time::interval(Duration::from_millis(200));
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            _ = flush.tick() => {
                acks.iter_mut().chain(deliveries.iter_mut()).for_each(LatencyBatch::flush);
                continue;
            }
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break,
        };
        match wire::classify(&text) {
            Frame::Response { code, .. } => {
                if let Ok((intended, phase)) = pending.try_recv() {
                    let stats = &shared.phases[phase];
                    if code == 0 {
                        acks[phase].record(wire::since(intended));
                        stats.acked.fetch_add(1, Ordering::Relaxed);
                        stats.last_ack_nanos.fetch_max(wire::unix_nanos(), Ordering::Relaxed);
                    } else {
                        stats.errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                window.add_permits(1);
            }
            Frame::MessagePush { text: Some(body) } => {
                if let Some((intended, phase)) = wire::parse_timed_text(body)
                    && let Some(stats) = shared.phases.get(phase as usize)
                {
                    deliveries[phase as usize].record(wire::since(intended));
                    stats.delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {}
        }
    }
    shared.closed.fetch_add(1, Ordering::Relaxed);
}

/// Waits until every message of a phase is acknowledged and delivered, or `limit` passes.
async fn drain(shared: &Shared, phase: usize, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let stats = &shared.phases[phase];
    loop {
        let sent = stats.sent.load(Ordering::Relaxed);
        let answered = stats.acked.load(Ordering::Relaxed) + stats.errors.load(Ordering::Relaxed);
        if answered >= sent && stats.delivered.load(Ordering::Relaxed) >= stats.acked.load(Ordering::Relaxed) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn run(context: &Context, options: &OneToOneOptions) -> anyhow::Result<ScenarioReport> {
    let users = options.users.max(2) & !1;
    let mut report = ScenarioReport::new(
        "P3",
        "one-to-one messages persisted before the ack",
        json!({"online_users": users, "window_per_connection": options.window, "peak_seconds": options.peak_seconds,
               "half_rate_seconds": options.half_seconds, "fill_rows": options.rows, "durability": context.server.durability,
               "nodes": context.topology.nodes, "cluster": context.topology.cluster}),
    );
    let deployment = Deployment::start(&context.server, context.topology).await?;
    let names: Vec<String> = (0..users).map(|index| format!("pair{index}")).collect();
    // Round-robin over the nodes: with two or more nodes, partners sit on different nodes.
    let sockets = connect_users_to(&deployment.endpoints(), &names, 0, 128).await?;

    let shared = Arc::new(Shared { phases: Default::default(), closed: AtomicU64::new(0) });
    let mut senders = Vec::new();
    let mut readers = Vec::new();
    for (index, socket) in sockets.into_iter().enumerate() {
        let (sink, stream) = socket.split();
        let (pending, pending_receiver) = mpsc::unbounded_channel();
        let window = Arc::new(Semaphore::new(options.window.max(1)));
        readers.push(tokio::spawn(read(stream, pending_receiver, window.clone(), shared.clone())));
        senders.push(Sender { sink, pending, window, index, partner: names[index ^ 1].clone(), sent: 0 });
    }
    let server_processes = deployment.all_processes();
    let this_pid = std::process::id();

    // Phase 1: fill the store.
    if options.rows > 0 {
        let meter = CpuMeter::of(server_processes.clone());
        let started = Instant::now();
        let until = started + Duration::from_secs(900);
        senders = run_phase(senders, |sender| sender.closed_loop(shared.clone(), FILL, until, options.rows)).await;
        drain(&shared, FILL, Duration::from_secs(30)).await;
        let acked = shared.phases[FILL].acked.load(Ordering::Relaxed);
        report.metric("fill: messages stored", acked as f64, "");
        report.metric("fill: rate", acked as f64 / started.elapsed().as_secs_f64(), "msgs/s");
        report.metric("fill: server CPU", meter.cores() * 100.0, "% of a core");
    }

    // Phase 2: peak throughput, closed loop.
    let server_cpu = CpuMeter::of(server_processes.clone());
    let node_cpu = CpuMeter::of(deployment.node_processes());
    let postgres_cpu = CpuMeter::of(deployment.postgres_processes());
    let nats_cpu = CpuMeter::of(deployment.nats_processes());
    let client_cpu = CpuMeter::start(&[this_pid]);
    let started_nanos = wire::unix_nanos();
    let until = Instant::now() + Duration::from_secs(options.peak_seconds);
    senders = run_phase(senders, |sender| sender.closed_loop(shared.clone(), PEAK, until, 0)).await;
    let peak_drained = drain(&shared, PEAK, Duration::from_secs(10)).await;
    let peak = &shared.phases[PEAK];
    let peak_seconds = (peak.last_ack_nanos.load(Ordering::Relaxed).saturating_sub(started_nanos)) as f64 / 1e9;
    let peak_acked = peak.acked.load(Ordering::Relaxed);
    let peak_rate = peak_acked as f64 / peak_seconds.max(0.001);
    let peak_server_cores = server_cpu.cores();
    let peak_server_cpu = server_cpu.used();
    let peak_node_cpu = node_cpu.used();
    let peak_postgres_cpu = postgres_cpu.used();
    let peak_nats_cpu = nats_cpu.used();
    let peak_client_cores = client_cpu.cores();

    // Phase 3: half the peak rate, open loop.
    let half_rate = (peak_rate / 2.0).max(1.0);
    let interval = Duration::from_secs_f64(users as f64 / half_rate);
    let server_cpu = CpuMeter::of(server_processes.clone());
    let client_cpu = CpuMeter::start(&[this_pid]);
    let duration = Duration::from_secs(options.half_seconds);
    let count = senders.len();
    let mut position = 0;
    senders = run_phase(senders, |sender| {
        position += 1;
        let offset = interval.mul_f64(position as f64 / count as f64);
        sender.open_loop(shared.clone(), HALF, interval, offset, duration)
    })
    .await;
    let half_drained = drain(&shared, HALF, Duration::from_secs(10)).await;
    let half_server_cores = server_cpu.cores();
    let half_client_cores = client_cpu.cores();
    let half = &shared.phases[HALF];
    let half_acked = half.acked.load(Ordering::Relaxed);
    let half_achieved = half_acked as f64 / duration.as_secs_f64();

    let rows: u64 = shared.phases.iter().map(|phase| phase.acked.load(Ordering::Relaxed)).sum();
    let closed_connections = shared.closed.load(Ordering::Relaxed);
    drop(senders);
    for reader in readers {
        reader.abort();
    }
    deployment.stop().await?;

    for (phase, name) in PHASE_NAMES.iter().enumerate().skip(if options.rows > 0 { 0 } else { 1 }) {
        let stats = &shared.phases[phase];
        report.latency(&format!("{name}: send → ack"), LatencySummary::of(&stats.ack.snapshot()));
        report.latency(&format!("{name}: send → delivered"), LatencySummary::of(&stats.delivery.snapshot()));
    }
    report.metric("peak: messages acknowledged", peak_acked as f64, "");
    report.metric("peak: throughput", peak_rate, "msgs/s");
    report.metric("peak: server CPU", peak_server_cores * 100.0, "% of a core");
    report.metric("peak: server CPU per message", peak_server_cpu.as_secs_f64() * 1e6 / peak_acked.max(1) as f64, "µs");
    if context.topology.cluster {
        let per_message = |used: Duration| used.as_secs_f64() * 1e6 / peak_acked.max(1) as f64;
        report.metric("peak: mynah nodes' CPU per message", per_message(peak_node_cpu), "µs");
        report.metric("peak: PostgreSQL CPU per message", per_message(peak_postgres_cpu), "µs");
        report.metric("peak: NATS CPU per message", per_message(peak_nats_cpu), "µs");
    }
    report.metric("peak: client CPU", peak_client_cores * 100.0, "% of a core");
    report.metric("half rate: offered", half_rate, "msgs/s");
    report.metric("half rate: achieved", half_achieved, "msgs/s");
    report.metric("half rate: server CPU", half_server_cores * 100.0, "% of a core");
    report.metric("half rate: client CPU", half_client_cores * 100.0, "% of a core");
    let errors: u64 = shared.phases.iter().map(|phase| phase.errors.load(Ordering::Relaxed)).sum();
    let undelivered: u64 = shared
        .phases
        .iter()
        .map(|phase| phase.acked.load(Ordering::Relaxed).saturating_sub(phase.delivered.load(Ordering::Relaxed)))
        .sum();
    report.metric("send errors", errors as f64, "");
    report.metric("acknowledged but not delivered", undelivered as f64, "");
    report.metric("connections dropped by the server", closed_connections as f64, "");
    report.metric("rows stored (acknowledged sends)", rows as f64, "");
    if !peak_drained || !half_drained {
        report.note("a phase did not drain within 10 s: some sends were unanswered or undelivered");
    }

    let half_ack = LatencySummary::of(&half.ack.snapshot());
    let half_delivery = LatencySummary::of(&half.delivery.snapshot());
    report.target(
        "≥ 20,000 msgs/s sustained with ≥ 1M rows stored",
        format!("{peak_rate:.0} msgs/s peak with {rows} rows stored"),
        peak_rate >= 20_000.0 && rows >= 1_000_000,
    );
    report.target(
        "send→ack p99 ≤ 10 ms (at half the peak rate)",
        format!("p99 {:.2} ms at {half_achieved:.0} msgs/s", half_ack.p99_ms),
        half_ack.p99_ms <= 10.0 && half_ack.count > 0,
    );
    report.target(
        "send→delivered p99 ≤ 20 ms at half the peak rate",
        format!("p99 {:.2} ms at {half_achieved:.0} msgs/s", half_delivery.p99_ms),
        half_delivery.p99_ms <= 20.0 && half_delivery.count > 0,
    );
    Ok(report)
}

/// Runs one task per sender and gives the senders back when all are done.
async fn run_phase<F, Fut>(senders: Vec<Sender>, mut start: F) -> Vec<Sender>
where
    F: FnMut(Sender) -> Fut,
    Fut: std::future::Future<Output = Sender> + Send + 'static,
{
    let tasks: Vec<_> = senders.into_iter().map(|sender| tokio::spawn(start(sender))).collect();
    let mut senders = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(sender) = task.await {
            senders.push(sender);
        }
    }
    senders
}
