//! Users on different nodes chat exactly as on one node: one-to-one and group messages are pushed
//! across nodes to every session but the sending one, an offline user finds what was sent while
//! away, and a read mark made on one node reaches the user's device on the other.

use std::time::Duration;

use mynah_proto::frames::Push;
use mynah_proto::objects::{Change, GroupType};
use mynah_proto::requests::{CreateGroupRequest, GetMessageListRequest, InitialMember, Platform};
use mynah_test_support::Events;

use crate::common::Cluster;

const QUIET: Duration = Duration::from_millis(300);

/// Fails if a message push arrives within `how_long` (change pushes are allowed).
async fn expect_no_message(events: &mut Events, how_long: Duration) {
    let deadline = tokio::time::Instant::now() + how_long;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.receiver.recv()).await {
        if let mynah_client::Event::Push(Push::Message(message)) = event {
            panic!("expected no message, got {message:?}");
        }
    }
}

fn group(id: &str, members: &[&str]) -> CreateGroupRequest {
    CreateGroupRequest {
        group_type: GroupType::Work,
        name: id.to_owned(),
        group_id: Some(id.to_owned()),
        member_list: members.iter().map(|user| InitialMember { user_id: (*user).to_owned(), role: None }).collect(),
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
        join_option: None,
        max_member_num: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_on_two_nodes_chat_one_to_one_and_in_a_group() {
    let Some(cluster) = Cluster::start(2, "").await else { return };
    let (node0, node1) = (cluster.node(0), cluster.node(1));
    let (alice, mut alice_events) = node0.client("alice", Platform::Linux).await;
    node1.rest("im_open_login_svc/multiaccount_import", serde_json::json!({ "Accounts": ["bob", "carol"] })).await;
    alice.create_group(group("cluster-group", &["bob", "carol"])).await.unwrap();
    // Members log in after the group exists: a login's group subscriptions are in place on NATS
    // when it returns, so the group's pushes reach them from the first message on.
    let (bob, mut bob_events) = node1.client("bob", Platform::Linux).await;
    let (bob_phone, mut bob_phone_events) = node0.client("bob", Platform::Android).await;
    let (carol, mut carol_events) = node1.client("carol", Platform::Web).await;

    // One-to-one, node 0 to node 1: both of bob's devices, on either node; never the sender.
    let sent = alice.send_text("bob", "hello from node 0").await.unwrap();
    assert_eq!(bob_events.next_message().await, sent);
    assert_eq!(bob_phone_events.next_message().await, sent);
    let reply = bob.send_text("alice", "hello from node 1").await.unwrap();
    assert_eq!((reply.sequence, sent.sequence), (2, 1), "one conversation, one sequence, across nodes");
    assert_eq!(alice_events.next_message().await, reply);
    assert_eq!(bob_phone_events.next_message().await, reply, "the sender's other device, on the other node");

    // A group message from node 1 reaches the members on both nodes.
    let in_group = carol.send_group_text("cluster-group", "hello group").await.unwrap();
    for events in [&mut alice_events, &mut bob_events, &mut bob_phone_events] {
        assert_eq!(events.next_message().await, in_group);
    }

    // Nobody got their own message back.
    expect_no_message(&mut alice_events, QUIET).await;
    expect_no_message(&mut bob_events, QUIET).await;
    expect_no_message(&mut carol_events, QUIET).await;

    // Reading on the phone (node 0) clears the conversation on the desktop (node 1). (Bob's reply
    // already moved his read mark to 2.)
    let unread = alice.send_text("bob", "one more").await.unwrap();
    assert_eq!(bob_events.next_message().await, unread);
    assert_eq!(bob.get_conversation("C2Calice").await.unwrap().unread_count, 1);
    let read = bob_phone.set_message_read("C2Calice", None).await.unwrap();
    assert_eq!((read.read_sequence, read.unread_count), (3, 0));
    let (conversation_id, read_sequence, unread_count) = loop {
        if let Push::Change(entry) = bob_events.next_push().await
            && let Change::ConversationRead { conversation_id, read_sequence, unread_count, .. } = entry.change
        {
            break (conversation_id, read_sequence, unread_count);
        }
    };
    assert_eq!((conversation_id.as_str(), read_sequence, unread_count), ("C2Calice", 3, 0));
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 1, "the group message is still unread");

    // Offline: dave finds on node 1 what alice sent him through node 0 while he was away.
    for index in 0..3 {
        alice.send_text("dave", &format!("while away {index}")).await.unwrap();
    }
    let (dave, _dave_events) = node1.client("dave", Platform::Ios).await;
    assert_eq!(dave.get_conversation("C2Calice").await.unwrap().unread_count, 3);
    let history = dave
        .get_message_list(GetMessageListRequest {
            conversation_id: "C2Calice".to_owned(),
            before_sequence: None,
            after_sequence: None,
            count: Some(10),
        })
        .await
        .unwrap()
        .message_list;
    let mut sequences: Vec<u64> = history.iter().map(|message| message.sequence).collect();
    sequences.sort_unstable();
    assert_eq!(sequences, [1, 2, 3]);
}
