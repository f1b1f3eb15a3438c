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
//!   the login storm (P2, three lookups per login): see docs/performance.md.

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
    /// rows through an index: it blocks the calling runtime thread for as long as it runs.
    pub(crate) async fn lookup<T, R>(&self, work: R) -> Result<T, StoreError>
    where
        T: Send + 'static,
        R: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return self.read(work).await;
        };
        run_leased(self.idle.clone(), permit, work)
    }
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
