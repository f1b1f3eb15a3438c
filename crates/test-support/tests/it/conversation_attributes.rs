//! A user's own attributes of a conversation across devices: pinning on one device reorders the
//! list everywhere, custom data and marks reach every device, other devices hear them at once and
//! at sync, and conversations the user does not have, custom data over 256 bytes and mark types
//! that are not Tencent's are refused.

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::{Change, GroupType};
use mynah_proto::requests::{CreateGroupRequest, Platform};
use mynah_test_support::TestServer;

fn ids(list: &[mynah_proto::objects::Conversation]) -> Vec<&str> {
    list.iter().map(|conversation| conversation.conversation_id.as_str()).collect()
}

#[tokio::test]
async fn pinning_on_one_device_reorders_the_list_on_every_device() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (carol, _carol_events) = server.client("carol").await;
    let (bob_phone, mut bob_phone_events) = server.client_on("bob", Platform::Android).await;
    let (bob_desktop, mut bob_desktop_events) = server.client_on("bob", Platform::Windows).await;
    alice.send_text("bob", "first").await.unwrap();
    carol.send_text("bob", "second").await.unwrap();
    for _ in 0..2 {
        bob_phone_events.next_message().await;
        bob_desktop_events.next_message().await;
    }
    assert_eq!(ids(&bob_desktop.get_conversation_list().await.unwrap().conversation_list), ["C2Ccarol", "C2Calice"]);

    let pinned = bob_phone.pin_conversation("C2Calice", true).await.unwrap();
    assert!(pinned.is_pinned);
    assert_eq!(pinned.conversation_id, "C2Calice");
    let change = bob_desktop_events.next_change().await;
    assert_eq!(change.change, Change::ConversationPinned { conversation_id: "C2Calice".to_owned(), is_pinned: true });
    assert_eq!(bob_phone_events.next_change().await, change, "the pinning session hears it too");
    let listed = bob_desktop.get_conversation_list().await.unwrap().conversation_list;
    assert_eq!(ids(&listed), ["C2Calice", "C2Ccarol"], "pinned first");
    assert!(listed[0].is_pinned && !listed[1].is_pinned);
    // Pinning is bob's own: alice's conversation is not pinned.
    assert!(!alice.get_conversation("C2Cbob").await.unwrap().is_pinned);

    // Pinning again changes nothing and tells nobody: the next change is the unpin.
    bob_phone.pin_conversation("C2Calice", true).await.unwrap();
    let unpinned = bob_phone.pin_conversation("C2Calice", false).await.unwrap();
    assert!(!unpinned.is_pinned);
    let next = bob_desktop_events.next_change().await;
    assert_eq!(next.position, change.position + 1);
    assert_eq!(next.change, Change::ConversationPinned { conversation_id: "C2Calice".to_owned(), is_pinned: false });

    // A device that was offline learns both through sync.
    drop(bob_desktop);
    let (bob_tablet, _events) = server.client_on("bob", Platform::Ios).await;
    let synced = bob_tablet.sync(change.position - 1).await.unwrap();
    assert_eq!(synced.changes, vec![change, next]);
    assert_eq!(ids(&bob_tablet.get_conversation_list().await.unwrap().conversation_list), ["C2Ccarol", "C2Calice"]);
}

#[tokio::test]
async fn pinning_refuses_conversations_the_user_does_not_have() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let group = alice
        .create_group(CreateGroupRequest {
            group_type: GroupType::Work,
            name: "team".to_owned(),
            group_id: None,
            member_list: Vec::new(),
            introduction: String::new(),
            notification: String::new(),
            avatar: String::new(),
            join_option: None,
            max_member_num: None,
        })
        .await
        .unwrap();

    let code = |result: Result<_, mynah_client::ClientError>| result.unwrap_err().code();
    assert_eq!(code(bob.pin_conversation("", true).await), Some(ErrorCode::C2C_INVALID_REQUEST));
    assert_eq!(code(bob.pin_conversation("C2C", true).await), Some(ErrorCode::C2C_INVALID_REQUEST));
    assert_eq!(code(bob.pin_conversation("nonsense", true).await), Some(ErrorCode::C2C_INVALID_REQUEST));
    // No message with alice yet: bob has no such conversation.
    assert_eq!(code(bob.pin_conversation("C2Calice", true).await), Some(ErrorCode::C2C_INVALID_REQUEST));
    let group_conversation = format!("GROUP{}", group.group_id);
    assert_eq!(code(bob.pin_conversation(&group_conversation, true).await), Some(ErrorCode::GROUP_NO_PERMISSION));
    assert_eq!(code(bob.pin_conversation("GROUPno-such-group", true).await), Some(ErrorCode::GROUP_NOT_FOUND));
    // The owner has the group's conversation from its creation.
    assert!(alice.pin_conversation(&group_conversation, true).await.unwrap().is_pinned);
    assert_eq!(bob.sync(0).await.unwrap().changes, Vec::new(), "nothing was appended for bob");
}

#[tokio::test]
async fn custom_data_reaches_every_device_and_is_capped_at_256_bytes() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob_phone, mut bob_phone_events) = server.client_on("bob", Platform::Android).await;
    let (bob_desktop, mut bob_desktop_events) = server.client_on("bob", Platform::Windows).await;
    alice.send_text("bob", "hello").await.unwrap();
    bob_phone_events.next_message().await;
    bob_desktop_events.next_message().await;

    let result = bob_phone.set_conversation_custom_data(&["C2Calice", "C2Cdave", "bad"], "tag:work").await.unwrap();
    assert_eq!(result.success_conversation_id_list, ["C2Calice"]);
    let failures: Vec<(&str, u32)> = result
        .failure_conversation_id_list
        .iter()
        .map(|failure| (failure.conversation_id.as_str(), failure.code))
        .collect();
    assert_eq!(failures, [("C2Cdave", 20001), ("bad", 20001)]);
    let change = bob_desktop_events.next_change().await;
    assert_eq!(
        change.change,
        Change::ConversationCustomData { conversation_id: "C2Calice".to_owned(), custom_data: "tag:work".to_owned() }
    );
    assert_eq!(bob_desktop.get_conversation("C2Calice").await.unwrap().custom_data, "tag:work");
    assert_eq!(alice.get_conversation("C2Cbob").await.unwrap().custom_data, "", "custom data is bob's own");

    // 256 bytes are accepted, 257 refused as a whole; '' clears.
    let longest = "数".repeat(85) + "a";
    assert_eq!(longest.len(), 256);
    bob_phone.set_conversation_custom_data(&["C2Calice"], &longest).await.unwrap();
    let refused = bob_phone.set_conversation_custom_data(&["C2Calice"], &(longest.clone() + "b")).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::C2C_INVALID_REQUEST));
    assert_eq!(bob_desktop.get_conversation("C2Calice").await.unwrap().custom_data, longest);
    let empty = bob_phone.set_conversation_custom_data(&[], "x").await.unwrap_err();
    assert_eq!(empty.code(), Some(ErrorCode::C2C_INVALID_REQUEST));
    let many: Vec<String> = (0..101).map(|index| format!("C2Cuser{index}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let too_many = bob_phone.set_conversation_custom_data(&many, "x").await.unwrap_err();
    assert_eq!(too_many.code(), Some(ErrorCode::C2C_INVALID_REQUEST));
    bob_phone.set_conversation_custom_data(&["C2Calice"], "").await.unwrap();
    assert_eq!(bob_desktop.get_conversation("C2Calice").await.unwrap().custom_data, "");

    // A device that was offline learns every change through sync.
    let synced = bob_desktop.sync(change.position - 1).await.unwrap();
    let values: Vec<&Change> = synced.changes.iter().map(|entry| &entry.change).collect();
    assert_eq!(values.len(), 3, "set, set to the longest, cleared: {values:?}");
}

#[tokio::test]
async fn marks_reach_every_device_and_bad_mark_types_are_refused() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob_phone, mut bob_phone_events) = server.client_on("bob", Platform::Android).await;
    let (bob_desktop, mut bob_desktop_events) = server.client_on("bob", Platform::Windows).await;
    alice.send_text("bob", "hello").await.unwrap();
    bob_phone_events.next_message().await;
    bob_desktop_events.next_message().await;

    let star = bob_phone.mark_conversation(&["C2Calice", "C2Cdave"], 1.0, true).await.unwrap();
    assert_eq!(star.success_conversation_id_list, ["C2Calice"]);
    assert_eq!(star.failure_conversation_id_list[0].code, 20001);
    let change = bob_desktop_events.next_change().await;
    assert_eq!(
        change.change,
        Change::ConversationMarked { conversation_id: "C2Calice".to_owned(), mark_list: vec![1] }
    );
    // The highest custom mark, 2^63, as JavaScript writes it.
    let highest: f64 = serde_json::from_str("9223372036854776000").unwrap();
    bob_phone.mark_conversation(&["C2Calice"], highest, true).await.unwrap();
    let next = bob_desktop_events.next_change().await;
    assert_eq!(
        next.change,
        Change::ConversationMarked { conversation_id: "C2Calice".to_owned(), mark_list: vec![1, 1 << 63] }
    );
    bob_phone.mark_conversation(&["C2Calice"], 1.0, false).await.unwrap();
    assert_eq!(bob_desktop.get_conversation("C2Calice").await.unwrap().mark_list, vec![1u64 << 63]);
    assert_eq!(alice.get_conversation("C2Cbob").await.unwrap().mark_list, Vec::<u64>::new(), "marks are bob's own");

    for bad in [0.0, 3.0, 16.0, 2f64.powi(31), 2f64.powi(64), -1.0, 1.5, f64::MAX] {
        let refused = bob_phone.mark_conversation(&["C2Calice"], bad, true).await.unwrap_err();
        assert_eq!(refused.code(), Some(ErrorCode::C2C_INVALID_REQUEST), "markType {bad}");
    }
    let empty = bob_phone.mark_conversation(&[], 1.0, true).await.unwrap_err();
    assert_eq!(empty.code(), Some(ErrorCode::C2C_INVALID_REQUEST));
}
