//! The conformance suite of the bus and session-registry ports: one function over a factory of
//! fresh backends, run by every backend's tests ([`LocalBus`](crate::LocalBus), and `NatsBus` in
//! `mynah-bus-nats`).

use std::collections::VecDeque;
use std::sync::Arc;

use mynah_proto::codes::KickReason;
use mynah_proto::frames::Push;
use mynah_proto::requests::{Kicked, Platform};

use crate::{
    Bus, Delivery, SESSION_QUEUE_CAPACITY, SessionInfo, SessionRegistry, SharedPush, Subscription, Taken, Topic,
};

const APP: u64 = 1;

/// Runs every check, each against a fresh pair of ports from `factory`.
pub async fn run<F>(factory: F)
where
    F: Fn() -> (Arc<dyn Bus>, Arc<dyn SessionRegistry>),
{
    user_topic_reaches_every_session_of_the_user_only(factory().0).await;
    group_topic_reaches_the_sessions_listed_at_load(factory().0).await;
    join_and_leave_reach_every_session_of_the_user(factory().0).await;
    an_older_membership_report_never_undoes_a_newer_one(factory().0).await;
    a_push_skips_the_session_it_excludes(factory().0).await;
    a_kick_reaches_only_its_session(factory().0).await;
    a_full_queue_drops_the_session_from_every_topic(factory().0).await;
    a_dropped_subscription_leaves_every_topic(factory().0).await;
    registry_lists_sessions_oldest_login_first(factory().1).await;
}

/// Runs the registry checks alone, for a registry that is not part of a bus (the cluster-wide
/// registry of `mynah-store-postgres`).
pub async fn run_registry<F>(factory: F)
where
    F: Fn() -> Arc<dyn SessionRegistry>,
{
    registry_lists_sessions_oldest_login_first(factory()).await;
}

fn push(marker: u64) -> Delivery {
    // Any push will do; the kick reason's code tells them apart.
    let reason = if marker == 0 { KickReason::RestApi } else { KickReason::MultipleAccount };
    Delivery::Push { push: SharedPush::new(Push::Kicked(Kicked { reason })), except_session: None }
}

/// How many deliveries wait for the subscription, taking them.
fn drain(subscription: &mut Subscription) -> usize {
    let mut count = 0;
    while subscription.receiver.try_recv().is_some() {
        count += 1;
    }
    count
}

async fn user_topic_reaches_every_session_of_the_user_only(bus: Arc<dyn Bus>) {
    let mut web = bus.subscribe(APP, "alice", 10).await;
    let mut phone = bus.subscribe(APP, "alice", 11).await;
    let mut bob = bus.subscribe(APP, "bob", 12).await;
    let mut other_app = bus.subscribe(APP + 1, "alice", 13).await;
    bus.publish(APP, Topic::User("alice"), push(0)).await;
    assert_eq!(drain(&mut web), 1);
    assert_eq!(drain(&mut phone), 1);
    assert_eq!(drain(&mut bob), 0);
    assert_eq!(drain(&mut other_app), 0, "topics are scoped by app");
    // A topic nobody listens to takes the delivery and drops it.
    bus.publish(APP, Topic::User("nobody"), push(0)).await;
}

async fn group_topic_reaches_the_sessions_listed_at_load(bus: Arc<dyn Bus>) {
    let mut alice = bus.subscribe(APP, "alice", 1).await;
    let mut bob = bus.subscribe(APP, "bob", 2).await;
    let mut carol = bus.subscribe(APP, "carol", 3).await;
    bus.load_groups(APP, "alice", 1, &["g1".to_owned(), "g2".to_owned()], 5).await;
    bus.load_groups(APP, "bob", 2, &["g1".to_owned()], 5).await;
    bus.publish(APP, Topic::Group("g1"), push(0)).await;
    bus.publish(APP, Topic::Group("g2"), push(0)).await;
    assert_eq!(drain(&mut alice), 2);
    assert_eq!(drain(&mut bob), 1);
    assert_eq!(drain(&mut carol), 0);
    // A user topic and a group topic of the same name are different topics.
    bus.publish(APP, Topic::User("g1"), push(0)).await;
    bus.publish(APP + 1, Topic::Group("g1"), push(0)).await;
    assert_eq!(drain(&mut alice) + drain(&mut bob), 0);
}

async fn join_and_leave_reach_every_session_of_the_user(bus: Arc<dyn Bus>) {
    let mut web = bus.subscribe(APP, "alice", 1).await;
    let mut phone = bus.subscribe(APP, "alice", 2).await;
    bus.join_group(APP, "alice", "g", 7).await;
    bus.publish(APP, Topic::Group("g"), push(0)).await;
    assert_eq!((drain(&mut web), drain(&mut phone)), (1, 1));
    // Joining twice subscribes once.
    bus.join_group(APP, "alice", "g", 8).await;
    bus.publish(APP, Topic::Group("g"), push(0)).await;
    assert_eq!((drain(&mut web), drain(&mut phone)), (1, 1));
    bus.leave_group(APP, "alice", "g", 9).await;
    bus.publish(APP, Topic::Group("g"), push(0)).await;
    assert_eq!((drain(&mut web), drain(&mut phone)), (0, 0));
}

async fn an_older_membership_report_never_undoes_a_newer_one(bus: Arc<dyn Bus>) {
    let mut session = bus.subscribe(APP, "alice", 1).await;
    // The leave (position 9) is reported before the join it follows (position 8).
    bus.leave_group(APP, "alice", "g", 9).await;
    bus.join_group(APP, "alice", "g", 8).await;
    bus.publish(APP, Topic::Group("g"), push(0)).await;
    assert_eq!(drain(&mut session), 0);
    // A list read at position 5 does not undo a join reported at 12 ...
    bus.join_group(APP, "alice", "h", 12).await;
    bus.load_groups(APP, "alice", 1, &[], 5).await;
    bus.publish(APP, Topic::Group("h"), push(0)).await;
    assert_eq!(drain(&mut session), 1);
    // ... but a list read at 20 that lacks the group means it was left since.
    bus.load_groups(APP, "alice", 1, &[], 20).await;
    bus.publish(APP, Topic::Group("h"), push(0)).await;
    assert_eq!(drain(&mut session), 0);
}

async fn a_push_skips_the_session_it_excludes(bus: Arc<dyn Bus>) {
    let mut sender = bus.subscribe(APP, "dave", 20).await;
    let mut other_device = bus.subscribe(APP, "dave", 21).await;
    bus.join_group(APP, "dave", "g", 1).await;
    for topic in [Topic::User("dave"), Topic::Group("g")] {
        let push = SharedPush::new(Push::Kicked(Kicked { reason: KickReason::RestApi }));
        bus.publish(APP, topic, Delivery::Push { push, except_session: Some(20) }).await;
    }
    assert_eq!(drain(&mut sender), 0, "the sending session is not woken for its own push");
    assert_eq!(drain(&mut other_device), 2);
}

async fn a_kick_reaches_only_its_session(bus: Arc<dyn Bus>) {
    let mut kept = bus.subscribe(APP, "erin", 30).await;
    let mut kicked = bus.subscribe(APP, "erin", 31).await;
    bus.publish(APP, Topic::User("erin"), Delivery::Kick { session: 31, reason: KickReason::MultipleAccount }).await;
    assert_eq!(drain(&mut kept), 0);
    assert!(matches!(kicked.receiver.try_recv(), Some(Delivery::Kick { session: 31, .. })));
}

async fn a_full_queue_drops_the_session_from_every_topic(bus: Arc<dyn Bus>) {
    let slow = bus.subscribe(APP, "slow", 1).await;
    let mut fast = bus.subscribe(APP, "fast", 2).await;
    bus.join_group(APP, "slow", "g", 1).await;
    bus.join_group(APP, "fast", "g", 1).await;
    for _ in 0..SESSION_QUEUE_CAPACITY {
        bus.publish(APP, Topic::Group("g"), push(0)).await;
        drain(&mut fast);
    }
    let mut waiting = VecDeque::new();
    assert_eq!(slow.receiver.take_all(&mut waiting), Taken::Open);
    assert_eq!(waiting.len(), SESSION_QUEUE_CAPACITY);
    // The slow session takes nothing for a while: the queue is full again, one more closes it.
    let mut fast_received = 0;
    for _ in 0..=SESSION_QUEUE_CAPACITY {
        bus.publish(APP, Topic::Group("g"), push(0)).await;
        fast_received += drain(&mut fast);
    }
    waiting.clear();
    assert_eq!(slow.receiver.take_all(&mut waiting), Taken::Closed);
    assert_eq!(waiting.len(), SESSION_QUEUE_CAPACITY, "what was queued is still delivered");
    // Its user topic no longer queues for it either; the fast member is unaffected.
    bus.publish(APP, Topic::User("slow"), push(0)).await;
    waiting.clear();
    assert_eq!(slow.receiver.take_all(&mut waiting), Taken::Closed);
    assert!(waiting.is_empty());
    assert_eq!(fast_received, SESSION_QUEUE_CAPACITY + 1);
}

async fn a_dropped_subscription_leaves_every_topic(bus: Arc<dyn Bus>) {
    let first = bus.subscribe(APP, "frank", 1).await;
    bus.join_group(APP, "frank", "g", 1).await;
    drop(first);
    // A join reported after the session ended does not resurrect it; a new session starts empty.
    bus.join_group(APP, "frank", "h", 2).await;
    let mut second = bus.subscribe(APP, "frank", 2).await;
    bus.publish(APP, Topic::Group("g"), push(0)).await;
    bus.publish(APP, Topic::Group("h"), push(0)).await;
    assert_eq!(drain(&mut second), 0);
    bus.publish(APP, Topic::User("frank"), push(0)).await;
    assert_eq!(drain(&mut second), 1);
}

async fn registry_lists_sessions_oldest_login_first(registry: Arc<dyn SessionRegistry>) {
    let info = |session, platform, login_started_ms| SessionInfo { session, platform, login_started_ms };
    assert!(!registry.is_online(APP, "gina").await);
    // Registered in the order logins finished, not the order they started.
    let late = registry.register(APP, "gina", info(7, Platform::Web, 1_000)).await;
    let newest = registry.register(APP, "gina", info(9, Platform::Android, 3_000)).await;
    let oldest = registry.register(APP, "gina", info(5, Platform::Web, 500)).await;
    // Within one millisecond the session id orders logins.
    let same_ms = registry.register(APP, "gina", info(6, Platform::Web, 1_000)).await;
    let order: Vec<u64> = registry.sessions(APP, "gina").await.iter().map(|info| info.session).collect();
    assert_eq!(order, vec![5, 6, 7, 9]);
    assert!(!registry.is_online(APP + 1, "gina").await, "the registry is scoped by app");
    drop(late);
    drop(same_ms);
    let left: Vec<SessionInfo> = registry.sessions(APP, "gina").await;
    assert_eq!(left, vec![info(5, Platform::Web, 500), info(9, Platform::Android, 3_000)]);
    drop(oldest);
    drop(newest);
    assert!(!registry.is_online(APP, "gina").await);
    assert!(registry.sessions(APP, "gina").await.is_empty());
}
