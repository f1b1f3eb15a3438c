//! The scenarios, one file each, named after the targets of `shared/guide/performance.md`:
//!
//! - [`idle`]: P1, idle authenticated connections: server memory per connection and idle CPU.
//! - [`login_storm`]: P2, connect + UserSig verify + initial `getConversationList` per second.
//! - [`one_to_one`]: P3, persisted one-to-one throughput, send→ack and send→delivered latency.
//! - [`fanout`]: P4, a group of 1,000 online members: deliveries per second and their latency.
//! - [`offline_sync`]: P6, catching up 10,000 missed messages over 100 conversations.
//! - [`reconnect`]: P7, every connection drops (kill -9 and restart) and comes back.
//! - [`slow_consumer`]: P8, one member of a busy group stops reading: it is dropped, others unaffected.
//! - [`ejabberd`]: P9, the same workload against ejabberd and Mynah in one run.
//!
//! Each starts its own server on a fresh data directory, so scenarios do not disturb each other.

pub mod ejabberd;
pub mod fanout;
pub mod idle;
pub mod login_storm;
pub mod offline_sync;
pub mod one_to_one;
pub mod reconnect;
pub mod slow_consumer;

use std::time::Duration;

use futures_util::StreamExt;

use crate::cluster::Topology;
use crate::report::SharedHistogram;
use crate::server::ServerOptions;
use crate::wire::{self, Endpoint, Socket};

/// What every scenario needs.
pub struct Context {
    pub server: ServerOptions,
    /// The nodes P3 and P4 run on (the other scenarios run one node on SQLite).
    pub topology: Topology,
}

/// Latencies recorded locally and added to a shared histogram in batches. The batch keeps raw
/// values, so a flush costs one lock and one record per value; adding a whole local histogram
/// would walk its ~20k buckets every time, which at a million deliveries per second costs the
/// load generator more than the deliveries.
pub struct LatencyBatch {
    micros: Vec<u64>,
    target: SharedHistogram,
}

impl LatencyBatch {
    const FLUSH_EVERY: usize = 1024;

    pub fn new(target: &SharedHistogram) -> LatencyBatch {
        LatencyBatch { micros: Vec::new(), target: target.clone() }
    }

    pub fn record(&mut self, latency: Duration) {
        self.micros.push(latency.as_micros() as u64);
        if self.micros.len() >= Self::FLUSH_EVERY {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        if !self.micros.is_empty() {
            self.target.record_all(&self.micros);
            self.micros.clear();
        }
    }
}

impl Drop for LatencyBatch {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Connects and logs in `users` from this process, `concurrency` at a time. Fails if any login
/// fails: setup steps must be complete before anything is measured.
pub async fn connect_users(
    endpoint: &Endpoint,
    users: &[String],
    first_source: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Socket>> {
    connect_users_to(std::slice::from_ref(endpoint), users, first_source, concurrency).await
}

/// Like [`connect_users`], user `i` to node `i % endpoints.len()`.
pub async fn connect_users_to(
    endpoints: &[Endpoint],
    users: &[String],
    first_source: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Socket>> {
    let logins = futures_util::stream::iter(users.iter().enumerate())
        .map(|(index, user)| async move {
            let endpoint = &endpoints[index % endpoints.len()];
            let sig = endpoint.user_sig(user);
            wire::connect_and_login(endpoint, first_source + index, user, &sig).await.map(|(socket, _)| socket)
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    logins.into_iter().collect()
}

/// The median of some values (0 when empty).
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
