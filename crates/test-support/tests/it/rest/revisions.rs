//! Recall (`admin_msgwithdraw`) and edit (`modify_c2c_msg`): the message stays, revoked or with its
//! new content, and both users learn it, live or at their next sync.

use mynah_proto::elements::MsgElement;
use mynah_proto::objects::Change;
use mynah_proto::requests::GetMessageListRequest;
use mynah_test_support::TestServer;
use serde_json::json;

use super::{Rest, next_change_where, text};

async fn send(rest: &Rest, random: u64, body: &str) -> String {
    let reply = rest
        .ok(
            "openim/sendmsg",
            json!({ "From_Account": "alice", "To_Account": "bob", "MsgRandom": random, "MsgBody": text(body) }),
        )
        .await;
    reply["MsgKey"].as_str().unwrap().to_owned()
}

async fn first_message(client: &mynah_client::Client, conversation_id: &str) -> mynah_proto::objects::Message {
    let request = GetMessageListRequest {
        conversation_id: conversation_id.to_owned(),
        before_sequence: None,
        after_sequence: None,
        count: Some(1),
    };
    client.get_message_list(request).await.unwrap().message_list.remove(0)
}

#[tokio::test]
async fn a_recall_reaches_users_online_now_and_offline_later() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["bob"]).await;
    let (alice, mut alice_events) = server.client("alice").await;
    let key = send(&rest, 11, "oops").await;

    rest.ok("openim/admin_msgwithdraw", json!({ "From_Account": "alice", "To_Account": "bob", "MsgKey": key })).await;
    let live = next_change_where(&mut alice_events, |change| matches!(change, Change::MessageRevoked { .. })).await;
    let Change::MessageRevoked { conversation_id, message_id, sequence } = &live.change else { unreachable!() };
    assert_eq!((conversation_id.as_str(), *sequence), ("C2Cbob", 1));
    assert!(first_message(&alice, "C2Cbob").await.is_revoked, "the message stays, marked revoked");

    // bob was offline: the recall waits in his change stream.
    let (bob, _bob_events) = server.client("bob").await;
    let synced = bob.sync(0).await.unwrap();
    let revoked: Vec<_> =
        synced.changes.iter().filter(|entry| matches!(entry.change, Change::MessageRevoked { .. })).collect();
    assert_eq!(revoked.len(), 1, "{synced:?}");
    assert_eq!(
        revoked[0].change,
        Change::MessageRevoked { conversation_id: "C2Calice".to_owned(), message_id: message_id.clone(), sequence: 1 }
    );
    let message = first_message(&bob, "C2Calice").await;
    assert!(message.is_revoked);
    assert_eq!(&message.id, message_id);

    let roam = rest.ok("openim/admin_getroammsg", json!({ "Operator_Account": "bob", "Peer_Account": "alice", "MaxCnt": 10, "MinTime": 0, "MaxTime": 4_000_000_000u64 })).await;
    assert_eq!(roam["MsgList"][0]["MsgFlagBits"], 8);

    let withdraw = |key: &str| json!({ "From_Account": "alice", "To_Account": "bob", "MsgKey": key });
    rest.fails("openim/admin_msgwithdraw", withdraw(&key), 20023).await;
    let parts: Vec<&str> = key.split('_').collect();
    rest.fails("openim/admin_msgwithdraw", withdraw(&format!("{}_{}_{}", parts[0], 999, parts[2])), 20022).await;
    rest.fails("openim/admin_msgwithdraw", withdraw(&format!("7_{}_{}", parts[1], parts[2])), 20022).await;
    rest.fails("openim/admin_msgwithdraw", withdraw("0_1_2"), 90054).await;
    rest.fails("openim/admin_msgwithdraw", withdraw("abc"), 90054).await;
    rest.fails("openim/admin_msgwithdraw", json!({ "To_Account": "bob", "MsgKey": key }), 90008).await;
    rest.fails("openim/admin_msgwithdraw", json!({ "From_Account": "alice", "MsgKey": key }), 90003).await;
    rest.fails("openim/admin_msgwithdraw", json!({ "From_Account": "alice", "To_Account": "bob" }), 90054).await;
}

#[tokio::test]
async fn an_edit_replaces_the_content_for_both_users() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (alice, mut alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    let key = send(&rest, 12, "tpyo").await;
    bob_events.next_message().await;

    let edit = json!({ "From_Account": "alice", "To_Account": "bob", "MsgKey": key, "MsgBody": text("typo"), "CloudCustomData": "edited" });
    rest.ok("openim/modify_c2c_msg", edit).await;
    for events in [&mut alice_events, &mut bob_events] {
        let entry = next_change_where(events, |change| matches!(change, Change::MessageModified { .. })).await;
        let Change::MessageModified { sequence, message, .. } = entry.change else { unreachable!() };
        let message = message.expect("the edited message");
        assert_eq!(
            (sequence, message.msg_body, message.cloud_custom_data),
            (1, vec![MsgElement::text("typo")], "edited".to_owned())
        );
    }
    let custom_only =
        json!({ "From_Account": "alice", "To_Account": "bob", "MsgKey": key, "CloudCustomData": "again" });
    rest.ok("openim/modify_c2c_msg", custom_only).await;
    let stored = first_message(&bob, "C2Calice").await;
    assert_eq!((stored.msg_body, stored.cloud_custom_data.as_str()), (vec![MsgElement::text("typo")], "again"));
    assert_eq!(first_message(&alice, "C2Cbob").await.cloud_custom_data, "again");

    let edit = |extra: serde_json::Value| {
        let mut request = json!({ "From_Account": "alice", "To_Account": "bob", "MsgKey": key });
        for (name, value) in extra.as_object().unwrap() {
            request[name] = value.clone();
        }
        request
    };
    rest.fails("openim/modify_c2c_msg", edit(json!({})), 90001).await;
    rest.fails("openim/modify_c2c_msg", edit(json!({ "From_Account": "", "CloudCustomData": "x" })), 90008).await;
    rest.fails("openim/modify_c2c_msg", edit(json!({ "To_Account": "", "CloudCustomData": "x" })), 90003).await;
    rest.fails("openim/modify_c2c_msg", edit(json!({ "MsgKey": "", "CloudCustomData": "x" })), 90054).await;
    rest.fails("openim/modify_c2c_msg", edit(json!({ "MsgKey": "1_2", "CloudCustomData": "x" })), 90054).await;
    rest.fails("openim/modify_c2c_msg", edit(json!({ "MsgBody": [] })), 90002).await;
    rest.fails("openim/modify_c2c_msg", edit(json!({ "MsgBody": text(&"x".repeat(13 * 1024)) })), 93000).await;
    rest.fails("openim/modify_c2c_msg", edit(json!({ "MsgKey": "5_1_1", "CloudCustomData": "x" })), 20022).await;
    rest.ok("openim/admin_msgwithdraw", json!({ "From_Account": "alice", "To_Account": "bob", "MsgKey": key })).await;
    rest.fails("openim/modify_c2c_msg", edit(json!({ "CloudCustomData": "late" })), 20023).await;
}
