//! R3, bad input: the frame decoder never panics whatever it is given, and a server sent malformed,
//! truncated, oversized, binary, wrong-typed or protocol-breaking frames answers with the documented
//! code (60002) or closes that one connection, keeps serving everyone else, and stores nothing.

use std::io::{Read, Write};
use std::time::Duration;

use mynah_proto::frames::{MAX_FRAME_BYTES, RequestFrame};
use mynah_test_support::{APP_ID, TestServer, WAIT};
use proptest::prelude::*;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::reliability::raw::{Next, RawSession};

/// Every operation with a plausible body, as a client would send it.
fn valid_frames() -> Vec<String> {
    let frames = [
        json!({"id": 1, "op": "login", "data": {"sdkAppID": 1, "userID": "u", "userSig": "s", "protocolVersion": 1}}),
        json!({"id": 2, "op": "logout"}),
        json!({"id": 3, "op": "heartbeat", "data": {}}),
        json!({"id": 4, "op": "sendMessage", "data": {"conversationType": "C2C", "to": "bob", "clientMsgID": "k1",
            "msgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]}}),
        json!({"id": 5, "op": "getMessageList", "data": {"conversationID": "C2Cbob", "afterSequence": 3, "count": 20}}),
        json!({"id": 6, "op": "findMessage", "data": {"messageID": "alice-k1"}}),
        json!({"id": 7, "op": "setMessageRead", "data": {"conversationID": "GROUPg", "sequence": 2}}),
        json!({"id": 8, "op": "getConversationList"}),
        json!({"id": 9, "op": "getConversation", "data": {"conversationID": "C2Cbob"}}),
        json!({"id": 10, "op": "getTotalUnreadMessageCount"}),
        json!({"id": 11, "op": "sync", "data": {"position": 0, "limit": 10}}),
        json!({"id": 12, "op": "createGroup", "data": {"type": "Private", "name": "n", "memberList": [{"userID": "bob"}]}}),
        json!({"id": 13, "op": "joinGroup", "data": {"groupID": "g"}}),
        json!({"id": 14, "op": "quitGroup", "data": {"groupID": "g"}}),
        json!({"id": 15, "op": "getGroupList"}),
        json!({"id": 16, "op": "getGroupProfile", "data": {"groupID": "g"}}),
    ];
    frames.iter().map(Value::to_string).collect()
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |number| number.is_finite()).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::hash_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Something shaped like a request frame, with arbitrary parts.
fn frame_like() -> impl Strategy<Value = Value> {
    let op = prop_oneof![
        prop::sample::select(vec![
            "login",
            "logout",
            "heartbeat",
            "sendMessage",
            "getMessageList",
            "findMessage",
            "setMessageRead",
            "getConversationList",
            "getConversation",
            "getTotalUnreadMessageCount",
            "sync",
            "createGroup",
            "joinGroup",
            "quitGroup",
            "getGroupList",
            "getGroupProfile",
            "noSuchOp",
            "",
        ])
        .prop_map(Value::from),
        json_value(),
    ];
    let id = prop_oneof![any::<u64>().prop_map(Value::from), json_value()];
    (id, op, json_value(), any::<bool>()).prop_map(|(id, op, data, with_data)| {
        let mut frame = json!({"id": id, "op": op});
        if with_data {
            frame["data"] = data;
        }
        frame
    })
}

/// Checks what the decoder promises about one input, beyond not panicking.
fn check_decoded(text: &str) {
    match RequestFrame::decode(text) {
        Ok(frame) => {
            // A decoded frame re-encodes to something that decodes to the same frame.
            let encoded = serde_json::to_string(&frame).expect("decoded frames encode");
            assert_eq!(RequestFrame::decode(&encoded).expect("re-encoded frames decode"), frame);
        }
        Err(error) => {
            // An object with a readable id and a string op keeps its id, so the client learns
            // which request failed.
            if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text)
                && let (Some(id), Some(Value::String(_))) = (object.get("id").and_then(Value::as_u64), object.get("op"))
            {
                assert_eq!(error.id, Some(id), "the id of {text} is kept in {error:?}");
            }
        }
    }
}

proptest! {
    #[test]
    fn decoding_arbitrary_strings_never_panics(text in any::<String>()) {
        check_decoded(&text);
    }

    #[test]
    fn decoding_json_values_never_panics(value in json_value()) {
        check_decoded(&value.to_string());
    }

    #[test]
    fn decoding_frame_shaped_json_keeps_ids_and_never_panics(frame in frame_like()) {
        check_decoded(&frame.to_string());
    }

    #[test]
    fn decoding_truncated_and_mutated_frames_never_panics(
        which in 0usize..16,
        cut in any::<prop::sample::Index>(),
        splice in any::<prop::sample::Index>(),
        insert in "\\PC{0,4}",
    ) {
        let frame = &valid_frames()[which];
        let boundaries: Vec<usize> = (0..=frame.len()).filter(|&index| frame.is_char_boundary(index)).collect();
        check_decoded(&frame[..*cut.get(&boundaries)]);
        let at = *splice.get(&boundaries);
        check_decoded(&format!("{}{insert}{}", &frame[..at], &frame[at..]));
    }
}

#[test]
fn every_valid_frame_decodes_and_deep_nesting_is_refused_without_overflow() {
    for frame in valid_frames() {
        assert!(RequestFrame::decode(&frame).is_ok(), "{frame} decodes");
    }
    let deep = "[".repeat(200_000);
    assert_eq!(RequestFrame::decode(&deep).unwrap_err().id, None);
    let deep_data = format!(r#"{{"id":3,"op":"sendMessage","data":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert!(RequestFrame::decode(&deep_data).is_err());
}

/// A frame the server must answer with 60002 on the same connection, and the id it must carry.
struct Malformed {
    what: &'static str,
    frame: Message,
    answered_id: u64,
}

fn malformed_frames() -> Vec<Malformed> {
    let text = |what, text: &str, answered_id| Malformed { what, frame: Message::text(text.to_owned()), answered_id };
    let valid_send = r#"{"id":20,"op":"sendMessage","data":{"conversationType":"C2C","to":"bob","clientMsgID":"m1","msgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}}"#;
    vec![
        text("not JSON", "this is not json", 0),
        text("empty frame", "", 0),
        text("a JSON array", "[1,2,3]", 0),
        text("a JSON string", r#""sendMessage""#, 0),
        text("truncated sendMessage", &valid_send[..valid_send.len() / 2], 0),
        text("trailing garbage", r#"{"id":21,"op":"heartbeat"} trailing"#, 0),
        text("string id", r#"{"id":"22","op":"heartbeat"}"#, 0),
        text("negative id", r#"{"id":-23,"op":"heartbeat"}"#, 0),
        text("missing op", r#"{"id":24,"data":{}}"#, 0),
        text("numeric op", r#"{"id":25,"op":7}"#, 0),
        text("unknown op", r#"{"id":26,"op":"deleteEverything","data":{}}"#, 26),
        text("sendMessage without data", r#"{"id":27,"op":"sendMessage"}"#, 27),
        text("sendMessage with array data", r#"{"id":28,"op":"sendMessage","data":[]}"#, 28),
        text(
            "msgBody as a string",
            r#"{"id":29,"op":"sendMessage","data":{"conversationType":"C2C","to":"bob","clientMsgID":"m2","msgBody":"hi"}}"#,
            29,
        ),
        text(
            "unknown element type",
            r#"{"id":30,"op":"sendMessage","data":{"conversationType":"C2C","to":"bob","clientMsgID":"m3","msgBody":[{"MsgType":"TIMNoSuchElem","MsgContent":{}}]}}"#,
            30,
        ),
        text(
            "unknown conversation type",
            r#"{"id":31,"op":"sendMessage","data":{"conversationType":"BROADCAST","to":"bob","clientMsgID":"m4","msgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}}"#,
            31,
        ),
        text(
            "recipient as a number",
            r#"{"id":32,"op":"sendMessage","data":{"conversationType":"C2C","to":5,"clientMsgID":"m5","msgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}}"#,
            32,
        ),
        text(
            "sequence as a string",
            r#"{"id":33,"op":"getMessageList","data":{"conversationID":"C2Cbob","afterSequence":"1"}}"#,
            33,
        ),
        text("negative count", r#"{"id":34,"op":"getMessageList","data":{"conversationID":"C2Cbob","count":-1}}"#, 34),
        text(
            "a second login",
            &format!(
                r#"{{"id":35,"op":"login","data":{{"sdkAppID":{APP_ID},"userID":"mallory","userSig":"x","protocolVersion":1}}}}"#
            ),
            35,
        ),
        Malformed { what: "binary frame", frame: Message::binary(valid_send.as_bytes().to_vec()), answered_id: 0 },
    ]
}

#[tokio::test]
async fn malformed_frames_get_60002_and_leave_the_server_serving_and_nothing_stored() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;

    // Before login, junk is answered too, and the connection can still log in afterwards.
    let mut early = RawSession::connect(&server).await;
    for malformed in malformed_frames().into_iter().filter(|malformed| malformed.answered_id == 0) {
        early.send(malformed.frame).await;
        let response = early.response().await;
        assert_eq!(
            (response["id"].as_u64(), response["code"].as_u64()),
            (Some(0), Some(60002)),
            "before login: {}",
            malformed.what
        );
    }
    assert_eq!(early.login(APP_ID, "early", &server.user_sig("early")).await, 0);

    let mut mallory = RawSession::logged_in(&server, APP_ID, "mallory", &server.user_sig("mallory")).await;
    for malformed in malformed_frames() {
        mallory.send(malformed.frame).await;
        let response = mallory.response().await;
        assert_eq!(
            (response["id"].as_u64(), response["code"].as_u64()),
            (Some(malformed.answered_id), Some(60002)),
            "{}: {response}",
            malformed.what
        );
        assert!(mallory.answers_heartbeat().await, "the connection stays open after: {}", malformed.what);
    }

    // A frame just under the 64 KiB cap is read (and refused for its size by the service, 80002);
    // one byte over closes that connection.
    let padding = "x".repeat(MAX_FRAME_BYTES - 200);
    let near_cap =
        json!({"id": 40, "op": "sendMessage", "data": {"conversationType": "C2C", "to": "bob", "clientMsgID": "big",
        "msgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": padding}}]}})
        .to_string();
    assert!(near_cap.len() <= MAX_FRAME_BYTES);
    mallory.send_text(&near_cap).await;
    assert_eq!(mallory.response().await["code"], 80002);
    mallory.send_text(&"y".repeat(MAX_FRAME_BYTES + 1)).await;
    match mallory.next().await {
        Next::Closed(code) => assert!(matches!(code, Some(1009) | None), "close code {code:?}"),
        Next::Ended => {}
        Next::Text(text) => panic!("an oversized frame was answered instead of closing: {text}"),
    }

    // Everyone else is still served, and nothing malformed was stored anywhere.
    let sent = alice.send_text("bob", "still here").await.unwrap();
    assert_eq!(bob_events.next_message().await, sent);
    let conversations: Vec<String> = bob
        .get_conversation_list()
        .await
        .unwrap()
        .conversation_list
        .into_iter()
        .map(|conversation| conversation.conversation_id)
        .collect();
    assert_eq!(conversations, ["C2Calice"], "only the legitimate conversation exists");
    let mallory_view = RawSession::logged_in(&server, APP_ID, "mallory", &server.user_sig("mallory"))
        .await
        .call(1, "getConversationList", json!({}))
        .await;
    assert_eq!(mallory_view["data"]["conversationList"], json!([]), "mallory stored nothing");
}

/// Writes a masked client frame by hand: `first` is FIN/RSV/opcode, then the payload.
fn client_frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut frame = vec![first];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        length @ 0..=125 => frame.push(mask_bit | length as u8),
        length @ 126..=65535 => {
            frame.push(mask_bit | 126);
            frame.extend_from_slice(&(length as u16).to_be_bytes());
        }
        length => {
            frame.push(mask_bit | 127);
            frame.extend_from_slice(&(length as u64).to_be_bytes());
        }
    }
    let key = [0x12, 0x34, 0x56, 0x78];
    if masked {
        frame.extend_from_slice(&key);
        frame.extend(payload.iter().enumerate().map(|(index, byte)| byte ^ key[index % 4]));
    } else {
        frame.extend_from_slice(payload);
    }
    frame
}

/// Opens a WebSocket by hand over a blocking socket, sends `bytes` after the handshake and returns
/// whether the server ended the connection (a close frame or EOF) within [`WAIT`].
fn server_ends_connection_after(address: std::net::SocketAddr, bytes: &[u8]) -> bool {
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let handshake = format!(
        "GET /ws HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(handshake.as_bytes()).unwrap();
    let mut response = Vec::new();
    let mut byte = [0u8; 1];
    while !response.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).expect("handshake response"), 1, "handshake response ended early");
        response.push(byte[0]);
    }
    assert!(response.starts_with(b"HTTP/1.1 101"), "upgraded: {}", String::from_utf8_lossy(&response));
    stream.write_all(bytes).unwrap();
    let mut buffer = [0u8; 512];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            // A close frame (opcode 8) from the server.
            Ok(read) if buffer[..read].first().is_some_and(|first| first & 0x0f == 0x8) => return true,
            Ok(_) => continue,
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_violations_close_only_the_offending_connection() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (_bob, mut bob_events) = server.client("bob").await;
    let violations: [(&str, Vec<u8>); 5] = [
        ("invalid UTF-8 in a text frame", client_frame(0x81, &[0xff, 0xfe, b'{', 0xc0], true)),
        ("an unmasked client frame", client_frame(0x81, br#"{"id":1,"op":"heartbeat"}"#, false)),
        ("reserved bits set", client_frame(0xf1, br#"{"id":1,"op":"heartbeat"}"#, true)),
        ("a continuation with no message to continue", client_frame(0x80, b"orphan", true)),
        ("a control frame over 125 bytes", client_frame(0x89, &[b'p'; 200], true)),
    ];
    let address = server.address;
    for (what, bytes) in violations {
        let ended = tokio::task::spawn_blocking(move || server_ends_connection_after(address, &bytes)).await.unwrap();
        assert!(ended, "the server closes the connection after {what}");
        let sent = alice.send_text("bob", what).await.unwrap();
        assert_eq!(bob_events.next_message().await, sent, "others are still served after {what}");
    }
    bob_events.expect_quiet(Duration::from_millis(100)).await;
}
