//! Real-time delivery: every session of the receiver and the sender's other sessions get a message,
//! the sending session never does, and message fields arrive as sent.

use std::time::Duration;

use mynah_client::{message_request, text_message};
use mynah_proto::elements::{CustomElem, MsgElement};
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::MessagePriority;
use mynah_proto::requests::Platform;
use mynah_test_support::{OTHER_APP_ID, OTHER_APP_KEY, TestServer, user_sig};

const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn a_message_reaches_every_device_of_both_users_except_the_sending_one() {
    let server = TestServer::start().await;
    let (alice_desktop, mut alice_desktop_events) = server.client_on("alice", Platform::Linux).await;
    let (_alice_phone, mut alice_phone_events) = server.client_on("alice", Platform::Ios).await;
    let (_bob_phone, mut bob_phone_events) = server.client_on("bob", Platform::Android).await;
    let (_bob_web, mut bob_web_events) = server.client_on("bob", Platform::Web).await;

    let sent = alice_desktop.send_text("bob", "hello bob").await.unwrap();
    assert_eq!(sent.sequence, 1);
    assert_eq!(sent.from, "alice");
    assert_eq!(sent.to, "bob");

    for events in [&mut bob_phone_events, &mut bob_web_events, &mut alice_phone_events] {
        let received = events.next_message().await;
        assert_eq!(received, sent);
    }
    alice_desktop_events.expect_quiet(QUIET).await;
    bob_phone_events.expect_quiet(QUIET).await;
}

#[tokio::test]
async fn custom_messages_carry_their_fields_through() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (_bob, mut bob_events) = server.client("bob").await;

    let custom = MsgElement::TIMCustomElem(CustomElem {
        data: r#"{"order":42}"#.to_owned(),
        desc: "an order".to_owned(),
        ext: "ext".to_owned(),
        sound: String::new(),
    });
    let mut request = message_request(ConversationType::C2c, "bob", vec![custom.clone(), MsgElement::text("and text")]);
    request.cloud_custom_data = "cloud-data".to_owned();
    request.priority = MessagePriority::High;
    request.need_read_receipt = true;
    let sent = alice.send_message(request.clone()).await.unwrap().message;

    let received = bob_events.next_message().await;
    assert_eq!(received.msg_body, vec![custom, MsgElement::text("and text")]);
    assert_eq!(received.cloud_custom_data, "cloud-data");
    assert_eq!(received.priority, MessagePriority::High);
    assert!(received.need_read_receipt);
    assert_eq!(received.random, request.random);
    assert_eq!(received.id, format!("alice-{}", request.client_msg_id));
    assert_eq!(received, sent);
}

#[tokio::test]
async fn online_only_messages_are_delivered_but_never_stored() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;

    let mut request = text_message(ConversationType::C2c, "bob", "typing...");
    request.online_user_only = true;
    let sent = alice.send_message(request).await.unwrap().message;
    assert_eq!(sent.sequence, 0);
    assert!(bob_events.next_message().await.online_only);

    let history = bob.get_message_list(page("C2Calice", None)).await.unwrap();
    assert!(history.message_list.is_empty());
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 0);
}

#[tokio::test]
async fn apps_are_isolated_even_with_the_same_user_ids() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let other_bob_options = mynah_client::ClientOptions::new(
        server.ws_url(),
        OTHER_APP_ID,
        "bob",
        user_sig(OTHER_APP_ID, OTHER_APP_KEY, "bob", 600),
    );
    let (other_bob, mut other_bob_events) = server.login(other_bob_options).await.unwrap();
    let (_bob, mut bob_events) = server.client("bob").await;

    alice.send_text("bob", "for bob of app one").await.unwrap();
    bob_events.next_message().await;
    other_bob_events.expect_quiet(QUIET).await;
    assert!(other_bob.get_conversation_list().await.unwrap().conversation_list.is_empty());
    assert_eq!(
        other_bob.find_message("alice-x").await.unwrap_err().code(),
        Some(mynah_proto::codes::ErrorCode::MESSAGE_NOT_FOUND)
    );
}

pub fn page(conversation_id: &str, before: Option<u64>) -> mynah_proto::requests::GetMessageListRequest {
    mynah_proto::requests::GetMessageListRequest {
        conversation_id: conversation_id.to_owned(),
        before_sequence: before,
        after_sequence: None,
        count: None,
    }
}
