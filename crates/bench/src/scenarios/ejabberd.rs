//! P9: Mynah side by side with ejabberd (Debian's package, started by `scripts/bench-ejabberd.sh`),
//! the same workload against both in the same run: N users log in over WebSocket (XMPP per RFC 7395
//! for ejabberd), server memory per connection; one-to-one messages between partners at rising
//! open-loop rates; then all N in one group (a meeting group / a MUC room) with a few senders at rising
//! rates. A step is sustained when at least 99.9 % of its messages arrive and p99 ≤ 100 ms. Reported:
//! each server's best sustained step and the ratios.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::procfs;
use crate::report::{LatencySummary, ScenarioReport, SharedHistogram};
use crate::scenarios::{Context, LatencyBatch, connect_users};
use crate::server::ServerProcess;
use crate::wire::{self, Endpoint, Frame, Socket};
use crate::xmpp;

pub struct PeerOptions {
    pub ws_url: String,
    pub pid: u32,
    pub users: usize,
    pub c2c_rates: Vec<f64>,
    pub group_rates: Vec<f64>,
    pub step_seconds: u64,
}

const GROUP_SENDERS: usize = 5;
const GROUP_ID: &str = "bench";
const SUSTAINED_FRACTION: f64 = 0.999;
const SUSTAINED_P99_MS: f64 = 100.0;
/// Tags carry the step and the sender: `step * TAG_STEP + sender`.
const TAG_STEP: u64 = 1_000_000;

#[derive(Clone)]
enum Target {
    Mynah(Endpoint),
    Ejabberd(String),
}

impl Target {
    fn name(&self) -> &'static str {
        match self {
            Target::Mynah(_) => "mynah",
            Target::Ejabberd(_) => "ejabberd",
        }
    }

    fn body<'a>(&self, frame: &'a str) -> Option<&'a str> {
        match self {
            Target::Mynah(_) => match wire::classify(frame) {
                Frame::MessagePush { text } => text,
                _ => None,
            },
            Target::Ejabberd(_) => xmpp::message_body(frame),
        }
    }

    fn c2c(&self, id: u64, sender: usize, to: &str, text: &str) -> String {
        match self {
            Target::Mynah(_) => wire::send_message_frame(id, "C2C", to, &format!("c{sender}_{id}"), text),
            Target::Ejabberd(_) => xmpp::chat(to, id, text),
        }
    }

    fn group(&self, id: u64, sender: usize, text: &str) -> String {
        match self {
            Target::Mynah(_) => wire::send_message_frame(id, "GROUP", GROUP_ID, &format!("g{sender}_{id}"), text),
            Target::Ejabberd(_) => xmpp::groupchat(id, text),
        }
    }
}

#[derive(Default)]
struct StepStats {
    sent: AtomicU64,
    delivered: AtomicU64,
    latency: SharedHistogram,
}

/// One step's outcome.
#[derive(Clone, Debug, serde::Serialize)]
struct Step {
    offered_msgs_per_s: f64,
    deliveries_per_s: f64,
    delivered_fraction: f64,
    p50_ms: f64,
    p99_ms: f64,
    sustained: bool,
}

struct Measured {
    per_connection_bytes: f64,
    c2c: Vec<Step>,
    group: Vec<Step>,
}

pub async fn run(context: &Context, options: &PeerOptions) -> anyhow::Result<ScenarioReport> {
    let users = options.users.max(4) & !1;
    let mut report = ScenarioReport::new(
        "P9",
        "side by side with ejabberd (same workload, same run)",
        json!({"users": users, "c2c_rates": options.c2c_rates, "group_rates": options.group_rates, "group_senders": GROUP_SENDERS,
               "step_seconds": options.step_seconds, "sustained": "≥ 99.9 % delivered and p99 ≤ 100 ms", "mynah_durability": context.server.durability}),
    );
    let ejabberd = measure(&Target::Ejabberd(options.ws_url.clone()), options.pid, users, options).await?;
    let server = ServerProcess::start(&context.server).await?;
    let mynah = measure(&Target::Mynah(server.endpoint()), server.pid(), users, options).await?;
    server.stop().await?;

    for (name, measured) in [("ejabberd", &ejabberd), ("mynah", &mynah)] {
        report.metric(&format!("{name}: server RSS per connection"), measured.per_connection_bytes, "bytes");
        for (kind, steps) in [("one-to-one", &measured.c2c), ("group", &measured.group)] {
            for step in steps {
                report.metric(
                    &format!("{name}: {kind} {:.0} msgs/s offered", step.offered_msgs_per_s),
                    step.deliveries_per_s,
                    &format!(
                        "deliveries/s, p99 {:.1} ms, {:.1} % delivered",
                        step.p99_ms,
                        step.delivered_fraction * 100.0
                    ),
                );
            }
        }
    }
    let best = |steps: &[Step]| {
        steps.iter().filter(|step| step.sustained).map(|step| step.deliveries_per_s).fold(0.0, f64::max)
    };
    let ratio = |mine: f64, theirs: f64| if theirs > 0.0 { mine / theirs } else { f64::INFINITY };
    let c2c_ratio = ratio(best(&mynah.c2c), best(&ejabberd.c2c));
    let group_ratio = ratio(best(&mynah.group), best(&ejabberd.group));
    let memory_ratio = mynah.per_connection_bytes / ejabberd.per_connection_bytes.max(1.0);
    report.metric("one-to-one: best sustained, mynah / ejabberd", c2c_ratio, "×");
    report.metric("group: best sustained, mynah / ejabberd", group_ratio, "×");
    report.metric("memory per connection, mynah / ejabberd", memory_ratio, "×");
    // Latency at the highest step both servers sustained.
    let common_p99 = |mine: &[Step], theirs: &[Step]| {
        mine.iter()
            .zip(theirs)
            .rev()
            .find(|(a, b)| a.sustained && b.sustained)
            .map(|(a, b)| (a.offered_msgs_per_s, a.p99_ms, b.p99_ms))
    };
    let c2c_latency = common_p99(&mynah.c2c, &ejabberd.c2c);
    let group_latency = common_p99(&mynah.group, &ejabberd.group);
    for (kind, latency) in [("one-to-one", c2c_latency), ("group", group_latency)] {
        if let Some((rate, mine, theirs)) = latency {
            report.metric(
                &format!("{kind}: p99 at {rate:.0} msgs/s, mynah vs ejabberd"),
                mine,
                &format!("ms vs {theirs:.1} ms"),
            );
        }
    }
    let latency_ok = [c2c_latency, group_latency].iter().flatten().all(|(_, mine, theirs)| mine <= theirs);
    report.target(
        "≥ 3× ejabberd's message throughput at equal or better latency",
        format!("one-to-one {c2c_ratio:.2}×, group {group_ratio:.2}×; p99 at the highest common step {c2c_latency:?} / {group_latency:?} (rate, mynah, ejabberd)"),
        c2c_ratio >= 3.0 && group_ratio >= 3.0 && latency_ok,
    );
    report.target(
        "≤ 1/3 of ejabberd's memory per connection",
        format!(
            "{:.0} vs {:.0} bytes per connection ({memory_ratio:.2}×)",
            mynah.per_connection_bytes, ejabberd.per_connection_bytes
        ),
        memory_ratio <= 1.0 / 3.0,
    );
    report.note("ejabberd stores messages (mod_mam, mod_offline) in Mnesia without an fsync per message; Mynah acknowledges only after an fsync'd group commit");
    report.note("the ejabberd steps ran first, then Mynah's, on the same machine in the same run");
    Ok(report)
}

async fn measure(target: &Target, pid: u32, users: usize, options: &PeerOptions) -> anyhow::Result<Measured> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = procfs::rss_bytes(pid);
    let names: Vec<String> = (0..users).map(|index| format!("user{index}")).collect();
    let mut sockets = match target {
        Target::Mynah(endpoint) => connect_users(endpoint, &names, 30_000, 64).await?,
        Target::Ejabberd(url) => futures_util::stream::iter(names.iter().enumerate())
            .map(|(index, user)| xmpp::connect_and_login(url, 30_000 + index, user))
            .buffered(32)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<Vec<_>>>()?,
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let per_connection_bytes = procfs::rss_bytes(pid).saturating_sub(rss_before) as f64 / users as f64;

    // Everyone into the group before anything is measured.
    match target {
        Target::Mynah(_) => {
            let create = json!({"type": "ChatRoom", "name": "bench", "groupID": GROUP_ID});
            wire::call(&mut sockets[0], 2, wire::request_frame(2, "createGroup", create), &mut |_| {}).await?;
            for socket in sockets.iter_mut().skip(1) {
                wire::call(socket, 2, wire::request_frame(2, "joinGroup", json!({"groupID": GROUP_ID})), &mut |_| {})
                    .await?;
            }
        }
        Target::Ejabberd(_) => {
            for (index, socket) in sockets.iter_mut().enumerate() {
                xmpp::join_room(socket, &format!("user{index}")).await?;
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let steps = options.c2c_rates.len() + options.group_rates.len();
    let stats: Arc<Vec<StepStats>> = Arc::new((0..steps).map(|_| StepStats::default()).collect());
    let mut sinks = Vec::new();
    let mut readers = Vec::new();
    for (index, socket) in sockets.into_iter().enumerate() {
        let (sink, stream) = socket.split();
        sinks.push(sink);
        readers.push(tokio::spawn(read(stream, target.clone(), index, stats.clone())));
    }

    let mut c2c = Vec::new();
    for (step, &rate) in options.c2c_rates.iter().enumerate() {
        let senders: Vec<usize> = (0..users).collect();
        let (returned, outcome) = run_step(
            target,
            sinks,
            &stats,
            StepPlan { step, rate, senders: &senders, fanout: 1, seconds: options.step_seconds },
        )
        .await;
        sinks = returned;
        let keep_going = outcome.delivered_fraction >= 0.99 && outcome.p99_ms <= 1000.0;
        c2c.push(outcome);
        if !keep_going {
            break;
        }
    }
    // A step the server could not keep up with leaves a backlog: let it drain before the group steps.
    settle(&stats).await;
    let mut group = Vec::new();
    for (offset, &rate) in options.group_rates.iter().enumerate() {
        let step = options.c2c_rates.len() + offset;
        let senders: Vec<usize> = (0..GROUP_SENDERS.min(users)).collect();
        let (returned, outcome) = run_step(
            target,
            sinks,
            &stats,
            StepPlan { step, rate, senders: &senders, fanout: users as u64 - 1, seconds: options.step_seconds },
        )
        .await;
        sinks = returned;
        let keep_going = outcome.delivered_fraction >= 0.99 && outcome.p99_ms <= 1000.0;
        group.push(outcome);
        if !keep_going {
            break;
        }
    }
    for mut sink in sinks {
        if let Target::Ejabberd(_) = target {
            let _ = sink.send(Message::text(r#"<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>"#)).await;
        }
        let _ = sink.close().await;
    }
    for reader in readers {
        reader.abort();
    }
    eprintln!("P9: {} measured", target.name());
    Ok(Measured { per_connection_bytes, c2c, group })
}

/// Waits until no delivery has arrived for a second (at most 60 s).
async fn settle(stats: &[StepStats]) {
    let total = || stats.iter().map(|step| step.delivered.load(Ordering::Relaxed)).sum::<u64>();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = total();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = total();
        if now == last {
            return;
        }
        last = now;
    }
}

/// One open-loop step: `senders` share `rate` messages per second for `seconds`; each message should
/// reach `fanout` receivers (1 for one-to-one).
struct StepPlan<'a> {
    step: usize,
    rate: f64,
    senders: &'a [usize],
    fanout: u64,
    seconds: u64,
}

/// Runs one step and returns the sinks and the step's outcome.
async fn run_step(
    target: &Target,
    sinks: Vec<SplitSink<Socket, Message>>,
    stats: &Arc<Vec<StepStats>>,
    plan: StepPlan<'_>,
) -> (Vec<SplitSink<Socket, Message>>, Step) {
    let StepPlan { step, rate, senders, fanout, seconds } = plan;
    let group = fanout > 1;
    let interval = Duration::from_secs_f64(senders.len() as f64 / rate.max(0.001));
    let duration = Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut idle = Vec::new();
    for (index, sink) in sinks.into_iter().enumerate() {
        if !senders.contains(&index) {
            idle.push((index, sink));
            continue;
        }
        let target = target.clone();
        let stats = stats.clone();
        let offset = interval.mul_f64(index as f64 / senders.len() as f64);
        let partner = format!("user{}", index ^ 1);
        tasks.push(tokio::spawn(async move {
            let mut sink = sink;
            let base = Instant::now() + Duration::from_millis(100);
            let base_unix = wire::unix_nanos() + 100_000_000;
            let end = base + duration;
            let mut next = base + offset;
            let mut id = (step as u64) << 32;
            while next < end {
                tokio::time::sleep_until(next.into()).await;
                id += 1;
                let text = wire::timed_text(
                    base_unix + (next - base).as_nanos() as u64,
                    step as u64 * TAG_STEP + index as u64,
                );
                let frame = if group { target.group(id, index, &text) } else { target.c2c(id, index, &partner, &text) };
                stats[step].sent.fetch_add(1, Ordering::Relaxed);
                if sink.send(Message::text(frame)).await.is_err() {
                    break;
                }
                next += interval;
            }
            (index, sink)
        }));
    }
    for task in tasks {
        if let Ok(done) = task.await {
            idle.push(done);
        }
    }
    idle.sort_by_key(|(index, _)| *index);
    let sinks: Vec<_> = idle.into_iter().map(|(_, sink)| sink).collect();
    let expected = stats[step].sent.load(Ordering::Relaxed) * fanout;
    let deadline = Instant::now() + Duration::from_secs(3);
    while stats[step].delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    let delivered = stats[step].delivered.load(Ordering::Relaxed);
    let latency = LatencySummary::of(&stats[step].latency.snapshot());
    let fraction = delivered as f64 / expected.max(1) as f64;
    let outcome = Step {
        offered_msgs_per_s: rate,
        deliveries_per_s: delivered as f64 / started.elapsed().as_secs_f64().min(seconds as f64 + 0.1).max(0.001),
        delivered_fraction: fraction,
        p50_ms: latency.p50_ms,
        p99_ms: latency.p99_ms,
        sustained: fraction >= SUSTAINED_FRACTION && latency.p99_ms <= SUSTAINED_P99_MS,
    };
    (sinks, outcome)
}

async fn read(mut stream: SplitStream<Socket>, target: Target, me: usize, stats: Arc<Vec<StepStats>>) {
    let mut batches: Vec<LatencyBatch> = stats.iter().map(|step| LatencyBatch::new(&step.latency)).collect();
    let mut counts = vec![0u64; stats.len()];
    let mut flush = tokio::time::interval(Duration::from_millis(100));
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            _ = flush.tick() => {
                for (step, count) in counts.iter_mut().enumerate() {
                    stats[step].delivered.fetch_add(std::mem::take(count), Ordering::Relaxed);
                }
                batches.iter_mut().for_each(LatencyBatch::flush);
                continue;
            }
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break,
        };
        let Some((intended, tag)) = target.body(&text).and_then(wire::parse_timed_text) else { continue };
        let (step, sender) = ((tag / TAG_STEP) as usize, (tag % TAG_STEP) as usize);
        // A MUC room echoes a message to its sender too; Mynah never does. Count others only.
        if sender == me || step >= stats.len() {
            continue;
        }
        batches[step].record(wire::since(intended));
        counts[step] += 1;
    }
}
