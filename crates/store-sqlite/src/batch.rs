//! One group commit: a batch of write jobs in one transaction, then every job's reply.
//!
//! A failing job must roll back only itself. Savepoints do that, but one per job costs a copy of
//! every page the job touches, about a quarter of the writer's time, so they are used only when
//! needed:
//!
//! - **Fast path.** The jobs run back to back in one transaction. Every expected failure (a taken
//!   ID, a full group, a missing row) is detected before the job writes anything, and SQLite's
//!   change counter confirms that the failed job wrote nothing; so there is nothing to undo.
//! - **Careful path.** When a job fails after writing (an unexpected SQL error) or panics, the
//!   transaction is rolled back and the whole batch runs again with each job inside its own
//!   savepoint, so only that job's writes are undone. Jobs can run twice because nothing they
//!   did is visible before the commit and their replies are only sent afterwards.
//!
//! If SQLite itself ends the transaction (I/O error, disk full) or the commit fails, every job of
//! the batch fails with `StoreError::Backend`; when the transaction could not begin or commit
//! because another connection held the lock past the busy timeout, with `StoreError::Busy`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mynah_store::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

/// A queued write.
pub(crate) trait Job: Send {
    /// Runs the work and keeps its outcome; returns whether it succeeded. May be called a second
    /// time after the first run's writes were rolled back.
    fn run(&mut self, connection: &Connection) -> bool;

    /// Sends the kept outcome, or the batch's failure when it did not commit.
    fn deliver(self: Box<Self>, failure: Option<&Failure>);
}

/// The one [`Job`]: a re-runnable closure over the connection and the caller's reply channel.
pub(crate) struct Pending<T, W> {
    work: W,
    outcome: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, W> Pending<T, W> {
    pub(crate) fn new(work: W, reply: oneshot::Sender<Result<T, StoreError>>) -> Pending<T, W> {
        Pending { work, outcome: None, reply }
    }
}

impl<T, W> Job for Pending<T, W>
where
    T: Send + 'static,
    W: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(&mut self, connection: &Connection) -> bool {
        // Cleared first, so a run that panics leaves no outcome behind.
        self.outcome = None;
        let outcome = (self.work)(connection);
        let succeeded = outcome.is_ok();
        self.outcome = Some(outcome);
        succeeded
    }

    fn deliver(self: Box<Self>, failure: Option<&Failure>) {
        let result = match (failure, self.outcome) {
            (Some(failure), _) => Err(failure.to_error()),
            (None, Some(outcome)) => outcome,
            (None, None) => Err(StoreError::Backend("the sqlite write job panicked".to_owned())),
        };
        // The caller may have stopped waiting; the write stands either way.
        let _ = self.reply.send(result);
    }
}

/// Why a batch did not commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    reason: String,
    /// Another connection held the lock past the busy timeout: the same writes may succeed later.
    retryable: bool,
}

impl Failure {
    fn to_error(&self) -> StoreError {
        let reason = format!("sqlite write transaction failed: {}", self.reason);
        if self.retryable { StoreError::Busy(reason) } else { StoreError::Backend(reason) }
    }

    fn broken(reason: &str) -> Failure {
        Failure { reason: reason.to_owned(), retryable: false }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.reason)
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(error: rusqlite::Error) -> Failure {
        Failure { retryable: crate::rows::is_busy(&error), reason: error.to_string() }
    }
}

/// Runs `jobs` in one transaction and commits it. `Err` when nothing was committed.
pub(crate) fn execute(connection: &Connection, jobs: &mut [Box<dyn Job>]) -> Result<(), Failure> {
    match run_fast(connection, jobs)? {
        Fast::Committed => Ok(()),
        Fast::NeedsSavepoints => run_careful(connection, jobs),
    }
}

/// Sends every job's reply; call after [`execute`] with its failure, if any.
pub(crate) fn deliver(jobs: impl Iterator<Item = Box<dyn Job>>, failure: Option<&Failure>) {
    for job in jobs {
        job.deliver(failure);
    }
}

enum Fast {
    Committed,
    NeedsSavepoints,
}

fn run_fast(connection: &Connection, jobs: &mut [Box<dyn Job>]) -> Result<Fast, Failure> {
    begin(connection)?;
    for job in jobs.iter_mut() {
        let changes_before = connection.total_changes();
        let ran = catch_unwind(AssertUnwindSafe(|| job.run(connection)));
        still_in_transaction(connection)?;
        let clean = match ran {
            Ok(succeeded) => succeeded || connection.total_changes() == changes_before,
            Err(_) => false,
        };
        if !clean {
            tracing::warn!("a sqlite write failed after writing; running its batch again with savepoints");
            rollback(connection);
            return Ok(Fast::NeedsSavepoints);
        }
    }
    commit(connection)?;
    Ok(Fast::Committed)
}

fn run_careful(connection: &Connection, jobs: &mut [Box<dyn Job>]) -> Result<(), Failure> {
    begin(connection)?;
    for job in jobs.iter_mut() {
        run_sql(connection, "SAVEPOINT job").inspect_err(|_| rollback(connection))?;
        let ran = catch_unwind(AssertUnwindSafe(|| job.run(connection)));
        still_in_transaction(connection)?;
        let ended = if matches!(ran, Ok(true)) {
            run_sql(connection, "RELEASE job")
        } else {
            if ran.is_err() {
                tracing::error!("a sqlite write job panicked; its savepoint was rolled back");
            }
            run_sql(connection, "ROLLBACK TO job").and_then(|()| run_sql(connection, "RELEASE job"))
        };
        ended.inspect_err(|_| rollback(connection))?;
    }
    commit(connection)
}

fn begin(connection: &Connection) -> Result<(), Failure> {
    if !connection.is_autocommit() {
        // A transaction survived an earlier failure (say, a failed ROLLBACK): end it, or every
        // later batch would fail to begin.
        rollback(connection);
    }
    run_sql(connection, "BEGIN IMMEDIATE")
}

fn commit(connection: &Connection) -> Result<(), Failure> {
    run_sql(connection, "COMMIT").inspect_err(|_| rollback(connection))
}

fn rollback(connection: &Connection) {
    if !connection.is_autocommit()
        && let Err(reason) = run_sql(connection, "ROLLBACK")
    {
        tracing::error!(%reason, "sqlite writer could not roll back");
    }
}

/// SQLite rolls a transaction back by itself on some errors (I/O, disk full); the batch is lost then.
fn still_in_transaction(connection: &Connection) -> Result<(), Failure> {
    if connection.is_autocommit() {
        Err(Failure::broken("sqlite ended the transaction after an error"))
    } else {
        Ok(())
    }
}

fn run_sql(connection: &Connection, sql: &str) -> Result<(), Failure> {
    connection.prepare_cached(sql).and_then(|mut statement| statement.execute([])).map(|_| ()).map_err(Failure::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Reply = oneshot::Receiver<Result<(), StoreError>>;

    fn job(work: impl Fn(&Connection) -> Result<(), StoreError> + Send + 'static) -> (Box<dyn Job>, Reply) {
        let (reply, response) = oneshot::channel();
        (Box::new(Pending::new(work, reply)), response)
    }

    fn sql(statement: &'static str) -> (Box<dyn Job>, Reply) {
        job(move |connection| {
            connection.execute(statement, []).map(|_| ()).map_err(|error| StoreError::Backend(error.to_string()))
        })
    }

    fn table() -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)").unwrap();
        connection
    }

    fn values(connection: &Connection) -> Vec<i64> {
        let mut statement = connection.prepare("SELECT v FROM t ORDER BY v").unwrap();
        statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
    }

    fn commit_all(connection: &Connection, jobs: Vec<Box<dyn Job>>) {
        let mut jobs = jobs;
        let failure = execute(connection, &mut jobs).err();
        assert_eq!(failure, None);
        deliver(jobs.into_iter(), None);
    }

    #[test]
    fn a_failing_statement_rolls_back_only_its_job() {
        let connection = table();
        let (first, first_reply) = sql("INSERT INTO t VALUES (1)");
        // Fails on the duplicate key; SQLite undoes the statement as a whole.
        let (second, second_reply) = sql("INSERT INTO t VALUES (2), (1)");
        let (third, third_reply) = sql("INSERT INTO t VALUES (3)");

        commit_all(&connection, vec![first, second, third]);

        assert!(first_reply.blocking_recv().unwrap().is_ok());
        assert!(second_reply.blocking_recv().unwrap().is_err());
        assert!(third_reply.blocking_recv().unwrap().is_ok());
        assert_eq!(values(&connection), vec![1, 3]);
    }

    #[test]
    fn a_job_that_fails_after_writing_leaves_no_trace() {
        let connection = table();
        let (before, before_reply) = sql("INSERT INTO t VALUES (6)");
        let (failing, failing_reply) = job(|connection| {
            connection.execute("INSERT INTO t VALUES (7)", []).unwrap();
            Err(StoreError::GroupFull)
        });
        let (after, after_reply) = sql("INSERT INTO t VALUES (8)");

        commit_all(&connection, vec![before, failing, after]);

        assert!(before_reply.blocking_recv().unwrap().is_ok());
        assert!(matches!(failing_reply.blocking_recv().unwrap(), Err(StoreError::GroupFull)));
        assert!(after_reply.blocking_recv().unwrap().is_ok());
        assert_eq!(values(&connection), vec![6, 8]);
    }

    #[test]
    fn a_panicking_job_fails_alone() {
        let connection = table();
        let (first, first_reply) = sql("INSERT INTO t VALUES (1)");
        let (panicking, panicking_reply) = job(|connection| {
            connection.execute("INSERT INTO t VALUES (2)", []).unwrap();
            panic!("a bug in a write job");
        });
        let (last, last_reply) = sql("INSERT INTO t VALUES (3)");

        commit_all(&connection, vec![first, panicking, last]);

        assert!(first_reply.blocking_recv().unwrap().is_ok());
        assert!(matches!(panicking_reply.blocking_recv().unwrap(), Err(StoreError::Backend(_))));
        assert!(last_reply.blocking_recv().unwrap().is_ok());
        assert_eq!(values(&connection), vec![1, 3]);
    }

    #[test]
    fn a_batch_locked_out_by_another_connection_fails_as_retryable() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("batch.db");
        let connection = Connection::open(&path).unwrap();
        connection.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)").unwrap();
        // Another connection holds the write lock; this one has no busy handler, so it gives up at once.
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let (insert, reply) = sql("INSERT INTO t VALUES (1)");
        let mut jobs = vec![insert];

        let failure = execute(&connection, &mut jobs).err();
        deliver(jobs.into_iter(), failure.as_ref());

        assert!(matches!(reply.blocking_recv().unwrap(), Err(StoreError::Busy(_))));
        holder.execute_batch("COMMIT").unwrap();
        assert_eq!(values(&connection), Vec::<i64>::new());
    }

    #[test]
    fn a_failed_commit_fails_every_job() {
        let connection = table();
        // A deferred foreign key is checked at COMMIT, so the jobs succeed and the commit fails.
        connection
            .execute_batch(
                "PRAGMA foreign_keys = ON;
                 CREATE TABLE child (parent INTEGER REFERENCES t (v) DEFERRABLE INITIALLY DEFERRED)",
            )
            .unwrap();
        let (first, first_reply) = sql("INSERT INTO t VALUES (1)");
        let (orphan, orphan_reply) = sql("INSERT INTO child VALUES (99)");
        let mut jobs = vec![first, orphan];

        let failure = execute(&connection, &mut jobs).err();
        assert!(failure.is_some());
        deliver(jobs.into_iter(), failure.as_ref());

        assert!(matches!(first_reply.blocking_recv().unwrap(), Err(StoreError::Backend(_))));
        assert!(matches!(orphan_reply.blocking_recv().unwrap(), Err(StoreError::Backend(_))));
        assert_eq!(values(&connection), Vec::<i64>::new());
        assert!(connection.is_autocommit(), "the failed transaction was rolled back");
    }
}
