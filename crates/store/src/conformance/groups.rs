//! Conformance: groups and memberships.

use mynah_proto::objects::{GroupType, JoinOption, MemberRole};

use super::{APP, T0, group, make_group, member, send, to_group};
use crate::keys::ConversationKey;
use crate::records::{AppendedChange, ChangeRecord, GroupRecord, MemberRecord, NewMessage};
use crate::{Store, StoreError};

fn joined(user: &str, position: u64, group_id: &str) -> AppendedChange {
    AppendedChange {
        user: user.to_owned(),
        position,
        change: ChangeRecord::GroupJoined { group_id: group_id.to_owned() },
    }
}

fn sorted(mut changes: Vec<AppendedChange>) -> Vec<AppendedChange> {
    changes.sort_by(|left, right| left.user.cmp(&right.user));
    changes
}

async fn member_ids(store: &Store, group_id: &str) -> Vec<String> {
    let mut ids = store.groups.member_ids(APP, group_id).await.unwrap();
    ids.sort();
    ids
}

pub(super) async fn create_group_adds_members_and_conversations(store: Store) {
    let members = vec![member("alice", MemberRole::Owner), member("bob", MemberRole::Member)];
    let created = store.groups.create_group(group(APP, "g1", "alice", 0), members).await.unwrap();
    let expected = GroupRecord {
        app: APP,
        group_id: "g1".to_owned(),
        group_type: GroupType::Work,
        name: "g1 name".to_owned(),
        owner: "alice".to_owned(),
        created_at_ms: T0,
        max_member_num: 0,
        join_option: JoinOption::DisableApply,
        introduction: "intro".to_owned(),
        notification: "notice".to_owned(),
        avatar: "https://example.com/a.png".to_owned(),
        member_count: 2,
        last_seq: 0,
    };
    assert_eq!(created.group, expected);
    assert_eq!(sorted(created.changes), vec![joined("alice", 1, "g1"), joined("bob", 1, "g1")]);
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap(), Some(expected));
    assert_eq!(store.groups.get_group(APP, "g2").await.unwrap(), None);

    for user in ["alice", "bob"] {
        let conversation =
            store.conversations.get_conversation(APP, user, &ConversationKey::group("g1")).await.unwrap();
        let conversation = conversation.unwrap_or_else(|| panic!("{user} has no group conversation"));
        assert_eq!((conversation.last_seq, conversation.read_seq, conversation.unread_count), (0, 0, 0));
        assert_eq!((conversation.last_message, conversation.updated_at_ms), (None, T0));
        assert_eq!(store.conversations.list_conversations(APP, user, 10).await.unwrap().len(), 1);
    }
    let owner = MemberRecord {
        user: "alice".to_owned(),
        role: MemberRole::Owner,
        joined_at_ms: T0,
        mute_until_ms: 0,
        name_card: String::new(),
    };
    assert_eq!(store.groups.get_member(APP, "g1", "alice").await.unwrap(), Some(owner));
    assert_eq!(store.groups.get_member(APP, "g1", "carol").await.unwrap(), None);
}

pub(super) async fn create_group_refuses_a_taken_id(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    let members = vec![member("carol", MemberRole::Owner)];
    let result = store.groups.create_group(group(APP, "g1", "carol", 0), members).await;
    assert!(matches!(result, Err(StoreError::AlreadyExists(_))), "{result:?}");

    let kept = store.groups.get_group(APP, "g1").await.unwrap().unwrap();
    assert_eq!((kept.owner.as_str(), kept.member_count), ("alice", 2));
    assert_eq!(member_ids(&store, "g1").await, vec!["alice", "bob"]);
    assert_eq!(store.conversations.get_conversation(APP, "carol", &ConversationKey::group("g1")).await.unwrap(), None);
    assert_eq!(store.changes.head_position(APP, "carol").await.unwrap(), 0);
}

pub(super) async fn create_group_respects_the_cap(store: Store) {
    let three = vec![
        member("alice", MemberRole::Owner),
        member("bob", MemberRole::Member),
        member("carol", MemberRole::Member),
    ];
    let result = store.groups.create_group(group(APP, "g1", "alice", 2), three.clone()).await;
    assert!(matches!(result, Err(StoreError::GroupFull)), "{result:?}");
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap(), None);
    assert_eq!(store.changes.head_position(APP, "alice").await.unwrap(), 0);

    let created = store.groups.create_group(group(APP, "g1", "alice", 2), three[..2].to_vec()).await.unwrap();
    assert_eq!(created.group.member_count, 2);
}

pub(super) async fn add_members_reports_members_already_in(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    let added = store
        .groups
        .add_members(APP, "g1", vec![member("bob", MemberRole::Admin), member("carol", MemberRole::Member)])
        .await
        .unwrap();
    assert_eq!(added.already_members, vec!["bob"]);
    assert_eq!(added.changes, vec![joined("carol", 1, "g1")]);
    assert_eq!(added.group.member_count, 3);
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap(), Some(added.group));
    assert_eq!(store.groups.get_member(APP, "g1", "bob").await.unwrap().unwrap().role, MemberRole::Member, "unchanged");
    assert_eq!(member_ids(&store, "g1").await, vec!["alice", "bob", "carol"]);
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 1, "no second GroupJoined");

    let again = store.groups.add_members(APP, "g1", vec![member("carol", MemberRole::Member)]).await.unwrap();
    assert_eq!((again.already_members, again.changes, again.group.member_count), (vec!["carol".to_owned()], vec![], 3));
}

pub(super) async fn add_members_respects_the_cap(store: Store) {
    let members = vec![member("alice", MemberRole::Owner), member("bob", MemberRole::Member)];
    store.groups.create_group(group(APP, "g1", "alice", 3), members).await.unwrap();

    let result = store
        .groups
        .add_members(APP, "g1", vec![member("carol", MemberRole::Member), member("dave", MemberRole::Member)])
        .await;
    assert!(matches!(result, Err(StoreError::GroupFull)), "{result:?}");
    assert_eq!(member_ids(&store, "g1").await, vec!["alice", "bob"], "nothing is added when the group would overflow");
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap().unwrap().member_count, 2);
    assert_eq!(store.conversations.get_conversation(APP, "carol", &ConversationKey::group("g1")).await.unwrap(), None);
    assert_eq!(store.changes.head_position(APP, "carol").await.unwrap(), 0);

    store.groups.add_members(APP, "g1", vec![member("carol", MemberRole::Member)]).await.unwrap();
    let result = store.groups.add_members(APP, "g1", vec![member("dave", MemberRole::Member)]).await;
    assert!(matches!(result, Err(StoreError::GroupFull)), "{result:?}");
    // Re-adding a member of a full group adds nobody, so it is not refused.
    let again = store.groups.add_members(APP, "g1", vec![member("bob", MemberRole::Member)]).await.unwrap();
    assert_eq!((again.already_members, again.group.member_count), (vec!["bob".to_owned()], 3));
}

pub(super) async fn add_members_needs_the_group(store: Store) {
    let result = store.groups.add_members(APP, "missing", vec![member("bob", MemberRole::Member)]).await;
    assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 0);
}

pub(super) async fn new_members_start_read_at_the_newest_message(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    send(&store, to_group(APP, "alice", "g1", "m1")).await;
    send(&store, NewMessage { excluded_from_unread_count: true, ..to_group(APP, "alice", "g1", "m2") }).await;
    let newest = send(&store, to_group(APP, "alice", "g1", "m3")).await;

    let added = store.groups.add_members(APP, "g1", vec![member("carol", MemberRole::Member)]).await.unwrap();
    assert_eq!(added.group.last_seq, 3);
    let key = ConversationKey::group("g1");
    let carol = store.conversations.get_conversation(APP, "carol", &key).await.unwrap().unwrap();
    assert_eq!((carol.last_seq, carol.read_seq, carol.unread_count), (3, 3, 0));
    assert_eq!(carol.last_message, Some(newest));
    assert_eq!(store.conversations.get_conversation(APP, "bob", &key).await.unwrap().unwrap().unread_count, 2);

    send(&store, to_group(APP, "bob", "g1", "b1")).await;
    let unread = |user: &'static str| {
        let store = store.clone();
        let key = key.clone();
        async move { store.conversations.get_conversation(APP, user, &key).await.unwrap().unwrap().unread_count }
    };
    assert_eq!((unread("alice").await, unread("bob").await, unread("carol").await), (1, 0, 1));
}

pub(super) async fn remove_member_drops_membership_and_conversation(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob", "carol"]).await;
    send(&store, to_group(APP, "alice", "g1", "m1")).await;

    let left = store.groups.remove_member(APP, "g1", "bob").await.unwrap();
    let expected = AppendedChange {
        user: "bob".to_owned(),
        position: 2,
        change: ChangeRecord::GroupLeft { group_id: "g1".to_owned() },
    };
    assert_eq!(left, Some(expected.clone()));
    assert_eq!(store.groups.get_member(APP, "g1", "bob").await.unwrap(), None);
    assert_eq!(member_ids(&store, "g1").await, vec!["alice", "carol"]);
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap().unwrap().member_count, 2);
    let key = ConversationKey::group("g1");
    assert_eq!(store.conversations.get_conversation(APP, "bob", &key).await.unwrap(), None);
    assert_eq!(store.conversations.list_conversations(APP, "bob", 10).await.unwrap(), vec![]);
    assert_eq!(store.conversations.total_unread(APP, "bob").await.unwrap(), 0);
    assert_eq!(store.groups.groups_of_user(APP, "bob").await.unwrap(), vec![]);
    assert_eq!(store.changes.changes_since(APP, "bob", 0, 10).await.unwrap(), vec![joined("bob", 1, "g1"), expected]);

    assert_eq!(store.groups.remove_member(APP, "g1", "bob").await.unwrap(), None);
    assert_eq!(store.groups.remove_member(APP, "missing", "bob").await.unwrap(), None);
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 2);

    // Coming back starts at the newest message again.
    store.groups.add_members(APP, "g1", vec![member("bob", MemberRole::Member)]).await.unwrap();
    let bob = store.conversations.get_conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!((bob.last_seq, bob.read_seq, bob.unread_count), (1, 1, 0));
}

pub(super) async fn an_owner_that_leaves_leaves_the_group_ownerless(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    store.groups.remove_member(APP, "g1", "bob").await.unwrap();
    assert_eq!(
        store.groups.get_group(APP, "g1").await.unwrap().unwrap().owner,
        "alice",
        "a member leaving keeps the owner"
    );

    let left = store.groups.remove_member(APP, "g1", "alice").await.unwrap().unwrap();
    assert_eq!(left.change, ChangeRecord::GroupLeft { group_id: "g1".to_owned() });
    let group = store.groups.get_group(APP, "g1").await.unwrap().unwrap();
    assert_eq!((group.owner.as_str(), group.member_count), ("", 0));
    // Coming back is as a member: ownership does not return.
    store.groups.add_members(APP, "g1", vec![member("alice", MemberRole::Member)]).await.unwrap();
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap().unwrap().owner, "");
}

pub(super) async fn members_and_groups_of_a_user(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    make_group(&store, APP, "g2", "bob", &["carol"]).await;
    make_group(&store, APP, "g3", "carol", &[]).await;
    send(&store, to_group(APP, "alice", "g1", "m1")).await;

    let mut of_bob = store.groups.groups_of_user(APP, "bob").await.unwrap();
    of_bob.sort_by(|left, right| left.0.group_id.cmp(&right.0.group_id));
    let g1 = store.groups.get_group(APP, "g1").await.unwrap().unwrap();
    let g2 = store.groups.get_group(APP, "g2").await.unwrap().unwrap();
    assert_eq!(g1.last_seq, 1);
    let as_member = MemberRecord {
        user: "bob".to_owned(),
        role: MemberRole::Member,
        joined_at_ms: T0,
        mute_until_ms: 0,
        name_card: String::new(),
    };
    let as_owner = MemberRecord { role: MemberRole::Owner, ..as_member.clone() };
    assert_eq!(of_bob, vec![(g1, as_member), (g2, as_owner.clone())]);

    assert_eq!(store.groups.get_member(APP, "g2", "bob").await.unwrap(), Some(as_owner));
    assert_eq!(member_ids(&store, "g2").await, vec!["bob", "carol"]);
    assert_eq!(member_ids(&store, "g3").await, vec!["carol"]);
    assert_eq!(member_ids(&store, "missing").await, Vec::<String>::new());
    assert_eq!(store.groups.groups_of_user(APP, "nobody").await.unwrap(), vec![]);
    assert_eq!(store.groups.groups_of_user(APP, "carol").await.unwrap().len(), 2);
    assert_eq!(store.groups.group_ids_of_user(APP, "bob").await.unwrap(), vec!["g1", "g2"]);
    assert_eq!(store.groups.group_ids_of_user(APP, "carol").await.unwrap(), vec!["g2", "g3"]);
    assert_eq!(store.groups.group_ids_of_user(APP, "nobody").await.unwrap(), Vec::<String>::new());
}

pub(super) async fn group_messages_need_a_member_sender(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    let outsider = store.messages.append_message(to_group(APP, "carol", "g1", "c1")).await;
    assert!(matches!(outsider, Err(StoreError::NotMember(_))), "{outsider:?}");
    let nowhere = store.messages.append_message(to_group(APP, "alice", "missing", "a1")).await;
    assert!(matches!(nowhere, Err(StoreError::NotFound(_))), "{nowhere:?}");

    store.groups.remove_member(APP, "g1", "bob").await.unwrap();
    let former = store.messages.append_message(to_group(APP, "bob", "g1", "b1")).await;
    assert!(matches!(former, Err(StoreError::NotMember(_))), "{former:?}");

    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap().unwrap().last_seq, 0);
    assert_eq!(store.messages.find_message(APP, "carol-c1").await.unwrap(), None);
    assert_eq!(store.conversations.get_conversation(APP, "carol", &ConversationKey::group("g1")).await.unwrap(), None);
    // A refused message leaves its idempotency key unused.
    assert_eq!(send(&store, to_group(APP, "alice", "g1", "a1")).await.seq, 1);
}
