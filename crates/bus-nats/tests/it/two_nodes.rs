//! Two `NatsBus` nodes on one NATS server: what one node publishes or changes reaches the other
//! node's sessions, once each and in order.

use mynah_bus::{Bus, Delivery, Subscription, Topic};
use mynah_bus_nats::NatsBus;
use mynah_proto::codes::KickReason;

use crate::common::{APP, NatsServer, marked, received};

/// Publishes probes to a group topic from `node` until `subscription` gets one (`listening`) or
/// stops getting them (`!listening`), then discards what arrived: a membership change on another
/// node takes effect after its control message crosses NATS.
async fn wait_until(node: &NatsBus, group: &str, subscription: &mut Subscription, listening: bool) {
    for _ in 0..50 {
        node.publish(APP, Topic::Group(group), marked(999)).await;
        if received(subscription).await.is_empty() != listening {
            return;
        }
    }
    panic!("the session never {} group {group}", if listening { "joined" } else { "left" });
}

#[tokio::test]
async fn two_nodes_share_user_and_group_topics() {
    let Some(server) = NatsServer::start().await else { return };
    let node_a = crate::common::node(&server).await;
    let node_b = crate::common::node(&server).await;
    let mut alice_on_a = node_a.subscribe(APP, "alice", 1).await;
    let mut alice_on_b = node_b.subscribe(APP, "alice", 2).await;
    let mut bob_on_a = node_a.subscribe(APP, "bob", 3).await;

    // A user-topic push published on B reaches alice's session on A, in order, once each.
    for marker in 1..=20 {
        node_b.publish(APP, Topic::User("alice"), marked(marker)).await;
    }
    let expected: Vec<String> = (1..=20).map(|marker| format!("push {marker}")).collect();
    assert_eq!(received(&mut alice_on_a).await, expected);
    assert_eq!(received(&mut alice_on_b).await, expected);
    assert!(received(&mut bob_on_a).await.is_empty());

    // Published on A: delivered on A once (locally, never again as its own NATS echo), and on B.
    node_a.publish(APP, Topic::User("alice"), marked(21)).await;
    assert_eq!(received(&mut alice_on_a).await, ["push 21"]);
    assert_eq!(received(&mut alice_on_b).await, ["push 21"]);

    // A join reported on B reaches alice's session on A; group pushes from B follow.
    node_b.join_group(APP, "alice", "g.*>", 5).await;
    wait_until(&node_b, "g.*>", &mut alice_on_a, true).await;
    received(&mut alice_on_b).await;
    for marker in 30..=39 {
        node_b.publish(APP, Topic::Group("g.*>"), marked(marker)).await;
    }
    let expected: Vec<String> = (30..=39).map(|marker| format!("push {marker}")).collect();
    assert_eq!(received(&mut alice_on_a).await, expected);
    assert_eq!(received(&mut alice_on_b).await, expected);
    assert!(received(&mut bob_on_a).await.is_empty(), "bob is not a member");
    // A group topic's id cannot reach another subject: `g.*>` is not `g`.
    node_b.publish(APP, Topic::Group("g"), marked(40)).await;
    assert!(received(&mut alice_on_a).await.is_empty());

    // An older report from B does not undo the newer join; the leave reported on B ends it on A.
    node_b.leave_group(APP, "alice", "g.*>", 4).await;
    node_b.publish(APP, Topic::Group("g.*>"), marked(41)).await;
    assert_eq!(received(&mut alice_on_a).await, ["push 41"]);
    node_b.leave_group(APP, "alice", "g.*>", 6).await;
    wait_until(&node_b, "g.*>", &mut alice_on_a, false).await;
    node_b.publish(APP, Topic::Group("g.*>"), marked(42)).await;
    assert!(received(&mut alice_on_a).await.is_empty());
    received(&mut alice_on_b).await;

    // A kick published on B ends only its session, on A.
    node_b.publish(APP, Topic::User("alice"), Delivery::Kick { session: 1, reason: KickReason::MultipleAccount }).await;
    assert_eq!(received(&mut alice_on_a).await, ["kick 1"]);
    assert!(received(&mut alice_on_b).await.is_empty());

    // A session that leaves takes nothing more; a later session on that node starts listening again.
    drop(alice_on_a);
    node_a.settled().await;
    node_b.publish(APP, Topic::User("alice"), marked(50)).await;
    node_b.settled().await;
    let mut alice_again_on_a = node_a.subscribe(APP, "alice", 4).await;
    node_b.publish(APP, Topic::User("alice"), marked(51)).await;
    assert_eq!(received(&mut alice_again_on_a).await, ["push 51"]);
    assert_eq!(received(&mut alice_on_b).await, ["push 50", "push 51"]);
}

#[tokio::test]
async fn groups_loaded_on_one_node_hear_publishes_from_the_other() {
    let Some(server) = NatsServer::start().await else { return };
    let node_a = crate::common::node(&server).await;
    let node_b = crate::common::node(&server).await;
    let mut carol = node_a.subscribe(APP, "carol", 1).await;
    // `load_groups` returns once the group subjects are subscribed on the server.
    node_a.load_groups(APP, "carol", 1, &["g1".to_owned(), "g2".to_owned()], 3).await;
    node_b.publish(APP, Topic::Group("g1"), marked(1)).await;
    node_b.publish(APP, Topic::Group("g2"), marked(2)).await;
    node_b.publish(APP, Topic::Group("g3"), marked(3)).await;
    let mut seen = received(&mut carol).await;
    seen.sort();
    assert_eq!(seen, ["push 1", "push 2"]);
}
