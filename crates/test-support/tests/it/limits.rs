//! Send-rate limits: 40 messages per second per group with priority (over it: success for the
//! sender, nothing stored or delivered), the optional per-user rate (60007), and the connection cap.

use mynah_client::text_message;
use mynah_proto::codes::ErrorCode;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::{GroupType, MessagePriority};
use mynah_proto::requests::{CreateGroupRequest, GetMessageListRequest};
use mynah_test_support::TestServer;

fn meeting(group_id: &str) -> CreateGroupRequest {
    CreateGroupRequest {
        group_type: GroupType::Meeting,
        name: group_id.to_owned(),
        group_id: Some(group_id.to_owned()),
        member_list: Vec::new(),
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
        join_option: None,
        max_member_num: None,
    }
}

#[tokio::test]
async fn a_flooded_group_drops_low_priority_first_and_reports_success() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    alice.create_group(meeting("busy")).await.unwrap();

    let sends = (0..60).map(|index| {
        let mut request = text_message(ConversationType::Group, "busy", &format!("low {index}"));
        request.priority = MessagePriority::Lowest;
        alice.send_message(request)
    });
    let results = futures_util::future::join_all(sends).await;
    let results: Vec<_> =
        results.into_iter().map(|result| result.expect("a rate-dropped send still succeeds")).collect();
    let stored = results.iter().filter(|result| result.message.sequence > 0).count();
    // Lowest may use a quarter of 40 per second; a burst can straddle two seconds.
    assert!((10..=20).contains(&stored), "{stored} lowest-priority messages stored");

    let mut high = text_message(ConversationType::Group, "busy", "important");
    high.priority = MessagePriority::High;
    let important = alice.send_message(high).await.unwrap();
    assert!(important.message.sequence > 0, "high priority still gets through");

    let history = alice
        .get_message_list(GetMessageListRequest {
            conversation_id: "GROUPbusy".to_owned(),
            before_sequence: None,
            after_sequence: Some(0),
            count: Some(100),
        })
        .await
        .unwrap();
    assert_eq!(history.message_list.len(), stored + 1, "dropped messages are not stored");
}

#[tokio::test]
async fn a_resend_over_the_group_rate_gets_the_stored_original() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    alice.create_group(meeting("resends")).await.unwrap();
    let lowest = |text: &str| {
        let mut request = text_message(ConversationType::Group, "resends", text);
        request.priority = MessagePriority::Lowest;
        request
    };
    let original = lowest("stored first");
    let stored = alice.send_message(original.clone()).await.unwrap();
    assert!(stored.message.sequence > 0);

    // Use up the second's budget for the lowest priority, then resend the stored message.
    let fillers = (0..30).map(|index| alice.send_message(lowest(&format!("filler {index}"))));
    futures_util::future::join_all(fillers).await;
    let resent = alice.send_message(original).await.unwrap();

    assert!(resent.duplicate, "a resend of a stored message is a duplicate, not a new unstored message");
    assert_eq!(resent.message.sequence, stored.message.sequence);
    assert_eq!(resent.message.id, stored.message.id);
}

#[tokio::test]
async fn the_per_user_send_rate_is_enforced_when_configured() {
    let server = TestServer::start_with(|config| config.user_messages_per_second = 5).await;
    let (alice, _events) = server.client("alice").await;
    let mut refused = 0;
    for index in 0..12 {
        match alice.send_text("bob", &format!("m{index}")).await {
            Ok(_) => {}
            Err(error) => {
                assert_eq!(error.code(), Some(ErrorCode::RATE_LIMITED));
                refused += 1;
            }
        }
    }
    assert!(refused >= 5, "{refused} refused");
    // Other users have their own budget.
    let (carol, _carol_events) = server.client("carol").await;
    carol.send_text("bob", "fine").await.unwrap();
}

#[tokio::test]
async fn connections_over_the_cap_are_refused_and_others_keep_working() {
    let server = TestServer::start_with(|config| config.max_connections = 2).await;
    let (alice, _alice_events) = server.client("alice").await;
    let (_bob, mut bob_events) = server.client("bob").await;
    let options = mynah_client::ClientOptions::new(
        server.ws_url(),
        mynah_test_support::APP_ID,
        "carol",
        server.user_sig("carol"),
    );
    match server.login(options.clone()).await {
        Err(mynah_client::ClientError::Connection(reason)) => assert!(reason.contains("503"), "{reason}"),
        Err(other) => panic!("expected a refused connection, got {other}"),
        Ok(_) => panic!("a third connection was accepted over a cap of 2"),
    }
    alice.send_text("bob", "still served").await.unwrap();
    bob_events.next_message().await;
    // A freed slot is usable again.
    drop(alice);
    let deadline = tokio::time::Instant::now() + mynah_test_support::WAIT;
    loop {
        match server.login(options.clone()).await {
            Ok(_) => break,
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await
            }
            Err(error) => panic!("the freed slot was never reusable: {error}"),
        }
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_others_are_unaffected() {
    use futures_util::{SinkExt, StreamExt};
    use mynah_client::Event;
    use mynah_proto::frames::Push;
    use tokio_tungstenite::tungstenite::Message as Frame;

    let server = TestServer::start_with(|config| config.write_timeout_seconds = 1).await;
    let (alice, _alice_events) = server.client("alice").await;
    let (_carol_phone, mut carol_phone_events) =
        server.client_on("carol", mynah_proto::requests::Platform::Android).await;

    // Carol's web session logs in by hand, with a small socket receive buffer, and then never reads.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.address).await.unwrap();
    let (mut stalled, _) = tokio_tungstenite::client_async(server.ws_url(), stream).await.unwrap();
    let login = serde_json::json!({"id": 1, "op": "login", "data": {
        "sdkAppID": mynah_test_support::APP_ID, "userID": "carol", "userSig": server.user_sig("carol"),
        "platform": "web", "protocolVersion": 1}});
    stalled.send(Frame::text(login.to_string())).await.unwrap();

    let filler = "x".repeat(10_000);
    let flood = 1_500;
    for _ in 0..flood {
        let mut request = text_message(ConversationType::C2c, "carol", &filler);
        request.online_user_only = true;
        alice.send_message(request).await.unwrap();
    }
    let last = alice.send_text("carol", "after the flood").await.unwrap();

    // The reading session keeps up and stays connected.
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), carol_phone_events.receiver.recv()).await {
            Ok(Some(Event::Push(Push::Message(message)))) if message.id == last.id => break,
            Ok(Some(Event::Push(_))) => continue,
            other => panic!("the reading session should get every message, got {other:?}"),
        }
    }

    // The stalled session's task gave up on its full socket without any help from the client.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let metrics = reqwest::get(server.http_url("/metrics")).await.unwrap().text().await.unwrap();
        if metrics.lines().any(|line| line.starts_with("mynah_slow_consumers_dropped_total") && !line.ends_with(" 0")) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the stalled session was never dropped:\n{metrics}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Reading now ends before the flood's end.
    let mut frames = 0;
    let drained = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(Ok(frame)) = stalled.next().await {
            if matches!(frame, Frame::Close(_)) {
                break;
            }
            frames += 1;
        }
    })
    .await;
    assert!(drained.is_ok(), "the stalled connection was never closed");
    // What was left for it is bounded by the capped socket send buffer (128 KiB, which Linux
    // doubles), not by the kernel's 4 MiB autotuning: under 1 MiB of these 10 KB messages.
    assert!(frames < 100, "the stalled session got {frames} frames of 10 KB: its socket buffers were not capped");
}
