//! Sequences beyond anything stored (above `i64::MAX`, the most SQLite holds) in REST requests: "no
//! such message" or an empty page, never an internal error.

use mynah_test_support::TestServer;
use serde_json::json;

use super::{Rest, text};

const BEYOND: u64 = u64::MAX;

#[tokio::test]
async fn sequences_beyond_any_stored_are_no_such_message() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice", "bob"]).await;
    let sent = rest
        .ok(
            "openim/sendmsg",
            json!({ "From_Account": "alice", "To_Account": "bob", "MsgRandom": 5, "MsgBody": text("hi") }),
        )
        .await;
    let key = sent["MsgKey"].as_str().expect("a MsgKey").to_owned();
    let parts: Vec<&str> = key.split('_').collect();
    let beyond_key = format!("{BEYOND}_{}_{}", parts[1], parts[2]);
    let withdraw = json!({ "From_Account": "alice", "To_Account": "bob", "MsgKey": beyond_key });
    rest.fails("openim/admin_msgwithdraw", withdraw, 20022).await;

    rest.ok(
        "group_open_http_svc/create_group",
        json!({ "Owner_Account": "alice", "Type": "Private", "Name": "team", "GroupId": "g1",
            "MemberList": [{ "Member_Account": "bob" }] }),
    )
    .await;
    let in_group = rest
        .ok("group_open_http_svc/send_group_msg", json!({ "GroupId": "g1", "Random": 1, "MsgBody": text("m1") }))
        .await;
    assert_eq!(in_group["MsgSeq"], 1);

    let page = rest
        .ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({ "GroupId": "g1", "ReqMsgNumber": 5, "ReqMsgSeq": BEYOND }),
        )
        .await;
    let seqs: Vec<u64> = page["RspMsgList"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|message| message["MsgSeq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1], "every message is at or below a sequence beyond them all: {page}");

    let recall = rest
        .ok("group_open_http_svc/group_msg_recall", json!({ "GroupId": "g1", "MsgSeqList": [{ "MsgSeq": BEYOND }] }))
        .await;
    assert_eq!(recall["RecallRetList"], json!([{ "MsgSeq": BEYOND, "RetCode": 10030 }]));
}
