//! Store faults and store boundaries, over raw WebSocket: a failing store is the server's fault (the
//! family's internal-error code, never 20001), a membership lost in the append's own write is 10007,
//! sequences and positions beyond anything stored are "nothing there", and a change kind this node
//! does not know is skipped, not fatal to the whole sync.
//!
//! Faults are injected into the server's SQLite file from a second connection while it runs: a
//! trigger that fails every message insert stands in for a full disk, a row that cannot be decoded
//! for a corrupt page. A lookup that fails is reported, never taken for "no such row".

use mynah_test_support::{APP_ID, TestServer};
use serde_json::{Value, json};

use crate::reliability::raw::RawSession;

/// Larger than any sequence or position SQLite can hold (`i64::MAX`).
const BEYOND: u64 = u64::MAX;

/// A second connection to the server's database.
fn database(server: &TestServer) -> rusqlite::Connection {
    let connection = rusqlite::Connection::open(server.data_dir().join("mynah.sqlite3")).expect("open the database");
    connection.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
    connection
}

async fn session(server: &TestServer, user: &str) -> RawSession {
    RawSession::logged_in(server, APP_ID, user, &server.user_sig(user)).await
}

fn text_message(to: &str, conversation_type: &str, client_msg_id: &str) -> Value {
    json!({"conversationType": conversation_type, "to": to, "clientMsgID": client_msg_id,
        "msgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": client_msg_id}}]})
}

fn code(response: &Value) -> u64 {
    response["code"].as_u64().unwrap_or_else(|| panic!("a code in {response}"))
}

/// alice and bob, a C2C message between them and a work group `g1` with both in it.
async fn world(server: &TestServer) -> (RawSession, RawSession) {
    let mut alice = session(server, "alice").await;
    let bob = session(server, "bob").await;
    assert_eq!(code(&alice.call(1, "sendMessage", text_message("bob", "C2C", "first")).await), 0);
    let group = json!({"type": "Private", "name": "g1", "groupID": "g1", "memberList": [{"userID": "bob"}]});
    assert_eq!(code(&alice.call(2, "createGroup", group).await), 0);
    assert_eq!(code(&alice.call(3, "sendMessage", text_message("g1", "GROUP", "group_first")).await), 0);
    (alice, bob)
}

#[tokio::test]
async fn a_failing_store_is_an_internal_error_never_the_clients() {
    let server = TestServer::start().await;
    let (mut alice, _bob) = world(&server).await;
    // Every message insert now fails inside SQLite, as a full disk would make it.
    database(&server)
        .execute_batch(
            "CREATE TRIGGER the_disk_is_full BEFORE INSERT ON messages BEGIN INSERT INTO no_space_left VALUES (1); END",
        )
        .expect("install the failing trigger");

    let c2c = alice.call(10, "sendMessage", text_message("bob", "C2C", "lost")).await;
    assert_eq!(code(&c2c), 20005, "a one-to-one send the store failed: {c2c}");
    let group = alice.call(11, "sendMessage", text_message("g1", "GROUP", "lost_in_group")).await;
    assert_eq!(code(&group), 10002, "a group send the store failed: {group}");
    // The server keeps serving what does not need the failing write.
    let history = alice.call(12, "getMessageList", json!({"conversationID": "C2Cbob"})).await;
    assert_eq!(code(&history), 0, "{history}");
    assert_eq!(history["data"]["messageList"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_membership_lost_inside_the_append_is_10007() {
    let server = TestServer::start().await;
    let (_alice, mut bob) = world(&server).await;
    // bob's read mark in the group goes, as a removal committed between the service's membership
    // check and the append would leave it: the append's own check, in its write, refuses him.
    let removed = database(&server)
        .execute("DELETE FROM user_conversations WHERE user = 'bob' AND conv_key LIKE '%g1'", [])
        .expect("drop bob's group row");
    assert_eq!(removed, 1);

    let response = bob.call(10, "sendMessage", text_message("g1", "GROUP", "too_late")).await;
    assert_eq!(code(&response), 10007, "{response}");
}

#[tokio::test]
async fn sequences_and_positions_beyond_any_stored_are_nothing_there() {
    let server = TestServer::start().await;
    let (mut alice, _bob) = world(&server).await;

    let after = alice.call(10, "getMessageList", json!({"conversationID": "C2Cbob", "afterSequence": BEYOND})).await;
    assert_eq!(code(&after), 0, "{after}");
    assert_eq!(after["data"]["messageList"], json!([]));
    assert_eq!(after["data"]["isCompleted"], true);

    let before = alice.call(11, "getMessageList", json!({"conversationID": "GROUPg1", "beforeSequence": BEYOND})).await;
    assert_eq!(code(&before), 0, "{before}");
    let sequences: Vec<u64> = before["data"]["messageList"]
        .as_array()
        .expect("a message list")
        .iter()
        .map(|message| message["sequence"].as_u64().expect("a sequence"))
        .collect();
    assert_eq!(sequences, vec![1], "every message is before a bound beyond them all");

    let sync = alice.call(12, "sync", json!({"position": BEYOND})).await;
    assert_eq!(code(&sync), 0, "{sync}");
    assert_eq!(sync["data"]["changes"], json!([]));
    assert_eq!(sync["data"]["hasMore"], false);

    let read = alice.call(13, "setMessageRead", json!({"conversationID": "C2Cbob", "sequence": BEYOND})).await;
    assert_eq!(code(&read), 0, "{read}");
}

#[tokio::test]
async fn an_unknown_change_kind_is_skipped_not_fatal() {
    let server = TestServer::start().await;
    let (_alice, mut bob) = world(&server).await;
    let before = bob.call(10, "sync", json!({"position": 0})).await;
    assert_eq!(code(&before), 0, "{before}");
    let head = before["data"]["position"].as_u64().expect("a position");
    assert!(head > 0, "bob joined a group: {before}");

    // A newer node wrote a kind this one does not know, then a change this one knows.
    database(&server)
        .execute(
            "INSERT INTO changes (app, user, position, payload) VALUES (?1, 'bob', ?2, ?3)",
            rusqlite::params![APP_ID as i64, head as i64 + 1, r#"{"kind":"fromANewerNode","detail":1}"#],
        )
        .expect("insert a change of an unknown kind");
    let mut alice = session(&server, "alice").await;
    let group = json!({"type": "Private", "name": "g2", "groupID": "g2", "memberList": [{"userID": "bob"}]});
    assert_eq!(code(&alice.call(20, "createGroup", group).await), 0);

    let after = bob.call(11, "sync", json!({"position": head})).await;
    assert_eq!(code(&after), 0, "one unknown change does not fail the sync: {after}");
    let positions: Vec<u64> = after["data"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| change["position"].as_u64().expect("a position"))
        .collect();
    assert_eq!(positions, vec![head + 2], "the unknown change is skipped, the next one delivered");
    assert_eq!(after["data"]["position"], head + 2);
}

#[tokio::test]
async fn a_resend_the_store_cannot_look_up_is_an_internal_error_not_a_fresh_send() {
    // One group message a second: a resend right after the original is over the group's rate, and
    // the server looks the original up to answer it.
    let server = TestServer::start_with(|config| config.group_messages_per_second = 1).await;
    let (mut alice, _bob) = world(&server).await;
    // The original's row can no longer be read (its body is not JSON), as a corrupt page would make it.
    let corrupted = database(&server)
        .execute("UPDATE messages SET body_json = 'not json' WHERE client_msg_id = 'group_first'", [])
        .expect("corrupt the stored original");
    assert_eq!(corrupted, 1);

    // Whether the resend meets the rate limit or (in a new second) the append's own dedup, it must
    // not be answered as a fresh message the group dropped, nor blamed on the client.
    let resend = alice.call(10, "sendMessage", text_message("g1", "GROUP", "group_first")).await;
    assert_eq!(code(&resend), 10002, "{resend}");
}

#[tokio::test]
async fn find_message_reports_a_failing_membership_lookup() {
    let server = TestServer::start().await;
    let (_alice, mut bob) = world(&server).await;
    let found = bob.call(10, "findMessage", json!({"messageID": "alice-group_first"})).await;
    assert_eq!(code(&found), 0, "{found}");
    // bob's membership row can no longer be read: that is the server's failure, not "no such message".
    database(&server)
        .execute("UPDATE group_members SET role = 'unreadable' WHERE user = 'bob'", [])
        .expect("corrupt bob's membership");

    let found = bob.call(11, "findMessage", json!({"messageID": "alice-group_first"})).await;
    assert_eq!(code(&found), 10002, "{found}");
}
