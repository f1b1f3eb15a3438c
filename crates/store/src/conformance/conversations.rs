//! Conformance: the conversation list, unread counts and read marks.

use mynah_proto::objects::MemberRole;

use super::{APP, T0, c2c, make_group, member, send, to_group};
use crate::keys::ConversationKey;
use crate::records::{AppendedChange, ChangeRecord, NewMember, NewMessage};
use crate::{Store, StoreError};

/// `(last_seq, read_seq, unread_count)` of a user's conversation, which must exist.
async fn marks(store: &Store, user: &str, key: &ConversationKey) -> (u64, u64, u64) {
    let record = store.conversations.get_conversation(APP, user, key).await.unwrap();
    let record = record.unwrap_or_else(|| panic!("{user} has no row for {key:?}"));
    (record.last_seq, record.read_seq, record.unread_count)
}

pub(super) async fn receivers_count_unread_and_senders_do_not(store: Store) {
    let key = ConversationKey::c2c("alice", "bob");
    for id in ["a1", "a2", "a3"] {
        send(&store, c2c(APP, "alice", "bob", id)).await;
    }
    assert_eq!(marks(&store, "bob", &key).await, (3, 0, 3));
    assert_eq!(marks(&store, "alice", &key).await, (3, 3, 0));

    // Replying moves bob's read mark to his reply: what he answered counts as read.
    send(&store, c2c(APP, "bob", "alice", "b1")).await;
    assert_eq!(marks(&store, "bob", &key).await, (4, 4, 0));
    assert_eq!(marks(&store, "alice", &key).await, (4, 3, 1));
    assert_eq!(store.conversations.total_unread(APP, "alice").await.unwrap(), 1);
    assert_eq!(store.conversations.total_unread(APP, "bob").await.unwrap(), 0);
}

pub(super) async fn excluded_messages_do_not_count_as_unread(store: Store) {
    let key = ConversationKey::c2c("alice", "bob");
    let first = send(&store, c2c(APP, "alice", "bob", "m1")).await;
    let excluded =
        send(&store, NewMessage { excluded_from_unread_count: true, ..c2c(APP, "alice", "bob", "m2") }).await;
    let third = send(&store, c2c(APP, "alice", "bob", "m3")).await;
    // The counted index counts the message itself unless it is excluded.
    assert_eq!((first.counted_index, excluded.counted_index, third.counted_index), (1, 1, 2));
    let history = store.messages.history(APP, &key, crate::records::HistoryRange::After(0), 10).await.unwrap();
    assert_eq!(history.iter().map(|message| message.counted_index).collect::<Vec<_>>(), vec![1, 1, 2]);
    assert_eq!(marks(&store, "bob", &key).await, (3, 0, 2));

    let marked = store.conversations.mark_read(APP, "bob", &key, Some(2)).await.unwrap();
    assert_eq!((marked.conversation.read_seq, marked.conversation.unread_count), (2, 1));
    assert_eq!(marked.conversation.read_counted, 1, "the counted index at the read mark");
    assert!(matches!(
        marked.change.map(|change| change.change),
        Some(ChangeRecord::ConversationRead { read_counted: 1, .. })
    ));
    let marked = store.conversations.mark_read(APP, "bob", &key, Some(1)).await.unwrap();
    assert_eq!((marked.conversation.read_seq, marked.conversation.unread_count), (2, 1));

    make_group(&store, APP, "g1", "alice", &["bob", "carol"]).await;
    let group_key = ConversationKey::group("g1");
    send(&store, NewMessage { excluded_from_unread_count: true, ..to_group(APP, "alice", "g1", "tip") }).await;
    assert_eq!(marks(&store, "bob", &group_key).await, (1, 0, 0));
    send(&store, to_group(APP, "alice", "g1", "hello")).await;
    assert_eq!(marks(&store, "carol", &group_key).await, (2, 0, 1));
    assert_eq!(marks(&store, "alice", &group_key).await, (2, 2, 0));
}

pub(super) async fn mark_read_moves_forward_only_and_clamps(store: Store) {
    let key = ConversationKey::c2c("alice", "bob");
    for index in 1..=5 {
        send(&store, c2c(APP, "alice", "bob", &format!("m{index}"))).await;
    }
    let read = |read_seq, unread_count, position| AppendedChange {
        user: "bob".to_owned(),
        position,
        change: ChangeRecord::ConversationRead {
            conversation: key.as_str().to_owned(),
            read_seq,
            unread_count,
            read_counted: read_seq,
        },
    };

    let marked = store.conversations.mark_read(APP, "bob", &key, Some(2)).await.unwrap();
    assert_eq!(
        (marked.conversation.last_seq, marked.conversation.read_seq, marked.conversation.unread_count),
        (5, 2, 3)
    );
    assert_eq!(marked.change, Some(read(2, 3, 1)));
    assert_eq!(store.conversations.get_conversation(APP, "bob", &key).await.unwrap(), Some(marked.conversation));

    for backward in [Some(1), Some(2), Some(0)] {
        let marked = store.conversations.mark_read(APP, "bob", &key, backward).await.unwrap();
        assert_eq!(marked.change, None, "mark_read({backward:?}) moved the mark back or nowhere");
        assert_eq!((marked.conversation.read_seq, marked.conversation.unread_count), (2, 3));
    }

    let marked = store.conversations.mark_read(APP, "bob", &key, Some(99)).await.unwrap();
    assert_eq!((marked.conversation.read_seq, marked.conversation.unread_count), (5, 0), "clamped to the newest");
    assert_eq!(marked.change, Some(read(5, 0, 2)));
    assert_eq!(store.conversations.mark_read(APP, "bob", &key, None).await.unwrap().change, None);

    send(&store, c2c(APP, "alice", "bob", "m6")).await;
    let marked = store.conversations.mark_read(APP, "bob", &key, None).await.unwrap();
    assert_eq!((marked.conversation.read_seq, marked.conversation.unread_count), (6, 0));
    assert_eq!(marked.change, Some(read(6, 0, 3)));
    assert_eq!(marked.conversation.last_message.map(|message| message.client_msg_id), Some("m6".to_owned()));
    // The sender's own sends moved its mark without any change entry.
    assert_eq!(store.changes.head_position(APP, "alice").await.unwrap(), 0);
}

pub(super) async fn mark_read_needs_a_conversation_row(store: Store) {
    send(&store, c2c(APP, "alice", "bob", "m1")).await;
    make_group(&store, APP, "g1", "alice", &[]).await;
    let attempts = [
        ("carol", ConversationKey::c2c("alice", "bob")),
        ("alice", ConversationKey::c2c("alice", "nobody")),
        ("bob", ConversationKey::group("g1")),
        ("alice", ConversationKey::group("missing")),
    ];
    for (user, key) in attempts {
        let result = store.conversations.mark_read(APP, user, &key, None).await;
        assert!(matches!(result, Err(StoreError::NotFound(_))), "{user} on {key:?}: {result:?}");
    }
    assert_eq!(store.changes.head_position(APP, "carol").await.unwrap(), 0);
}

pub(super) async fn conversations_list_newest_first(store: Store) {
    send(&store, NewMessage { time_ms: Some(T0 + 1), ..c2c(APP, "alice", "bob", "to-bob") }).await;
    send(&store, NewMessage { time_ms: Some(T0 + 3), ..c2c(APP, "alice", "carol", "to-carol") }).await;
    send(&store, NewMessage { time_ms: Some(T0 + 2), ..c2c(APP, "dave", "alice", "from-dave") }).await;

    let listed = store.conversations.list_conversations(APP, "alice", 10).await.unwrap();
    let order: Vec<_> = listed.iter().map(|record| record.conversation.to_ref("alice").id()).collect();
    assert_eq!(order, vec!["C2Ccarol", "C2Cdave", "C2Cbob"]);
    let times: Vec<_> = listed.iter().map(|record| record.updated_at_ms).collect();
    assert_eq!(times, vec![T0 + 3, T0 + 2, T0 + 1]);
    let lasts: Vec<_> =
        listed.iter().map(|record| record.last_message.as_ref().unwrap().client_msg_id.as_str()).collect();
    assert_eq!(lasts, vec!["to-carol", "from-dave", "to-bob"]);
    let unread: Vec<_> = listed.iter().map(|record| record.unread_count).collect();
    assert_eq!(unread, vec![0, 1, 0]);
    for record in &listed {
        let single = store.conversations.get_conversation(APP, "alice", &record.conversation).await.unwrap();
        assert_eq!(single.as_ref(), Some(record));
    }

    let limited = store.conversations.list_conversations(APP, "alice", 2).await.unwrap();
    assert_eq!(limited, listed[..2].to_vec());

    send(&store, NewMessage { time_ms: Some(T0 + 4), ..c2c(APP, "bob", "alice", "from-bob") }).await;
    let first = store.conversations.list_conversations(APP, "alice", 1).await.unwrap();
    assert_eq!(first[0].conversation, ConversationKey::c2c("alice", "bob"));
    assert_eq!(first[0].updated_at_ms, T0 + 4);
}

pub(super) async fn a_group_message_moves_the_group_up_for_every_member(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob", "carol"]).await;
    send(&store, NewMessage { time_ms: Some(T0 + 10), ..c2c(APP, "bob", "dave", "hi") }).await;
    let first = |user: &'static str| {
        let store = store.clone();
        async move { store.conversations.list_conversations(APP, user, 10).await.unwrap()[0].clone() }
    };
    assert_eq!(first("bob").await.conversation, ConversationKey::c2c("bob", "dave"));

    let message = send(&store, NewMessage { time_ms: Some(T0 + 20), ..to_group(APP, "alice", "g1", "news") }).await;
    for user in ["alice", "bob", "carol"] {
        let top = first(user).await;
        assert_eq!(top.conversation, ConversationKey::group("g1"), "{user}");
        assert_eq!(top.updated_at_ms, T0 + 20, "{user}");
        assert_eq!(top.last_message.as_ref(), Some(&message), "{user}");
        assert_eq!(top.unread_count, u64::from(user != "alice"), "{user}");
    }

    // A member joining later sees the group at the time it joined.
    let eve = NewMember { joined_at_ms: T0 + 30, ..member("eve", MemberRole::Member) };
    store.groups.add_members(APP, "g1", vec![eve]).await.unwrap();
    let top = first("eve").await;
    assert_eq!((top.conversation, top.updated_at_ms, top.unread_count), (ConversationKey::group("g1"), T0 + 30, 0));
}

pub(super) async fn total_unread_sums_every_conversation(store: Store) {
    assert_eq!(store.conversations.total_unread(APP, "bob").await.unwrap(), 0);
    for index in 0..2 {
        send(&store, c2c(APP, "alice", "bob", &format!("a{index}"))).await;
    }
    for index in 0..3 {
        send(&store, c2c(APP, "carol", "bob", &format!("c{index}"))).await;
    }
    make_group(&store, APP, "g1", "dave", &["bob"]).await;
    for index in 0..4 {
        let message = to_group(APP, "dave", "g1", &format!("d{index}"));
        send(&store, NewMessage { excluded_from_unread_count: index == 0, ..message }).await;
    }
    assert_eq!(store.conversations.total_unread(APP, "bob").await.unwrap(), 2 + 3 + 3);
    store.conversations.mark_read(APP, "bob", &ConversationKey::c2c("bob", "carol"), None).await.unwrap();
    assert_eq!(store.conversations.total_unread(APP, "bob").await.unwrap(), 2 + 3);
    assert_eq!(store.conversations.total_unread(APP, "alice").await.unwrap(), 0);
    assert_eq!(store.conversations.total_unread(APP, "dave").await.unwrap(), 0);
    assert_eq!(store.conversations.total_unread(APP, "nobody").await.unwrap(), 0);
}
