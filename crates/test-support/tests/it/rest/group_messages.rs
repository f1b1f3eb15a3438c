//! `group_open_http_svc`, messages: an administrator sends (as itself or as a user, member or
//! not), recalls, and reads a group's history.

use std::time::Duration;

use mynah_proto::objects::Change;
use mynah_test_support::TestServer;
use serde_json::{Value, json};

use super::{ADMIN, Rest, next_change_where, text};

async fn make_group(rest: &Rest) {
    rest.ok("group_open_http_svc/create_group", json!({ "Owner_Account": "alice", "Type": "Private", "Name": "team", "GroupId": "g1", "MemberList": [{ "Member_Account": "bob" }] }))
        .await;
}

fn send(random: u64, from: Option<&str>, body: Value) -> Value {
    let mut request = json!({ "GroupId": "g1", "Random": random, "MsgBody": body });
    if let Some(from) = from {
        request["From_Account"] = json!(from);
    }
    request
}

#[tokio::test]
async fn group_sends_reach_every_member_whoever_speaks() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["carol"]).await;
    let (_alice, mut alice_events) = server.client("alice").await;
    let (_bob, mut bob_events) = server.client("bob").await;
    make_group(&rest).await;

    let reply = rest.ok("group_open_http_svc/send_group_msg", send(1, None, text("from the admin"))).await;
    assert_eq!(reply["MsgSeq"], 1);
    for events in [&mut alice_events, &mut bob_events] {
        let message = events.next_message().await;
        assert_eq!((message.from.as_str(), message.to.as_str(), message.sequence), (ADMIN, "g1", 1));
        assert_eq!(reply["MsgTime"], message.time);
    }
    // A retried call stores and pushes nothing new.
    let again = rest.ok("group_open_http_svc/send_group_msg", send(1, None, text("from the admin"))).await;
    assert_eq!(again["MsgSeq"], 1);
    bob_events.expect_quiet(Duration::from_millis(300)).await;

    // As a member: every member's sessions get it, the named sender's included (no device sent it).
    rest.ok("group_open_http_svc/send_group_msg", send(2, Some("bob"), text("as bob"))).await;
    assert_eq!(bob_events.next_message().await.from, "bob");
    assert_eq!(alice_events.next_message().await.sequence, 2);
    // As an account that is not a member.
    let mut as_carol = send(3, Some("carol"), text("as carol"));
    as_carol["MsgPriority"] = json!("High");
    rest.ok("group_open_http_svc/send_group_msg", as_carol).await;
    let message = alice_events.next_message().await;
    assert_eq!((message.from.as_str(), message.sequence, message.priority.as_str()), ("carol", 3, "High"));

    let mut online = send(4, None, text("online only"));
    online["MsgOnlineOnlyFlag"] = json!(1);
    let reply = rest.ok("group_open_http_svc/send_group_msg", online).await;
    assert_eq!(reply["MsgSeq"], 0);
    assert!(alice_events.next_message().await.online_only);

    let cases = [
        (send(5, Some("ghost"), text("x")), 10019),
        (json!({ "GroupId": "nope", "Random": 1, "MsgBody": text("x") }), 10010),
        (json!({ "Random": 1, "MsgBody": text("x") }), 10004),
        (json!({ "GroupId": "g1", "MsgBody": text("x") }), 10004),
        (send(6, None, json!([])), 10004),
        (send(6, None, text(&"x".repeat(13 * 1024))), 80002),
        (json!({ "GroupId": "g1", "Random": 1, "MsgBody": text("x"), "MsgPriority": "Urgent" }), 10004),
    ];
    for (request, code) in cases {
        rest.fails("group_open_http_svc/send_group_msg", request, code).await;
    }
}

#[tokio::test]
async fn a_targeted_send_is_refused_and_stores_nothing() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (_alice, _) = server.client("alice").await;
    let (_bob, mut bob_events) = server.client("bob").await;
    make_group(&rest).await;

    let mut targeted = send(1, Some("alice"), text("for bob's eyes only"));
    targeted["To_Account"] = json!(["bob"]);
    rest.fails("group_open_http_svc/send_group_msg", targeted, 10004).await;
    let history =
        rest.ok("group_open_http_svc/group_msg_get_simple", json!({ "GroupId": "g1", "ReqMsgNumber": 20 })).await;
    assert_eq!(history["RspMsgList"], json!([]), "nothing was stored");

    // An empty list is no target at all: the message goes to everyone, with the next sequence 1.
    let mut everyone = send(2, None, text("for all"));
    everyone["To_Account"] = json!([]);
    assert_eq!(rest.ok("group_open_http_svc/send_group_msg", everyone).await["MsgSeq"], 1);
    // The first message bob's sessions get is that one: the refused one was never pushed either.
    let first = bob_events.next_message().await;
    assert_eq!((first.sequence, first.from.as_str()), (1, ADMIN));
}

#[tokio::test]
async fn group_recalls_and_history() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice"]).await;
    let (_bob, mut bob_events) = server.client("bob").await;
    make_group(&rest).await;
    for random in 1..=3 {
        rest.ok("group_open_http_svc/send_group_msg", send(random, Some("alice"), text(&format!("m{random}")))).await;
    }

    let reply = rest
        .ok(
            "group_open_http_svc/group_msg_recall",
            json!({ "GroupId": "g1", "MsgSeqList": [{ "MsgSeq": 2 }, { "MsgSeq": 99 }] }),
        )
        .await;
    assert_eq!(reply["RecallRetList"], json!([{ "MsgSeq": 2, "RetCode": 0 }, { "MsgSeq": 99, "RetCode": 10030 }]));
    let revoked = next_change_where(&mut bob_events, |change| matches!(change, Change::MessageRevoked { .. })).await;
    let Change::MessageRevoked { conversation_id, sequence, .. } = revoked.change else { unreachable!() };
    assert_eq!((conversation_id.as_str(), sequence), ("GROUPg1", 2));

    let get = |extra: Value| {
        let mut request = json!({ "GroupId": "g1", "ReqMsgNumber": 2 });
        for (name, value) in extra.as_object().unwrap() {
            request[name] = value.clone();
        }
        request
    };
    let seqs = |reply: &Value| -> Vec<u64> {
        reply["RspMsgList"].as_array().unwrap().iter().map(|message| message["MsgSeq"].as_u64().unwrap()).collect()
    };
    let newest = rest.ok("group_open_http_svc/group_msg_get_simple", get(json!({}))).await;
    assert_eq!((seqs(&newest), newest["IsFinished"].clone()), (vec![3], json!(0)), "the recalled message is left out");
    assert_eq!(newest["RspMsgList"][0]["MsgBody"], text("m3"));
    assert_eq!(newest["RspMsgList"][0]["From_Account"], "alice");
    let with_recalled = rest.ok("group_open_http_svc/group_msg_get_simple", get(json!({ "WithRecalledMsg": 1 }))).await;
    assert_eq!(seqs(&with_recalled), [3, 2]);
    assert_eq!(with_recalled["RspMsgList"][1]["IsPlaceMsg"], 2);
    assert_eq!(with_recalled["RspMsgList"][1]["MsgBody"], json!([]));
    let oldest = rest.ok("group_open_http_svc/group_msg_get_simple", get(json!({ "ReqMsgSeq": 1 }))).await;
    assert_eq!((seqs(&oldest), oldest["IsFinished"].clone()), (vec![1], json!(1)));

    rest.fails("group_open_http_svc/group_msg_get_simple", get(json!({ "ReqMsgNumber": 21 })), 10004).await;
    rest.fails("group_open_http_svc/group_msg_get_simple", json!({ "GroupId": "g1" }), 10004).await;
    rest.fails("group_open_http_svc/group_msg_get_simple", get(json!({ "GroupId": "nope" })), 10010).await;
    let eleven: Vec<Value> = (1..=11).map(|seq| json!({ "MsgSeq": seq })).collect();
    rest.fails("group_open_http_svc/group_msg_recall", json!({ "GroupId": "g1", "MsgSeqList": eleven }), 10004).await;
    rest.fails("group_open_http_svc/group_msg_recall", json!({ "GroupId": "g1", "MsgSeqList": [] }), 10004).await;
    rest.fails(
        "group_open_http_svc/group_msg_recall",
        json!({ "GroupId": "nope", "MsgSeqList": [{ "MsgSeq": 1 }] }),
        10010,
    )
    .await;
}
