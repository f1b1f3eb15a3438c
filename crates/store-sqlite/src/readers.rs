//! A small pool of read-only WAL connections, used on tokio's blocking threads.
//!
//! In WAL mode readers never wait for the writer and see every committed batch. A read borrows a
//! connection for one closure on `spawn_blocking`, so the async runtime is never blocked; the
//! borrow is returned by a guard, so a cancelled or panicking read does not shrink the pool.

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
        let task = tokio::task::spawn_blocking(move || {
            let connection = idle.lock().unwrap_or_else(PoisonError::into_inner).pop().ok_or_else(closed)?;
            let lease = Lease { connection: Some(connection), idle, _permit: permit };
            lease.connection.as_ref().map_or_else(|| Err(closed()), work)
        });
        task.await.map_err(|error| StoreError::Backend(format!("a sqlite read failed: {error}")))?
    }
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
