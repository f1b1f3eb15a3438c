//! Conformance: two apps using the same user, message and group IDs never see each other's rows.

use mynah_proto::elements::MsgElement;
use mynah_proto::objects::MemberRole;

use super::{APP, OTHER_APP, c2c, member, send, to_group};
use crate::keys::ConversationKey;
use crate::records::{HistoryRange, NewMessage};
use crate::{Store, StoreError};

pub(super) async fn apps_never_see_each_others_messages(store: Store) {
    let one = send(&store, NewMessage { body: vec![MsgElement::text("one")], ..c2c(APP, "alice", "bob", "c1") }).await;
    let two =
        send(&store, NewMessage { body: vec![MsgElement::text("two")], ..c2c(OTHER_APP, "alice", "bob", "c1") }).await;
    assert_eq!((one.seq, two.seq), (1, 1), "the same idempotency key in another app is a new message");
    send(&store, c2c(APP, "alice", "carol", "c2")).await;

    assert_eq!(store.messages.find_message(APP, "alice-c1").await.unwrap(), Some(one.clone()));
    assert_eq!(store.messages.find_message(OTHER_APP, "alice-c1").await.unwrap(), Some(two.clone()));
    assert_eq!(store.messages.find_message(OTHER_APP, "alice-c2").await.unwrap(), None);
    let key = ConversationKey::c2c("alice", "bob");
    assert_eq!(store.messages.history(APP, &key, HistoryRange::After(0), 10).await.unwrap(), vec![one]);
    assert_eq!(store.messages.history(OTHER_APP, &key, HistoryRange::After(0), 10).await.unwrap(), vec![two]);

    assert_eq!(store.conversations.list_conversations(APP, "alice", 10).await.unwrap().len(), 2);
    assert_eq!(store.conversations.list_conversations(OTHER_APP, "alice", 10).await.unwrap().len(), 1);
    assert_eq!(
        store
            .conversations
            .get_conversation(OTHER_APP, "carol", &ConversationKey::c2c("alice", "carol"))
            .await
            .unwrap(),
        None
    );

    store.conversations.mark_read(APP, "bob", &key, None).await.unwrap();
    assert_eq!(store.conversations.total_unread(APP, "bob").await.unwrap(), 0);
    assert_eq!(store.conversations.total_unread(OTHER_APP, "bob").await.unwrap(), 1);
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 1);
    assert_eq!(store.changes.head_position(OTHER_APP, "bob").await.unwrap(), 0);
    assert_eq!(store.changes.changes_since(OTHER_APP, "bob", 0, 10).await.unwrap(), vec![]);
    let result = store.conversations.mark_read(OTHER_APP, "carol", &ConversationKey::c2c("alice", "carol"), None).await;
    assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
}

pub(super) async fn apps_never_see_each_others_groups(store: Store) {
    let members = vec![member("alice", MemberRole::Owner), member("bob", MemberRole::Member)];
    store.groups.create_group(super::group(APP, "g1", "alice", 0), members).await.unwrap();
    let members = vec![member("carol", MemberRole::Owner)];
    let other = store.groups.create_group(super::group(OTHER_APP, "g1", "carol", 2), members).await;
    let other = other.expect("the same group ID in another app is free");
    assert_eq!(other.changes[0].position, 1);

    send(&store, to_group(APP, "bob", "g1", "m1")).await;
    let outsider = store.messages.append_message(to_group(OTHER_APP, "bob", "g1", "m1")).await;
    assert!(matches!(outsider, Err(StoreError::NotMember(_))), "bob is a member in the first app only: {outsider:?}");

    let mine = store.groups.get_group(APP, "g1").await.unwrap().unwrap();
    let theirs = store.groups.get_group(OTHER_APP, "g1").await.unwrap().unwrap();
    assert_eq!((mine.owner.as_str(), mine.member_count, mine.last_seq), ("alice", 2, 1));
    assert_eq!((theirs.owner.as_str(), theirs.member_count, theirs.last_seq), ("carol", 1, 0));
    assert_eq!(store.groups.member_ids(OTHER_APP, "g1").await.unwrap(), vec!["carol"]);
    assert_eq!(store.groups.groups_of_user(OTHER_APP, "alice").await.unwrap(), vec![]);
    assert_eq!(store.groups.get_member(OTHER_APP, "g1", "alice").await.unwrap(), None);

    // The cap of the other app's group is its own.
    let added = store.groups.add_members(OTHER_APP, "g1", vec![member("alice", MemberRole::Member)]).await.unwrap();
    assert_eq!(added.group.member_count, 2);
    assert_eq!(added.changes[0].position, 1, "alice's stream in the other app starts at 1");
    assert_eq!(store.groups.remove_member(OTHER_APP, "g1", "bob").await.unwrap(), None);
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap().unwrap().member_count, 2);
    assert_eq!(store.changes.head_position(APP, "alice").await.unwrap(), 1);
}
