//! Prints how many C2C message appends per second the SQLite store acknowledges (durable writes).
//!
//! ```text
//! cargo run --release -p mynah-store-sqlite --example append_throughput -- \
//!     [--messages 200000] [--senders 1000] [--pairs 5000] [--normal] [--dir /path/on/a/real/disk]
//! ```
//!
//! `--senders` tasks append concurrently, each waiting for its acknowledgement before sending the
//! next message (like connections waiting for their send acks), spread over `--pairs` C2C pairs.
//! Durability is `synchronous=FULL` unless `--normal` is given. This is a measurement, not a test:
//! it prints numbers and never fails on a slow machine.

use std::sync::Arc;
use std::time::Instant;

use mynah_proto::elements::MsgElement;
use mynah_proto::objects::MessagePriority;
use mynah_store::{ConversationKey, MessageStore, NewMessage};
use mynah_store_sqlite::{Durability, SqliteConfig, SqliteStore};

struct Options {
    messages: usize,
    senders: usize,
    pairs: usize,
    durability: Durability,
    directory: Option<std::path::PathBuf>,
}

fn options() -> Options {
    let mut options =
        Options { messages: 200_000, senders: 1_000, pairs: 5_000, durability: Durability::Full, directory: None };
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut number = || arguments.next().and_then(|value| value.parse().ok()).expect("a number after the flag");
        match argument.as_str() {
            "--messages" => options.messages = number(),
            "--senders" => options.senders = number(),
            "--pairs" => options.pairs = number(),
            "--normal" => options.durability = Durability::Normal,
            "--dir" => options.directory = Some(arguments.next().expect("a directory after --dir").into()),
            other => panic!("unknown argument {other:?}"),
        }
    }
    options
}

fn message(index: usize, pairs: usize) -> NewMessage {
    let pair = index % pairs;
    let (low, high) = (format!("user{}", pair * 2), format!("user{}", pair * 2 + 1));
    // Alternate directions so both users' conversation rows take writes.
    let (from, to) = if (index / pairs).is_multiple_of(2) { (low, high) } else { (high, low) };
    NewMessage {
        app: 1_400_000_001,
        conversation: ConversationKey::c2c(&from, &to),
        client_msg_id: format!("bench-{index}"),
        body: vec![MsgElement::text(format!(
            "message number {index}: a short line of chat, about as long as most are"
        ))],
        sender: from,
        receiver: to,
        random: index as u32,
        time_ms: Some(1_700_000_000_000 + index as u64),
        cloud_custom_data: String::new(),
        priority: MessagePriority::Normal,
        need_read_receipt: false,
        excluded_from_unread_count: false,
        excluded_from_last_message: false,
        nick: String::new(),
        avatar: String::new(),
        name_card: String::new(),
        after_send_hook: None,
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    let directory = match &options.directory {
        Some(path) => tempfile::tempdir_in(path),
        None => tempfile::tempdir(),
    }
    .expect("create a temporary directory");
    let mut config = SqliteConfig::new(directory.path().join("throughput.db"));
    config.durability = options.durability;
    let store = Arc::new(SqliteStore::open(config).expect("open the store"));

    let started = Instant::now();
    let mut senders = Vec::with_capacity(options.senders);
    for sender in 0..options.senders {
        let store = store.clone();
        let (total, step, pairs) = (options.messages, options.senders, options.pairs);
        senders.push(tokio::spawn(async move {
            for index in (sender..total).step_by(step) {
                let appended = store.append_message(message(index, pairs)).await.expect("append");
                assert!(!appended.duplicate);
            }
        }));
    }
    for sender in senders {
        sender.await.expect("a sender task panicked");
    }
    let elapsed = started.elapsed();
    let stats = store.writer_stats();
    // Thread names as Linux keeps them: cut to 15 bytes.
    let writer_busy = thread_cpu_seconds("mynah-sqlite-wr");
    let checkpointer_busy = thread_cpu_seconds("mynah-sqlite-ch");
    store.close().await;

    let rate = options.messages as f64 / elapsed.as_secs_f64();
    println!(
        "{} appends in {:.2} s: {:.0} appends/s ({:?} durability, {} senders, {} pairs)",
        options.messages,
        elapsed.as_secs_f64(),
        rate,
        options.durability,
        options.senders,
        options.pairs
    );
    println!(
        "{} commits, {:.1} appends per commit on average, database in {}",
        stats.commits,
        stats.commands as f64 / stats.commits.max(1) as f64,
        directory.path().display()
    );
    if let Some(busy) = writer_busy {
        println!(
            "writer thread on CPU {busy:.2} s ({:.0}% of the run): {:.0} appends per writer CPU second",
            100.0 * busy / elapsed.as_secs_f64(),
            options.messages as f64 / busy
        );
    }
    if let Some(busy) = checkpointer_busy {
        println!("checkpoint thread on CPU {busy:.2} s ({:.0}% of the run)", 100.0 * busy / elapsed.as_secs_f64());
    }
}

/// CPU time (user + system) of the thread named `name`, from Linux's `/proc`. The ceiling the
/// writer thread allows, independent of what else competes for the machine's cores.
fn thread_cpu_seconds(name: &str) -> Option<f64> {
    // Clock ticks per second: 100 on every Linux configuration this runs on.
    const TICKS_PER_SECOND: f64 = 100.0;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        return Some(ticks / TICKS_PER_SECOND);
    }
    None
}
