//! P4: fan-out to a group of 1,000 online members. Every member is connected; a few of them send
//! into the group on an open-loop schedule, at rising rates, each step for a few seconds. Every
//! other member's session receives each message: deliveries per second and send→delivered latency
//! per step, until the server (or the client) cannot keep up.
//!
//! The members speak through [`raw`]: at a million deliveries per second the load generator shares
//! the two cores with the server, so a delivery must cost it little more than a header parse, a
//! search for the timestamp and a histogram entry. Every delivery is still counted and timed from
//! its message's intended send time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::StreamExt;
use memchr::memmem;
use serde_json::json;

use crate::cluster::Deployment;
use crate::procfs::CpuMeter;
use crate::raw::{self, RawReader, RawWriter};
use crate::report::{LatencySummary, ScenarioReport, SharedHistogram};
use crate::scenarios::{Context, LatencyBatch};
use crate::wire::{self, Endpoint, Frame};

pub struct FanoutOptions {
    pub members: usize,
    pub senders: usize,
    /// Group messages per second offered at each step.
    pub rates: Vec<f64>,
    pub step_seconds: u64,
}

/// The group every member joins (P8 uses the same one on its own server).
pub(super) const GROUP_ID: &str = "bench-fanout";
const TARGET_DELIVERIES_PER_SECOND: f64 = 1_500_000.0;
const TARGET_P99_MS: f64 = 20.0;
const ID_STEP_SHIFT: u32 = 56;
const ID_TIME_MASK: u64 = (1 << ID_STEP_SHIFT) - 1;

/// What the senders and readers count during one step (P8: one phase), shared by all of them.
#[derive(Default)]
pub(super) struct StepStats {
    pub(super) sent: AtomicU64,
    acked: AtomicU64,
    pub(super) delivered: AtomicU64,
    pub(super) last_delivery_nanos: AtomicU64,
    pub(super) delivery: SharedHistogram,
    pub(super) ack: SharedHistogram,
}

pub(super) struct Shared {
    pub(super) steps: Vec<StepStats>,
    /// Member sessions whose reader ended: the server dropped them.
    pub(super) closed: AtomicU64,
}

impl Shared {
    pub(super) fn new(steps: usize) -> Arc<Shared> {
        Arc::new(Shared { steps: (0..steps).map(|_| StepStats::default()).collect(), closed: AtomicU64::new(0) })
    }
}

pub async fn run(context: &Context, options: &FanoutOptions) -> anyhow::Result<ScenarioReport> {
    let members = options.members.max(2);
    let mut report = ScenarioReport::new(
        "P4",
        "group fan-out to online members",
        json!({"members": members, "senders": options.senders, "rates_msgs_per_s": options.rates, "step_seconds": options.step_seconds,
               "nodes": context.topology.nodes, "cluster": context.topology.cluster}),
    );
    let deployment = Deployment::start(&context.server, context.topology).await?;
    let names: Vec<String> = (0..members).map(|index| format!("member{index}")).collect();
    // Round-robin over the nodes: senders and receivers sit on every node.
    let mut connections = connect_members(&deployment.endpoints(), &names, 0, 128, None).await?;
    create_and_join(&mut connections, "P4").await?;

    let shared = Shared::new(options.rates.len());
    let mut listening = listen(connections, options.senders, &shared);
    let server_processes = deployment.all_processes();
    let mut best: Option<(f64, f64)> = None;
    let mut step_rows = Vec::new();
    for (step, &rate) in options.rates.iter().enumerate() {
        let server_cpu = CpuMeter::of(server_processes.clone());
        let node_cpu = CpuMeter::of(deployment.node_processes());
        let postgres_cpu = CpuMeter::of(deployment.postgres_processes());
        let nats_cpu = CpuMeter::of(deployment.nats_processes());
        let client_cpu = CpuMeter::start(&[std::process::id()]);
        let started_nanos = wire::unix_nanos() + 100_000_000;
        let duration = Duration::from_secs(options.step_seconds);
        listening.sinks = send_step(std::mem::take(&mut listening.sinks), &shared, step, rate, duration).await?;
        let stats = &shared.steps[step];
        let expected = |stats: &StepStats| stats.sent.load(Ordering::Relaxed) * (members as u64 - 1);
        await_deliveries(stats, members as u64 - 1).await;
        let delivered = stats.delivered.load(Ordering::Relaxed);
        let span = (stats.last_delivery_nanos.load(Ordering::Relaxed).saturating_sub(started_nanos)) as f64 / 1e9;
        let throughput = delivered as f64 / span.max(duration.as_secs_f64());
        let latency = LatencySummary::of(&stats.delivery.snapshot());
        let ack = LatencySummary::of(&stats.ack.snapshot());
        let complete = delivered as f64 / expected(stats).max(1) as f64;
        let server_cores = server_cpu.cores();
        let client_cores = client_cpu.cores();
        let per_delivery = |used: Duration| used.as_secs_f64() * 1e6 / delivered.max(1) as f64;
        let server_micros = per_delivery(server_cpu.used());
        let node_micros = per_delivery(node_cpu.used());
        let postgres_micros = per_delivery(postgres_cpu.used());
        let nats_micros = per_delivery(nats_cpu.used());
        let client_micros = per_delivery(client_cpu.used());
        report.latency(&format!("step {}: {rate:.0} msgs/s: send → delivered", step + 1), latency.clone());
        report.latency(&format!("step {}: {rate:.0} msgs/s: send → ack", step + 1), ack);
        step_rows.push(
            json!({"offered_msgs_per_s": rate, "deliveries_per_s": throughput, "delivered_fraction": complete,
            "p99_ms": latency.p99_ms, "server_cores": server_cores, "client_cores": client_cores,
            "server_cpu_us_per_delivery": server_micros, "node_cpu_us_per_delivery": node_micros,
            "postgres_cpu_us_per_delivery": postgres_micros, "nats_cpu_us_per_delivery": nats_micros,
            "client_cpu_us_per_delivery": client_micros}),
        );
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
        report.metric(
            &format!("step {}: server / client CPU per delivery", step + 1),
            server_micros,
            &format!("µs / {client_micros:.2} µs"),
        );
        if context.topology.cluster {
            let step_name = step + 1;
            report.metric(&format!("step {step_name}: mynah nodes' CPU per delivery"), node_micros, "µs");
            report.metric(&format!("step {step_name}: PostgreSQL CPU per delivery"), postgres_micros, "µs");
            report.metric(&format!("step {step_name}: NATS CPU per delivery"), nats_micros, "µs");
        }
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
    listening.stop();
    deployment.stop().await?;

    let (best_rate, best_p99) = best.unwrap_or((0.0, 0.0));
    report.metric("best step with p99 ≤ 20 ms", best_rate, "deliveries/s");
    report.target(
        "≥ 1.5M deliveries/s; p99 ≤ 20 ms",
        format!("{best_rate:.0} deliveries/s at p99 {best_p99:.2} ms (best step within the latency bound)"),
        best_rate >= TARGET_DELIVERIES_PER_SECOND,
    );
    Ok(report)
}

/// Connects and logs in `users` (round-robin over the nodes' `endpoints`) from source addresses `first_source..`, `concurrency` at a time,
/// with `recv_buffer` bytes of socket receive buffer if set. Fails if any login fails: setup
/// steps must be complete before anything is measured.
pub(super) async fn connect_members(
    endpoints: &[Endpoint],
    users: &[String],
    first_source: usize,
    concurrency: usize,
    recv_buffer: Option<u32>,
) -> anyhow::Result<Vec<(RawReader, RawWriter)>> {
    let logins = futures_util::stream::iter(users.iter().enumerate())
        .map(|(index, user)| async move {
            // Member `i` logs in to node `i % nodes`.
            let endpoint = &endpoints[index % endpoints.len()];
            let (mut reader, mut writer) = raw::connect(endpoint.address, first_source + index, recv_buffer).await?;
            let login = endpoint.login_frame(1, user, &endpoint.user_sig(user));
            raw::call(&mut reader, &mut writer, 1, &login).await?;
            anyhow::Ok((reader, writer))
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    logins.into_iter().collect()
}

/// The members once their readers run: the first few write halves send, the others wait.
pub(super) struct Listening {
    pub(super) sinks: Vec<RawWriter>,
    idle_writers: Vec<RawWriter>,
    readers: Vec<tokio::task::JoinHandle<()>>,
}

impl Listening {
    /// Closes every member's connection.
    pub(super) fn stop(self) {
        drop(self.sinks);
        drop(self.idle_writers);
        for reader in self.readers {
            reader.abort();
        }
    }
}

/// Starts a [`read`] task per member; the first `senders` write halves are the sinks.
pub(super) fn listen(connections: Vec<(RawReader, RawWriter)>, senders: usize, shared: &Arc<Shared>) -> Listening {
    let mut listening = Listening { sinks: Vec::new(), idle_writers: Vec::new(), readers: Vec::new() };
    for (index, (reader, writer)) in connections.into_iter().enumerate() {
        listening.readers.push(tokio::spawn(read(reader, shared.clone())));
        // Dropping a write half shuts down the socket's sending side, which the server takes for
        // the client leaving: listeners keep theirs until the end.
        if index < senders.max(1) {
            listening.sinks.push(writer);
        } else {
            listening.idle_writers.push(writer);
        }
    }
    listening
}

/// The first connection creates a meeting group ("ChatRoom" on the wire: free to join) with
/// [`GROUP_ID`]; every other one joins it. `scenario` names failed joins.
pub(super) async fn create_and_join(connections: &mut [(RawReader, RawWriter)], scenario: &str) -> anyhow::Result<()> {
    let create = json!({"type": "ChatRoom", "name": "fan-out", "groupID": GROUP_ID});
    let (reader, writer) = connections.first_mut().context("no members")?;
    raw::call(reader, writer, 2, &wire::request_frame(2, "createGroup", create)).await?;
    let join = wire::request_frame(2, "joinGroup", json!({"groupID": GROUP_ID}));
    futures_util::stream::iter(connections.iter_mut().skip(1))
        .for_each_concurrent(64, |(reader, writer)| {
            let join = join.as_str();
            async move {
                if let Err(error) = raw::call(reader, writer, 2, join).await {
                    eprintln!("{scenario}: join failed: {error:#}");
                }
            }
        })
        .await;
    Ok(())
}

/// Sends `rate` group messages per second for `duration`, spread over `sinks` on an open-loop
/// schedule, counted and timed as `step`. Returns the sinks when the step's sends are done.
pub(super) async fn send_step(
    sinks: Vec<RawWriter>,
    shared: &Arc<Shared>,
    step: usize,
    rate: f64,
    duration: Duration,
) -> anyhow::Result<Vec<RawWriter>> {
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
    let mut sinks = Vec::with_capacity(count);
    for task in tasks {
        sinks.push(task.await?);
    }
    Ok(sinks)
}

/// Waits (up to 10 s) until every message sent in a step reached its `receivers_per_message`
/// readers, then for the readers' last flush of their histograms.
pub(super) async fn await_deliveries(stats: &StepStats, receivers_per_message: u64) {
    let expected = || stats.sent.load(Ordering::Relaxed) * receivers_per_message;
    let drain_deadline = Instant::now() + Duration::from_secs(10);
    while stats.delivered.load(Ordering::Relaxed) < expected() && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Readers flush their local histograms every 100 ms.
    tokio::time::sleep(Duration::from_millis(250)).await;
}

async fn send_steadily(
    mut sink: RawWriter,
    shared: Arc<Shared>,
    step: usize,
    sender: usize,
    interval: Duration,
    offset: Duration,
    duration: Duration,
) -> RawWriter {
    let base = Instant::now() + Duration::from_millis(100);
    let base_unix = wire::unix_nanos() + 100_000_000;
    let end = base + duration;
    let mut next = base + offset;
    while next < end {
        tokio::time::sleep_until(next.into()).await;
        let intended = base_unix + (next - base).as_nanos() as u64;
        // Unique across calls for the same step (P8 sends one phase in several): the server
        // treats a repeated id as a retry and delivers nothing.
        let client_msg_id = format!("f{step}_{sender}_{intended}");
        // The request id carries the step and the intended send time (µs) for the ack latency.
        let id = ((step as u64) << ID_STEP_SHIFT) | ((intended / 1000) & ID_TIME_MASK);
        let frame =
            wire::send_message_frame(id, "GROUP", GROUP_ID, &client_msg_id, &wire::timed_text(intended, step as u64));
        shared.steps[step].sent.fetch_add(1, Ordering::Relaxed);
        if sink.send_text(&frame).await.is_err() {
            break;
        }
        next += interval;
    }
    sink
}

/// How often a reader adds its counts to the shared ones.
const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// One member's deliveries and acks, counted locally and added to the shared stats every
/// [`FLUSH_INTERVAL`], so the hot path touches no shared cache line.
struct ReaderStats {
    deliveries: Vec<LatencyBatch>,
    acks: Vec<LatencyBatch>,
    counts: Vec<u64>,
    last_delivery_nanos: Vec<u64>,
    text_marker: memmem::Finder<'static>,
}

impl ReaderStats {
    fn new(shared: &Shared) -> ReaderStats {
        ReaderStats {
            deliveries: shared.steps.iter().map(|step| LatencyBatch::new(&step.delivery)).collect(),
            acks: shared.steps.iter().map(|step| LatencyBatch::new(&step.ack)).collect(),
            counts: vec![0; shared.steps.len()],
            last_delivery_nanos: vec![0; shared.steps.len()],
            text_marker: memmem::Finder::new(TEXT_MARKER),
        }
    }

    /// Counts and times one server frame, which arrived at `now` (Unix nanoseconds).
    fn observe(&mut self, frame: &[u8], now: u64, shared: &Shared) {
        if frame.starts_with(MESSAGE_PUSH_PREFIX) {
            let Some((intended, step)) = timed_text_of(frame, &self.text_marker) else { return };
            let step = step as usize;
            if step < self.counts.len() {
                self.deliveries[step].record(Duration::from_nanos(now.saturating_sub(intended)));
                self.counts[step] += 1;
                self.last_delivery_nanos[step] = self.last_delivery_nanos[step].max(now);
            }
            return;
        }
        // Responses are one per send (a few thousand per second): the general parser will do.
        let Ok(text) = std::str::from_utf8(frame) else { return };
        if let Frame::Response { id, code } = wire::classify(text) {
            let step = (id >> ID_STEP_SHIFT) as usize;
            if code == 0
                && let Some(stats) = shared.steps.get(step)
            {
                let intended_micros = id & ID_TIME_MASK;
                let now_micros = (now / 1000) & ID_TIME_MASK;
                self.acks[step].record(Duration::from_micros(now_micros.saturating_sub(intended_micros)));
                stats.acked.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn flush(&mut self, shared: &Shared) {
        for (step, stats) in shared.steps.iter().enumerate() {
            // Latencies first: the scenario reads the histogram once the counts are complete.
            self.deliveries[step].flush();
            self.acks[step].flush();
            stats.last_delivery_nanos.fetch_max(self.last_delivery_nanos[step], Ordering::Relaxed);
            stats.delivered.fetch_add(std::mem::take(&mut self.counts[step]), Ordering::Relaxed);
        }
    }
}

const MESSAGE_PUSH_PREFIX: &[u8] = br#"{"push":"message""#;
const TEXT_MARKER: &[u8] = br#""Text":""#;

/// Reads `{intended nanos}:{step}` from a message push's first text element (see
/// [`wire::timed_text`]) without decoding the frame. `marker` finds [`TEXT_MARKER`].
fn timed_text_of(frame: &[u8], marker: &memmem::Finder<'_>) -> Option<(u64, u64)> {
    let start = marker.find(frame)? + TEXT_MARKER.len();
    let (intended, rest) = leading_number(&frame[start..])?;
    let (step, _) = leading_number(rest.strip_prefix(b":")?)?;
    Some((intended, step))
}

fn leading_number(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let digits = bytes.iter().take_while(|byte| byte.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let value = bytes[..digits].iter().fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'));
    Some((value, &bytes[digits..]))
}

/// Reads one member's frames until its connection ends, counting and timing them in `shared`.
pub(super) async fn read(mut reader: RawReader, shared: Arc<Shared>) {
    let mut stats = ReaderStats::new(&shared);
    let mut flush = tokio::time::interval(FLUSH_INTERVAL);
    // The clock is read once per socket read: the frames of one read arrived together.
    let mut clock: Option<(u64, u64)> = None;
    loop {
        // Biased towards reading: the timer is polled only when no frame is buffered.
        let frame = tokio::select! {
            biased;
            frame = reader.next_text_bytes() => frame,
            _ = flush.tick() => {
                stats.flush(&shared);
                continue;
            }
        };
        match frame {
            Ok(Some((frame, read))) => {
                let now = match clock {
                    Some((clock_read, now)) if clock_read == read => now,
                    _ => {
                        let now = wire::unix_nanos();
                        clock = Some((read, now));
                        now
                    }
                };
                stats.observe(frame, now, &shared);
            }
            Ok(None) | Err(_) => break,
        }
    }
    stats.flush(&shared);
    shared.closed.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_timestamp_of_a_message_push() {
        let push = format!(
            r#"{{"push":"message","data":{{"ID":"a-b","msgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{}"}}}}]}}}}"#,
            wire::timed_text(1_700_000_000_123_456_789, 3)
        );
        assert!(push.as_bytes().starts_with(MESSAGE_PUSH_PREFIX));
        let marker = memmem::Finder::new(TEXT_MARKER);
        assert_eq!(timed_text_of(push.as_bytes(), &marker), Some((1_700_000_000_123_456_789, 3)));
        assert_eq!(timed_text_of(br#"{"push":"message","data":{"Text":"x"}}"#, &marker), None);
    }
}
