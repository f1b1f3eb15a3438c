//! A small pool of read-only WAL connections.
//!
//! In WAL mode readers never wait for the writer and see every committed batch. A read borrows a
//! connection for one closure; the borrow is returned by a guard, so a cancelled or panicking read
//! does not shrink the pool. Two ways to run one:
//!
//! - [`ReaderPool::read`] runs on tokio's blocking threads, so the async runtime is never blocked.
//!   For reads whose size the caller does not bound: history pages, lists, member lists.
//! - [`ReaderPool::lookup`] runs on the calling task's thread when a connection is idle. For point
//!   lookups by primary key or unique index (a few microseconds from the page cache): the hop to a
//!   blocking thread and back (two thread wakeups) costs more than the lookup itself. Measured in
//!   the login storm (P2, three lookups per login): see docs/performance.md. A lookup never waits
//!   for a lock on the runtime thread: the connection's busy handler (which sleeps and retries for
//!   up to five seconds) is off while it runs there, and a lookup that meets a lock (`Busy`) runs
//!   again through `read`, on a blocking thread, where waiting is harmless.

use std::sync::{Arc, Mutex, PoisonError};

use mynah_store::StoreError;
use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub(crate) struct ReaderPool {
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
}

impl ReaderPool {
    pub(crate) fn new(connections: Vec<Connection>) -> ReaderPool {
        let permits = Arc::new(Semaphore::new(connections.len()));
        ReaderPool { idle: Arc::new(Mutex::new(connections)), permits }
    }

    /// Runs `work` on an idle connection once one is free.
    pub(crate) async fn read<T, R>(&self, work: R) -> Result<T, StoreError>
    where
        T: Send + 'static,
        R: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| closed())?;
        let idle = self.idle.clone();
        let task = tokio::task::spawn_blocking(move || run_leased(idle, permit, work));
        task.await.map_err(|error| StoreError::Backend(format!("a sqlite read failed: {error}")))?
    }

    /// Runs a point lookup on an idle connection, on this thread; when every connection is busy,
    /// waits for one like [`read`](Self::read) does. Only for reads of a bounded, small number of
    /// rows through an index: it blocks the calling runtime thread for as long as it runs, so it
    /// never waits for a lock there; a lookup that meets one runs again through `read`.
    pub(crate) async fn lookup<T, R>(&self, work: R) -> Result<T, StoreError>
    where
        T: Send + 'static,
        R: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return self.read(work).await;
        };
        match run_leased(self.idle.clone(), permit, |connection| without_waiting(connection, &work)) {
            Err(StoreError::Busy(_)) => self.read(work).await,
            done => done,
        }
    }
}

/// Runs `work` with the busy handler giving up at once (a thread-local flag it reads, so the
/// connection itself is not touched): a lock held elsewhere fails it with `Busy` instead of sleeping
/// on the calling thread. The flag is cleared when this returns, also when `work` panics.
fn without_waiting<T>(
    connection: &Connection,
    work: &impl Fn(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            crate::NO_WAIT.set(false);
        }
    }
    crate::NO_WAIT.set(true);
    let _clear = Clear;
    work(connection)
}

/// Runs `work` on an idle connection, on this thread, holding `permit` until the connection is back.
fn run_leased<T, R>(idle: Arc<Mutex<Vec<Connection>>>, permit: OwnedSemaphorePermit, work: R) -> Result<T, StoreError>
where
    R: FnOnce(&Connection) -> Result<T, StoreError>,
{
    let connection = idle.lock().unwrap_or_else(PoisonError::into_inner).pop().ok_or_else(closed)?;
    let lease = Lease { connection: Some(connection), idle, _permit: permit };
    lease.connection.as_ref().map_or_else(|| Err(closed()), work)
}

/// A borrowed connection; dropping it (also while unwinding) puts the connection back before the
/// permit is released.
struct Lease {
    connection: Option<Connection>,
    idle: Arc<Mutex<Vec<Connection>>>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if !connection.is_autocommit() {
                // A read that panicked inside a snapshot: end it, or the connection would keep
                // seeing that old snapshot.
                let _ = connection.execute_batch("ROLLBACK");
            }
            self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(connection);
        }
    }
}

fn closed() -> StoreError {
    StoreError::Backend("no sqlite read connection is available".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database in rollback-journal mode, where a writer's exclusive lock shuts readers out (in
    /// WAL mode they would never wait), and one reader of it with the store's busy handler.
    fn locked_database() -> (tempfile::TempDir, Connection, ReaderPool) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("readers.db");
        let lock = Connection::open(&path).unwrap();
        lock.execute_batch("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7); BEGIN EXCLUSIVE").unwrap();
        let reader = Connection::open(&path).unwrap();
        reader.busy_handler(Some(crate::retry_while_busy)).unwrap();
        (directory, lock, ReaderPool::new(vec![reader]))
    }

    fn value(connection: &Connection) -> Result<i64, StoreError> {
        connection.query_row("SELECT v FROM t", [], |row| row.get(0)).map_err(crate::rows::backend)
    }

    /// On a one-thread runtime, a lookup that slept in the busy handler would hold the only thread,
    /// so the lock below could never be released in time and the lookup would fail after five
    /// seconds of waiting. It must instead move to a blocking thread and wait there.
    #[tokio::test(flavor = "current_thread")]
    async fn a_lookup_never_waits_for_a_lock_on_the_runtime_thread() {
        let (_directory, lock, readers) = locked_database();
        let readers = Arc::new(readers);
        let started = std::time::Instant::now();
        let lookup = {
            let readers = readers.clone();
            tokio::spawn(async move { readers.lookup(value).await })
        };
        // The lookup runs first (the only thread yields to it), meets the lock, and hands over.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        lock.execute_batch("COMMIT").unwrap();
        assert_eq!(lookup.await.unwrap().expect("the lookup waits out the lock off the runtime"), 7);
        // Had it slept in the busy handler here first, it would have taken the whole timeout.
        assert!(started.elapsed() < crate::BUSY_TIMEOUT, "the lookup slept on the runtime thread");
    }
}
