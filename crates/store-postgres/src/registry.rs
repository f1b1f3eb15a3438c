//! `PgRegistry`: the cluster-wide session registry, in PostgreSQL beside the store.
//!
//! # Design
//!
//! - A `sessions` row per session: `(app, user_id, session)` is the key, with the node that holds
//!   the session, its platform and its login start. [`SessionRegistry::register`] inserts it before
//!   the login goes on; dropping the [`Registration`] deletes it in a spawned task (a drop cannot
//!   wait).
//! - A `nodes` row per running node with a lease (`lease_until`, on PostgreSQL's clock, so the
//!   nodes' clocks do not matter). A node is the 21-bit prefix of its session ids
//!   ([`mynah_bus::ids::node_of`]): a session's row names its node without asking the service. A
//!   task renews the lease of every node this registry registered sessions for, every
//!   [`RegistryTimings::renew_every`].
//! - Lists count only rows whose node's lease is live: a node killed with `kill -9` leaves its rows
//!   behind, but they stop counting within one [`RegistryTimings::lease`], so its users stop being
//!   online and nobody is kicked for a session that no longer exists. Every renewal task also
//!   deletes, now and then, the nodes (and their sessions) dead for [`RegistryTimings::forget_after`].
//! - This node's own sessions are read from an in-process [`LocalRegistry`], not from the table: a
//!   session that just ended is gone at once for its own node (its row's delete may still be on
//!   its way), and they stay listed when PostgreSQL is unreachable.
//! - A node stopping gracefully ends its lease and deletes its rows ([`PgRegistry::close`]).
//!
//! The port cannot fail: a registry error is logged and the login goes on. A session whose row
//! could not be written is unknown to other nodes (a second login there kicks nobody); a list that
//! could not be read holds this node's sessions only.
//!
//! A node paused for longer than `forget_after` (its rows swept) and then resuming renews its
//! lease, but its existing sessions stay unknown to other nodes until they log in again; this is
//! logged.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use mynah_bus::ids::node_of;
use mynah_bus::registry::LocalRegistry;
use mynah_bus::{AppId, Registration, SessionId, SessionInfo, SessionRegistry};
use mynah_proto::requests::Platform;
use sqlx::postgres::PgPool;

/// How often leases are renewed, how long they last, and when a dead node is forgotten.
#[derive(Clone, Copy, Debug)]
pub struct RegistryTimings {
    /// How often the node renews its lease. Default 5 s.
    pub renew_every: Duration,
    /// How long a lease lasts after its renewal: a node that stops renewing stops counting after
    /// at most this. Default 15 s (two renewals may be missed).
    pub lease: Duration,
    /// How long after its lease ended a node's rows are deleted. Default 60 s.
    pub forget_after: Duration,
}

impl Default for RegistryTimings {
    fn default() -> RegistryTimings {
        RegistryTimings {
            renew_every: Duration::from_secs(5),
            lease: Duration::from_secs(15),
            forget_after: Duration::from_secs(60),
        }
    }
}

/// The registry of one node over the cluster's PostgreSQL. Cheap to clone; when the last clone is
/// dropped the node stops renewing its lease.
#[derive(Clone)]
pub struct PgRegistry {
    shared: Arc<Shared>,
    renewer: Arc<Renewer>,
}

struct Shared {
    pool: PgPool,
    timings: RegistryTimings,
    local: LocalRegistry,
    /// The nodes (session-id prefixes) this registry registered sessions for: whose leases it renews.
    own_nodes: Mutex<HashSet<u64>>,
}

/// Owns the renewal task; aborts it when the last [`PgRegistry`] clone goes.
struct Renewer(tokio::task::JoinHandle<()>);

impl Drop for Renewer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl PgRegistry {
    /// A registry over `pool` (whose schema is up to date, see [`crate::PostgresStore::connect`]),
    /// renewing its leases in a task of the current runtime.
    pub fn start(pool: PgPool, timings: RegistryTimings) -> PgRegistry {
        let shared =
            Arc::new(Shared { pool, timings, local: LocalRegistry::default(), own_nodes: Mutex::new(HashSet::new()) });
        let renewer = Renewer(tokio::spawn(renew(shared.clone())));
        PgRegistry { shared, renewer: Arc::new(renewer) }
    }
}

impl PgRegistry {
    /// For a graceful shutdown, once the node's sessions have ended: stops renewing, and deletes this
    /// node's lease and session rows, so other nodes stop counting them at once rather than within a
    /// lease (the deletes spawned as the sessions ended may not run before the process exits).
    pub async fn close(&self) {
        self.renewer.0.abort();
        let nodes = self.shared.own_nodes();
        let deleted = sqlx::query(
            "WITH gone AS (DELETE FROM nodes WHERE node = ANY($1) RETURNING node)
             DELETE FROM sessions WHERE node IN (SELECT node FROM gone)",
        )
        .bind(&nodes)
        .execute(&self.shared.pool)
        .await;
        if let Err(error) = deleted {
            tracing::warn!(%error, "could not end this node's lease: its sessions count until it lapses");
        }
    }
}

impl Shared {
    fn own_nodes(&self) -> Vec<i64> {
        // A set of plain values: a panic elsewhere cannot leave it half-changed.
        let nodes = self.own_nodes.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        nodes.iter().map(|&node| to_i64(node)).collect()
    }

    /// Takes or extends `node`'s lease. Returns whether the node had no row (first start, or swept):
    /// `xmax` is 0 on a row this statement inserted, and set on one it updated.
    async fn renew_lease(&self, node: i64) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO nodes (node, lease_until) VALUES ($1, now() + $2 * INTERVAL '1 millisecond')
             ON CONFLICT (node) DO UPDATE SET lease_until = EXCLUDED.lease_until
             RETURNING xmax = 0",
        )
        .bind(node)
        .bind(millis(self.timings.lease))
        .fetch_one(&self.pool)
        .await
    }

    /// Deletes the nodes whose lease ended more than `forget_after` ago, and their sessions.
    async fn forget_dead_nodes(&self) -> Result<u64, sqlx::Error> {
        let deleted = sqlx::query(
            "WITH dead AS (
                 DELETE FROM nodes WHERE lease_until < now() - $1 * INTERVAL '1 millisecond' RETURNING node
             )
             DELETE FROM sessions WHERE node IN (SELECT node FROM dead)",
        )
        .bind(millis(self.timings.forget_after))
        .execute(&self.pool)
        .await?;
        Ok(deleted.rows_affected())
    }

    async fn insert(&self, app: AppId, user: &str, info: &SessionInfo) -> Result<(), sqlx::Error> {
        let node = node_of(info.session);
        let known = self.own_nodes.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).contains(&node);
        if !known {
            // The lease must exist before the session counts anywhere; later renewals keep it.
            self.renew_lease(to_i64(node)).await?;
            self.own_nodes.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(node);
        }
        sqlx::query(
            "INSERT INTO sessions (app, user_id, session, node, platform, login_started_ms)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(to_i64(app))
        .bind(user)
        .bind(to_i64(info.session))
        .bind(to_i64(node))
        .bind(info.platform.as_str())
        .bind(to_i64(info.login_started_ms))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user's sessions held by other nodes with a live lease.
    async fn other_nodes_sessions(&self, app: AppId, user: &str) -> Result<Vec<SessionInfo>, sqlx::Error> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT s.session, s.platform, s.login_started_ms
             FROM sessions s JOIN nodes n ON n.node = s.node
             WHERE s.app = $1 AND s.user_id = $2 AND n.lease_until > now() AND s.node <> ALL($3)",
        )
        .bind(to_i64(app))
        .bind(user)
        .bind(self.own_nodes())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(session, platform, login_started_ms)| {
                let Some(platform) = parse_platform(&platform) else {
                    tracing::warn!(session, platform, "a registered session has an unknown platform");
                    return None;
                };
                Some(SessionInfo {
                    session: u64::try_from(session).ok()?,
                    platform,
                    login_started_ms: u64::try_from(login_started_ms).unwrap_or(0),
                })
            })
            .collect())
    }
}

#[async_trait]
impl SessionRegistry for PgRegistry {
    async fn register(&self, app: AppId, user: &str, session: SessionInfo) -> Registration {
        if let Err(error) = self.shared.insert(app, user, &session).await {
            tracing::error!(%error, user, session = session.session, "could not register a session cluster-wide");
        }
        let local = self.shared.local.register(app, user, session.clone());
        let delete = DeleteRow { shared: self.shared.clone(), app, user: user.to_owned(), session: session.session };
        Registration::new(Box::new((local, delete)))
    }

    async fn sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo> {
        let mut sessions = match self.shared.other_nodes_sessions(app, user).await {
            Ok(sessions) => sessions,
            Err(error) => {
                tracing::error!(%error, user, "could not list a user's sessions on other nodes");
                Vec::new()
            }
        };
        sessions.extend(self.shared.local.sessions(app, user));
        sessions.sort_by_key(SessionInfo::login_order);
        sessions
    }

    async fn is_online(&self, app: AppId, user: &str) -> bool {
        self.shared.local.is_online(app, user) || !self.sessions(app, user).await.is_empty()
    }
}

/// Deletes a session's row when its registration is dropped.
struct DeleteRow {
    shared: Arc<Shared>,
    app: AppId,
    user: String,
    session: SessionId,
}

impl Drop for DeleteRow {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // Only when the process is ending: the node's lease ends soon after, and its rows stop counting.
            return;
        };
        let shared = self.shared.clone();
        let (app, user, session) = (to_i64(self.app), std::mem::take(&mut self.user), to_i64(self.session));
        runtime.spawn(async move {
            let deleted = sqlx::query("DELETE FROM sessions WHERE app = $1 AND user_id = $2 AND session = $3")
                .bind(app)
                .bind(&user)
                .bind(session)
                .execute(&shared.pool)
                .await;
            if let Err(error) = deleted {
                // The row outlives the session until the node's rows are forgotten; meanwhile a
                // second login on another node may kick this session id, which is harmless.
                tracing::warn!(%error, user, session, "could not unregister a session cluster-wide");
            }
        });
    }
}

/// Renews this node's leases and, every dozen renewals, forgets dead nodes.
async fn renew(shared: Arc<Shared>) {
    let mut ticks = tokio::time::interval(shared.timings.renew_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round: u64 = 0;
    loop {
        ticks.tick().await;
        for node in shared.own_nodes() {
            match shared.renew_lease(node).await {
                Ok(false) => {}
                Ok(true) => tracing::error!(
                    node,
                    "this node's lease had been forgotten (it did not renew for too long): its current \
                     sessions are unknown to other nodes until they log in again"
                ),
                Err(error) => tracing::warn!(%error, node, "could not renew the node's lease"),
            }
        }
        if round.is_multiple_of(12) {
            match shared.forget_dead_nodes().await {
                Ok(0) => {}
                Ok(sessions) => tracing::info!(sessions, "forgot the sessions of dead nodes"),
                Err(error) => tracing::warn!(%error, "could not forget dead nodes"),
            }
        }
        round += 1;
    }
}

fn parse_platform(value: &str) -> Option<Platform> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
}

/// Ids, apps and times are below 2^63 (session ids below 2^53); a larger one would be a bug
/// upstream, stored saturated rather than wrapped.
fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
