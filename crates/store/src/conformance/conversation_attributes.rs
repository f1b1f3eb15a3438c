//! Conformance: a user's own attributes of a conversation (pin, custom data, marks), the pin's
//! place in the list, and the change each appends for the user's other devices.

use super::{APP, T0, c2c, make_group, send};
use crate::keys::ConversationKey;
use crate::records::{AppendedChange, ChangeRecord, NewMessage};
use crate::{Store, StoreError};

/// The IDs of the user's conversations in list order.
async fn order(store: &Store, user: &str) -> Vec<String> {
    let listed = store.conversations.list_conversations(APP, user, 10).await.unwrap();
    listed.iter().map(|record| record.conversation.to_ref(user).id()).collect()
}

pub(super) async fn pinned_conversations_list_first(store: Store) {
    send(&store, NewMessage { time_ms: Some(T0 + 1), ..c2c(APP, "alice", "bob", "to-bob") }).await;
    send(&store, NewMessage { time_ms: Some(T0 + 2), ..c2c(APP, "alice", "carol", "to-carol") }).await;
    send(&store, NewMessage { time_ms: Some(T0 + 3), ..c2c(APP, "alice", "dave", "to-dave") }).await;
    assert_eq!(order(&store, "alice").await, vec!["C2Cdave", "C2Ccarol", "C2Cbob"]);

    let bob = ConversationKey::c2c("alice", "bob");
    let pinned = store.conversations.set_pinned(APP, "alice", &bob, true).await.unwrap();
    assert!(pinned.conversation.pinned);
    let head = store.changes.head_position(APP, "alice").await.unwrap();
    let expected = AppendedChange {
        user: "alice".to_owned(),
        position: head,
        change: ChangeRecord::ConversationPinned { conversation: bob.as_str().to_owned(), pinned: true },
    };
    assert_eq!(pinned.change, Some(expected.clone()));
    assert_eq!(store.changes.changes_since(APP, "alice", head - 1, 10).await.unwrap(), vec![expected]);

    // Pinned first; within the pinned and the unpinned, the newest first.
    let carol = ConversationKey::c2c("alice", "carol");
    store.conversations.set_pinned(APP, "alice", &carol, true).await.unwrap();
    assert_eq!(order(&store, "alice").await, vec!["C2Ccarol", "C2Cbob", "C2Cdave"]);
    // A limited list keeps the pinned ones.
    let limited = store.conversations.list_conversations(APP, "alice", 1).await.unwrap();
    assert_eq!(limited.iter().map(|record| record.conversation.clone()).collect::<Vec<_>>(), vec![carol.clone()]);

    // Pinning is the user's own: bob's list and row are unchanged.
    let bobs = store.conversations.get_conversation(APP, "bob", &bob).await.unwrap().unwrap();
    assert!(!bobs.pinned);
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 0);

    // A new message keeps the pin.
    send(&store, NewMessage { time_ms: Some(T0 + 4), ..c2c(APP, "bob", "alice", "from-bob") }).await;
    assert!(store.conversations.get_conversation(APP, "alice", &bob).await.unwrap().unwrap().pinned);

    store.conversations.set_pinned(APP, "alice", &carol, false).await.unwrap();
    assert_eq!(order(&store, "alice").await, vec!["C2Cbob", "C2Cdave", "C2Ccarol"]);
}

pub(super) async fn pinning_again_appends_nothing(store: Store) {
    send(&store, c2c(APP, "alice", "bob", "m1")).await;
    let key = ConversationKey::c2c("alice", "bob");
    let unpinned = store.conversations.set_pinned(APP, "alice", &key, false).await.unwrap();
    assert_eq!(unpinned.change, None, "unpinning what is not pinned changes nothing");
    store.conversations.set_pinned(APP, "alice", &key, true).await.unwrap();
    let head = store.changes.head_position(APP, "alice").await.unwrap();
    let again = store.conversations.set_pinned(APP, "alice", &key, true).await.unwrap();
    assert_eq!(again.change, None);
    assert!(again.conversation.pinned);
    assert_eq!(store.changes.head_position(APP, "alice").await.unwrap(), head);
}

pub(super) async fn pinning_needs_a_conversation_row(store: Store) {
    send(&store, c2c(APP, "alice", "bob", "m1")).await;
    make_group(&store, APP, "g1", "alice", &[]).await;
    let attempts = [
        ("carol", ConversationKey::c2c("alice", "bob")),
        ("alice", ConversationKey::c2c("alice", "nobody")),
        ("bob", ConversationKey::group("g1")),
        ("alice", ConversationKey::group("missing")),
    ];
    for (user, key) in attempts {
        let result = store.conversations.set_pinned(APP, user, &key, true).await;
        assert!(matches!(result, Err(StoreError::NotFound(_))), "{user} on {key:?}: {result:?}");
    }
    assert_eq!(store.changes.head_position(APP, "carol").await.unwrap(), 0);
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 0);
}

pub(super) async fn custom_data_is_the_users_own_and_appends_a_change(store: Store) {
    send(&store, c2c(APP, "alice", "bob", "m1")).await;
    let key = ConversationKey::c2c("alice", "bob");
    let set = store.conversations.set_custom_data(APP, "alice", &key, "拾音 data").await.unwrap();
    assert_eq!(set.conversation.custom_data, "拾音 data");
    let head = store.changes.head_position(APP, "alice").await.unwrap();
    let expected = AppendedChange {
        user: "alice".to_owned(),
        position: head,
        change: ChangeRecord::ConversationCustomData {
            conversation: key.as_str().to_owned(),
            custom_data: "拾音 data".to_owned(),
        },
    };
    assert_eq!(set.change, Some(expected.clone()));
    assert_eq!(store.changes.changes_since(APP, "alice", head - 1, 10).await.unwrap(), vec![expected]);
    let listed = store.conversations.list_conversations(APP, "alice", 10).await.unwrap();
    assert_eq!(listed[0].custom_data, "拾音 data");
    assert_eq!(store.conversations.get_conversation(APP, "bob", &key).await.unwrap().unwrap().custom_data, "");

    // The same value again changes nothing; a message keeps it; the empty string clears it.
    let again = store.conversations.set_custom_data(APP, "alice", &key, "拾音 data").await.unwrap();
    assert_eq!(again.change, None);
    send(&store, c2c(APP, "bob", "alice", "m2")).await;
    assert_eq!(
        store.conversations.get_conversation(APP, "alice", &key).await.unwrap().unwrap().custom_data,
        "拾音 data"
    );
    let cleared = store.conversations.set_custom_data(APP, "alice", &key, "").await.unwrap();
    assert_eq!(cleared.conversation.custom_data, "");
    assert!(cleared.change.is_some());

    let missing = store.conversations.set_custom_data(APP, "carol", &key, "x").await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
    assert_eq!(store.changes.head_position(APP, "carol").await.unwrap(), 0);
}

pub(super) async fn marks_are_bits_set_and_cleared_one_at_a_time(store: Store) {
    send(&store, c2c(APP, "alice", "bob", "m1")).await;
    let key = ConversationKey::c2c("alice", "bob");
    let marked = |marks| ChangeRecord::ConversationMarked { conversation: key.as_str().to_owned(), marks };
    let star = store.conversations.set_mark(APP, "alice", &key, 1, true).await.unwrap();
    assert_eq!(star.conversation.marks, 1);
    assert_eq!(star.change.map(|appended| appended.change), Some(marked(1)));
    // The highest custom mark, 2^63, is kept whole.
    let high = store.conversations.set_mark(APP, "alice", &key, 1 << 63, true).await.unwrap();
    assert_eq!(high.change.map(|appended| appended.change), Some(marked(1 | 1 << 63)));
    let again = store.conversations.set_mark(APP, "alice", &key, 1, true).await.unwrap();
    assert_eq!(again.change, None, "a mark already set changes nothing");
    let cleared = store.conversations.set_mark(APP, "alice", &key, 1, false).await.unwrap();
    assert_eq!(cleared.change.map(|appended| appended.change), Some(marked(1 << 63)));
    let absent = store.conversations.set_mark(APP, "alice", &key, 4, false).await.unwrap();
    assert_eq!(absent.change, None, "clearing a mark not set changes nothing");
    let listed = store.conversations.list_conversations(APP, "alice", 10).await.unwrap();
    assert_eq!(listed[0].marks, 1 << 63);
    assert_eq!(store.conversations.get_conversation(APP, "bob", &key).await.unwrap().unwrap().marks, 0);
    let missing = store.conversations.set_mark(APP, "carol", &key, 1, true).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
}
