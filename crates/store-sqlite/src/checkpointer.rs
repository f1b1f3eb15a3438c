//! The checkpointer thread: copies committed WAL pages into the database file off the writer.
//!
//! SQLite's automatic checkpoint runs inside the committing connection, which here is the one
//! writer: measured, it cost about a third of the append throughput, and a larger interval turns it
//! into long stalls of every send. So the writer has `wal_autocheckpoint=0` and signals this thread
//! after each commit; the thread runs a PASSIVE checkpoint (which never blocks the writer) at most
//! every [`INTERVAL`].
//!
//! Under constant writes a passive checkpoint never catches up with the end of the WAL, and the WAL
//! only starts over once it has. When it has grown past [`RESTART_FRAMES`], the thread runs a
//! RESTART checkpoint: it takes the write lock between two batches, copies the frames committed
//! since the passive checkpoint and syncs the database file while every send waits, and the
//! writer's next transaction starts the WAL from its beginning again. Measured under P3, that wait
//! was 5-30 ms (60 ms with a busy disk), so restarts are made rare. (The writer restarts the WAL
//! by itself, waiting for nobody, when its transaction begins with every frame copied; but extra
//! passive passes never finished between two commits, even at 3 appends per commit, so that is
//! not relied on.)

use std::sync::mpsc::{self, SyncSender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// The shortest time between two checkpoints: long enough that pages written again and again
/// (index interiors, busy conversations, the tail of every conversation's index) are copied once
/// per interval, not once per commit. (Measured with `append_throughput`: at 100 ms the thread
/// spent about 5 µs per append, at 500 ms under 2 µs.)
const INTERVAL: Duration = Duration::from_millis(500);

/// The WAL size, in frames (pages), past which the WAL is restarted: 65,536 frames of 4 KiB,
/// 256 MiB, 16,000-50,000 sends (a send writes 1.3-4 frames, fewer in larger batches). At 16,384
/// frames a restart came every 1-2 s under P3, and its wait showed in the p99 of acknowledgements.
const RESTART_FRAMES: i64 = 65_536;

/// The handle the writer thread keeps. Dropping it lets the thread finish and waits for it.
pub(crate) struct Checkpointer {
    commits: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on its own read-write connection to the database.
    pub(crate) fn start(connection: Connection) -> std::io::Result<Checkpointer> {
        let (commits, signals) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("mynah-sqlite-checkpoint".to_owned())
            .spawn(move || run(&connection, &signals))?;
        Ok(Checkpointer { commits: Some(commits), thread: Some(thread) })
    }

    /// Tells the thread that a transaction committed. Never blocks: signals coalesce.
    pub(crate) fn committed(&self) {
        if let Some(commits) = &self.commits {
            let _ = commits.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.commits = None;
        if let Some(thread) = self.thread.take() {
            // Ends its wait for the interval, so closing the store does not wait for it.
            thread.thread().unpark();
            if thread.join().is_err() {
                tracing::error!("the sqlite checkpoint thread panicked");
            }
        }
    }
}

fn run(connection: &Connection, signals: &mpsc::Receiver<()>) {
    let mut last_checkpoint: Option<Instant> = None;
    while signals.recv().is_ok() {
        let mut closing = false;
        if let Some(last) = last_checkpoint {
            // Sleep out the interval; commits meanwhile only fill the channel (it holds one
            // signal) and are covered by this checkpoint. Receiving them here would wake both
            // threads once per commit, hundreds of times a second under load. Dropping the handle
            // unparks the thread.
            let deadline = last + INTERVAL;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                if is_closed(signals) {
                    closing = true;
                    break;
                }
                std::thread::park_timeout(left);
            }
        }
        closing = closing || is_closed(signals);
        checkpoint(connection);
        last_checkpoint = Some(Instant::now());
        if closing {
            return;
        }
    }
}

/// Whether the handle is gone. Takes a pending commit signal first: a closed channel reports
/// `Disconnected` only once it is empty.
fn is_closed(signals: &mpsc::Receiver<()>) -> bool {
    loop {
        match signals.try_recv() {
            Ok(()) => {}
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => return true,
        }
    }
}

fn checkpoint(connection: &Connection) {
    match wal_checkpoint(connection, "PASSIVE") {
        Ok(frames) if frames >= RESTART_FRAMES => {
            if let Err(error) = wal_checkpoint(connection, "RESTART") {
                tracing::warn!(%error, frames, "sqlite could not restart its WAL; retrying after the next commit");
            }
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "sqlite checkpoint failed; retrying after the next commit"),
    }
}

/// Runs a checkpoint and returns the WAL's size in frames.
fn wal_checkpoint(connection: &Connection, mode: &str) -> rusqlite::Result<i64> {
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    connection.query_row(&sql, [], |row| row.get(1))
}
