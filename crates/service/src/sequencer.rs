//! The per-conversation sequencer: the pushes of one conversation leave this node in sequence
//! order, even when appends to it complete on different threads in another order.
//!
//! Every append takes a [`Ticket`] before it starts, so the sequencer knows how many appends of
//! the conversation are in flight on this node. A push whose predecessor has been published (or
//! that nobody on this node could precede, because no other append is in flight) is published at
//! once; a later one is parked until its predecessors are published, their appends fail, or a
//! short gap timeout passes (the predecessor may come from another node, or be slow), so a lost
//! predecessor never blocks a conversation. One task at a time publishes a conversation's pushes:
//! whoever finds the conversation idle becomes its publisher and also publishes what others park
//! meanwhile.
//!
//! A conversation's state lives only while it has appends in flight or pushes parked, so the
//! sequencer's memory follows the number of concurrent sends, not of conversations.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mynah_bus::{Bus, Delivery, SessionId, SharedPush, Topic};
use mynah_store::AppId;

/// How long a push waits for a missing predecessor before it is published anyway.
pub const GAP_TIMEOUT: Duration = Duration::from_millis(50);

const SHARDS: usize = 32;

/// Where one push goes once its turn comes.
pub(crate) struct Outgoing {
    pub push: Arc<SharedPush>,
    pub topics: Vec<OwnedTopic>,
    pub except_session: Option<SessionId>,
}

impl Outgoing {
    /// Publishes the push on each of its topics.
    pub async fn publish(&self, bus: &dyn Bus, app: AppId) {
        for topic in &self.topics {
            let delivery = Delivery::Push { push: self.push.clone(), except_session: self.except_session };
            bus.publish(app, topic.topic(), delivery).await;
        }
    }
}

/// A [`Topic`] that owns its name, to wait in the sequencer.
pub(crate) enum OwnedTopic {
    User(String),
    Group(String),
}

impl OwnedTopic {
    pub fn topic(&self) -> Topic<'_> {
        match self {
            OwnedTopic::User(user) => Topic::User(user),
            OwnedTopic::Group(group) => Topic::Group(group),
        }
    }
}

/// Shared, so the clones a conversation's state needs cost no allocation.
type Key = (AppId, Arc<str>);

/// The sequencer of one node. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Sequencer {
    inner: Arc<Inner>,
}

struct Inner {
    bus: Arc<dyn Bus>,
    shards: Vec<Mutex<HashMap<Key, Conversation>>>,
    hasher: RandomState,
    gap_timeout: Duration,
}

#[derive(Default)]
struct Conversation {
    /// Appends of the conversation started on this node and not yet finished.
    in_flight: usize,
    /// The sequence expected next; `None` until this state published something.
    next: Option<u64>,
    parked: BTreeMap<u64, Outgoing>,
    /// A task is publishing this conversation's pushes.
    publishing: bool,
    timer_armed: bool,
    /// Parked pushes up to this sequence are published without waiting (the gap timed out).
    flush_through: u64,
}

impl Conversation {
    /// Takes the parked pushes whose turn has come, in sequence order.
    fn take_ready(&mut self) -> Vec<Outgoing> {
        let mut ready = Vec::new();
        while let Some(entry) = self.parked.first_entry() {
            let seq = *entry.key();
            // With nothing in flight here, nothing this node holds can fill a gap.
            let turn = self.in_flight == 0 || seq <= self.flush_through || self.next.is_some_and(|next| seq <= next);
            if !turn {
                break;
            }
            self.next = Some(self.next.map_or(seq + 1, |next| next.max(seq + 1)));
            ready.push(entry.remove());
        }
        ready
    }

    fn idle(&self) -> bool {
        self.in_flight == 0 && self.parked.is_empty() && !self.publishing && !self.timer_armed
    }
}

/// One append in flight. Finish it with [`Ticket::publish`]; dropping it says the append
/// produced nothing to push (it failed, or it was a duplicate).
pub(crate) struct Ticket {
    inner: Arc<Inner>,
    key: Option<Key>,
}

impl Sequencer {
    pub fn new(bus: Arc<dyn Bus>, gap_timeout: Duration) -> Sequencer {
        Sequencer {
            inner: Arc::new(Inner {
                bus,
                shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
                hasher: RandomState::new(),
                gap_timeout,
            }),
        }
    }

    /// Notes an append to the conversation that is about to start.
    pub fn begin(&self, app: AppId, conversation: &str) -> Ticket {
        let key: Key = (app, conversation.into());
        self.inner.lock(&key).entry(key.clone()).or_default().in_flight += 1;
        Ticket { inner: self.inner.clone(), key: Some(key) }
    }
}

impl Ticket {
    /// The append committed `seq`: publishes `outgoing` in its turn (this call returns once it is
    /// published or parked).
    pub async fn publish(mut self, seq: u64, outgoing: Outgoing) {
        let Some(key) = self.key.take() else { return };
        Inner::finish(&self.inner, key, Some((seq, outgoing))).await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        // Pushes parked behind this append may be due now; that may take publishing, which is
        // async, so it runs on its own task.
        let inner = self.inner.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { Inner::finish(&inner, key, None).await });
        } else {
            let mut shard = inner.lock(&key);
            if let Some(state) = shard.get_mut(&key) {
                state.in_flight -= 1;
            }
        }
    }
}

impl Inner {
    fn lock(&self, key: &Key) -> MutexGuard<'_, HashMap<Key, Conversation>> {
        let shard = (self.hasher.hash_one(key) as usize) % SHARDS;
        // Plain values: a panic elsewhere cannot leave a conversation half-changed.
        self.shards[shard].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn finish(this: &Arc<Inner>, key: Key, committed: Option<(u64, Outgoing)>) {
        let batch = {
            let mut shard = this.lock(&key);
            let Some(state) = shard.get_mut(&key) else { return };
            state.in_flight -= 1;
            if let Some((seq, outgoing)) = committed {
                state.parked.insert(seq, outgoing);
            }
            match this.claim(state) {
                Some(batch) => batch,
                None => {
                    this.after_idle(&mut shard, &key);
                    return;
                }
            }
        };
        Inner::drain(this, key, batch).await;
    }

    /// Makes the caller the conversation's publisher if it has something due and nobody is
    /// publishing; `None` otherwise.
    fn claim(&self, state: &mut Conversation) -> Option<Vec<Outgoing>> {
        if state.publishing {
            return None;
        }
        let batch = state.take_ready();
        if batch.is_empty() {
            return None;
        }
        state.publishing = true;
        Some(batch)
    }

    /// Publishes `batch`, then whatever became due meanwhile, until nothing is.
    async fn drain(this: &Arc<Inner>, key: Key, mut batch: Vec<Outgoing>) {
        loop {
            for outgoing in batch {
                outgoing.publish(this.bus.as_ref(), key.0).await;
            }
            let mut shard = this.lock(&key);
            let Some(state) = shard.get_mut(&key) else { return };
            batch = state.take_ready();
            if batch.is_empty() {
                state.publishing = false;
                this.after_idle(&mut shard, &key);
                return;
            }
        }
    }

    /// Arms the gap timer when pushes wait, and forgets the conversation when nothing does.
    fn after_idle(self: &Arc<Self>, shard: &mut HashMap<Key, Conversation>, key: &Key) {
        let Some(state) = shard.get_mut(key) else { return };
        if state.idle() {
            shard.remove(key);
            return;
        }
        if state.parked.is_empty() || state.timer_armed || state.publishing {
            return;
        }
        state.timer_armed = true;
        let inner = self.clone();
        let key = key.clone();
        tokio::spawn(async move {
            tokio::time::sleep(inner.gap_timeout).await;
            let batch = {
                let mut shard = inner.lock(&key);
                let Some(state) = shard.get_mut(&key) else { return };
                state.timer_armed = false;
                if let Some((&last, _)) = state.parked.last_key_value() {
                    state.flush_through = state.flush_through.max(last);
                }
                match inner.claim(state) {
                    Some(batch) => batch,
                    None => {
                        inner.after_idle(&mut shard, &key);
                        return;
                    }
                }
            };
            Inner::drain(&inner, key, batch).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use mynah_bus::{LocalBus, Subscription};
    use mynah_proto::codes::KickReason;
    use mynah_proto::frames::Push;
    use mynah_proto::requests::Kicked;

    use super::*;

    fn outgoing(marker: KickReason) -> Outgoing {
        Outgoing {
            push: SharedPush::new(Push::Kicked(Kicked { reason: marker })),
            topics: vec![OwnedTopic::User("bob".to_owned())],
            except_session: None,
        }
    }

    fn received(subscription: &mut Subscription) -> Vec<KickReason> {
        let mut reasons = Vec::new();
        while let Some(Delivery::Push { push, .. }) = subscription.receiver.try_recv() {
            if let Push::Kicked(Kicked { reason }) = push.push {
                reasons.push(reason);
            }
        }
        reasons
    }

    async fn setup() -> (Sequencer, Subscription) {
        let bus = LocalBus::default();
        let subscription = bus.subscribe(1, "bob", 1).await;
        (Sequencer::new(Arc::new(bus), GAP_TIMEOUT), subscription)
    }

    #[tokio::test(start_paused = true)]
    async fn a_later_sequence_waits_for_its_predecessor() {
        let (sequencer, mut bob) = setup().await;
        let first = sequencer.begin(1, "g");
        let second = sequencer.begin(1, "g");
        // The second append commits sequence 6 and finishes first; 5 is still in flight.
        second.publish(6, outgoing(KickReason::RestApi)).await;
        assert!(received(&mut bob).is_empty(), "6 waits for 5");
        first.publish(5, outgoing(KickReason::MultipleAccount)).await;
        assert_eq!(received(&mut bob), vec![KickReason::MultipleAccount, KickReason::RestApi]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_predecessor_releases_what_waits_behind_it() {
        let (sequencer, mut bob) = setup().await;
        let failing = sequencer.begin(1, "g");
        let later = sequencer.begin(1, "g");
        later.publish(9, outgoing(KickReason::RestApi)).await;
        assert!(received(&mut bob).is_empty());
        drop(failing);
        tokio::task::yield_now().await;
        assert_eq!(received(&mut bob), vec![KickReason::RestApi]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_predecessor_holds_a_push_for_the_gap_timeout_only() {
        let (sequencer, mut bob) = setup().await;
        // Nothing else is in flight: published at once.
        sequencer.begin(1, "g").publish(1, outgoing(KickReason::MultipleAccount)).await;
        assert_eq!(received(&mut bob).len(), 1);
        let slow = sequencer.begin(1, "g");
        // 3 commits while 2 (the slow one) is in flight.
        sequencer.begin(1, "g").publish(3, outgoing(KickReason::RestApi)).await;
        assert!(received(&mut bob).is_empty());
        tokio::time::sleep(GAP_TIMEOUT * 2).await;
        assert_eq!(received(&mut bob), vec![KickReason::RestApi]);
        // The predecessor that finally arrives is published at once, late.
        slow.publish(2, outgoing(KickReason::MultipleAccount)).await;
        assert_eq!(received(&mut bob), vec![KickReason::MultipleAccount]);
        assert!(sequencer.inner.shards.iter().all(|shard| shard.lock().unwrap().is_empty()), "idle state is freed");
    }
}
