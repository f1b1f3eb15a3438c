//! Groups: create with initial members, join, quit, send and receive, and the permission and
//! limit errors with Tencent's codes.

use std::time::Duration;

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::{Change, GroupType, JoinOption, MemberRole};
use mynah_proto::requests::{CreateGroupRequest, InitialMember, JoinStatus};
use mynah_test_support::TestServer;

use crate::delivery::page;

fn create(group_type: GroupType, name: &str, members: &[&str]) -> CreateGroupRequest {
    CreateGroupRequest {
        group_type,
        name: name.to_owned(),
        group_id: None,
        member_list: members.iter().map(|user| InitialMember { user_id: (*user).to_owned(), role: None }).collect(),
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
        join_option: None,
        max_member_num: None,
    }
}

#[tokio::test]
async fn a_work_group_delivers_to_every_member_but_the_sending_session() {
    let server = TestServer::start().await;
    let (alice, mut alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    let (_carol, mut carol_events) = server.client("carol").await;
    let (dave, mut dave_events) = server.client("dave").await;

    let group = alice.create_group(create(GroupType::Work, "team", &["bob", "carol"])).await.unwrap();
    assert!(group.group_id.starts_with("@TGS#"));
    assert_eq!(group.member_count, 3);
    assert_eq!(group.owner_id, "alice");
    assert_eq!(group.self_info.as_ref().unwrap().role, MemberRole::Owner);
    assert_eq!(group.max_member_num, 200);
    // Each initial member hears it joined.
    for events in [&mut alice_events, &mut bob_events, &mut carol_events] {
        match events.next_change().await.change {
            Change::GroupJoined { group: joined, .. } => assert_eq!(joined.group_id, group.group_id),
            other => panic!("expected groupJoined, got {other:?}"),
        }
    }

    let sent = bob.send_group_text(&group.group_id, "hello team").await.unwrap();
    assert_eq!(sent.sequence, 1);
    assert_eq!(alice_events.next_message().await, sent);
    assert_eq!(carol_events.next_message().await, sent);
    bob_events.expect_quiet(Duration::from_millis(300)).await;
    dave_events.expect_quiet(Duration::from_millis(100)).await;

    // Outsiders can neither send, read, nor join a work group.
    assert_eq!(
        dave.send_group_text(&group.group_id, "let me in").await.unwrap_err().code(),
        Some(ErrorCode::GROUP_NO_PERMISSION)
    );
    let conversation = format!("GROUP{}", group.group_id);
    assert_eq!(
        dave.get_message_list(page(&conversation, None)).await.unwrap_err().code(),
        Some(ErrorCode::GROUP_NO_PERMISSION)
    );
    assert_eq!(dave.join_group(&group.group_id).await.unwrap_err().code(), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(dave.find_message(&sent.id).await.unwrap_err().code(), Some(ErrorCode::MESSAGE_NOT_FOUND));

    // Unread counts for the group conversation.
    assert_eq!(alice.get_conversation(&conversation).await.unwrap().unread_count, 1);
    assert_eq!(bob.get_conversation(&conversation).await.unwrap().unread_count, 0);
    let groups = alice.get_group_list().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].next_message_seq, 2);
}

#[tokio::test]
async fn meeting_groups_are_joined_freely_and_left() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    let group = alice.create_group(create(GroupType::Meeting, "standup", &[])).await.unwrap();
    alice.send_group_text(&group.group_id, "before bob").await.unwrap();

    let joined = bob.join_group(&group.group_id).await.unwrap();
    assert_eq!(joined.status, JoinStatus::Joined);
    assert_eq!(joined.group.member_count, 2);
    assert!(matches!(bob_events.next_change().await.change, Change::GroupJoined { .. }));
    assert_eq!(bob.join_group(&group.group_id).await.unwrap().status, JoinStatus::AlreadyInGroup);
    let conversation = format!("GROUP{}", group.group_id);
    assert_eq!(
        bob.get_conversation(&conversation).await.unwrap().unread_count,
        0,
        "history before joining is not unread"
    );

    alice.send_group_text(&group.group_id, "welcome").await.unwrap();
    assert_eq!(bob_events.next_message().await.sequence, 2);
    assert_eq!(bob.get_group_profile(&group.group_id).await.unwrap().self_info.unwrap().role, MemberRole::Member);

    bob.quit_group(&group.group_id).await.unwrap();
    assert_eq!(bob_events.next_change().await.change, Change::GroupLeft { group_id: group.group_id.clone() });
    alice.send_group_text(&group.group_id, "after bob").await.unwrap();
    bob_events.expect_quiet(Duration::from_millis(300)).await;
    assert!(bob.get_group_list().await.unwrap().is_empty());
    assert_eq!(bob.quit_group(&group.group_id).await.unwrap_err().code(), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(alice.quit_group(&group.group_id).await.unwrap_err().code(), Some(ErrorCode::GROUP_OWNER_CANNOT_QUIT));
    // A non-member may still see a meeting group's profile, without self info.
    assert!(bob.get_group_profile(&group.group_id).await.unwrap().self_info.is_none());
}

#[tokio::test]
async fn group_errors_have_tencents_codes() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;

    assert_eq!(bob.join_group("no-such-group").await.unwrap_err().code(), Some(ErrorCode::GROUP_NOT_FOUND));
    assert_eq!(bob.send_group_text("no-such-group", "hi").await.unwrap_err().code(), Some(ErrorCode::GROUP_NOT_FOUND));

    let mut custom = create(GroupType::Public, "public", &[]);
    custom.group_id = Some("my-group".to_owned());
    let group = alice.create_group(custom.clone()).await.unwrap();
    assert_eq!(group.group_id, "my-group");
    assert_eq!(alice.create_group(custom).await.unwrap_err().code(), Some(ErrorCode::GROUP_ID_IN_USE));
    // A public group created with the documented defaults admits anyone (FreeAccess).
    assert_eq!(bob.join_group("my-group").await.unwrap().status, JoinStatus::Joined);

    let mut reserved = create(GroupType::Public, "reserved", &[]);
    reserved.group_id = Some("@TGS#mine".to_owned());
    assert_eq!(alice.create_group(reserved).await.unwrap_err().code(), Some(ErrorCode::GROUP_INVALID_ID));
    let mut too_long = create(GroupType::Public, "long", &[]);
    too_long.group_id = Some("g".repeat(49));
    assert_eq!(alice.create_group(too_long).await.unwrap_err().code(), Some(ErrorCode::GROUP_INVALID_ID));
    assert_eq!(
        alice.create_group(create(GroupType::Work, "", &[])).await.unwrap_err().code(),
        Some(ErrorCode::GROUP_INVALID_PARAMETER)
    );
    let long_name = "n".repeat(101);
    assert_eq!(
        alice.create_group(create(GroupType::Work, &long_name, &[])).await.unwrap_err().code(),
        Some(ErrorCode::GROUP_INVALID_PARAMETER)
    );
    let many: Vec<String> = (0..101).map(|index| format!("user{index}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(
        alice.create_group(create(GroupType::Work, "big", &many)).await.unwrap_err().code(),
        Some(ErrorCode::GROUP_INVALID_PARAMETER)
    );

    let mut small = create(GroupType::Meeting, "small", &["bob"]);
    small.max_member_num = Some(2);
    let small = alice.create_group(small).await.unwrap();
    let (carol, _carol_events) = server.client("carol").await;
    assert_eq!(carol.join_group(&small.group_id).await.unwrap_err().code(), Some(ErrorCode::GROUP_FULL));
    assert_eq!(
        alice.get_group_profile(&small.group_id).await.unwrap().member_count,
        2,
        "a refused join changes nothing"
    );
}

#[tokio::test]
async fn join_options_follow_each_types_rules() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;

    let public = alice.create_group(create(GroupType::Public, "open by default", &[])).await.unwrap();
    assert_eq!(public.join_option, JoinOption::FreeAccess, "the SDK's documented default");
    assert_eq!(bob.join_group(&public.group_id).await.unwrap().status, JoinStatus::Joined);
    let meeting = alice.create_group(create(GroupType::Meeting, "meeting", &[])).await.unwrap();
    assert_eq!(meeting.join_option, JoinOption::FreeAccess);
    let work = alice.create_group(create(GroupType::Work, "work", &[])).await.unwrap();
    assert_eq!(work.join_option, JoinOption::DisableApply);

    // Approvals do not exist yet: a group needing one refuses the join rather than admit anyone.
    for (option, name) in [(JoinOption::NeedPermission, "approval"), (JoinOption::DisableApply, "closed")] {
        let mut request = create(GroupType::Public, name, &[]);
        request.join_option = Some(option);
        let group = alice.create_group(request).await.unwrap();
        assert_eq!(group.join_option, option);
        assert_eq!(bob.join_group(&group.group_id).await.unwrap_err().code(), Some(ErrorCode::GROUP_NO_PERMISSION));
        assert_eq!(alice.get_group_profile(&group.group_id).await.unwrap().member_count, 1);
    }

    // Work and meeting groups must not name another join option than their own.
    for (group_type, option) in [
        (GroupType::Work, JoinOption::FreeAccess),
        (GroupType::Work, JoinOption::NeedPermission),
        (GroupType::Meeting, JoinOption::NeedPermission),
        (GroupType::Meeting, JoinOption::DisableApply),
    ] {
        let mut request = create(group_type, "fixed", &[]);
        request.join_option = Some(option);
        assert_eq!(
            alice.create_group(request).await.unwrap_err().code(),
            Some(ErrorCode::GROUP_INVALID_PARAMETER),
            "{group_type:?} with {option:?}"
        );
    }
    let mut own = create(GroupType::Meeting, "own option", &[]);
    own.join_option = Some(JoinOption::FreeAccess);
    assert_eq!(alice.create_group(own).await.unwrap().join_option, JoinOption::FreeAccess);
}

#[tokio::test]
async fn only_a_work_groups_owner_may_quit_and_leaves_it_ownerless() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;

    for group_type in [GroupType::Public, GroupType::Meeting] {
        let group = alice.create_group(create(group_type, "kept", &["bob"])).await.unwrap();
        assert_eq!(
            alice.quit_group(&group.group_id).await.unwrap_err().code(),
            Some(ErrorCode::GROUP_OWNER_CANNOT_QUIT),
            "{group_type:?}"
        );
    }
    let work = alice.create_group(create(GroupType::Work, "ownerless", &["bob"])).await.unwrap();
    alice.quit_group(&work.group_id).await.unwrap();
    let seen = bob.get_group_profile(&work.group_id).await.unwrap();
    assert_eq!((seen.owner_id.as_str(), seen.member_count), ("", 1));
    let sent = bob.send_group_text(&work.group_id, "still here").await.unwrap();
    assert_eq!(sent.sequence, 1);
    assert_eq!(alice.get_group_profile(&work.group_id).await.unwrap_err().code(), Some(ErrorCode::GROUP_NO_PERMISSION));
}

#[tokio::test]
async fn concurrent_sends_into_one_group_reach_a_member_in_sequence_order() {
    let server = TestServer::start_with(|config| config.group_messages_per_second = 0).await;
    let senders = ["s1", "s2", "s3", "s4"];
    let (owner, _owner_events) = server.client("owner").await;
    let (_reader, mut reader_events) = server.client("reader").await;
    let mut members = senders.to_vec();
    members.push("reader");
    // Initial members need accounts: logging in makes them.
    let mut clients = Vec::new();
    for sender in senders {
        clients.push(server.client(sender).await);
    }
    let group = owner.create_group(create(GroupType::Work, "busy", &members)).await.unwrap();
    const PER_SENDER: usize = 30;
    let sends = clients.iter().map(|(client, _)| {
        let group_id = group.group_id.clone();
        async move {
            for index in 0..PER_SENDER {
                client.send_group_text(&group_id, &format!("message {index}")).await.unwrap();
            }
        }
    });
    futures_util::future::join_all(sends).await;
    let mut sequences = Vec::new();
    while sequences.len() < senders.len() * PER_SENDER {
        sequences.push(reader_events.next_message().await.sequence);
    }
    let expected: Vec<u64> = (1..=(senders.len() * PER_SENDER) as u64).collect();
    assert_eq!(sequences, expected, "pushes leave in sequence order, none lost or repeated");
}

#[tokio::test]
async fn joining_and_quitting_reach_every_session_of_the_user() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob_web, mut bob_web_events) = server.client_on("bob", mynah_proto::requests::Platform::Web).await;
    let (_bob_phone, mut bob_phone_events) = server.client_on("bob", mynah_proto::requests::Platform::Android).await;
    let group = alice.create_group(create(GroupType::Meeting, "open", &[])).await.unwrap();

    // Bob joins from the web; his phone, logged in before, hears the group from now on too.
    bob_web.join_group(&group.group_id).await.unwrap();
    let sent = alice.send_group_text(&group.group_id, "welcome").await.unwrap();
    assert_eq!(bob_web_events.next_message().await, sent);
    assert_eq!(bob_phone_events.next_message().await, sent);

    // A session that logs in after the join listens from its login.
    let (_bob_pad, mut bob_pad_events) = server.client_on("bob", mynah_proto::requests::Platform::Ios).await;
    let sent = alice.send_group_text(&group.group_id, "again").await.unwrap();
    assert_eq!(bob_pad_events.next_message().await, sent);

    bob_web.quit_group(&group.group_id).await.unwrap();
    alice.send_group_text(&group.group_id, "gone?").await.unwrap();
    for events in [&mut bob_web_events, &mut bob_phone_events, &mut bob_pad_events] {
        // Only the change entries of the join and the quit arrive, no message.
        loop {
            match tokio::time::timeout(Duration::from_millis(300), events.receiver.recv()).await {
                Ok(Some(mynah_client::Event::Push(mynah_proto::frames::Push::Change(_)))) => continue,
                Ok(Some(mynah_client::Event::Push(mynah_proto::frames::Push::Message(message)))) => {
                    assert_ne!(message.sequence, 3, "a member who quit hears no more of the group");
                }
                Ok(other) => panic!("unexpected {other:?}"),
                Err(_) => break,
            }
        }
    }
}

#[tokio::test]
async fn pushes_carry_the_counted_index_a_joiner_needs_for_its_unread_count() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    let group = alice.create_group(create(GroupType::Meeting, "counted", &[])).await.unwrap();
    alice.send_group_text(&group.group_id, "one").await.unwrap();
    alice.send_group_text(&group.group_id, "two").await.unwrap();

    // Bob joins after two counted messages: he has read them.
    bob.join_group(&group.group_id).await.unwrap();
    match bob_events.next_change().await.change {
        Change::GroupJoined { read_counted_index, .. } => assert_eq!(read_counted_index, 2),
        other => panic!("expected groupJoined, got {other:?}"),
    }
    let sent = alice.send_group_text(&group.group_id, "three").await.unwrap();
    assert_eq!(sent.counted_index, 3);
    let pushed = bob_events.next_message().await;
    assert_eq!((pushed.sequence, pushed.counted_index), (3, 3));
    // The push alone gives the unread count: countedIndex - readCountedIndex.
    let conversation = bob.get_conversation(&format!("GROUP{}", group.group_id)).await.unwrap();
    assert_eq!(conversation.read_counted_index, 2);
    assert_eq!(conversation.unread_count, pushed.counted_index - conversation.read_counted_index);
}

#[tokio::test]
async fn a_send_naming_receivers_is_refused_and_reaches_nobody() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (_bob, mut bob_events) = server.client("bob").await;
    let (_carol, mut carol_events) = server.client("carol").await;
    let group = alice.create_group(create(GroupType::Work, "team", &["bob", "carol"])).await.unwrap();
    for events in [&mut bob_events, &mut carol_events] {
        events.next_change().await;
    }

    // A client that names receivers (the SDK's receiverList) is refused: targeted messages are not
    // served yet, and dropping the list would send the message to the whole group.
    let mut targeted = mynah_client::text_message(mynah_proto::ids::ConversationType::Group, &group.group_id, "psst");
    targeted.receiver_list = vec!["bob".to_owned()];
    let refused = alice.send_message(targeted).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::GROUP_INVALID_PARAMETER));
    let mut direct = mynah_client::text_message(mynah_proto::ids::ConversationType::C2c, "bob", "psst");
    direct.receiver_list = vec!["bob".to_owned()];
    assert_eq!(alice.send_message(direct).await.unwrap_err().code(), Some(ErrorCode::C2C_INVALID_REQUEST));

    bob_events.expect_quiet(Duration::from_millis(200)).await;
    carol_events.expect_quiet(Duration::from_millis(50)).await;
    let history = alice.get_message_list(page(&format!("GROUP{}", group.group_id), None)).await.unwrap();
    assert!(history.message_list.is_empty(), "nothing was stored");
}
