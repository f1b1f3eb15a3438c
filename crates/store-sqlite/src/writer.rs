//! The single writer thread: owns the write connection and commits queued writes in groups.
//!
//! Every write is a job sent over a channel. The thread blocks for the first job, drains whatever
//! else is queued (up to [`MAX_BATCH`]), runs them all in one transaction (see `batch` for how a
//! failing job rolls back only itself), commits once (one fsync for the whole batch), and only
//! then replies to every job: a reply means the write is durable. After each commit it signals
//! the checkpointer thread, which keeps the WAL short without slowing the writer down.
//!
//! The queue is bounded ([`QUEUE_BOUND`] writes queued or in the running batch): a caller waits
//! for room before its write is queued, so a writer that falls behind (a slow disk, a long
//! checkpoint) slows its callers down instead of growing the queue without limit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;

use mynah_store::StoreError;
use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::batch::{self, Job, Pending};
use crate::checkpointer::Checkpointer;

/// The most jobs one transaction holds. Large enough that one fsync serves hundreds of sends,
/// small enough that the first job of a batch does not wait long for the last: a full batch takes
/// about 8 ms. (Measured: 1,024 gives about 10% more appends per writer CPU second, but a full
/// batch then holds its first ack for about 40 ms.) Batches only fill up under a backlog.
pub(crate) const MAX_BATCH: usize = 256;

/// The most writes queued or in the running batch at once. Four batches: enough that the next
/// full batch is always waiting while one commits (the writer never idles under load), small
/// enough that the queue holds at most a few megabytes (a message is at most 12 KB) and a write
/// waits at most about four batch times (about 30 ms) behind the queue. Past it, callers wait.
pub(crate) const QUEUE_BOUND: usize = 4 * MAX_BATCH;

/// Counters of the writer thread, for metrics and for tests that check batching.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Write commands handed to the writer so far (queued or run).
    pub submitted: u64,
    /// Transactions committed (each is one fsync with `Durability::Full`).
    pub commits: u64,
    /// Write commands run, whether they succeeded or failed.
    pub commands: u64,
}

enum Command {
    /// A write, with the room it takes in the queue until its reply is sent.
    Write(Box<dyn Job>, OwnedSemaphorePermit),
    /// Finish the batch this command is in, then exit; `done` is told once the thread is done.
    Shutdown(Option<oneshot::Sender<()>>),
}

/// The handle callers use to submit writes. Dropping it stops the thread after the queued batch.
pub(crate) struct Writer {
    commands: mpsc::Sender<Command>,
    /// One permit per write the queue has room for.
    room: Arc<Semaphore>,
    thread: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    submitted: AtomicU64,
    commits: AtomicU64,
    commands: AtomicU64,
}

impl Writer {
    /// Starts the writer thread, which owns `connection` and the checkpointer from now on. At most
    /// `bound` writes are queued or running at once.
    pub(crate) fn start(connection: Connection, checkpointer: Checkpointer, bound: usize) -> std::io::Result<Writer> {
        let (commands, queue) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let thread_counters = counters.clone();
        let thread = std::thread::Builder::new()
            .name("mynah-sqlite-writer".to_owned())
            .spawn(move || run(connection, checkpointer, queue, &thread_counters))?;
        Ok(Writer { commands, room: Arc::new(Semaphore::new(bound)), thread: Mutex::new(Some(thread)), counters })
    }

    /// Runs `work` in the writer's next batch and returns its result once the batch committed.
    /// Waits first while the queue is full. `work` may run twice (see `batch`): it must have no
    /// effect outside the connection.
    pub(crate) async fn write<T, W>(&self, work: W) -> Result<T, StoreError>
    where
        T: Send + 'static,
        W: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, response) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Pending::new(work, reply));
        let room = self.room.clone().acquire_owned().await.map_err(|_| closed())?;
        self.commands.send(Command::Write(job, room)).map_err(|_| closed())?;
        self.counters.submitted.fetch_add(1, Ordering::Relaxed);
        response.await.map_err(|_| closed())?
    }

    /// Lets the thread finish everything queued before this call, then waits for it to exit.
    pub(crate) async fn close(&self) {
        let (done, finished) = oneshot::channel();
        if self.commands.send(Command::Shutdown(Some(done))).is_ok() {
            // An error means the thread is gone already, which is what we wait for.
            let _ = finished.await;
        }
    }

    pub(crate) fn stats(&self) -> WriterStats {
        WriterStats {
            submitted: self.counters.submitted.load(Ordering::Relaxed),
            commits: self.counters.commits.load(Ordering::Relaxed),
            commands: self.counters.commands.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown(None));
        let thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(thread) = thread {
            // Bounded: the thread only finishes the batch it has, then exits.
            if thread.join().is_err() {
                tracing::error!("the sqlite writer thread panicked");
            }
        }
    }
}

fn closed() -> StoreError {
    StoreError::Backend("the sqlite writer is closed".to_owned())
}

/// The thread's loop: one batch per iteration until shutdown or until every handle is gone.
fn run(connection: Connection, checkpointer: Checkpointer, queue: mpsc::Receiver<Command>, counters: &Counters) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    let mut rooms: Vec<OwnedSemaphorePermit> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = queue.recv() {
        let mut shutdown = None;
        let mut stop = false;
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Write(job, room) => {
                    batch.push(job);
                    rooms.push(room);
                }
                Command::Shutdown(done) => {
                    shutdown = done;
                    stop = true;
                    break;
                }
            }
            if batch.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let failure = batch::execute(&connection, &mut batch).err();
            // Counted before the replies, so a caller holding its reply sees its write counted.
            counters.commands.fetch_add(batch.len() as u64, Ordering::Relaxed);
            match &failure {
                None => {
                    counters.commits.fetch_add(1, Ordering::Relaxed);
                    checkpointer.committed();
                }
                Some(reason) => tracing::error!(%reason, jobs = batch.len(), "sqlite group commit failed"),
            }
            batch::deliver(batch.drain(..), failure.as_ref());
            // The batch's room frees only once its replies are out, so queued and running writes
            // together never exceed the bound.
            rooms.clear();
        }
        if stop {
            // Commands queued after the shutdown are dropped with the queue; their callers see
            // a closed writer.
            drop(queue);
            drop(checkpointer);
            drop(connection);
            if let Some(done) = shutdown {
                let _ = done.send(());
            }
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Gate = Mutex<mpsc::Receiver<()>>;

    fn start(bound: usize) -> (tempfile::TempDir, Arc<Writer>) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("writer.db");
        let connection = Connection::open(&path).unwrap();
        connection.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER)").unwrap();
        let checkpointer = Checkpointer::start(Connection::open(&path).unwrap()).unwrap();
        (directory, Arc::new(Writer::start(connection, checkpointer, bound).unwrap()))
    }

    fn insert(connection: &Connection, value: usize) -> Result<(), StoreError> {
        connection.execute("INSERT INTO t VALUES (?1)", [value as i64]).map(|_| ()).map_err(crate::rows::backend)
    }

    #[tokio::test]
    async fn a_full_queue_makes_callers_wait_neither_failing_nor_growing() {
        const BOUND: usize = 4;
        const EXTRA: usize = 3;
        let (_directory, writer) = start(BOUND);

        // The first write holds the writer thread until the gate opens, so the queue fills.
        let (open, gate) = mpsc::channel::<()>();
        let (started, running) = mpsc::channel::<()>();
        let (gate, started): (Gate, _) = (Mutex::new(gate), Mutex::new(started));
        let mut writes = vec![tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .write(move |connection| {
                        let _ = started.lock().unwrap().send(());
                        let _ = gate.lock().unwrap().recv();
                        insert(connection, 0)
                    })
                    .await
            }
        })];
        tokio::task::spawn_blocking(move || running.recv()).await.unwrap().unwrap();

        for value in 1..BOUND + EXTRA {
            let writer = writer.clone();
            writes.push(tokio::spawn(async move { writer.write(move |connection| insert(connection, value)).await }));
        }
        while writer.stats().submitted < BOUND as u64 {
            tokio::task::yield_now().await;
        }
        // Every task has run until it waits (this runtime has one thread: each yield runs every
        // ready task once); the ones past the bound wait for room, not queued and not failed.
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert_eq!(writer.stats().submitted, BOUND as u64, "the queue grew past its bound");
        assert!(writes.iter().all(|write| !write.is_finished()), "a caller was failed instead of made to wait");

        open.send(()).unwrap();
        for write in writes {
            write.await.unwrap().expect("every write commits once there is room");
        }
        let stats = writer.stats();
        assert_eq!((stats.submitted, stats.commands), ((BOUND + EXTRA) as u64, (BOUND + EXTRA) as u64));
    }
}
