//! Group management through the Rust SDK: dismissing, the member list and member profiles, adding
//! and removing members, each with who may do it per group type and role (`policy`) and Tencent's
//! codes.

use mynah_proto::codes::ErrorCode;
use mynah_proto::group_management::GetGroupMemberListRequest;
use mynah_proto::objects::{Change, GROUP_NOTICE_KICKED, GroupType, MemberRole};
use mynah_proto::requests::{CreateGroupRequest, InitialMember};
use mynah_test_support::TestServer;

/// A group `group_id` of `group_type` with the initial members and their roles.
pub(crate) fn create(
    group_type: GroupType,
    group_id: &str,
    members: &[(&str, Option<MemberRole>)],
) -> CreateGroupRequest {
    CreateGroupRequest {
        group_type,
        name: group_id.to_owned(),
        group_id: Some(group_id.to_owned()),
        member_list: members
            .iter()
            .map(|(user, role)| InitialMember { user_id: (*user).to_owned(), role: *role })
            .collect(),
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
        join_option: None,
        max_member_num: None,
    }
}

fn page(
    group_id: &str,
    role: Option<MemberRole>,
    count: Option<u32>,
    offset: Option<u32>,
) -> GetGroupMemberListRequest {
    GetGroupMemberListRequest { group_id: group_id.to_owned(), role, count, offset }
}

fn code<T: std::fmt::Debug>(result: Result<T, mynah_client::ClientError>) -> Option<ErrorCode> {
    result.unwrap_err().code()
}

#[tokio::test]
async fn the_owner_dismisses_and_every_member_learns_it() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    let (carol, _carol_events) = server.client("carol").await;

    alice
        .create_group(create(GroupType::Public, "pub", &[("bob", Some(MemberRole::Admin)), ("carol", None)]))
        .await
        .unwrap();
    bob_events.next_change().await;
    assert_eq!(code(bob.dismiss_group("pub").await), Some(ErrorCode::GROUP_NO_PERMISSION), "an admin");
    assert_eq!(code(carol.dismiss_group("pub").await), Some(ErrorCode::GROUP_NO_PERMISSION), "a member");
    let (dave, _dave_events) = server.client("dave").await;
    assert_eq!(code(dave.dismiss_group("pub").await), Some(ErrorCode::GROUP_NO_PERMISSION), "an outsider");
    assert_eq!(code(dave.dismiss_group("nope").await), Some(ErrorCode::GROUP_NOT_FOUND));

    alice.dismiss_group("pub").await.unwrap();
    match bob_events.next_change().await.change {
        Change::GroupDismissed { group_id, operator_id, .. } => {
            assert_eq!((group_id.as_str(), operator_id.as_str()), ("pub", "alice"))
        }
        other => panic!("expected groupDismissed, got {other:?}"),
    }
    assert_eq!(code(bob.get_group_profile("pub").await), Some(ErrorCode::GROUP_NOT_FOUND));
    assert!(carol.get_group_list().await.unwrap().is_empty());

    // The owner cannot dismiss a work group (it may quit it instead).
    alice.create_group(create(GroupType::Work, "work", &[("bob", None)])).await.unwrap();
    assert_eq!(code(alice.dismiss_group("work").await), Some(ErrorCode::GROUP_NO_PERMISSION));
    alice.create_group(create(GroupType::Meeting, "meet", &[])).await.unwrap();
    alice.dismiss_group("meet").await.unwrap();
}

#[tokio::test]
async fn the_member_list_pages_by_offset_and_filters_by_role() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let members: Vec<String> = (0..5).map(|index| format!("user{index}")).collect();
    for user in &members {
        server.client(user).await;
    }
    let mut initial: Vec<(&str, Option<MemberRole>)> = members.iter().map(|user| (user.as_str(), None)).collect();
    initial.push(("bob", Some(MemberRole::Admin)));
    alice.create_group(create(GroupType::Public, "g", &initial)).await.unwrap();

    let first = bob.get_group_member_list(page("g", None, Some(3), None)).await.unwrap();
    let users = |list: &[mynah_proto::group_management::GroupMember]| -> Vec<String> {
        list.iter().map(|member| member.user_id.clone()).collect()
    };
    assert_eq!(users(&first.member_list), ["alice", "bob", "user0"]);
    assert_eq!(first.offset, 3);
    assert_eq!(first.member_list[0].role, MemberRole::Owner);
    assert!(first.member_list[0].join_time > 0);
    let second = bob.get_group_member_list(page("g", None, Some(3), Some(3))).await.unwrap();
    assert_eq!(users(&second.member_list), ["user1", "user2", "user3"]);
    let last = bob.get_group_member_list(page("g", None, Some(3), Some(6))).await.unwrap();
    assert_eq!((users(&last.member_list), last.offset), (vec!["user4".to_owned()], 0), "offset 0: done");
    let default_page = bob.get_group_member_list(page("g", None, None, None)).await.unwrap();
    assert_eq!((default_page.member_list.len(), default_page.offset), (7, 0));
    let capped = bob.get_group_member_list(page("g", None, Some(1000), None)).await.unwrap();
    assert_eq!(capped.member_list.len(), 7, "a count over 100 is served as 100");

    let admins = bob.get_group_member_list(page("g", Some(MemberRole::Admin), None, None)).await.unwrap();
    assert_eq!(users(&admins.member_list), ["bob"]);
    let owners = bob.get_group_member_list(page("g", Some(MemberRole::Owner), None, None)).await.unwrap();
    assert_eq!(users(&owners.member_list), ["alice"]);

    let named = bob.get_group_member_profile("g", &["user3", "stranger", "alice", "user3"]).await.unwrap();
    assert_eq!(users(&named), ["user3", "alice"], "non-members are left out, duplicates once");
    assert_eq!((named[0].role, named[0].name_card.as_str(), named[0].mute_until), (MemberRole::Member, "", 0));

    let (outsider, _events) = server.client("outsider").await;
    assert_eq!(
        code(outsider.get_group_member_list(page("g", None, None, None)).await),
        Some(ErrorCode::GROUP_NO_PERMISSION)
    );
    assert_eq!(code(outsider.get_group_member_profile("g", &["alice"]).await), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(
        code(outsider.get_group_member_list(page("nope", None, None, None)).await),
        Some(ErrorCode::GROUP_NOT_FOUND)
    );
}

#[tokio::test]
async fn who_may_add_members_depends_on_the_type_and_role() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let (carol, mut carol_events) = server.client("carol").await;
    server.client("dave").await;

    // Any member of a work group brings others in.
    alice.create_group(create(GroupType::Work, "work", &[("bob", None)])).await.unwrap();
    assert_eq!(
        code(bob.add_group_member("work", &["carol", "ghost"]).await),
        Some(ErrorCode::GROUP_ACCOUNT_NOT_FOUND),
        "every user must be an account"
    );
    let added = bob.add_group_member("work", &["carol", "alice"]).await.unwrap();
    assert_eq!(added.success_user_id_list, ["carol"]);
    assert!(added.failure_user_id_list.is_empty());
    assert_eq!(added.existed_user_id_list, ["alice"]);
    assert_eq!(added.group.member_count, 3);
    match carol_events.next_change().await.change {
        Change::GroupJoined { group, .. } => assert_eq!(group.group_id, "work"),
        other => panic!("expected groupJoined, got {other:?}"),
    }

    // In a public group ordinary members may not invite; the owner and admins may.
    alice
        .create_group(create(GroupType::Public, "pub", &[("bob", None), ("carol", Some(MemberRole::Admin))]))
        .await
        .unwrap();
    assert_eq!(code(bob.add_group_member("pub", &["dave"]).await), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(carol.add_group_member("pub", &["dave"]).await.unwrap().success_user_id_list, ["dave"]);

    let many: Vec<String> = (0..21).map(|index| format!("u{index}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(code(alice.add_group_member("pub", &many).await), Some(ErrorCode::GROUP_INVALID_PARAMETER));
    assert_eq!(code(alice.add_group_member("pub", &[]).await), Some(ErrorCode::GROUP_INVALID_PARAMETER));
    let (outsider, _) = server.client("outsider").await;
    assert_eq!(code(outsider.add_group_member("pub", &["alice"]).await), Some(ErrorCode::GROUP_NO_PERMISSION));
}

#[tokio::test]
async fn who_may_remove_members_depends_on_the_role() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let (carol, _carol_events) = server.client("carol").await;
    let (_dave, mut dave_events) = server.client("dave").await;
    let (erin, _erin_events) = server.client("erin").await;

    let roles = [("bob", Some(MemberRole::Admin)), ("carol", Some(MemberRole::Admin)), ("dave", None), ("erin", None)];
    alice.create_group(create(GroupType::Public, "pub", &roles)).await.unwrap();
    dave_events.next_change().await;

    assert_eq!(code(erin.delete_group_member("pub", &["dave"], "").await), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(
        code(bob.delete_group_member("pub", &["carol"], "").await),
        Some(ErrorCode::GROUP_NO_PERMISSION),
        "admin on admin"
    );
    assert_eq!(
        code(bob.delete_group_member("pub", &["alice"], "").await),
        Some(ErrorCode::GROUP_INVALID_PARAMETER),
        "the owner"
    );
    assert_eq!(
        code(bob.delete_group_member("pub", &["bob"], "").await),
        Some(ErrorCode::GROUP_INVALID_PARAMETER),
        "oneself"
    );

    let removed = bob.delete_group_member("pub", &["dave", "nobody"], "spam").await.unwrap();
    assert_eq!(removed.user_id_list, ["dave"]);
    assert_eq!(removed.group.member_count, 4);
    let mut kinds = Vec::new();
    for _ in 0..2 {
        kinds.push(dave_events.next_change().await.change);
    }
    assert!(kinds.iter().any(|change| matches!(change, Change::GroupLeft { group_id } if group_id == "pub")));
    assert!(kinds.iter().any(|change| matches!(
        change,
        Change::GroupSystemNotice { operation_type, operator_id, user_defined_field, .. }
            if *operation_type == GROUP_NOTICE_KICKED && operator_id == "bob" && user_defined_field == "spam"
    )));

    // The owner removes admins too.
    assert_eq!(alice.delete_group_member("pub", &["carol"], "").await.unwrap().user_id_list, ["carol"]);
    assert_eq!(
        code(carol.get_group_member_list(page("pub", None, None, None)).await),
        Some(ErrorCode::GROUP_NO_PERMISSION)
    );

    // In a work group only the owner removes.
    alice.create_group(create(GroupType::Work, "work", &[("bob", None), ("erin", None)])).await.unwrap();
    assert_eq!(code(bob.delete_group_member("work", &["erin"], "").await), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(alice.delete_group_member("work", &["erin"], "").await.unwrap().user_id_list, ["erin"]);
}
