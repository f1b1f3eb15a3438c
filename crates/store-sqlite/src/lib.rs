//! Mynah's embedded store: SQLite in WAL mode, one writer thread with group commit, read connections.
//!
//! # Layout
//!
//! - [`SqliteStore`] (this file): opening, configuration, closing.
//! - `writer`: the one writer thread; many writes share one transaction and one fsync, and a write
//!   is acknowledged only after its transaction committed.
//! - `batch`: one group commit, and how a failing write rolls back only itself.
//! - `checkpointer`: copies the WAL into the database file on its own thread.
//! - `readers`: a pool of read-only connections used on tokio's blocking threads.
//! - `migrations`: the schema, keyed on `PRAGMA user_version`.
//! - `ports`: the `mynah_store` traits, each method a write job or a read.
//! - `messages`, `conversations`, `changes`, `groups`: the SQL, one file per aggregate.
//! - `admin_ports`: the administration traits; `accounts` (with profiles), `revisions` (recall,
//!   edit) and `group_admin` (removal, dismissal, notices): their SQL.
//!
//! Every key starts with the app (SDKAppID). Messages are stored once per conversation; unread
//! counts come from per-user read marks (see `conversations`), never from a row per recipient.

mod accounts;
mod admin_ports;
mod batch;
mod changes;
mod checkpointer;
mod conversations;
mod group_admin;
mod group_edits;
mod groups;
mod messages;
mod migrations;
mod outbox;
#[cfg(test)]
mod plans;
mod ports;
mod readers;
mod revisions;
mod rows;
mod writer;

use std::path::PathBuf;
use std::time::Duration;

use mynah_store::StoreError;
use rusqlite::{Connection, OpenFlags};

pub use writer::WriterStats;

use crate::checkpointer::Checkpointer;
use crate::readers::ReaderPool;
use crate::writer::Writer;

/// How long a connection waits for a lock held by another process (or a checkpoint) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a connection sleeps between two tries of a lock another connection holds. SQLite's
/// own busy handler (`busy_timeout`) sleeps 1, 2, 5, 10, 15, 20, 25, ... 100 ms: measured under P3,
/// the writer waiting out a WAL restart (the checkpointer holds the write lock for a few
/// milliseconds) slept 50 ms and more, and every queued send waited with it; the checkpointer,
/// polling for the write lock between two batches, slept 100 ms at a time while the WAL grew.
const BUSY_RETRY: Duration = Duration::from_micros(100);

/// How a [`SqliteStore`] is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteConfig {
    /// The database file; created with its schema when missing.
    pub path: PathBuf,
    pub durability: Durability,
    /// How many read-only connections serve reads concurrently (at least one is opened).
    pub readers: usize,
}

impl SqliteConfig {
    /// The defaults for a database file: full durability, four readers.
    pub fn new(path: impl Into<PathBuf>) -> SqliteConfig {
        SqliteConfig { path: path.into(), durability: Durability::default(), readers: 4 }
    }
}

/// What survives a crash once a write is acknowledged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: every commit is fsync'd, so an acknowledged write survives power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL`: in WAL mode, commits survive a crash of the process but the last ones
    /// may be lost on power loss.
    Normal,
}

impl Durability {
    fn pragma_value(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// The SQLite store. Implements every `mynah_store` port; wrap it with
/// `mynah_store::Store::from_backend(Arc::new(store))`.
///
/// Dropping it finishes the queued writes (blocking briefly for the last commit); [`close`]
/// does the same without blocking.
///
/// [`close`]: SqliteStore::close
pub struct SqliteStore {
    writer: Writer,
    readers: ReaderPool,
    /// Change kinds met that this version does not know, each logged once.
    unknown_change_kinds: std::sync::Arc<mynah_store::backend::UnknownKinds>,
}

impl SqliteStore {
    /// Opens (or creates) the database, brings its schema up to date and starts the writer thread.
    pub fn open(config: SqliteConfig) -> Result<SqliteStore, StoreError> {
        let mut connection = Connection::open(&config.path).map_err(|error| opening(&config, error))?;
        configure_writer(&connection, config.durability).map_err(|error| opening(&config, error))?;
        let mode: String = connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|error| opening(&config, error))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!("{} refused WAL mode (got {mode})", config.path.display())));
        }
        migrations::migrate(&mut connection)
            .map_err(|error| StoreError::Backend(format!("migrating {}: {error}", config.path.display())))?;

        let read_flags =
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let readers = (0..config.readers.max(1))
            .map(|_| {
                let reader = Connection::open_with_flags(&config.path, read_flags)?;
                reader.busy_handler(Some(retry_while_busy))?;
                reader.set_prepared_statement_cache_capacity(64);
                Ok(reader)
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|error| opening(&config, error))?;

        let checkpoints = Connection::open(&config.path)
            .and_then(|checkpoints| {
                checkpoints.pragma_update(None, "synchronous", config.durability.pragma_value())?;
                checkpoints.busy_handler(Some(retry_while_busy))?;
                Ok(checkpoints)
            })
            .map_err(|error| opening(&config, error))?;
        let checkpointer = Checkpointer::start(checkpoints)
            .map_err(|error| StoreError::Backend(format!("starting the sqlite checkpoint thread: {error}")))?;
        let writer = Writer::start(connection, checkpointer, writer::QUEUE_BOUND)
            .map_err(|error| StoreError::Backend(format!("starting the sqlite writer thread: {error}")))?;
        Ok(SqliteStore { writer, readers: ReaderPool::new(readers), unknown_change_kinds: Default::default() })
    }

    /// Commits everything queued so far and stops the writer; later writes fail with
    /// `StoreError::Backend`. Reads keep working until the store is dropped.
    pub async fn close(&self) {
        self.writer.close().await;
    }

    /// How many transactions the writer committed and how many write commands they held.
    pub fn writer_stats(&self) -> WriterStats {
        self.writer.stats()
    }
}

fn configure_writer(connection: &Connection, durability: Durability) -> rusqlite::Result<()> {
    connection.pragma_update(None, "synchronous", durability.pragma_value())?;
    connection.busy_handler(Some(retry_while_busy))?;
    // 64 MiB of page cache: the writer's hot pages (index interiors, recent conversations) stay put.
    connection.pragma_update(None, "cache_size", -65_536)?;
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    // The checkpointer thread checkpoints instead of the committing writer.
    connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    // The WAL restarts at about 256 MiB (see `checkpointer`), so its file normally stays near that
    // size and is rewritten in place. Cutting it back at every restart cost a quarter of the
    // writer's time (the kernel re-creating the file's cached pages); this limit only trims the
    // file after an unusual spike.
    connection.pragma_update(None, "journal_size_limit", 512 * 1024 * 1024)?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(())
}

thread_local! {
    /// Set while a point lookup runs on a runtime thread (`readers::without_waiting`): the busy
    /// handler then gives up at once instead of sleeping there.
    static NO_WAIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The busy handler of every connection: retries every [`BUSY_RETRY`] for up to [`BUSY_TIMEOUT`].
/// `attempts` is how many times SQLite called it for this lock so far.
fn retry_while_busy(attempts: i32) -> bool {
    if NO_WAIT.get() {
        return false;
    }
    // Sleeps overshoot a little, so the wait is at least the timeout, never shorter.
    let slept = BUSY_RETRY.saturating_mul(u32::try_from(attempts).unwrap_or(0));
    if slept >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(BUSY_RETRY);
    true
}

fn opening(config: &SqliteConfig, error: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("opening {}: {error}", config.path.display()))
}
