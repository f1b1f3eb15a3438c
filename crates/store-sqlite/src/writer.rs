//! The single writer thread: owns the write connection and commits queued writes in groups.
//!
//! Every write is a job sent over a channel. The thread blocks for the first job, drains whatever
//! else is queued (up to [`MAX_BATCH`]), runs them all in one transaction with each job inside its
//! own savepoint, commits once (one fsync for the whole batch), and only then replies to every
//! job: a reply means the write is durable. A job that fails rolls back its own savepoint only; if
//! the commit fails, every job of the batch gets [`StoreError::Backend`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;

use mynah_store::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

/// The most jobs one transaction holds. Large enough that one fsync serves hundreds of sends,
/// small enough that the first job of a batch does not wait long for the last.
pub(crate) const MAX_BATCH: usize = 256;

/// Counters of the writer thread, for metrics and for tests that check batching.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Write commands handed to the writer so far (queued or run).
    pub submitted: u64,
    /// Transactions committed (each is one fsync with `Durability::Full`).
    pub commits: u64,
    /// Write commands run, whether they succeeded or rolled back to their savepoint.
    pub commands: u64,
}

/// A queued write: runs inside its savepoint, or fails without running when no transaction could
/// be opened.
trait Job: Send {
    fn run(self: Box<Self>, connection: &Connection) -> Executed;
    fn fail(self: Box<Self>, reason: &str);
}

/// A job that ran: whether its savepoint is kept, and how to deliver its reply once the batch's
/// fate is known (`Some(reason)` when the commit failed).
struct Executed {
    succeeded: bool,
    deliver: Box<dyn FnOnce(Option<&str>) + Send>,
}

/// The one [`Job`] implementation: a closure over the connection and the caller's reply channel.
struct Pending<T, W> {
    work: W,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, W> Job for Pending<T, W>
where
    T: Send + 'static,
    W: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, connection: &Connection) -> Executed {
        let Pending { work, reply } = *self;
        let outcome = work(connection);
        Executed {
            succeeded: outcome.is_ok(),
            deliver: Box::new(move |commit_failure| {
                let result = match commit_failure {
                    Some(reason) => Err(commit_failed(reason)),
                    None => outcome,
                };
                // The caller may have stopped waiting; the write stands either way.
                let _ = reply.send(result);
            }),
        }
    }

    fn fail(self: Box<Self>, reason: &str) {
        let _ = self.reply.send(Err(commit_failed(reason)));
    }
}

fn commit_failed(reason: &str) -> StoreError {
    StoreError::Backend(format!("sqlite write transaction failed: {reason}"))
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
    /// Starts the writer thread, which owns `connection` from now on.
    pub(crate) fn start(connection: Connection) -> std::io::Result<Writer> {
        let (commands, queue) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let thread_counters = counters.clone();
        let thread = std::thread::Builder::new()
            .name("mynah-sqlite-writer".to_owned())
            .spawn(move || run(connection, queue, &thread_counters))?;
        Ok(Writer { commands, thread: Mutex::new(Some(thread)), counters })
    }

    /// Runs `work` in the writer's next batch and returns its result once the batch committed.
    pub(crate) async fn write<T, W>(&self, work: W) -> Result<T, StoreError>
    where
        T: Send + 'static,
        W: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, response) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Pending { work, reply });
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
fn run(connection: Connection, queue: mpsc::Receiver<Command>, counters: &Counters) {
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
            let jobs = batch.len() as u64;
            if commit_batch(&connection, batch.drain(..)) {
                counters.commits.fetch_add(1, Ordering::Relaxed);
            }
            counters.commands.fetch_add(jobs, Ordering::Relaxed);
        }
        if stop {
            // Commands queued after the shutdown are dropped with the queue; their callers see
            // a closed writer.
            drop(queue);
            drop(connection);
            if let Some(done) = shutdown {
                let _ = done.send(());
            }
            return;
        }
    }
}

/// Runs `jobs` in one transaction, each in its own savepoint, commits, then delivers every reply.
/// Returns whether the transaction committed.
fn commit_batch(connection: &Connection, jobs: impl Iterator<Item = Box<dyn Job>>) -> bool {
    if !connection.is_autocommit() {
        // A transaction survived an earlier failure (say, a failed ROLLBACK): end it, or every
        // later batch would fail to begin.
        let _ = execute(connection, "ROLLBACK");
    }
    if let Err(error) = execute(connection, "BEGIN IMMEDIATE") {
        let reason = error.to_string();
        tracing::error!(%reason, "sqlite writer could not begin a transaction");
        for job in jobs {
            job.fail(&reason);
        }
        return false;
    }
    let executed: Vec<Executed> = jobs.filter_map(|job| run_in_savepoint(connection, job)).collect();
    let failure = match execute(connection, "COMMIT") {
        Ok(()) => None,
        Err(error) => {
            let _ = execute(connection, "ROLLBACK");
            Some(error.to_string())
        }
    };
    if let Some(reason) = &failure {
        tracing::error!(%reason, jobs = executed.len(), "sqlite group commit failed");
    }
    for done in executed {
        (done.deliver)(failure.as_deref());
    }
    failure.is_none()
}

/// Runs one job inside a savepoint and keeps or rolls back its writes. `None` when the job
/// panicked: its reply channel was dropped while unwinding, so its caller sees a closed writer.
fn run_in_savepoint(connection: &Connection, job: Box<dyn Job>) -> Option<Executed> {
    if let Err(error) = execute(connection, "SAVEPOINT job") {
        tracing::error!(%error, "sqlite writer could not open a savepoint");
        return None;
    }
    let executed = catch_unwind(AssertUnwindSafe(|| job.run(connection)));
    let keep = matches!(&executed, Ok(done) if done.succeeded);
    let ended = if keep {
        execute(connection, "RELEASE job")
    } else {
        execute(connection, "ROLLBACK TO job").and_then(|()| execute(connection, "RELEASE job"))
    };
    if let Err(error) = ended {
        tracing::error!(%error, "sqlite writer could not end a savepoint");
    }
    match executed {
        Ok(done) => Some(done),
        Err(_) => {
            tracing::error!("a sqlite write job panicked; its savepoint was rolled back");
            None
        }
    }
}

fn execute(connection: &Connection, sql: &str) -> rusqlite::Result<()> {
    connection.prepare_cached(sql)?.execute([])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Reply = oneshot::Receiver<Result<(), StoreError>>;

    fn job(sql: &'static str) -> (Box<dyn Job>, Reply) {
        let (reply, response) = oneshot::channel();
        let work = move |connection: &Connection| {
            connection.execute(sql, []).map(|_| ()).map_err(|error| StoreError::Backend(error.to_string()))
        };
        (Box::new(Pending { work, reply }), response)
    }

    #[test]
    fn a_failing_job_rolls_back_only_itself() {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)").unwrap();
        let (first, first_reply) = job("INSERT INTO t VALUES (1)");
        // Fails on the duplicate key; the statement is undone as a whole.
        let (second, second_reply) = job("INSERT INTO t VALUES (2), (1)");
        let (third, third_reply) = job("INSERT INTO t VALUES (3)");

        assert!(commit_batch(&connection, vec![first, second, third].into_iter()));

        assert!(first_reply.blocking_recv().unwrap().is_ok());
        assert!(second_reply.blocking_recv().unwrap().is_err());
        assert!(third_reply.blocking_recv().unwrap().is_ok());
        let rows: Vec<i64> = connection
            .prepare("SELECT v FROM t ORDER BY v")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows, vec![1, 3]);
    }

    #[test]
    fn a_job_whose_work_fails_after_writing_leaves_no_trace() {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)").unwrap();
        let (reply, response) = oneshot::channel();
        let work = |connection: &Connection| -> Result<(), StoreError> {
            connection.execute("INSERT INTO t VALUES (7)", []).unwrap();
            Err(StoreError::GroupFull)
        };
        let (after, after_reply) = job("INSERT INTO t VALUES (8)");

        assert!(commit_batch(&connection, vec![Box::new(Pending { work, reply }) as Box<dyn Job>, after].into_iter()));

        assert!(matches!(response.blocking_recv().unwrap(), Err(StoreError::GroupFull)));
        assert!(after_reply.blocking_recv().unwrap().is_ok());
        let rows: Vec<i64> = connection
            .prepare("SELECT v FROM t ORDER BY v")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows, vec![8]);
    }

    #[test]
    fn a_panicking_job_drops_its_reply_and_keeps_the_others() {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)").unwrap();
        let (first, first_reply) = job("INSERT INTO t VALUES (1)");
        let (reply, response) = oneshot::channel::<Result<(), StoreError>>();
        let work = |connection: &Connection| -> Result<(), StoreError> {
            connection.execute("INSERT INTO t VALUES (2)", []).unwrap();
            panic!("a bug in a write job");
        };

        assert!(commit_batch(&connection, vec![first, Box::new(Pending { work, reply }) as Box<dyn Job>].into_iter()));

        assert!(first_reply.blocking_recv().unwrap().is_ok());
        assert!(response.blocking_recv().is_err());
        let count: i64 = connection.query_row("SELECT count(*) FROM t", [], |row| row.get(0)).unwrap();
        assert_eq!(count, 1);
    }
}
