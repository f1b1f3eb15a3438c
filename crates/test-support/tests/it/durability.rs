//! Durability and idempotency: resends return the original, acknowledged messages survive a
//! restart, and limits are enforced with Tencent's codes without storing anything.

use mynah_client::{message_request, text_message};
use mynah_proto::codes::ErrorCode;
use mynah_proto::elements::{MAX_MESSAGE_BODY_BYTES, MsgElement};
use mynah_proto::ids::ConversationType;
use mynah_test_support::TestServer;

use crate::delivery::page;

#[tokio::test]
async fn a_resend_with_the_same_key_returns_the_original_and_stores_nothing() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    let request = text_message(ConversationType::C2c, "bob", "once");
    let first = alice.send_message(request.clone()).await.unwrap();
    assert!(!first.duplicate);
    let again = alice.send_message(request).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.message, first.message);

    bob_events.next_message().await;
    bob_events.expect_quiet(std::time::Duration::from_millis(300)).await;
    let history = bob.get_message_list(page("C2Calice", None)).await.unwrap();
    assert_eq!(history.message_list.len(), 1);
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 1);
}

#[tokio::test]
async fn acknowledged_messages_survive_a_restart() {
    let mut server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let sends = (0..50).map(|index| {
        let alice = &alice;
        async move { alice.send_text("bob", &format!("durable {index}")).await.unwrap() }
    });
    let acknowledged = futures_util::future::join_all(sends).await;
    drop(alice);
    server.restart().await;

    let (bob, _bob_events) = server.client("bob").await;
    let mut stored = Vec::new();
    let mut before = None;
    loop {
        let page = bob.get_message_list(page("C2Calice", before)).await.unwrap();
        before = page.message_list.first().map(|message| message.sequence);
        stored.splice(0..0, page.message_list);
        if page.is_completed {
            break;
        }
    }
    assert_eq!(stored.len(), 50);
    assert_eq!(stored.iter().map(|message| message.sequence).collect::<Vec<_>>(), (1..=50).collect::<Vec<_>>());
    for message in &acknowledged {
        assert!(stored.contains(message), "acknowledged message {} is stored", message.id);
    }
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 50);
}

#[tokio::test]
async fn bad_sends_get_tencents_codes_and_store_nothing() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;

    // Exactly at the 12 KB limit is fine; one byte over is 80002.
    let overhead = mynah_proto::elements::body_size(&[MsgElement::text("")], "");
    let at_limit = "x".repeat(MAX_MESSAGE_BODY_BYTES - overhead);
    alice.send_text("bob", &at_limit).await.unwrap();
    let over = format!("{at_limit}x");
    assert_eq!(alice.send_text("bob", &over).await.unwrap_err().code(), Some(ErrorCode::MESSAGE_TOO_LONG));
    let mut with_custom_data = text_message(ConversationType::C2c, "bob", "short");
    with_custom_data.cloud_custom_data = "c".repeat(MAX_MESSAGE_BODY_BYTES);
    assert_eq!(alice.send_message(with_custom_data).await.unwrap_err().code(), Some(ErrorCode::MESSAGE_TOO_LONG));

    let to_system = text_message(ConversationType::C2c, mynah_proto::ids::SYSTEM_CONVERSATION_ID, "hi");
    assert_eq!(alice.send_message(to_system).await.unwrap_err().code(), Some(ErrorCode::SYSTEM_CONVERSATION_READ_ONLY));
    let mut bad_key = text_message(ConversationType::C2c, "bob", "hi");
    bad_key.client_msg_id = "has-dash".to_owned();
    assert_eq!(alice.send_message(bad_key).await.unwrap_err().code(), Some(ErrorCode::C2C_INVALID_REQUEST));
    let empty = message_request(ConversationType::C2c, "bob", Vec::new());
    assert_eq!(alice.send_message(empty).await.unwrap_err().code(), Some(ErrorCode::C2C_INVALID_REQUEST));
    assert_eq!(alice.send_text(&"b".repeat(33), "hi").await.unwrap_err().code(), Some(ErrorCode::C2C_INVALID_USER));

    let history = alice.get_message_list(page("C2Cbob", None)).await.unwrap();
    assert_eq!(history.message_list.len(), 1, "only the message at the limit is stored");
}
