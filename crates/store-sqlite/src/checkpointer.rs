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
//! RESTART checkpoint: it holds writes back for the moment it takes to copy the last frames, and
//! the writer's next transaction starts the WAL from its beginning again.

use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// The shortest time between two checkpoints: long enough that pages written again and again
/// (index interiors, busy conversations) are copied once per interval, not once per commit.
const INTERVAL: Duration = Duration::from_millis(100);

/// The WAL size, in frames (pages), past which the WAL is restarted: 16,384 frames of 4 KiB, 64 MiB.
const RESTART_FRAMES: i64 = 16_384;

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
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the sqlite checkpoint thread panicked");
        }
    }
}

fn run(connection: &Connection, signals: &mpsc::Receiver<()>) {
    let mut last_checkpoint: Option<Instant> = None;
    while signals.recv().is_ok() {
        let mut closing = false;
        if let Some(last) = last_checkpoint {
            // Wait out the interval; commits arriving meanwhile are covered by this checkpoint.
            let deadline = last + INTERVAL;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                match signals.recv_timeout(left) {
                    Ok(()) => {}
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        closing = true;
                        break;
                    }
                }
            }
        }
        if matches!(signals.try_recv(), Err(TryRecvError::Disconnected)) {
            closing = true;
        }
        checkpoint(connection);
        last_checkpoint = Some(Instant::now());
        if closing {
            return;
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
