//! Conformance: administrative sends, message recall and edit, and the change entries they append
//! for every participant.

use mynah_proto::elements::MsgElement;
use mynah_proto::objects::MemberRole;

use super::{APP, OTHER_APP, c2c, group, make_group, member, send, to_group};
use crate::keys::ConversationKey;
use crate::records::{AppendedChange, ChangeRecord, HistoryRange, NewMessage};
use crate::{MessageEdit, Revision, Store};

fn revised(revision: Revision) -> (crate::records::StoredMessage, Vec<AppendedChange>) {
    match revision {
        Revision::Revised { message, mut changes } => {
            changes.sort_by(|left, right| left.user.cmp(&right.user));
            (*message, changes)
        }
        other => panic!("expected a revision, got {other:?}"),
    }
}

fn users_and_positions(changes: &[AppendedChange]) -> Vec<(&str, u64)> {
    changes.iter().map(|change| (change.user.as_str(), change.position)).collect()
}

pub(super) async fn recalls_keep_the_message_and_tell_both_users(store: Store) {
    let key = ConversationKey::c2c("alice", "bob");
    send(&store, c2c(APP, "alice", "bob", "m1")).await;
    send(&store, c2c(APP, "bob", "alice", "m2")).await;

    let (message, changes) = revised(store.message_admin.revoke_message(APP, &key, 2).await.unwrap());
    assert!(message.revoked);
    assert_eq!(message.seq, 2);
    assert_eq!(message.body, vec![MsgElement::text("bob: m2")], "a recalled message keeps its content in storage");
    // Sends append no change, so this is the first entry of each stream.
    assert_eq!(users_and_positions(&changes), vec![("alice", 1), ("bob", 1)]);
    let expected =
        ChangeRecord::MessageRevoked { conversation: key.as_str().to_owned(), seq: 2, message_id: "bob-m2".to_owned() };
    assert!(changes.iter().all(|change| change.change == expected), "{changes:?}");
    assert_eq!(store.changes.changes_since(APP, "alice", 0, 10).await.unwrap(), vec![changes[0].clone()]);

    let history = store.messages.history(APP, &key, HistoryRange::After(0), 10).await.unwrap();
    assert_eq!(history.iter().map(|message| message.revoked).collect::<Vec<_>>(), vec![false, true]);
    assert!(store.messages.find_message(APP, "bob-m2").await.unwrap().unwrap().revoked);
    let conversation = store.conversations.get_conversation(APP, "alice", &key).await.unwrap().unwrap();
    assert!(conversation.last_message.unwrap().revoked, "the last message shows the recall");

    assert_eq!(store.message_admin.revoke_message(APP, &key, 2).await.unwrap(), Revision::AlreadyRevoked);
    assert_eq!(store.message_admin.revoke_message(APP, &key, 3).await.unwrap(), Revision::NotFound);
    assert_eq!(store.message_admin.revoke_message(OTHER_APP, &key, 1).await.unwrap(), Revision::NotFound);
    assert_eq!(store.changes.head_position(APP, "alice").await.unwrap(), 1, "refused recalls append nothing");
}

pub(super) async fn group_recalls_tell_the_current_members(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob", "carol"]).await;
    send(&store, to_group(APP, "bob", "g1", "m1")).await;
    store.groups.remove_member(APP, "g1", "carol").await.unwrap();
    let key = ConversationKey::group("g1");
    let (message, changes) = revised(store.message_admin.revoke_message(APP, &key, 1).await.unwrap());
    assert!(message.revoked);
    // Each member's stream had its GroupJoined at 1.
    assert_eq!(users_and_positions(&changes), vec![("alice", 2), ("bob", 2)]);
}

pub(super) async fn edits_replace_what_they_name(store: Store) {
    let key = ConversationKey::c2c("alice", "bob");
    send(&store, NewMessage { cloud_custom_data: "before".to_owned(), ..c2c(APP, "alice", "bob", "m1") }).await;

    let body_only = MessageEdit { body: Some(vec![MsgElement::text("edited")]), cloud_custom_data: None };
    let (message, changes) = revised(store.message_admin.modify_message(APP, &key, 1, body_only).await.unwrap());
    assert_eq!(
        (message.body.clone(), message.cloud_custom_data.as_str()),
        (vec![MsgElement::text("edited")], "before")
    );
    assert_eq!(users_and_positions(&changes), vec![("alice", 1), ("bob", 1)]);
    let expected = ChangeRecord::MessageModified {
        conversation: key.as_str().to_owned(),
        seq: 1,
        message_id: "alice-m1".to_owned(),
    };
    assert!(changes.iter().all(|change| change.change == expected), "{changes:?}");

    let data_only = MessageEdit { body: None, cloud_custom_data: Some("after".to_owned()) };
    let (message, _) = revised(store.message_admin.modify_message(APP, &key, 1, data_only).await.unwrap());
    assert_eq!((message.body.clone(), message.cloud_custom_data.as_str()), (vec![MsgElement::text("edited")], "after"));
    assert_eq!(store.messages.find_message(APP, "alice-m1").await.unwrap(), Some(message));

    assert_eq!(
        store.message_admin.modify_message(APP, &key, 2, MessageEdit::default()).await.unwrap(),
        Revision::NotFound
    );
    revised(store.message_admin.revoke_message(APP, &key, 1).await.unwrap());
    let edit = MessageEdit { body: Some(vec![MsgElement::text("too late")]), cloud_custom_data: None };
    assert_eq!(store.message_admin.modify_message(APP, &key, 1, edit).await.unwrap(), Revision::AlreadyRevoked);
    assert_eq!(
        store.messages.find_message(APP, "alice-m1").await.unwrap().unwrap().body,
        vec![MsgElement::text("edited")]
    );
}

pub(super) async fn administrators_send_to_groups_they_are_not_in(store: Store) {
    let members = vec![member("alice", MemberRole::Owner), member("bob", MemberRole::Member)];
    store.groups.create_group(group(APP, "g1", "alice", 0), members).await.unwrap();
    let key = ConversationKey::group("g1");

    let refused = store.messages.append_message(to_group(APP, "admin", "g1", "a1")).await;
    assert!(refused.is_err(), "the ordinary append still wants a member");
    let appended = store.message_admin.append_admin_message(to_group(APP, "admin", "g1", "a1")).await.unwrap();
    assert_eq!((appended.message.seq, appended.duplicate), (1, false));
    let again = store.message_admin.append_admin_message(to_group(APP, "admin", "g1", "a1")).await.unwrap();
    assert_eq!((again.message.seq, again.duplicate), (1, true), "the idempotency key holds for administrators too");
    for user in ["alice", "bob"] {
        let conversation = store.conversations.get_conversation(APP, user, &key).await.unwrap().unwrap();
        assert_eq!((conversation.last_seq, conversation.unread_count), (1, 1), "{user}");
    }
    assert_eq!(store.conversations.get_conversation(APP, "admin", &key).await.unwrap(), None);

    // A member named as the sender gets its read mark moved, as with any send.
    let by_bob = store.message_admin.append_admin_message(to_group(APP, "bob", "g1", "b1")).await.unwrap();
    assert_eq!(by_bob.message.seq, 2);
    let bob = store.conversations.get_conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!((bob.read_seq, bob.unread_count), (2, 0));

    let missing = store.message_admin.append_admin_message(to_group(APP, "admin", "nope", "a2")).await;
    assert!(missing.is_err(), "a missing group is refused: {missing:?}");
    let c2c_message = store.message_admin.append_admin_message(c2c(APP, "admin", "carol", "c1")).await.unwrap();
    assert_eq!(c2c_message.message.seq, 1);
}
