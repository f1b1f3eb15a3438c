//! Worker processes that hold many client connections. One process may hold ~19.9k sockets
//! (20,000 open files), so scenarios with many connections run several workers: the bench binary
//! re-invoked as `mynah-bench worker ...`.
//!
//! A worker connects and logs in its users, heartbeats like the SDK (every 30 s), records every
//! message it is pushed, and, when asked to, reconnects after a drop with jittered exponential
//! backoff and catches up (conversation list, then `getMessageList {afterSequence}` pages).
//! It talks to the parent through JSON lines: events on stdout, commands on stdin
//! (`status`, `report`, `exit`).

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use mynah_proto::frames::Push;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::Message;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio_tungstenite::tungstenite;

use crate::rng::SplitMix64;
use crate::wire::{self, Endpoint, Frame, Socket};

/// Most connections one worker process holds (the open-file limit is 20,000 per process).
pub const MAX_CONNECTIONS_PER_WORKER: usize = 15_000;

/// What a worker does.
#[derive(Clone, Debug, clap::Args)]
pub struct WorkerArgs {
    #[arg(long)]
    pub address: SocketAddr,
    #[arg(long)]
    pub app: u64,
    #[arg(long)]
    pub key: String,
    /// Users are `{prefix}{index}` for index in `first..first+count`.
    #[arg(long)]
    pub user_prefix: String,
    #[arg(long)]
    pub first: usize,
    #[arg(long)]
    pub count: usize,
    /// Logins in flight at once during the ramp.
    #[arg(long, default_value_t = 128)]
    pub concurrency: usize,
    #[arg(long, default_value_t = 30)]
    pub heartbeat_seconds: u64,
    /// Reconnect and catch up after the connection drops.
    #[arg(long)]
    pub reconnect: bool,
    /// The first reconnect waits a random time up to this; each later attempt doubles the cap.
    #[arg(long, default_value_t = 500)]
    pub backoff_base_ms: u64,
    #[arg(long, default_value_t = 5_000)]
    pub backoff_cap_ms: u64,
}

impl WorkerArgs {
    fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            "worker".to_owned(),
            format!("--address={}", self.address),
            format!("--app={}", self.app),
            format!("--key={}", self.key),
            format!("--user-prefix={}", self.user_prefix),
            format!("--first={}", self.first),
            format!("--count={}", self.count),
            format!("--concurrency={}", self.concurrency),
            format!("--heartbeat-seconds={}", self.heartbeat_seconds),
            format!("--backoff-base-ms={}", self.backoff_base_ms),
            format!("--backoff-cap-ms={}", self.backoff_cap_ms),
        ];
        if self.reconnect {
            args.push("--reconnect".to_owned());
        }
        args
    }
}

/// One user's view at report time: per conversation, how many distinct sequences it has seen and
/// the highest. `count == max` means it holds every message `1..=max`, without gaps.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserReport {
    pub user: String,
    pub conversations: HashMap<String, (u64, u64)>,
    /// When the last catch-up after a drop finished (unix ns), if one did.
    pub resynced_at: Option<u64>,
    pub drops: u32,
    pub failed_attempts: u32,
}

#[derive(Default)]
struct ClientState {
    seen: HashMap<String, BTreeSet<u64>>,
    resynced_at: Option<u64>,
    drops: u32,
    failed_attempts: u32,
}

impl ClientState {
    fn observe(&mut self, me: &str, message: &Message) {
        if message.sequence == 0 {
            return;
        }
        let conversation = conversation_of(me, message);
        self.seen.entry(conversation).or_default().insert(message.sequence);
    }

    /// The highest `k` such that every sequence `1..=k` of the conversation has been seen.
    fn contiguous(&self, conversation: &str) -> u64 {
        let Some(seen) = self.seen.get(conversation) else { return 0 };
        let mut next = 1;
        for &sequence in seen {
            if sequence != next {
                break;
            }
            next += 1;
        }
        next - 1
    }
}

/// The conversation a message belongs to, as `me` sees it.
pub fn conversation_of(me: &str, message: &Message) -> String {
    match message.conversation_type {
        ConversationType::Group => format!("GROUP{}", message.to),
        ConversationType::C2c if message.from == me => format!("C2C{}", message.to),
        ConversationType::C2c => format!("C2C{}", message.from),
    }
}

#[derive(Default)]
struct Counters {
    connected: AtomicU64,
    resynced: AtomicU64,
}

/// Runs a worker until the parent says `exit` or closes stdin.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let endpoint = Endpoint { address: args.address, app: args.app, key: args.key.clone() };
    let counters = Arc::new(Counters::default());
    let users: Vec<String> =
        (args.first..args.first + args.count).map(|index| format!("{}{index}", args.user_prefix)).collect();
    let states: Vec<Arc<Mutex<ClientState>>> = users.iter().map(|_| Arc::default()).collect();

    let ramp_started = Instant::now();
    let failures = AtomicU64::new(0);
    futures_util::stream::iter(users.iter().enumerate())
        .for_each_concurrent(args.concurrency.max(1), |(offset, user)| {
            let endpoint = &endpoint;
            let counters = counters.clone();
            let state = states[offset].clone();
            let args = &args;
            let failures = &failures;
            async move {
                let source = args.first + offset;
                let sig = endpoint.user_sig(user);
                match wire::connect_and_login(endpoint, source, user, &sig).await {
                    Ok((socket, _)) => {
                        counters.connected.fetch_add(1, Ordering::Relaxed);
                        let connection =
                            Connection { endpoint: endpoint.clone(), user: user.clone(), source, sig, state, counters };
                        tokio::spawn(connection.run(socket, args.clone()));
                    }
                    Err(error) => {
                        if failures.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("worker: {user} could not log in: {error:#}");
                        }
                    }
                }
            }
        })
        .await;
    emit(&json!({
        "event": "ready",
        "connected": counters.connected.load(Ordering::Relaxed),
        "failed": failures.load(Ordering::Relaxed),
        "seconds": ramp_started.elapsed().as_secs_f64(),
    }))
    .await;

    let mut commands = BufReader::new(tokio::io::stdin()).lines();
    while let Some(command) = commands.next_line().await? {
        match command.trim() {
            "status" => {
                emit(&json!({
                    "event": "status",
                    "connected": counters.connected.load(Ordering::Relaxed),
                    "resynced": counters.resynced.load(Ordering::Relaxed),
                }))
                .await;
            }
            "report" => {
                let reports: Vec<UserReport> = users
                    .iter()
                    .zip(&states)
                    .map(|(user, state)| {
                        let state = state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                        UserReport {
                            user: user.clone(),
                            conversations: state
                                .seen
                                .iter()
                                .map(|(conversation, seen)| {
                                    (conversation.clone(), (seen.len() as u64, seen.last().copied().unwrap_or(0)))
                                })
                                .collect(),
                            resynced_at: state.resynced_at,
                            drops: state.drops,
                            failed_attempts: state.failed_attempts,
                        }
                    })
                    .collect();
                emit(&json!({"event": "report", "users": reports})).await;
            }
            "exit" | "" => break,
            other => eprintln!("worker: unknown command {other:?}"),
        }
    }
    Ok(())
}

async fn emit(event: &Value) {
    let mut line = event.to_string();
    line.push('\n');
    let mut stdout = tokio::io::stdout();
    let _ = stdout.write_all(line.as_bytes()).await;
    let _ = stdout.flush().await;
}

struct Connection {
    endpoint: Endpoint,
    user: String,
    source: usize,
    sig: String,
    state: Arc<Mutex<ClientState>>,
    counters: Arc<Counters>,
}

impl Connection {
    async fn run(self, mut socket: Socket, args: WorkerArgs) {
        let mut rng = SplitMix64::new(self.source as u64 ^ 0x5eed);
        loop {
            self.serve(&mut socket, &args, &mut rng).await;
            self.counters.connected.fetch_sub(1, Ordering::Relaxed);
            if !args.reconnect {
                return;
            }
            self.lock().drops += 1;
            let mut attempt = 0u32;
            loop {
                let cap = args.backoff_base_ms.saturating_mul(1 << attempt.min(16)).min(args.backoff_cap_ms).max(1);
                tokio::time::sleep(Duration::from_millis(rng.below(cap))).await;
                attempt += 1;
                match self.reconnect().await {
                    Ok(new_socket) => {
                        socket = new_socket;
                        break;
                    }
                    Err(_) if attempt < 60 => self.lock().failed_attempts += 1,
                    Err(error) => {
                        eprintln!("worker: {} gave up reconnecting: {error:#}", self.user);
                        return;
                    }
                }
            }
            self.counters.connected.fetch_add(1, Ordering::Relaxed);
            let first = {
                let mut state = self.lock();
                let first = state.resynced_at.is_none();
                state.resynced_at = Some(wire::unix_nanos());
                first
            };
            if first {
                self.counters.resynced.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Logs in again and catches up. Any failure counts as a failed attempt.
    async fn reconnect(&self) -> anyhow::Result<Socket> {
        let (mut socket, _) = wire::connect_and_login(&self.endpoint, self.source, &self.user, &self.sig).await?;
        self.catch_up(&mut socket).await?;
        Ok(socket)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClientState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn on_frame(&self, text: &str) {
        if let Frame::MessagePush { .. } = wire::classify(text)
            && let Ok(Push::Message(message)) = serde_json::from_str::<Push>(text)
        {
            self.lock().observe(&self.user, &message);
        }
    }

    /// Serves a logged-in connection until it drops.
    async fn serve(&self, socket: &mut Socket, args: &WorkerArgs, rng: &mut SplitMix64) {
        let period = Duration::from_secs(args.heartbeat_seconds.max(1));
        // Spread heartbeats evenly instead of all at once.
        let first = Duration::from_millis(rng.below(period.as_millis() as u64));
        let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + first, period);
        let mut next_id = 1_000_000u64;
        loop {
            tokio::select! {
                _ = heartbeat.tick() => {
                    next_id += 1;
                    let frame = wire::request_frame(next_id, "heartbeat", json!({}));
                    if socket.send(tungstenite::Message::text(frame)).await.is_err() {
                        return;
                    }
                }
                frame = socket.next() => match frame {
                    Some(Ok(tungstenite::Message::Text(text))) => self.on_frame(&text),
                    Some(Ok(tungstenite::Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    /// The SDK's catch-up: conversation list, then every conversation whose last sequence is past
    /// what this client holds, page by page.
    async fn catch_up(&self, socket: &mut Socket) -> anyhow::Result<()> {
        let mut next_id = 10u64;
        let mut on_other = |text: &str| self.on_frame(text);
        let list =
            wire::call(socket, next_id, wire::request_frame(next_id, "getConversationList", json!({})), &mut on_other)
                .await?;
        let conversations = list["conversationList"].as_array().cloned().unwrap_or_default();
        for conversation in conversations {
            let id = conversation["conversationID"].as_str().context("conversationID")?.to_owned();
            let last = conversation["lastSequence"].as_u64().unwrap_or(0);
            let mut known = self.lock().contiguous(&id);
            while known < last {
                next_id += 1;
                let request = json!({"conversationID": id, "afterSequence": known, "count": 100});
                let page =
                    wire::call(socket, next_id, wire::request_frame(next_id, "getMessageList", request), &mut on_other)
                        .await?;
                let messages: Vec<Message> = serde_json::from_value(page["messageList"].clone())?;
                let Some(newest) = messages.last().map(|message| message.sequence) else { break };
                {
                    let mut state = self.lock();
                    for message in &messages {
                        state.observe(&self.user, message);
                    }
                }
                known = newest;
                if page["isCompleted"].as_bool().unwrap_or(true) {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// The parent's handle on a worker process.
pub struct WorkerHandle {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl WorkerHandle {
    pub fn spawn(args: &WorkerArgs) -> anyhow::Result<WorkerHandle> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(args.to_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting a worker")?;
        let stdin = child.stdin.take().context("worker stdin")?;
        let stdout = child.stdout.take().context("worker stdout")?;
        Ok(WorkerHandle { child, stdin, lines: BufReader::new(stdout).lines() })
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// The next event the worker prints.
    pub async fn next_event(&mut self, timeout: Duration) -> anyhow::Result<Value> {
        let line =
            tokio::time::timeout(timeout, self.lines.next_line()).await.context("worker did not answer in time")??;
        let Some(line) = line else { bail!("worker exited") };
        Ok(serde_json::from_str(&line)?)
    }

    /// Sends a command and returns the worker's answer.
    pub async fn ask(&mut self, command: &str, timeout: Duration) -> anyhow::Result<Value> {
        self.stdin.write_all(format!("{command}\n").as_bytes()).await?;
        self.stdin.flush().await?;
        self.next_event(timeout).await
    }

    pub async fn exit(mut self) {
        let _ = self.stdin.write_all(b"exit\n").await;
        let _ = self.stdin.flush().await;
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            let _ = self.child.start_kill();
        }
    }
}

/// Starts enough workers for `count` users and waits until each has logged its users in.
/// Returns the workers and how many users are connected.
pub async fn start_workers(template: &WorkerArgs, count: usize) -> anyhow::Result<(Vec<WorkerHandle>, u64)> {
    let mut workers = Vec::new();
    let mut first = template.first;
    let mut remaining = count;
    while remaining > 0 {
        let chunk = remaining.min(MAX_CONNECTIONS_PER_WORKER);
        let args = WorkerArgs { first, count: chunk, ..template.clone() };
        workers.push(WorkerHandle::spawn(&args)?);
        first += chunk;
        remaining -= chunk;
    }
    let mut connected = 0;
    for worker in &mut workers {
        let ready = worker.next_event(Duration::from_secs(120)).await?;
        connected += ready["connected"].as_u64().unwrap_or(0);
    }
    Ok((workers, connected))
}
