//! The outbox worker: claims due after-events (after-send, state changes) from the durable outbox
//! and delivers them, one lane per app, retrying with backoff until each is delivered or has
//! failed too often.
//!
//! **Lanes.** Each round claims at most [`PER_APP_CLAIM`] entries of each app that has no lane
//! running, and starts one lane (a task) per app: a lane delivers its app's entries one at a time,
//! oldest first, so a backend sees its events in order. Apps do not wait for each other: a dead
//! endpoint holds up only its own app's lane, and at most `max_concurrent_apps` lanes run at once.
//!
//! **Claims.** Entries are claimed in the store with a lease (see `OutboxStore::claim`), so two
//! workers (two nodes) never deliver one event at once. The lease covers a lane's worst case (every
//! call timing out); an entry whose claimant died is claimed again when its lease ends, so an
//! event is delivered at least once, and twice only after a claimant died or overran its lease.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mynah_service::now_ms;
use mynah_store::{AppId, OutboxClaim, OutboxItem, Store};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::Webhooks;
use crate::after_events::{Delivery, deliver};

/// How the worker paces itself.
#[derive(Clone, Debug)]
pub struct OutboxConfig {
    /// How often the outbox is checked for due events.
    pub poll_interval: Duration,
    /// The delay before the first retry; it doubles with each failure, up to `max_retry_delay`.
    pub first_retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// Attempts after which an event is given up (and logged).
    pub max_attempts: u32,
    /// How long one after-callback may take.
    pub call_timeout: Duration,
    /// Apps whose events are delivered at the same time, at most (one lane each).
    pub max_concurrent_apps: usize,
}

impl Default for OutboxConfig {
    fn default() -> OutboxConfig {
        OutboxConfig {
            poll_interval: Duration::from_millis(200),
            first_retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(600),
            max_attempts: 20,
            call_timeout: Duration::from_secs(5),
            max_concurrent_apps: 16,
        }
    }
}

/// Entries of one app one claim takes, at most: what a lane delivers before the app's next claim.
pub const PER_APP_CLAIM: u32 = 8;

/// Time a lane may need beyond its calls' timeouts (store reads and writes), within its lease.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// Claims and delivers due events until `shutdown`. Lanes running then give their entries back
/// (a crash instead leaves them claimed until their lease ends).
pub async fn run(store: Store, webhooks: Webhooks, config: OutboxConfig, shutdown: CancellationToken) {
    let claimant = claimant_id();
    let lease = config.call_timeout.saturating_mul(PER_APP_CLAIM + 1).saturating_add(LEASE_MARGIN);
    let max_lanes = config.max_concurrent_apps.max(1);
    let mut lanes: JoinSet<()> = JoinSet::new();
    let mut lane_apps: HashMap<tokio::task::Id, AppId> = HashMap::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                // Lanes give their entries back when cancelled; wait for that before the store closes.
                while lanes.join_next().await.is_some() {}
                return;
            }
            _ = tokio::time::sleep(config.poll_interval) => {}
        }
        while let Some(finished) = lanes.try_join_next_with_id() {
            let id = match finished {
                Ok((id, ())) => id,
                Err(error) => {
                    tracing::error!(%error, "a webhook lane failed");
                    error.id()
                }
            };
            lane_apps.remove(&id);
        }
        let free = max_lanes.saturating_sub(lanes.len());
        if free == 0 {
            continue;
        }
        let now = now_ms();
        let claim = OutboxClaim {
            claimant: claimant.clone(),
            now_ms: now,
            lease_until_ms: now.saturating_add(lease.as_millis() as u64),
            per_app: PER_APP_CLAIM,
            limit: u32::try_from(free).unwrap_or(u32::MAX).saturating_mul(PER_APP_CLAIM),
            // One lane per app, so these are distinct.
            skip_apps: lane_apps.values().copied().collect(),
        };
        let claimed = match store.outbox.claim(claim).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(%error, "could not claim from the webhook outbox");
                continue;
            }
        };
        let mut per_app: BTreeMap<AppId, Vec<OutboxItem>> = BTreeMap::new();
        for item in claimed {
            per_app.entry(item.app).or_default().push(item);
        }
        for (index, (app, items)) in per_app.into_iter().enumerate() {
            if index >= free {
                // More apps were due than lanes are free: give their entries back at once rather
                // than let them sit out a lease.
                let released: Vec<(u64, u32)> = items.iter().map(|item| (item.id, item.attempts)).collect();
                release(&store, &claimant, released, now).await;
                continue;
            }
            let lane = Lane {
                store: store.clone(),
                webhooks: webhooks.clone(),
                config: config.clone(),
                claimant: claimant.clone(),
                shutdown: shutdown.clone(),
            };
            let lane = lane.deliver(items);
            let handle = lanes.spawn(lane);
            lane_apps.insert(handle.id(), app);
        }
    }
}

/// What one lane needs.
struct Lane {
    store: Store,
    webhooks: Webhooks,
    config: OutboxConfig,
    claimant: String,
    shutdown: CancellationToken,
}

impl Lane {
    /// Delivers one app's claimed entries one at a time, oldest first. On shutdown, the entry in
    /// flight and those after it are given back, so a restarted server need not wait out the lease.
    async fn deliver(self, items: Vec<OutboxItem>) {
        let mut items = items.into_iter();
        while let Some(item) = items.next() {
            let (id, attempts) = (item.id, item.attempts);
            tokio::select! {
                () = deliver_one(&self.store, &self.webhooks, &self.config, &self.claimant, item) => {}
                () = self.shutdown.cancelled() => {
                    // Guarded by the claimant: an entry already completed or postponed is left alone.
                    let released: Vec<(u64, u32)> =
                        std::iter::once((id, attempts)).chain(items.map(|item| (item.id, item.attempts))).collect();
                    release(&self.store, &self.claimant, released, now_ms()).await;
                    return;
                }
            }
        }
    }
}

async fn deliver_one(store: &Store, webhooks: &Webhooks, config: &OutboxConfig, claimant: &str, item: OutboxItem) {
    let outcome = deliver(store, webhooks, config, &item).await;
    let result = match outcome {
        Delivery::Done => store.outbox.complete(item.id).await,
        Delivery::Failed(reason) if item.attempts + 1 >= config.max_attempts => {
            tracing::error!(app = item.app, command = %item.command, attempts = item.attempts + 1, %reason, "webhook given up");
            store.outbox.complete(item.id).await
        }
        Delivery::Failed(reason) => {
            tracing::warn!(app = item.app, command = %item.command, attempts = item.attempts + 1, %reason, "webhook failed, will retry");
            let delay = retry_delay(config, item.attempts);
            store.outbox.postpone(item.id, claimant, item.attempts + 1, now_ms() + delay.as_millis() as u64).await
        }
    };
    if let Err(error) = result {
        tracing::error!(%error, id = item.id, "could not update the webhook outbox");
    }
}

/// Gives claimed entries (id, attempts) back, due now and with their attempts unchanged.
async fn release(store: &Store, claimant: &str, items: impl IntoIterator<Item = (u64, u32)>, now: u64) {
    for (id, attempts) in items {
        if let Err(error) = store.outbox.postpone(id, claimant, attempts, now).await {
            tracing::warn!(%error, id, "could not release a webhook outbox claim; it waits for its lease");
        }
    }
}

/// A claimant name unique across processes and nodes: the process id, the start time and a random
/// number (std's per-process hash keys), plus a counter for several servers in one process.
fn claimant_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let random = RandomState::new().hash_one(std::process::id());
    format!("outbox-{}-{}-{random:016x}-{}", std::process::id(), now_ms(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The wait after `attempts` failed attempts: doubling from the first delay, capped.
fn retry_delay(config: &OutboxConfig, attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.min(20));
    config.first_retry_delay.saturating_mul(factor).min(config.max_retry_delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_cap() {
        let config = OutboxConfig::default();
        assert_eq!(retry_delay(&config, 0), Duration::from_secs(1));
        assert_eq!(retry_delay(&config, 3), Duration::from_secs(8));
        assert_eq!(retry_delay(&config, 40), Duration::from_secs(600));
    }

    #[test]
    fn claimants_are_unique() {
        assert_ne!(claimant_id(), claimant_id());
    }
}
