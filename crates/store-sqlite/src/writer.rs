//! The single writer thread: owns the write connection and commits queued writes in groups.
//!
//! Every write is a job sent over a channel. The thread blocks for the first job, drains whatever
//! else is queued (up to [`MAX_BATCH`]), runs them all in one transaction (see `batch` for how a
//! failing job rolls back only itself), commits once (one fsync for the whole batch), and only
//! then replies to every job: a reply means the write is durable. After each commit it signals
//! the checkpointer thread, which keeps the WAL short without slowing the writer down.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;

use mynah_store::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::batch::{self, Job, Pending};
use crate::checkpointer::Checkpointer;

/// The most jobs one transaction holds. Large enough that one fsync serves hundreds of sends,
/// small enough that the first job of a batch does not wait long for the last: a full batch takes
/// about 8 ms. (Measured: 1,024 gives about 10% more appends per writer CPU second, but a full
/// batch then holds its first ack for about 40 ms.) Batches only fill up under a backlog.
pub(crate) const MAX_BATCH: usize = 256;

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
    Write(Box<dyn Job>),
    /// Finish the batch this command is in, then exit; `done` is told once the thread is done.
    Shutdown(Option<oneshot::Sender<()>>),
}

/// The handle callers use to submit writes. Dropping it stops the thread after the queued batch.
pub(crate) struct Writer {
    commands: mpsc::Sender<Command>,
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
    /// Starts the writer thread, which owns `connection` and the checkpointer from now on.
    pub(crate) fn start(connection: Connection, checkpointer: Checkpointer) -> std::io::Result<Writer> {
        let (commands, queue) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let thread_counters = counters.clone();
        let thread = std::thread::Builder::new()
            .name("mynah-sqlite-writer".to_owned())
            .spawn(move || run(connection, checkpointer, queue, &thread_counters))?;
        Ok(Writer { commands, thread: Mutex::new(Some(thread)), counters })
    }

    /// Runs `work` in the writer's next batch and returns its result once the batch committed.
    /// `work` may run twice (see `batch`): it must have no effect outside the connection.
    pub(crate) async fn write<T, W>(&self, work: W) -> Result<T, StoreError>
    where
        T: Send + 'static,
        W: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, response) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Pending::new(work, reply));
        self.commands.send(Command::Write(job)).map_err(|_| closed())?;
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
    while let Ok(first) = queue.recv() {
        let mut shutdown = None;
        let mut stop = false;
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Write(job) => batch.push(job),
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
            batch::deliver(batch.drain(..), failure.as_deref());
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
