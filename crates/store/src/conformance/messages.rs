//! Conformance: sequences, idempotency, C2C keys, history paging, lookups, the last message.

use mynah_proto::elements::MsgElement;
use mynah_proto::objects::MessagePriority;

use super::{APP, T0, c2c, make_group, send, seqs, to_group};
use crate::Store;
use crate::keys::ConversationKey;
use crate::records::{HistoryRange, NewMessage, StoredMessage};

pub(super) async fn sequences_are_dense_per_conversation(store: Store) {
    for (index, id) in ["a1", "a2", "a3"].into_iter().enumerate() {
        let stored = send(&store, c2c(APP, "alice", "bob", id)).await;
        assert_eq!(stored.seq, index as u64 + 1, "alice->bob {id}");
    }
    // The same conversation seen from the other side continues the same sequence.
    assert_eq!(send(&store, c2c(APP, "bob", "alice", "b1")).await.seq, 4);
    // Another pair and a group count independently from 1.
    assert_eq!(send(&store, c2c(APP, "alice", "carol", "a4")).await.seq, 1);
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    for expected in 1..=3 {
        let stored = send(&store, to_group(APP, "bob", "g1", &format!("g{expected}"))).await;
        assert_eq!(stored.seq, expected, "group message {expected}");
    }
    assert_eq!(send(&store, c2c(APP, "carol", "alice", "c1")).await.seq, 2);

    let history =
        store.messages.history(APP, &ConversationKey::c2c("alice", "bob"), HistoryRange::After(0), 100).await.unwrap();
    assert_eq!(seqs(&history), vec![1, 2, 3, 4]);
    let group_history =
        store.messages.history(APP, &ConversationKey::group("g1"), HistoryRange::After(0), 100).await.unwrap();
    assert_eq!(seqs(&group_history), vec![1, 2, 3]);
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap().unwrap().last_seq, 3);
}

pub(super) async fn appended_messages_keep_every_field(store: Store) {
    let message = NewMessage {
        random: 123_456,
        time_ms: Some(T0 + 17),
        body: vec![MsgElement::text("hello"), MsgElement::custom("{\"k\":1}")],
        cloud_custom_data: "custom data".to_owned(),
        priority: MessagePriority::High,
        need_read_receipt: true,
        excluded_from_unread_count: true,
        excluded_from_last_message: true,
        nick: "Alice".to_owned(),
        avatar: "https://example.com/alice.png".to_owned(),
        name_card: "Al".to_owned(),
        ..c2c(APP, "alice", "bob", "fields")
    };
    let stored = send(&store, message.clone()).await;
    let expected = StoredMessage {
        app: APP,
        conversation: ConversationKey::c2c("alice", "bob"),
        seq: 1,
        sender: "alice".to_owned(),
        receiver: "bob".to_owned(),
        client_msg_id: "fields".to_owned(),
        random: 123_456,
        time_ms: T0 + 17,
        body: message.body.clone(),
        cloud_custom_data: "custom data".to_owned(),
        priority: MessagePriority::High,
        need_read_receipt: true,
        excluded_from_unread_count: true,
        excluded_from_last_message: true,
        revoked: false,
        nick: "Alice".to_owned(),
        avatar: "https://example.com/alice.png".to_owned(),
        name_card: "Al".to_owned(),
        // Excluded from unread counts: nothing counted yet.
        counted_index: 0,
    };
    assert_eq!(stored, expected);
    let history = store.messages.history(APP, &expected.conversation, HistoryRange::Before(None), 10).await.unwrap();
    assert_eq!(history, vec![expected.clone()]);
    assert_eq!(store.messages.find_message(APP, "alice-fields").await.unwrap(), Some(expected));
}

/// The sender's nick and avatar stored with a message come back with it as a conversation's last
/// message too, for C2C and group conversations alike.
pub(super) async fn last_messages_keep_the_sender_profile(store: Store) {
    let stamped = |message: NewMessage| NewMessage { nick: "Bob".to_owned(), avatar: "b.png".to_owned(), ..message };
    super::make_group(&store, APP, "g1", "alice", &["bob"]).await;
    send(&store, stamped(c2c(APP, "bob", "alice", "direct"))).await;
    send(&store, stamped(to_group(APP, "bob", "g1", "in-group"))).await;
    let list = store.conversations.list_conversations(APP, "alice", 10).await.unwrap();
    assert_eq!(list.len(), 2);
    for record in list {
        let last = record.last_message.expect("a last message");
        assert_eq!((last.nick.as_str(), last.avatar.as_str()), ("Bob", "b.png"), "{}", last.client_msg_id);
    }
}

pub(super) async fn duplicate_sends_return_the_original(store: Store) {
    let original = send(&store, c2c(APP, "alice", "bob", "same")).await;
    let resend = NewMessage {
        random: 7,
        time_ms: Some(T0 + 1_000),
        body: vec![MsgElement::text("a different body")],
        ..c2c(APP, "alice", "bob", "same")
    };
    let again = store.messages.append_message(resend).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.message, original);

    let key = ConversationKey::c2c("alice", "bob");
    let history = store.messages.history(APP, &key, HistoryRange::After(0), 10).await.unwrap();
    assert_eq!(history, vec![original.clone()], "a duplicate stores nothing");
    let bob = store.conversations.get_conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!((bob.last_seq, bob.unread_count), (1, 1), "a duplicate changes no counts");

    // The idempotency key is per sender: bob may use the same client message ID.
    let from_bob = send(&store, c2c(APP, "bob", "alice", "same")).await;
    assert_eq!(from_bob.seq, 2);
    assert_eq!(send(&store, c2c(APP, "alice", "bob", "next")).await.seq, 3);
}

pub(super) async fn c2c_conversations_are_shared_by_both_users(store: Store) {
    send(&store, c2c(APP, "alice", "bob", "a1")).await;
    send(&store, c2c(APP, "bob", "alice", "b1")).await;

    let from_alice = ConversationKey::c2c("alice", "bob");
    let from_bob = ConversationKey::c2c("bob", "alice");
    assert_eq!(from_alice, from_bob);
    let history = store.messages.history(APP, &from_bob, HistoryRange::After(0), 10).await.unwrap();
    assert_eq!(history.iter().map(|message| message.sender.as_str()).collect::<Vec<_>>(), vec!["alice", "bob"]);
    for user in ["alice", "bob"] {
        let conversation = store.conversations.get_conversation(APP, user, &from_alice).await.unwrap().unwrap();
        assert_eq!(conversation.conversation, from_alice);
        assert_eq!(conversation.last_seq, 2, "{user}");
        let listed = store.conversations.list_conversations(APP, user, 10).await.unwrap();
        assert_eq!(listed, vec![conversation], "{user}");
    }
    assert_eq!(store.conversations.list_conversations(APP, "carol", 10).await.unwrap(), vec![]);
    assert_eq!(store.conversations.get_conversation(APP, "carol", &from_alice).await.unwrap(), None);

    // A user may message themself: one conversation, nothing unread.
    send(&store, c2c(APP, "dave", "dave", "note")).await;
    let own = store.conversations.get_conversation(APP, "dave", &ConversationKey::c2c("dave", "dave")).await.unwrap();
    let own = own.expect("a conversation with oneself");
    assert_eq!((own.last_seq, own.read_seq, own.unread_count), (1, 1, 0));
}

pub(super) async fn history_pages_both_ways(store: Store) {
    for index in 1..=10 {
        send(&store, c2c(APP, "alice", "bob", &format!("m{index}"))).await;
    }
    let key = ConversationKey::c2c("alice", "bob");
    let page = |range, limit| {
        let store = store.clone();
        let key = key.clone();
        async move { seqs(&store.messages.history(APP, &key, range, limit).await.unwrap()) }
    };
    assert_eq!(page(HistoryRange::Before(None), 3).await, vec![10, 9, 8]);
    assert_eq!(page(HistoryRange::Before(Some(8)), 3).await, vec![7, 6, 5]);
    assert_eq!(page(HistoryRange::Before(Some(3)), 5).await, vec![2, 1]);
    assert_eq!(page(HistoryRange::Before(Some(1)), 5).await, Vec::<u64>::new());
    assert_eq!(page(HistoryRange::Before(Some(100)), 2).await, vec![10, 9]);
    assert_eq!(page(HistoryRange::After(0), 4).await, vec![1, 2, 3, 4]);
    assert_eq!(page(HistoryRange::After(8), 5).await, vec![9, 10]);
    assert_eq!(page(HistoryRange::After(10), 5).await, Vec::<u64>::new());
    assert_eq!(page(HistoryRange::Before(None), 0).await, Vec::<u64>::new());
    assert_eq!(page(HistoryRange::Before(None), 100).await, (1..=10).rev().collect::<Vec<_>>());

    // Paging forward with the last sequence seen visits every message once, in order.
    let mut seen = Vec::new();
    loop {
        let next = page(HistoryRange::After(seen.last().copied().unwrap_or(0)), 3).await;
        if next.is_empty() {
            break;
        }
        seen.extend(next);
    }
    assert_eq!(seen, (1..=10).collect::<Vec<_>>());

    let unknown = ConversationKey::c2c("alice", "nobody");
    assert_eq!(store.messages.history(APP, &unknown, HistoryRange::Before(None), 10).await.unwrap(), vec![]);
}

pub(super) async fn find_message_by_id(store: Store) {
    let first = send(&store, c2c(APP, "alice", "bob", "c-1")).await;
    // Sender IDs may contain '-': the ID is still `{sender}-{client_msg_id}`.
    let dashed = send(&store, c2c(APP, "user-with-dash", "bob", "x")).await;

    assert_eq!(store.messages.find_message(APP, "alice-c-1").await.unwrap(), Some(first.clone()));
    assert_eq!(first.message_id(), "alice-c-1");
    assert_eq!(store.messages.find_message(APP, "user-with-dash-x").await.unwrap(), Some(dashed));
    assert_eq!(store.messages.find_message(APP, "alice-missing").await.unwrap(), None);
    assert_eq!(store.messages.find_message(APP, "").await.unwrap(), None);
}

pub(super) async fn excluded_messages_are_never_the_last_message(store: Store) {
    let key = ConversationKey::c2c("alice", "bob");
    let hidden = NewMessage { excluded_from_last_message: true, ..c2c(APP, "alice", "bob", "typing") };
    send(&store, hidden.clone()).await;
    let bob = store.conversations.get_conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!((bob.last_seq, bob.last_message.clone()), (1, None));

    let shown = send(&store, c2c(APP, "alice", "bob", "hello")).await;
    send(&store, NewMessage { client_msg_id: "typing-2".to_owned(), ..hidden }).await;
    for user in ["alice", "bob"] {
        let conversation = store.conversations.get_conversation(APP, user, &key).await.unwrap().unwrap();
        assert_eq!(conversation.last_seq, 3, "{user}");
        assert_eq!(conversation.last_message.as_ref(), Some(&shown), "{user}");
        let listed = store.conversations.list_conversations(APP, user, 10).await.unwrap();
        assert_eq!(listed[0].last_message.as_ref(), Some(&shown), "{user}");
    }
    // The excluded messages are stored and count as unread like any other.
    let bob = store.conversations.get_conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!(bob.unread_count, 3);
}
