//! Edits of a group through the Rust SDK: `updateGroupProfile`, `setGroupMemberRole`,
//! `setGroupMemberMuteTime`, `setGroupMemberNameCard` and `changeGroupOwner`, who may make them per
//! type and role, and how members learn of them (`groupUpdated`).

use mynah_proto::codes::ErrorCode;
use mynah_proto::group_management::UpdateGroupProfileRequest;
use mynah_proto::objects::{Change, Group, GroupType, JoinOption, MemberRole};
use mynah_proto::requests::GetMessageListRequest;
use mynah_test_support::{Events, TestServer};

use crate::group_management::create;

fn edit(group_id: &str) -> UpdateGroupProfileRequest {
    UpdateGroupProfileRequest { group_id: group_id.to_owned(), ..UpdateGroupProfileRequest::default() }
}

fn code<T: std::fmt::Debug>(result: Result<T, mynah_client::ClientError>) -> Option<ErrorCode> {
    result.unwrap_err().code()
}

/// The next `groupUpdated` of a stream, skipping other changes.
async fn next_update(events: &mut Events) -> Group {
    loop {
        if let Change::GroupUpdated { group } = events.next_change().await.change {
            return group;
        }
    }
}

#[tokio::test]
async fn profile_edits_reach_every_member_and_follow_the_roles() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let (carol, mut carol_events) = server.client("carol").await;
    let (dave, _dave_events) = server.client("dave").await;

    alice
        .create_group(create(GroupType::Public, "pub", &[("bob", Some(MemberRole::Admin)), ("carol", None)]))
        .await
        .unwrap();
    let mut renamed = edit("pub");
    renamed.name = Some("renamed".to_owned());
    renamed.notification = Some("rules".to_owned());
    let group = bob.update_group_profile(renamed.clone()).await.unwrap();
    assert_eq!((group.name.as_str(), group.notification.as_str()), ("renamed", "rules"));
    let seen = next_update(&mut carol_events).await;
    assert_eq!((seen.name.as_str(), seen.notification.as_str()), ("renamed", "rules"));
    assert_eq!(seen.self_info.unwrap().role, MemberRole::Member, "each member sees its own role");
    assert_eq!(carol.get_group_profile("pub").await.unwrap().name, "renamed");

    // Ordinary members of a public group may not; outsiders neither.
    assert_eq!(code(carol.update_group_profile(renamed.clone()).await), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(code(dave.update_group_profile(renamed).await), Some(ErrorCode::GROUP_NO_PERMISSION));

    // The join option of a public group is the owner's and admins' to change.
    let mut closed = edit("pub");
    closed.join_option = Some(JoinOption::NeedPermission);
    assert_eq!(alice.update_group_profile(closed).await.unwrap().join_option, JoinOption::NeedPermission);
    assert_eq!(code(dave.join_group("pub").await), Some(ErrorCode::GROUP_NO_PERMISSION));

    // Bad input.
    let mut empty_name = edit("pub");
    empty_name.name = Some(String::new());
    let mut long_name = edit("pub");
    long_name.name = Some("n".repeat(101));
    let mut long_text = edit("pub");
    long_text.introduction = Some("i".repeat(401));
    let mut long_avatar = edit("pub");
    long_avatar.avatar = Some("a".repeat(501));
    for request in [empty_name, long_name, long_text, long_avatar, edit("pub")] {
        assert_eq!(code(alice.update_group_profile(request).await), Some(ErrorCode::GROUP_INVALID_PARAMETER));
    }
    let mut missing = edit("nope");
    missing.name = Some("x".to_owned());
    assert_eq!(code(alice.update_group_profile(missing).await), Some(ErrorCode::GROUP_NOT_FOUND));

    // Any member of a work group edits its profile; no type but Public changes its join option.
    alice.create_group(create(GroupType::Work, "work", &[("carol", None)])).await.unwrap();
    let mut by_member = edit("work");
    by_member.introduction = Some("we work".to_owned());
    assert_eq!(carol.update_group_profile(by_member).await.unwrap().introduction, "we work");
    alice.create_group(create(GroupType::Meeting, "meet", &[])).await.unwrap();
    for group_id in ["work", "meet"] {
        let mut option = edit(group_id);
        option.join_option = Some(JoinOption::DisableApply);
        assert_eq!(code(alice.update_group_profile(option).await), Some(ErrorCode::GROUP_INVALID_PARAMETER));
    }
}

#[tokio::test]
async fn the_owner_sets_roles_except_in_work_groups() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    let (carol, _carol_events) = server.client("carol").await;

    alice.create_group(create(GroupType::Public, "pub", &[("bob", None), ("carol", None)])).await.unwrap();
    let result = alice.set_group_member_role("pub", "bob", MemberRole::Admin).await.unwrap();
    assert_eq!((result.member.user_id.as_str(), result.member.role), ("bob", MemberRole::Admin));
    assert_eq!(next_update(&mut bob_events).await.self_info.unwrap().role, MemberRole::Admin);
    // Now an admin, bob may mute and remove ordinary members but not set roles.
    assert_eq!(
        code(bob.set_group_member_role("pub", "carol", MemberRole::Admin).await),
        Some(ErrorCode::GROUP_NO_PERMISSION)
    );
    assert_eq!(
        code(carol.set_group_member_role("pub", "bob", MemberRole::Member).await),
        Some(ErrorCode::GROUP_NO_PERMISSION)
    );
    assert_eq!(
        alice.set_group_member_role("pub", "bob", MemberRole::Member).await.unwrap().member.role,
        MemberRole::Member
    );

    assert_eq!(
        code(alice.set_group_member_role("pub", "bob", MemberRole::Owner).await),
        Some(ErrorCode::GROUP_INVALID_PARAMETER)
    );
    assert_eq!(
        code(alice.set_group_member_role("pub", "alice", MemberRole::Member).await),
        Some(ErrorCode::GROUP_INVALID_PARAMETER)
    );
    assert_eq!(
        code(alice.set_group_member_role("pub", "stranger", MemberRole::Admin).await),
        Some(ErrorCode::GROUP_INVALID_PARAMETER)
    );
    alice.create_group(create(GroupType::Work, "work", &[("bob", None)])).await.unwrap();
    assert_eq!(
        code(alice.set_group_member_role("work", "bob", MemberRole::Admin).await),
        Some(ErrorCode::GROUP_ROLE_CHANGE_UNSUPPORTED),
        "2682 in work groups"
    );
}

#[tokio::test]
async fn ownership_moves_to_a_member_and_everyone_learns_it() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let (carol, mut carol_events) = server.client("carol").await;

    alice.create_group(create(GroupType::Public, "pub", &[("bob", None), ("carol", None)])).await.unwrap();
    assert_eq!(code(bob.change_group_owner("pub", "carol").await), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(code(alice.change_group_owner("pub", "stranger").await), Some(ErrorCode::GROUP_INVALID_PARAMETER));
    assert_eq!(code(alice.change_group_owner("pub", "alice").await), Some(ErrorCode::GROUP_INVALID_PARAMETER));

    let group = alice.change_group_owner("pub", "bob").await.unwrap();
    assert_eq!(group.owner_id, "bob");
    assert_eq!(group.self_info.unwrap().role, MemberRole::Member, "the old owner is an ordinary member");
    assert_eq!(next_update(&mut carol_events).await.owner_id, "bob");
    assert_eq!(bob.get_group_profile("pub").await.unwrap().self_info.unwrap().role, MemberRole::Owner);
    // The new owner may do what owners do; the old one no longer.
    assert_eq!(code(alice.dismiss_group("pub").await), Some(ErrorCode::GROUP_NO_PERMISSION));
    alice.quit_group("pub").await.unwrap();
    assert_eq!(code(bob.quit_group("pub").await), Some(ErrorCode::GROUP_OWNER_CANNOT_QUIT));
    bob.dismiss_group("pub").await.unwrap();
    drop(carol);

    // A work group is transferable too.
    alice.create_group(create(GroupType::Work, "work", &[("bob", None)])).await.unwrap();
    assert_eq!(alice.change_group_owner("work", "bob").await.unwrap().owner_id, "bob");
}

#[tokio::test]
async fn a_muted_member_cannot_send_until_unmuted() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let (carol, mut carol_events) = server.client("carol").await;

    let roles = [("bob", Some(MemberRole::Admin)), ("carol", None), ("dave", None)];
    server.client("dave").await;
    alice.create_group(create(GroupType::Public, "pub", &roles)).await.unwrap();
    let result = bob.set_group_member_mute_time("pub", "carol", 600).await.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!((now + 590..=now + 610).contains(&result.member.mute_until), "{}", result.member.mute_until);
    next_update(&mut carol_events).await;
    assert_eq!(code(carol.send_group_text("pub", "let me speak").await), Some(ErrorCode::GROUP_MEMBER_MUTED));
    let listed = carol.get_group_member_profile("pub", &["carol"]).await.unwrap();
    assert_eq!(listed[0].mute_until, result.member.mute_until);
    // Others still speak; the mute is per member.
    assert_eq!(bob.send_group_text("pub", "I can").await.unwrap().sequence, 1);

    // Who may mute whom: the owner mutes admins and members, an admin members; nobody the owner.
    assert_eq!(code(carol.set_group_member_mute_time("pub", "dave", 60).await), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(code(bob.set_group_member_mute_time("pub", "alice", 60).await), Some(ErrorCode::GROUP_NO_PERMISSION));
    alice.set_group_member_mute_time("pub", "bob", 60).await.unwrap();
    assert_eq!(code(bob.send_group_text("pub", "muted admin").await), Some(ErrorCode::GROUP_MEMBER_MUTED));
    assert_eq!(
        code(alice.set_group_member_mute_time("pub", "stranger", 60).await),
        Some(ErrorCode::GROUP_INVALID_PARAMETER)
    );

    // 0 unmutes.
    let lifted = alice.set_group_member_mute_time("pub", "carol", 0).await.unwrap();
    assert_eq!(lifted.member.mute_until, 0);
    assert_eq!(carol.send_group_text("pub", "thanks").await.unwrap().sequence, 2);

    // Work groups have no muting.
    alice.create_group(create(GroupType::Work, "work", &[("carol", None)])).await.unwrap();
    assert_eq!(
        code(alice.set_group_member_mute_time("work", "carol", 60).await),
        Some(ErrorCode::GROUP_TYPE_UNSUPPORTED)
    );
}

#[tokio::test]
async fn name_cards_follow_the_roles_and_ride_on_later_messages() {
    let server = TestServer::start().await;
    let (alice, mut alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let (carol, _carol_events) = server.client("carol").await;

    let roles = [("bob", Some(MemberRole::Admin)), ("carol", None), ("dave", None)];
    server.client("dave").await;
    alice.create_group(create(GroupType::Public, "pub", &roles)).await.unwrap();
    let before = carol.send_group_text("pub", "before").await.unwrap();
    assert_eq!(before.name_card, "");

    let own = carol.set_group_member_name_card("pub", None, "Caz").await.unwrap();
    assert_eq!((own.member.user_id.as_str(), own.member.name_card.as_str()), ("carol", "Caz"));
    assert_eq!(own.group.self_info.unwrap().name_card, "Caz");
    let after = carol.send_group_text("pub", "after").await.unwrap();
    assert_eq!(after.name_card, "Caz");
    // What receivers get and what history keeps carry the card of the send's time.
    loop {
        let message = alice_events.next_message().await;
        if message.id == after.id {
            assert_eq!(message.name_card, "Caz");
            break;
        }
    }
    let page = GetMessageListRequest {
        conversation_id: "GROUPpub".to_owned(),
        before_sequence: None,
        after_sequence: None,
        count: None,
    };
    let history = alice.get_message_list(page).await.unwrap();
    let cards: Vec<(&str, &str)> = history
        .message_list
        .iter()
        .map(|message| (message.client_msg_id.as_str(), message.name_card.as_str()))
        .collect();
    assert!(
        cards.contains(&(before.client_msg_id.as_str(), "")) && cards.contains(&(after.client_msg_id.as_str(), "Caz")),
        "{cards:?}"
    );
    assert_eq!(bob.get_group_member_profile("pub", &["carol"]).await.unwrap()[0].name_card, "Caz");

    // The owner sets anyone's; an admin its own and ordinary members'; a member only its own.
    alice.set_group_member_name_card("pub", Some("bob"), "Boss").await.unwrap();
    assert_eq!(bob.set_group_member_name_card("pub", Some("carol"), "C").await.unwrap().member.name_card, "C");
    assert_eq!(
        code(bob.set_group_member_name_card("pub", Some("alice"), "x").await),
        Some(ErrorCode::GROUP_NO_PERMISSION)
    );
    assert_eq!(
        code(carol.set_group_member_name_card("pub", Some("dave"), "x").await),
        Some(ErrorCode::GROUP_NO_PERMISSION)
    );
    assert_eq!(
        code(carol.set_group_member_name_card("pub", None, &"n".repeat(51)).await),
        Some(ErrorCode::GROUP_INVALID_PARAMETER)
    );
    assert_eq!(
        code(alice.set_group_member_name_card("pub", Some("stranger"), "x").await),
        Some(ErrorCode::GROUP_INVALID_PARAMETER)
    );
}
