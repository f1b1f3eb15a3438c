//! Conformance: group administration (member list, removal with a notice, dismissal, notices).

use mynah_proto::objects::MemberRole;

use super::{APP, OTHER_APP, T0, make_group, member, send, to_group};
use crate::keys::ConversationKey;
use crate::records::{AppendedChange, ChangeRecord, MemberRecord};
use crate::{GroupNoticeRecord, Store, StoreError};

fn notice(operation_type: u32, content: &str) -> GroupNoticeRecord {
    GroupNoticeRecord { operation_type, operator: "admin".to_owned(), content: content.to_owned(), at_ms: T0 }
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

pub(super) async fn members_come_with_their_roles(store: Store) {
    make_group(&store, APP, "g1", "bob", &["alice"]).await;
    assert_eq!(
        store.group_admin.members(APP, "g1").await.unwrap(),
        vec![member("alice", MemberRole::Member), member("bob", MemberRole::Owner)]
            .into_iter()
            .map(|new| MemberRecord {
                user: new.user,
                role: new.role,
                joined_at_ms: new.joined_at_ms,
                mute_until_ms: 0,
                name_card: String::new(),
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(store.group_admin.members(APP, "nope").await.unwrap(), vec![]);
    assert_eq!(store.group_admin.members(OTHER_APP, "g1").await.unwrap(), vec![]);
}

pub(super) async fn removed_members_learn_why(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob", "carol"]).await;
    let kicked = notice(4, "spam");
    let changes = store
        .group_admin
        .remove_members(APP, "g1", strings(&["bob", "alice", "stranger", "bob"]), kicked.clone())
        .await
        .unwrap();
    assert_eq!(
        changes,
        vec![
            AppendedChange {
                user: "bob".to_owned(),
                position: 2,
                change: ChangeRecord::GroupLeft { group_id: "g1".to_owned() }
            },
            AppendedChange {
                user: "bob".to_owned(),
                position: 3,
                change: ChangeRecord::GroupNotice {
                    group_id: "g1".to_owned(),
                    group_name: "g1 name".to_owned(),
                    notice: kicked
                },
            },
        ],
        "the owner and non-members are skipped, a repeated user counts once"
    );
    let group = store.groups.get_group(APP, "g1").await.unwrap().unwrap();
    assert_eq!(group.member_count, 2);
    assert_eq!(store.groups.get_member(APP, "g1", "bob").await.unwrap(), None);
    let key = ConversationKey::group("g1");
    assert_eq!(store.conversations.get_conversation(APP, "bob", &key).await.unwrap(), None);

    let missing = store.group_admin.remove_members(APP, "nope", strings(&["bob"]), notice(4, "")).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
}

pub(super) async fn dismissal_tells_every_member_and_frees_the_id(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    send(&store, to_group(APP, "bob", "g1", "m1")).await;
    let mut changes = store.group_admin.dismiss_group(APP, "g1", "admin", T0 + 1).await.unwrap();
    changes.sort_by(|left, right| left.user.cmp(&right.user));
    let dismissed = ChangeRecord::GroupDismissed {
        group_id: "g1".to_owned(),
        group_name: "g1 name".to_owned(),
        operator: "admin".to_owned(),
        at_ms: T0 + 1,
    };
    assert_eq!(
        changes,
        vec![
            AppendedChange { user: "alice".to_owned(), position: 2, change: dismissed.clone() },
            AppendedChange { user: "bob".to_owned(), position: 2, change: dismissed },
        ]
    );
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap(), None);
    assert_eq!(store.groups.groups_of_user(APP, "bob").await.unwrap(), vec![]);
    assert_eq!(store.conversations.list_conversations(APP, "bob", 10).await.unwrap(), vec![]);
    assert_eq!(store.messages.find_message(APP, "bob-m1").await.unwrap(), None);

    // The ID is free again, and the new group's history starts over.
    make_group(&store, APP, "g1", "carol", &["bob"]).await;
    assert_eq!(send(&store, to_group(APP, "bob", "g1", "m1")).await.seq, 1);

    let missing = store.group_admin.dismiss_group(APP, "nope", "admin", T0).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
}

pub(super) async fn notices_reach_the_listed_members(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob", "carol"]).await;
    let custom = notice(255, "hello");
    let mut everyone = store.group_admin.notify_members(APP, "g1", vec![], custom.clone()).await.unwrap();
    everyone.sort_by(|left, right| left.user.cmp(&right.user));
    let users: Vec<_> = everyone.iter().map(|change| (change.user.as_str(), change.position)).collect();
    assert_eq!(users, vec![("alice", 2), ("bob", 2), ("carol", 2)]);
    let expected = ChangeRecord::GroupNotice {
        group_id: "g1".to_owned(),
        group_name: "g1 name".to_owned(),
        notice: custom.clone(),
    };
    assert!(everyone.iter().all(|change| change.change == expected));

    let listed =
        store.group_admin.notify_members(APP, "g1", strings(&["carol", "stranger"]), custom.clone()).await.unwrap();
    assert_eq!(
        listed.iter().map(|change| (change.user.as_str(), change.position)).collect::<Vec<_>>(),
        vec![("carol", 3)]
    );

    let missing = store.group_admin.notify_members(APP, "nope", vec![], custom.clone()).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
    let other_app = store.group_admin.notify_members(OTHER_APP, "g1", vec![], custom).await;
    assert!(matches!(other_app, Err(StoreError::NotFound(_))), "{other_app:?}");
}

pub(super) async fn member_pages_follow_the_user_order_and_the_role(store: Store) {
    make_group(&store, APP, "g1", "carol", &["alice", "bob", "dave", "erin"]).await;
    store.group_admin.set_member_role(APP, "g1", "dave", MemberRole::Admin).await.unwrap();
    let users = |page: Vec<MemberRecord>| page.into_iter().map(|member| member.user).collect::<Vec<_>>();
    let page = |role, offset, limit| {
        let store = store.clone();
        async move { users(store.group_admin.member_page(APP, "g1", role, offset, limit).await.unwrap()) }
    };
    assert_eq!(page(None, 0, 2).await, ["alice", "bob"]);
    assert_eq!(page(None, 2, 2).await, ["carol", "dave"]);
    assert_eq!(page(None, 4, 2).await, ["erin"]);
    assert_eq!(page(None, 5, 2).await, Vec::<String>::new());
    assert_eq!(page(Some(MemberRole::Member), 0, 10).await, ["alice", "bob", "erin"]);
    assert_eq!(page(Some(MemberRole::Member), 1, 1).await, ["bob"]);
    assert_eq!(page(Some(MemberRole::Admin), 0, 10).await, ["dave"]);
    assert_eq!(page(Some(MemberRole::Owner), 0, 10).await, ["carol"]);
    let full = store.group_admin.member_page(APP, "g1", None, 0, 10).await.unwrap();
    assert_eq!(full, store.group_admin.members(APP, "g1").await.unwrap(), "the same records as the whole list");
    assert_eq!(store.group_admin.member_page(APP, "nope", None, 0, 10).await.unwrap(), vec![]);
    assert_eq!(store.group_admin.member_page(OTHER_APP, "g1", None, 0, 10).await.unwrap(), vec![]);
}
