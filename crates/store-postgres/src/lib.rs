//! Mynah's cluster store: PostgreSQL shared by several `mynah` nodes.
//!
//! [`PostgresStore::connect`] opens an sqlx pool and brings the schema up to date (safely when
//! several nodes start at once, see [`migrations`]); the store implements every port of
//! `mynah-store` and passes the same conformance suite as the SQLite store.
//!
//! # Layout
//!
//! - [`migrations`]: the schema, applied on start under an advisory lock.
//! - `rows`: value conversions and the error mapping.
//! - `changes`: the per-user change stream and its head rows.
//! - `outbox`: the webhook outbox, claimed with `FOR UPDATE SKIP LOCKED`.
//! - `accounts`: accounts and profiles.
//! - `messages`: the append (sequence, dedup, read marks, after-send event) and history reads.
//! - `conversations`: the conversation list, read marks and unread counts.
//! - `groups`: groups and memberships; `group_admin`: removal, dismissal, notices.
//! - `revisions`: administrators' sends, recall and edit.
//! - [`registry`]: [`PgRegistry`], the cluster-wide session registry (node leases and sessions).
//!
//! Each aggregate's file ends with its port's impl; reads use the pool, writes one transaction
//! (a message append: one statement, the server-side function of migration 6).
//!
//! # Transactions and the lock order
//!
//! Every write is one transaction at PostgreSQL's default isolation, `READ COMMITTED`: no write
//! is retried for a serialization failure, because none can happen. What must not race is
//! serialized by row locks, taken by the write's own `UPDATE`/`INSERT … ON CONFLICT DO UPDATE` (or
//! `SELECT … FOR UPDATE` where only a check is needed), and held until commit. A transaction takes
//! them in this order, skipping what it does not need, so two transactions never wait on each other
//! in a cycle (no deadlock):
//!
//! 1. the group's `chat_groups` row: `FOR UPDATE` by membership writes and dismissal, so one
//!    group's membership changes one write at a time (exact "already a member" answers and member
//!    cap); `FOR SHARE` by notices and recalls/edits of its messages, so the members they tell hold
//!    still;
//! 2. the conversation's `conversations` row (every append, first: it is the per-conversation sequence,
//!    so appends to one conversation run one at a time and commit in sequence order; a dismissal
//!    deletes it, waiting for the appends in flight);
//! 3. `group_members` and `user_conversations` rows, one group or conversation at a time (an
//!    append moves its sender's read mark, a read mark locks its row `FOR UPDATE`; writes touching
//!    several of one group's rows hold its `chat_groups` row), and `accounts` rows (a profile
//!    merge locks its account row);
//! 4. a `messages` row (a recall or an edit updates it; a dismissal deletes the group's);
//! 5. `change_heads` rows, in ascending user order, last (see `changes`).
//!
//! Reads inside a write (a conversation's newest sequence, the member list) take no lock: under
//! `READ COMMITTED` each statement sees what was committed when it began, so a read after a lock
//! sees every write that held the lock before.
//!
//! Inserts of new rows (messages, changes, outbox entries) take no lock anyone waits on, except
//! that a racing insert of the same unique key waits for the first to commit: that is how racing
//! resends of one message store it once.
//!
//! The registry's `nodes` and `sessions` rows are written by single statements of their own, never
//! inside a store transaction, so they hold no lock while waiting for another.

mod accounts;
mod changes;
mod conversations;
mod group_admin;
mod group_edits;
mod groups;
mod messages;
pub mod migrations;
mod outbox;
pub mod registry;
mod revisions;
mod rows;

use sqlx::postgres::{PgPool, PgPoolOptions};

pub use crate::registry::{PgRegistry, RegistryTimings};
use mynah_store::backend::UnknownKinds;

/// The PostgreSQL store of one node. Cheap to clone.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    migrations_applied: usize,
    unknown_kinds: std::sync::Arc<UnknownKinds>,
}

/// How many connections one node's pool holds at most.
const MAX_CONNECTIONS: u32 = 16;

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/database`) and applies the pending migrations.
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // sqlx pings a connection on every checkout by default: a round trip (two syscalls on
            // each side) before every query, most of what a send cost the node. A connection that
            // broke fails its query instead, which the store reports like any other backend error.
            .test_before_acquire(false)
            .connect(url)
            .await?;
        let migrations_applied = migrations::migrate(&pool).await?;
        Ok(Self { pool, migrations_applied, unknown_kinds: Default::default() })
    }

    /// How many migrations this node applied when it connected (0 when another node had already).
    pub fn migrations_applied(&self) -> usize {
        self.migrations_applied
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Why [`PostgresStore::connect`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] migrations::MigrationError),
}
