//! Login: UserSig verification with Tencent's error codes, and what a connection may do before it.

use futures_util::{SinkExt, StreamExt};
use mynah_client::{ClientError, ClientOptions};
use mynah_proto::codes::ErrorCode;
use mynah_test_support::{APP_ID, APP_KEY, OTHER_APP_ID, OTHER_APP_KEY, TestServer, user_sig};
use tokio_tungstenite_for_tests::connect;

async fn login_error(server: &TestServer, app: u64, user: &str, sig: String) -> ErrorCode {
    match server.login(ClientOptions::new(server.ws_url(), app, user, sig)).await {
        Err(ClientError::Server { code, .. }) => code,
        Err(other) => panic!("expected a server error, got {other}"),
        Ok(_) => panic!("login with a bad UserSig succeeded"),
    }
}

#[tokio::test]
async fn a_valid_usersig_logs_in_and_bad_ones_get_tencents_codes() {
    let server = TestServer::start().await;
    let (alice, _events) = server.client("alice").await;
    assert!(alice.login_result().session_id > 0);
    assert!(alice.login_result().user_sig_expire_time > alice.login_result().server_time_ms / 1000);

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let expired = mynah_usersig::generate(APP_ID, &APP_KEY.into(), "alice", 10, now - 100);
    assert_eq!(login_error(&server, APP_ID, "alice", expired).await, ErrorCode::USERSIG_EXPIRED);
    assert_eq!(
        login_error(&server, APP_ID, "alice", user_sig(APP_ID, "wrong-key", "alice", 600)).await,
        ErrorCode::USERSIG_BAD_SIGNATURE
    );
    assert_eq!(
        login_error(&server, APP_ID, "alice", user_sig(APP_ID, APP_KEY, "bob", 600)).await,
        ErrorCode::USERSIG_IDENTIFIER_MISMATCH
    );
    // A UserSig of the other app, presented to this app.
    assert_eq!(
        login_error(&server, APP_ID, "alice", user_sig(OTHER_APP_ID, OTHER_APP_KEY, "alice", 600)).await,
        ErrorCode::USERSIG_APP_MISMATCH
    );
    assert_eq!(
        login_error(&server, 999, "alice", user_sig(999, APP_KEY, "alice", 600)).await,
        ErrorCode::SDKAPPID_NOT_FOUND
    );
    assert_eq!(login_error(&server, APP_ID, "alice", "not-a-usersig".to_owned()).await, ErrorCode::USERSIG_INVALID);
    assert_eq!(login_error(&server, APP_ID, "alice", String::new()).await, ErrorCode::USERSIG_EMPTY);
    let mut tampered = server.user_sig("alice");
    tampered.replace_range(20..21, if &tampered[20..21] == "A" { "B" } else { "A" });
    assert_ne!(login_error(&server, APP_ID, "alice", tampered).await, ErrorCode::OK);
    // An ill-formed userID is refused before its UserSig is looked at.
    let long_user = "u".repeat(33);
    assert_eq!(
        login_error(&server, APP_ID, &long_user, server.user_sig(&long_user)).await,
        ErrorCode::ACCOUNT_INVALID_PARAMETER
    );
}

#[tokio::test]
async fn requests_before_login_and_malformed_frames_get_errors_and_keep_the_connection() {
    let server = TestServer::start().await;
    let mut socket = connect(&server.ws_url()).await;

    socket.send(text(r#"{"id":1,"op":"getConversationList"}"#)).await.unwrap();
    assert_eq!(code_of(&next_text(&mut socket).await), (1, 2024));
    socket.send(text("this is not json")).await.unwrap();
    assert_eq!(code_of(&next_text(&mut socket).await), (0, 60002));
    socket.send(text(r#"{"id":2,"op":"noSuchOperation","data":{}}"#)).await.unwrap();
    assert_eq!(code_of(&next_text(&mut socket).await), (2, 60002));

    let login = serde_json::json!({"id": 3, "op": "login", "data": {
        "sdkAppID": APP_ID, "userID": "alice", "userSig": server.user_sig("alice"), "platform": "web", "protocolVersion": 1}});
    socket.send(text(&login.to_string())).await.unwrap();
    assert_eq!(code_of(&next_text(&mut socket).await), (3, 0));

    // Wrong types in a known operation: an error for that request, and the session goes on.
    socket.send(text(r#"{"id":4,"op":"sendMessage","data":{"to":5}}"#)).await.unwrap();
    assert_eq!(code_of(&next_text(&mut socket).await), (4, 60002));
    socket.send(text(r#"{"id":5,"op":"heartbeat"}"#)).await.unwrap();
    assert_eq!(code_of(&next_text(&mut socket).await), (5, 0));

    // An unsupported protocol version is refused.
    let mut socket = connect(&server.ws_url()).await;
    let login = serde_json::json!({"id": 1, "op": "login", "data": {
        "sdkAppID": APP_ID, "userID": "alice", "userSig": server.user_sig("alice"), "protocolVersion": 99}});
    socket.send(text(&login.to_string())).await.unwrap();
    assert_eq!(code_of(&next_text(&mut socket).await), (1, 60002));
}

fn text(value: &str) -> tokio_tungstenite_for_tests::Message {
    tokio_tungstenite_for_tests::Message::text(value.to_owned())
}

async fn next_text(socket: &mut tokio_tungstenite_for_tests::Socket) -> String {
    let frame = tokio::time::timeout(mynah_test_support::WAIT, socket.next()).await.expect("a frame in time");
    match frame {
        Some(Ok(tokio_tungstenite_for_tests::Message::Text(text))) => text.to_string(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

fn code_of(frame: &str) -> (u64, u64) {
    let value: serde_json::Value = serde_json::from_str(frame).unwrap();
    (value["id"].as_u64().unwrap(), value["code"].as_u64().unwrap())
}

/// A raw WebSocket, for frames the SDK would never send.
mod tokio_tungstenite_for_tests {
    pub use tokio_tungstenite::tungstenite::Message;
    pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

    pub async fn connect(url: &str) -> Socket {
        tokio_tungstenite::connect_async(url).await.expect("connect").0
    }
}
