//! `openim` one-to-one messages: sends reach the SDKs as pushes, retries store once, imports keep
//! their time, history pages by time, read marks and unread counts follow.

use std::time::Duration;

use mynah_proto::objects::Change;
use mynah_proto::requests::{GetMessageListRequest, Platform};
use mynah_test_support::TestServer;
use serde_json::{Value, json};

use super::{ADMIN, Rest, next_change_where, text};

const QUIET: Duration = Duration::from_millis(300);

fn send(from: Option<&str>, to: &str, random: u64, body: Value) -> Value {
    let mut request = json!({ "To_Account": to, "MsgRandom": random, "MsgBody": body });
    if let Some(from) = from {
        request["From_Account"] = json!(from);
    }
    request
}

async fn history(client: &mynah_client::Client, conversation_id: &str) -> Vec<mynah_proto::objects::Message> {
    let request = GetMessageListRequest {
        conversation_id: conversation_id.to_owned(),
        before_sequence: None,
        after_sequence: None,
        count: Some(100),
    };
    client.get_message_list(request).await.unwrap().message_list
}

#[tokio::test]
async fn sendmsg_reaches_the_receiver_and_the_senders_devices_when_asked() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (alice, mut alice_events) = server.client_on("alice", Platform::Web).await;
    let (bob, mut bob_events) = server.client("bob").await;

    // SyncOtherMachine 1: bob and alice's own devices get it.
    let mut request = send(Some("alice"), "bob", 7, text("hello"));
    request["SyncOtherMachine"] = json!(1);
    request["CloudCustomData"] = json!("custom");
    let reply = rest.ok("openim/sendmsg", request.clone()).await;
    let received = bob_events.next_message().await;
    assert_eq!((received.from.as_str(), received.to.as_str(), received.sequence), ("alice", "bob", 1));
    assert_eq!(received.cloud_custom_data, "custom");
    assert_eq!(alice_events.next_message().await, received, "the sender's devices are synced");
    assert_eq!(reply["MsgKey"], format!("1_7_{}", received.time));
    assert_eq!(reply["MsgTime"], received.time);
    assert_eq!(reply["MsgId"], received.id);

    // A retried call (same MsgRandom, same content) stores nothing new and pushes nothing.
    let again = rest.ok("openim/sendmsg", request).await;
    assert_eq!(again["MsgKey"], reply["MsgKey"]);
    bob_events.expect_quiet(QUIET).await;

    // SyncOtherMachine 2 (and absent): not to the sender's devices.
    let mut request = send(Some("alice"), "bob", 8, text("only bob"));
    request["SyncOtherMachine"] = json!(2);
    rest.ok("openim/sendmsg", request).await;
    assert_eq!(bob_events.next_message().await.sequence, 2);
    alice_events.expect_quiet(QUIET).await;

    // Without From_Account the administrator speaks.
    rest.ok("openim/sendmsg", send(None, "bob", 9, text("from the admin"))).await;
    let from_admin = bob_events.next_message().await;
    assert_eq!((from_admin.from.as_str(), from_admin.sequence), (ADMIN, 1), "its own conversation with bob");

    assert_eq!(history(&bob, "C2Calice").await.len(), 2, "stored once despite the retry");
    assert_eq!(history(&alice, "C2Cbob").await.len(), 2);
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 3);
}

#[tokio::test]
async fn send_options_map_onto_message_options() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice"]).await;
    let (bob, mut bob_events) = server.client("bob").await;

    let mut online = send(Some("alice"), "bob", 1, text("online only"));
    online["OnlineOnlyFlag"] = json!(1);
    rest.ok("openim/sendmsg", online).await;
    let pushed = bob_events.next_message().await;
    assert!(pushed.online_only && pushed.sequence == 0, "{pushed:?}");
    let mut lifetime_zero = send(Some("alice"), "bob", 2, text("also online only"));
    lifetime_zero["MsgLifeTime"] = json!(0);
    rest.ok("openim/sendmsg", lifetime_zero).await;
    assert!(bob_events.next_message().await.online_only);

    let mut quiet = send(Some("alice"), "bob", 3, text("not unread"));
    quiet["SendMsgControl"] = json!(["NoUnread", "NoLastMsg"]);
    quiet["IsNeedReadReceipt"] = json!(1);
    rest.ok("openim/sendmsg", quiet).await;
    let stored = bob_events.next_message().await;
    assert!(stored.excluded_from_unread_count && stored.excluded_from_last_message && stored.need_read_receipt);
    assert_eq!(stored.sequence, 1, "online-only messages took no sequence");
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 0);
}

#[tokio::test]
async fn batchsendmsg_reaches_each_receiver_and_reports_the_rest() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice", "carol"]).await;
    let (_bob, mut bob_events) = server.client("bob").await;
    let (_carol, mut carol_events) = server.client("carol").await;

    let reply = rest
        .ok("openim/batchsendmsg", json!({ "From_Account": "alice", "To_Account": ["bob", "ghost", "carol"], "MsgRandom": 5, "MsgBody": text("news") }))
        .await;
    assert_eq!(reply["ErrorList"], json!([{ "To_Account": "ghost", "ErrorCode": 70107 }]));
    let keys = reply["MsgKeyList"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    for events in [&mut bob_events, &mut carol_events] {
        let message = events.next_message().await;
        assert_eq!((message.from.as_str(), message.sequence), ("alice", 1));
        let key = keys.iter().find(|key| key["To_Account"] == message.to).unwrap();
        assert_eq!(key["MsgKey"], format!("1_5_{}", message.time));
    }
    assert_eq!(reply["MsgKey"], keys[0]["MsgKey"]);
}

#[tokio::test]
async fn importmsg_keeps_the_time_and_pushes_only_real_time_imports() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice"]).await;
    let (bob, mut bob_events) = server.client("bob").await;
    let past = 1_600_000_000;

    let import = |sync: u32, random: u64, time: u64| json!({ "SyncFromOldSystem": sync, "From_Account": "alice", "To_Account": "bob", "MsgRandom": random, "MsgTimeStamp": time, "MsgBody": text("old") });
    rest.ok("openim/importmsg", import(2, 1, past)).await;
    rest.ok("openim/importmsg", import(2, 1, past)).await;
    bob_events.expect_quiet(QUIET).await;
    let stored = history(&bob, "C2Calice").await;
    assert_eq!(stored.len(), 1, "an import retried is stored once");
    assert_eq!((stored[0].time, stored[0].excluded_from_unread_count), (past, true));
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 0, "history imports are not unread");

    rest.ok("openim/importmsg", import(5, 2, past + 10)).await;
    let pushed = bob_events.next_message().await;
    assert_eq!((pushed.time, pushed.sequence), (past + 10, 2));
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 1);
}

#[tokio::test]
async fn admin_getroammsg_pages_a_time_range_from_the_newest() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice", "bob"]).await;
    // An imported message far in the past, then five live ones.
    let old = json!({ "SyncFromOldSystem": 2, "From_Account": "bob", "To_Account": "alice", "MsgRandom": 100, "MsgTimeStamp": 1_600_000_000, "MsgBody": text("old") });
    rest.ok("openim/importmsg", old).await;
    for index in 1..=5 {
        rest.ok("openim/sendmsg", send(Some("alice"), "bob", index, text(&format!("m{index}")))).await;
    }
    let now = super::now_seconds();
    let page = |last: Option<&str>| {
        let mut request = json!({ "Operator_Account": "bob", "Peer_Account": "alice", "MaxCnt": 2, "MinTime": now - 3600, "MaxTime": now + 3600 });
        if let Some(last) = last {
            request["LastMsgKey"] = json!(last);
        }
        request
    };
    let texts = |reply: &Value| -> Vec<String> {
        reply["MsgList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|message| message["MsgBody"][0]["MsgContent"]["Text"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = rest.ok("openim/admin_getroammsg", page(None)).await;
    assert_eq!(
        (texts(&first), first["Complete"].clone(), first["MsgCnt"].clone()),
        (vec!["m4".to_owned(), "m5".to_owned()], json!(0), json!(2))
    );
    assert_eq!(first["LastMsgKey"], first["MsgList"][0]["MsgKey"]);
    assert_eq!(first["MsgList"][0]["From_Account"], "alice");
    assert_eq!(first["MsgList"][0]["MsgFlagBits"], 0);
    let second = rest.ok("openim/admin_getroammsg", page(first["LastMsgKey"].as_str())).await;
    assert_eq!(texts(&second), ["m2", "m3"]);
    let third = rest.ok("openim/admin_getroammsg", page(second["LastMsgKey"].as_str())).await;
    assert_eq!(
        (texts(&third), third["Complete"].clone()),
        (vec!["m1".to_owned()], json!(1)),
        "the old import is outside the range"
    );

    // The older field names work, from the other side.
    let everything = rest
        .ok(
            "openim/admin_getroammsg",
            json!({ "From_Account": "alice", "To_Account": "bob", "MaxCnt": 100, "MinTime": 0, "MaxTime": now + 3600 }),
        )
        .await;
    assert_eq!(texts(&everything), ["old", "m1", "m2", "m3", "m4", "m5"]);
}

#[tokio::test]
async fn read_marks_and_unread_counts_follow_the_rest_api() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice", "carol"]).await;
    let (bob, mut bob_events) = server.client("bob").await;
    for (from, random) in [("alice", 1), ("alice", 2), ("carol", 3)] {
        rest.ok("openim/sendmsg", send(Some(from), "bob", random, text("unread"))).await;
    }
    let counts = rest
        .ok("openim/get_c2c_unread_msg_num", json!({ "To_Account": "bob", "Peer_Account": ["alice", "ghost"] }))
        .await;
    assert_eq!(counts["AllC2CUnreadMsgNum"], 3);
    assert_eq!(counts["C2CUnreadMsgNumList"], json!([{ "Peer_Account": "alice", "C2CUnreadMsgNum": 2 }]));
    assert_eq!(counts["ErrorList"], json!([{ "Peer_Account": "ghost", "ErrorCode": 70107 }]));

    rest.ok("openim/admin_set_msg_read", json!({ "Report_Account": "bob", "Peer_Account": "alice" })).await;
    let read = next_change_where(&mut bob_events, |change| matches!(change, Change::ConversationRead { .. })).await;
    assert_eq!(
        read.change,
        Change::ConversationRead {
            conversation_id: "C2Calice".to_owned(),
            read_sequence: 2,
            unread_count: 0,
            read_counted_index: 2
        }
    );
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 1);
    let counts = rest.ok("openim/get_c2c_unread_msg_num", json!({ "To_Account": "bob" })).await;
    assert_eq!(counts["AllC2CUnreadMsgNum"], 1);
    // Nothing was ever said between them: nothing to read, and no error.
    rest.ok("openim/admin_set_msg_read", json!({ "Report_Account": "bob", "Peer_Account": "dave" })).await;
}

#[tokio::test]
async fn bad_message_requests_get_the_openim_codes() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice", "bob"]).await;
    let long = "x".repeat(13 * 1024);
    let cases = [
        (json!({ "MsgRandom": 1, "MsgBody": text("x") }), 90003),
        (send(Some("alice"), "ghost", 1, text("x")), 90003),
        (send(Some("ghost"), "bob", 1, text("x")), 90008),
        (json!({ "To_Account": "bob", "MsgBody": text("x") }), 90005),
        (send(None, "bob", 1 << 32, text("x")), 90005),
        (json!({ "To_Account": "bob", "MsgRandom": 1 }), 90002),
        (send(None, "bob", 1, json!([])), 90002),
        (send(None, "bob", 1, json!({ "MsgType": "TIMTextElem" })), 90002),
        (send(None, "bob", 1, json!([{ "MsgType": "TIMNoSuchElem", "MsgContent": {} }])), 90002),
        (send(None, "bob", 1, text(&long)), 93000),
        (json!({ "To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x"), "MsgLifeTime": 604_801 }), 90026),
    ];
    for (request, code) in cases {
        rest.fails("openim/sendmsg", request, code).await;
    }
    let many: Vec<String> = (0..501).map(|index| format!("user{index}")).collect();
    rest.fails("openim/batchsendmsg", json!({ "To_Account": many, "MsgRandom": 1, "MsgBody": text("x") }), 90011).await;
    rest.fails("openim/batchsendmsg", json!({ "To_Account": [], "MsgRandom": 1, "MsgBody": text("x") }), 90003).await;

    let import = |sync: Value, time: Value| json!({ "SyncFromOldSystem": sync, "From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgTimeStamp": time, "MsgBody": text("x") });
    rest.fails("openim/importmsg", import(json!(3), json!(1_600_000_000)), 90001).await;
    rest.fails("openim/importmsg", import(json!(2), json!(null)), 90006).await;
    rest.fails("openim/importmsg", import(json!(2), json!(4_000_000_000u64)), 90006).await;
    let valid = import(json!(2), json!(1_600_000_000));
    let without = |field: &str| {
        let mut request = valid.clone();
        request.as_object_mut().unwrap().remove(field);
        request
    };
    rest.fails("openim/importmsg", without("From_Account"), 90008).await;
    rest.fails("openim/importmsg", without("To_Account"), 90003).await;
    rest.fails("openim/importmsg", without("MsgRandom"), 90005).await;
    rest.fails("openim/importmsg", without("MsgBody"), 90002).await;
    let mut ghost = valid.clone();
    ghost["To_Account"] = json!("ghost");
    rest.fails("openim/importmsg", ghost, 90003).await;
    let mut long = valid.clone();
    long["MsgBody"] = text(&"x".repeat(13 * 1024));
    rest.fails("openim/importmsg", long, 93000).await;

    let roam = |extra: Value| {
        let mut request =
            json!({ "Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 10, "MinTime": 0, "MaxTime": 10 });
        for (key, value) in extra.as_object().unwrap() {
            request[key] = value.clone();
        }
        request
    };
    rest.fails("openim/admin_getroammsg", roam(json!({ "MaxCnt": 0 })), 90001).await;
    rest.fails("openim/admin_getroammsg", roam(json!({ "MinTime": 11 })), 90001).await;
    rest.fails("openim/admin_getroammsg", roam(json!({ "LastMsgKey": "nope" })), 90054).await;
    rest.fails("openim/admin_getroammsg", roam(json!({ "Operator_Account": "" })), 90008).await;
    rest.fails("openim/admin_getroammsg", roam(json!({ "Peer_Account": "" })), 90003).await;
    rest.fails("openim/admin_getroammsg", roam(json!({ "MaxTime": null })), 90001).await;
    let peers: Vec<String> = (0..11).map(|index| format!("user{index}")).collect();
    rest.fails("openim/get_c2c_unread_msg_num", json!({ "To_Account": "bob", "Peer_Account": peers }), 90001).await;
    rest.fails("openim/get_c2c_unread_msg_num", json!({ "To_Account": "ghost" }), 90003).await;
    rest.fails("openim/get_c2c_unread_msg_num", json!({ "Peer_Account": ["alice"] }), 90003).await;
    rest.fails("openim/admin_set_msg_read", json!({ "Report_Account": "bob" }), 90001).await;
    rest.fails("openim/admin_set_msg_read", json!({ "Peer_Account": "bob" }), 90001).await;
}

#[tokio::test]
async fn admin_set_msg_read_honours_msg_read_time() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice"]).await;
    let (bob, mut bob_events) = server.client("bob").await;
    let past = 1_600_000_000;
    // Three real-time imports (they count as unread) at known times, 100 s apart.
    for (random, time) in [(1, past), (2, past + 100), (3, past + 200)] {
        let import = json!({ "SyncFromOldSystem": 5, "From_Account": "alice", "To_Account": "bob", "MsgRandom": random, "MsgTimeStamp": time, "MsgBody": text("old") });
        rest.ok("openim/importmsg", import).await;
    }
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 3);

    // Read up to a time between the second and the third message: the first two are read.
    let request = json!({ "Report_Account": "bob", "Peer_Account": "alice", "MsgReadTime": past + 150 });
    rest.ok("openim/admin_set_msg_read", request).await;
    let read = next_change_where(&mut bob_events, |change| matches!(change, Change::ConversationRead { .. })).await;
    assert_eq!(
        read.change,
        Change::ConversationRead {
            conversation_id: "C2Calice".to_owned(),
            read_sequence: 2,
            unread_count: 1,
            read_counted_index: 2
        }
    );
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 1);

    // A time before every unread message moves nothing; the exact time of the third reads it.
    let request = json!({ "Report_Account": "bob", "Peer_Account": "alice", "MsgReadTime": past - 1 });
    rest.ok("openim/admin_set_msg_read", request).await;
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 1);
    let request = json!({ "Report_Account": "bob", "Peer_Account": "alice", "MsgReadTime": past + 200 });
    rest.ok("openim/admin_set_msg_read", request).await;
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 0);
}
