//! Mynah's cluster store: PostgreSQL shared by several `mynah` nodes.
//!
//! This is the groundwork only: [`PostgresStore::connect`] opens an sqlx pool and brings the schema
//! up to date (safely when several nodes start at once, see [`migrations`]). The store ports of
//! `mynah-store` are not implemented yet.

pub mod migrations;

use sqlx::postgres::{PgPool, PgPoolOptions};

/// The PostgreSQL store of one node.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    migrations_applied: usize,
}

/// How many connections one node's pool holds at most.
const MAX_CONNECTIONS: u32 = 16;

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/database`) and applies the pending migrations.
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        let pool = PgPoolOptions::new().max_connections(MAX_CONNECTIONS).connect(url).await?;
        let migrations_applied = migrations::migrate(&pool).await?;
        Ok(Self { pool, migrations_applied })
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
