//! P6: offline sync. While one user is offline, 100 others send it 100 messages each (10,000 over
//! 100 conversations). Then it logs in and catches up as the SDK does: `getConversationList`, then
//! `getMessageList {afterSequence}` pages of 100 for each conversation. Measured both pipelined
//! (every page request sent at once) and sequentially (one request at a time, as the Rust SDK's
//! `SyncState::catch_up` does), several times each, with the server's CPU time per catch-up.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::procfs::CpuMeter;
use crate::report::ScenarioReport;
use crate::scenarios::{Context, connect_users, median};
use crate::server::ServerProcess;
use crate::wire::{self, Endpoint, Frame, Socket};

pub struct OfflineSyncOptions {
    pub messages: usize,
    pub conversations: usize,
    pub repetitions: usize,
}

const TARGET: &str = "sync-target";
const TARGET_MS: f64 = 100.0;

pub async fn run(context: &Context, options: &OfflineSyncOptions) -> anyhow::Result<ScenarioReport> {
    let conversations = options.conversations.max(1);
    let per_conversation = options.messages.div_ceil(conversations);
    let mut report = ScenarioReport::new(
        "P6",
        "offline sync: missed messages over many conversations",
        json!({"messages": per_conversation * conversations, "conversations": conversations, "repetitions": options.repetitions, "page_size": 100}),
    );
    let server = ServerProcess::start(&context.server).await?;
    let endpoint = server.endpoint();

    // The missed messages: each sender pipelines all of its sends, then collects the acks.
    let senders: Vec<String> = (0..conversations).map(|index| format!("sync-sender{index}")).collect();
    let sockets = connect_users(&endpoint, &senders, 0, 64).await?;
    let fill_started = Instant::now();
    let fills = sockets.into_iter().enumerate().map(|(index, mut socket)| {
        tokio::spawn(async move {
            for sequence in 1..=per_conversation {
                let text = wire::timed_text(wire::unix_nanos(), 0);
                let frame =
                    wire::send_message_frame(sequence as u64, "C2C", TARGET, &format!("s{index}_{sequence}"), &text);
                socket.send(Message::text(frame)).await?;
            }
            let mut acked = 0;
            while acked < per_conversation {
                if let Frame::Response { code, .. } = wire::classify(&wire::next_text(&mut socket).await?) {
                    anyhow::ensure!(code == 0, "a send failed with code {code}");
                    acked += 1;
                }
            }
            anyhow::Ok(socket)
        })
    });
    let mut sender_sockets = Vec::new();
    for fill in fills.collect::<Vec<_>>() {
        sender_sockets.push(fill.await??);
    }
    let fill_rate = (per_conversation * conversations) as f64 / fill_started.elapsed().as_secs_f64();
    drop(sender_sockets);

    let server_pid = server.pid();
    let mut source = conversations;
    let mut measure = async |pipelined: bool| -> anyhow::Result<(Vec<f64>, f64, usize, usize)> {
        let mut walls = Vec::new();
        let meter = CpuMeter::start(&[server_pid]);
        let mut fetched = 0;
        let mut bytes = 0;
        for _ in 0..options.repetitions.max(1) {
            source += 1;
            let started = Instant::now();
            let (messages, received) = catch_up(&endpoint, source, pipelined).await?;
            walls.push(started.elapsed().as_secs_f64() * 1000.0);
            fetched = messages;
            bytes = received;
            // Let the session end before the next login of the same user.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let cpu_ms = meter.used().as_secs_f64() * 1000.0 / options.repetitions.max(1) as f64;
        Ok((walls, cpu_ms, fetched, bytes))
    };
    let (mut pipelined_walls, pipelined_cpu, fetched, bytes) = measure(true).await?;
    let (mut sequential_walls, sequential_cpu, sequential_fetched, _) = measure(false).await?;
    server.stop().await?;

    let pipelined = median(&mut pipelined_walls);
    let sequential = median(&mut sequential_walls);
    report.metric("fill: messages sent to the offline user", (per_conversation * conversations) as f64, "");
    report.metric("fill: rate (100 senders, pipelined)", fill_rate, "msgs/s");
    report.metric("messages fetched per catch-up", fetched as f64, "");
    report.metric("bytes received per catch-up", bytes as f64, "bytes");
    report.metric("pipelined: login → all fetched (median)", pipelined, "ms");
    report.metric("pipelined: best", pipelined_walls.first().copied().unwrap_or(0.0), "ms");
    report.metric("pipelined: server CPU per catch-up", pipelined_cpu, "ms");
    report.metric("sequential: login → all fetched (median)", sequential, "ms");
    report.metric("sequential: server CPU per catch-up", sequential_cpu, "ms");
    let complete = fetched == per_conversation * conversations && sequential_fetched == fetched;
    report.target(
        "caught up in ≤ 100 ms server time",
        format!("{pipelined:.1} ms wall (pipelined, median), {pipelined_cpu:.1} ms server CPU; {sequential:.1} ms wall one request at a time"),
        complete && pipelined <= TARGET_MS && pipelined_cpu <= TARGET_MS,
    );
    if !complete {
        report.note(format!(
            "catch-up fetched {fetched} / {sequential_fetched} of {} messages",
            per_conversation * conversations
        ));
    }
    report.note("CPU time comes from /proc in 10 ms ticks, averaged over the repetitions");
    Ok(report)
}

/// One catch-up from scratch. Returns the messages fetched and the bytes received.
async fn catch_up(endpoint: &Endpoint, source: usize, pipelined: bool) -> anyhow::Result<(usize, usize)> {
    let sig = endpoint.user_sig(TARGET);
    let (mut socket, _) = wire::connect_and_login(endpoint, source, TARGET, &sig).await?;
    let list =
        wire::call(&mut socket, 2, wire::request_frame(2, "getConversationList", json!({})), &mut |_| {}).await?;
    let mut bytes = list.to_string().len();
    let conversations: Vec<(String, u64)> = list["conversationList"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|conversation| {
                    Some((conversation["conversationID"].as_str()?.to_owned(), conversation["lastSequence"].as_u64()?))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut fetched = 0;
    if pipelined {
        // Every conversation's first page at once; follow-up pages (more than 100 missed) one by one.
        for (index, (conversation, _)) in conversations.iter().enumerate() {
            let request = json!({"conversationID": conversation, "afterSequence": 0, "count": 100});
            socket.send(Message::text(wire::request_frame(100 + index as u64, "getMessageList", request))).await?;
        }
        let mut remaining = conversations.len();
        while remaining > 0 {
            let text = wire::next_text(&mut socket).await?;
            bytes += text.len();
            if let Frame::Response { id, code } = wire::classify(&text) {
                anyhow::ensure!(code == 0, "getMessageList failed with code {code}");
                let page: Value = serde_json::from_str(&text)?;
                fetched += page_messages(&page["data"]);
                remaining -= 1;
                let (conversation, last) = &conversations[(id - 100) as usize];
                fetched += fetch_rest(&mut socket, conversation, &page["data"], *last, &mut bytes).await?;
            }
        }
    } else {
        for (conversation, last) in &conversations {
            fetched += fetch_rest(
                &mut socket,
                conversation,
                &json!({"messageList": [], "isCompleted": false}),
                *last,
                &mut bytes,
            )
            .await?;
        }
    }
    let _ = socket.close(None).await;
    Ok((fetched, bytes))
}

fn page_messages(page: &Value) -> usize {
    page["messageList"].as_array().map_or(0, Vec::len)
}

/// Pages forward from the last message of `page` until the conversation is complete.
async fn fetch_rest(
    socket: &mut Socket,
    conversation: &str,
    page: &Value,
    last: u64,
    bytes: &mut usize,
) -> anyhow::Result<usize> {
    let mut fetched = 0;
    let mut page = page.clone();
    let mut known = page["messageList"]
        .as_array()
        .and_then(|list| list.last())
        .and_then(|message| message["sequence"].as_u64())
        .unwrap_or(0);
    let mut id = 10_000;
    while !page["isCompleted"].as_bool().unwrap_or(true) && known < last {
        id += 1;
        let request = json!({"conversationID": conversation, "afterSequence": known, "count": 100});
        page = wire::call(socket, id, wire::request_frame(id, "getMessageList", request), &mut |_| {}).await?;
        *bytes += page.to_string().len();
        let count = page_messages(&page);
        if count == 0 {
            break;
        }
        fetched += count;
        known = page["messageList"][count - 1]["sequence"].as_u64().unwrap_or(last);
    }
    Ok(fetched)
}
