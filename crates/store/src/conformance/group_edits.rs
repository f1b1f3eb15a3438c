//! Conformance: edits of a group its members must learn (profile fields, a member's role or mute,
//! the owner), each with a `GroupUpdated` entry for everyone whose view of the group changed.

use mynah_proto::objects::{JoinOption, MemberRole};

use super::{APP, OTHER_APP, make_group};
use crate::records::ChangeRecord;
use crate::{GroupEdit, Store, StoreError};

fn updated(group_id: &str) -> ChangeRecord {
    ChangeRecord::GroupUpdated { group_id: group_id.to_owned() }
}

pub(super) async fn profile_edits_keep_what_they_do_not_name_and_tell_every_member(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob", "carol"]).await;
    let before = store.groups.get_group(APP, "g1").await.unwrap().unwrap();
    let edit = GroupEdit {
        name: Some("renamed".to_owned()),
        notification: Some("read me".to_owned()),
        join_option: Some(JoinOption::NeedPermission),
        ..GroupEdit::default()
    };
    let edited = store.group_admin.edit_group(APP, "g1", edit).await.unwrap();
    let stored = store.groups.get_group(APP, "g1").await.unwrap().unwrap();
    assert_eq!(edited.group, stored);
    assert_eq!((stored.name.as_str(), stored.notification.as_str()), ("renamed", "read me"));
    assert_eq!(stored.join_option, JoinOption::NeedPermission);
    assert_eq!(
        (stored.introduction.as_str(), stored.avatar.as_str()),
        (before.introduction.as_str(), before.avatar.as_str())
    );
    assert_eq!((stored.owner.as_str(), stored.member_count), ("alice", 3));

    let mut told: Vec<(String, ChangeRecord)> =
        edited.changes.iter().map(|appended| (appended.user.clone(), appended.change.clone())).collect();
    told.sort_by(|left, right| left.0.cmp(&right.0));
    assert_eq!(told, ["alice", "bob", "carol"].map(|user| (user.to_owned(), updated("g1"))));
    for appended in &edited.changes {
        let stream = store.changes.changes_since(APP, &appended.user, 0, 10).await.unwrap();
        assert_eq!(stream.last(), Some(appended), "the entry is in {}'s stream", appended.user);
    }

    let nothing = store.group_admin.edit_group(APP, "g1", GroupEdit::default()).await.unwrap();
    assert_eq!(nothing.group, stored, "an empty edit changes nothing");
    assert!(matches!(
        store.group_admin.edit_group(APP, "nope", GroupEdit::default()).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.group_admin.edit_group(OTHER_APP, "g1", GroupEdit::default()).await,
        Err(StoreError::NotFound(_))
    ));
}

pub(super) async fn role_changes_tell_the_member_and_ownership_moves_whole(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob", "carol"]).await;
    let edited = store.group_admin.set_member_role(APP, "g1", "bob", MemberRole::Admin).await.unwrap();
    assert_eq!(store.groups.get_member(APP, "g1", "bob").await.unwrap().unwrap().role, MemberRole::Admin);
    assert_eq!(edited.changes.iter().map(|appended| appended.user.as_str()).collect::<Vec<_>>(), ["bob"]);
    assert_eq!(edited.changes[0].change, updated("g1"));
    assert!(matches!(
        store.group_admin.set_member_role(APP, "g1", "stranger", MemberRole::Admin).await,
        Err(StoreError::NotMember(_))
    ));
    assert!(matches!(
        store.group_admin.set_member_role(APP, "nope", "bob", MemberRole::Admin).await,
        Err(StoreError::NotFound(_))
    ));

    let moved = store.group_admin.change_owner(APP, "g1", "carol").await.unwrap();
    assert_eq!(moved.group.owner, "carol");
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap().unwrap().owner, "carol");
    let role = |user: &'static str| {
        let store = store.clone();
        async move { store.groups.get_member(APP, "g1", user).await.unwrap().unwrap().role }
    };
    assert_eq!(
        (role("alice").await, role("bob").await, role("carol").await),
        (MemberRole::Member, MemberRole::Admin, MemberRole::Owner)
    );
    let mut told: Vec<&str> = moved.changes.iter().map(|appended| appended.user.as_str()).collect();
    told.sort_unstable();
    assert_eq!(told, ["alice", "bob", "carol"]);
    assert!(matches!(store.group_admin.change_owner(APP, "g1", "stranger").await, Err(StoreError::NotMember(_))));
    assert_eq!(
        store.groups.get_group(APP, "g1").await.unwrap().unwrap().owner,
        "carol",
        "a refused change keeps the owner"
    );
    assert_eq!(role("carol").await, MemberRole::Owner);

    // An ownerless group (its owner quit) gets a new owner without demoting anyone.
    store.groups.remove_member(APP, "g1", "carol").await.unwrap();
    let adopted = store.group_admin.change_owner(APP, "g1", "bob").await.unwrap();
    assert_eq!(adopted.group.owner, "bob");
    assert_eq!((role("alice").await, role("bob").await), (MemberRole::Member, MemberRole::Owner));
}

pub(super) async fn mutes_are_kept_with_the_membership_until_lifted(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    let until = 1_900_000_000_000;
    let muted = store.group_admin.mute_member(APP, "g1", "bob", until).await.unwrap();
    assert_eq!(
        muted.changes.iter().map(|appended| (appended.user.as_str(), &appended.change)).collect::<Vec<_>>(),
        [("bob", &updated("g1"))]
    );
    assert_eq!(store.groups.get_member(APP, "g1", "bob").await.unwrap().unwrap().mute_until_ms, until);
    assert_eq!(store.groups.get_member(APP, "g1", "alice").await.unwrap().unwrap().mute_until_ms, 0);
    let listed = store.group_admin.members(APP, "g1").await.unwrap();
    assert_eq!(listed.iter().map(|member| member.mute_until_ms).collect::<Vec<_>>(), [0, until]);
    let of_bob = store.groups.groups_of_user(APP, "bob").await.unwrap();
    assert_eq!(of_bob[0].1.mute_until_ms, until);

    store.group_admin.mute_member(APP, "g1", "bob", 0).await.unwrap();
    assert_eq!(store.groups.get_member(APP, "g1", "bob").await.unwrap().unwrap().mute_until_ms, 0);
    assert!(matches!(store.group_admin.mute_member(APP, "g1", "stranger", until).await, Err(StoreError::NotMember(_))));
    assert!(matches!(store.group_admin.mute_member(APP, "nope", "bob", until).await, Err(StoreError::NotFound(_))));
    // Leaving and coming back starts unmuted.
    store.group_admin.mute_member(APP, "g1", "bob", until).await.unwrap();
    store.groups.remove_member(APP, "g1", "bob").await.unwrap();
    store.groups.add_members(APP, "g1", vec![super::member("bob", MemberRole::Member)]).await.unwrap();
    assert_eq!(store.groups.get_member(APP, "g1", "bob").await.unwrap().unwrap().mute_until_ms, 0);
}

pub(super) async fn name_cards_are_kept_with_the_membership(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    let set = store.group_admin.set_name_card(APP, "g1", "bob", "Bobby").await.unwrap();
    assert_eq!(
        set.changes.iter().map(|appended| (appended.user.as_str(), &appended.change)).collect::<Vec<_>>(),
        [("bob", &updated("g1"))]
    );
    assert_eq!(store.groups.get_member(APP, "g1", "bob").await.unwrap().unwrap().name_card, "Bobby");
    let listed = store.group_admin.members(APP, "g1").await.unwrap();
    assert_eq!(listed.iter().map(|member| member.name_card.as_str()).collect::<Vec<_>>(), ["", "Bobby"]);
    assert_eq!(store.groups.groups_of_user(APP, "bob").await.unwrap()[0].1.name_card, "Bobby");
    store.group_admin.set_name_card(APP, "g1", "bob", "").await.unwrap();
    assert_eq!(store.groups.get_member(APP, "g1", "bob").await.unwrap().unwrap().name_card, "");
    assert!(matches!(store.group_admin.set_name_card(APP, "g1", "stranger", "x").await, Err(StoreError::NotMember(_))));
    assert!(matches!(store.group_admin.set_name_card(APP, "nope", "bob", "x").await, Err(StoreError::NotFound(_))));
}
