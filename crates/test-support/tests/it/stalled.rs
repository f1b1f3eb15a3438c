//! Clients that stop reading: every write to them is bounded, the login deadline holds whatever a
//! connection does, and a session the server ends (kick, new login, UserSig expiry) ends even
//! while a write to it is stuck.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mynah_proto::requests::Platform;
use mynah_test_support::{APP_ID, APP_KEY, TestServer, WAIT, user_sig};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::rest::Rest;

const HEARTBEAT: &str = r#"{"id":7,"op":"heartbeat"}"#;

/// A server whose write timeout is long: anything that ends a stalled connection sooner is the
/// mechanism under test, not the write timeout. Socket buffers are small so a stall comes fast.
async fn server_with_long_write_timeout() -> TestServer {
    TestServer::start_with(|config| {
        config.write_timeout_seconds = 60;
        config.send_buffer_bytes = 4096;
    })
    .await
}

/// A WebSocket with small socket buffers, which the test then stops reading.
async fn connect(server: &TestServer) -> WebSocketStream<TcpStream> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.set_send_buffer_size(4096).unwrap();
    let stream = socket.connect(server.address).await.unwrap();
    tokio_tungstenite::client_async(server.ws_url(), stream).await.unwrap().0
}

/// Connects and logs `user` in on Linux with `user_sig`.
async fn logged_in(server: &TestServer, user: &str, user_sig: &str) -> WebSocketStream<TcpStream> {
    let mut socket = connect(server).await;
    let login = json!({"id": 1, "op": "login", "data": {
        "sdkAppID": APP_ID, "userID": user, "userSig": user_sig, "platform": "linux", "protocolVersion": 1}});
    socket.send(Message::text(login.to_string())).await.unwrap();
    loop {
        match timeout(WAIT, socket.next()).await.expect("a login answer") {
            Some(Ok(Message::Text(text))) => {
                let reply: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(reply["code"], 0, "login: {reply}");
                return socket;
            }
            Some(Ok(_)) => continue,
            other => panic!("login failed: {other:?}"),
        }
    }
}

/// Sends `frame` over and over without reading until the connection stops taking them: the
/// server's reply is stuck on a full socket, so it stopped reading too.
async fn flood_until_stalled(socket: &mut WebSocketStream<TcpStream>, frame: &str) {
    let give_up = Instant::now() + WAIT;
    loop {
        match timeout(Duration::from_millis(300), socket.send(Message::text(frame.to_owned()))).await {
            Err(_) => return,
            Ok(Ok(())) => assert!(Instant::now() < give_up, "the server kept reading a client that never reads"),
            Ok(Err(error)) => panic!("the connection ended while flooding: {error}"),
        }
    }
}

/// Keeps sending until the server drops the connection; false if it is still open after `limit`.
async fn closed_within(socket: &mut WebSocketStream<TcpStream>, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        match timeout_at(deadline, socket.send(Message::text(HEARTBEAT))).await {
            Err(_) => return false,
            Ok(Err(_)) => return true,
            Ok(Ok(())) => continue,
        }
    }
}

/// How many sessions `user` has, as REST `query_online_status` reports them.
async fn sessions_of(rest: &Rest, user: &str) -> usize {
    let reply = rest.ok("openim/query_online_status", json!({ "To_Account": [user], "IsNeedDetail": 1 })).await;
    reply["QueryResult"][0]["Detail"].as_array().map_or(0, Vec::len)
}

/// Waits until `user` has `expected` sessions; fails the test after [`WAIT`].
async fn wait_for_sessions(rest: &Rest, user: &str, expected: usize) {
    let deadline = Instant::now() + WAIT;
    loop {
        let sessions = sessions_of(rest, user).await;
        if sessions == expected {
            return;
        }
        assert!(Instant::now() < deadline, "{user} still has {sessions} sessions, expected {expected}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_junk_flood_that_never_reads_is_closed_at_the_login_deadline() {
    let server = TestServer::start_with(|config| {
        config.login_timeout_seconds = 1;
        config.write_timeout_seconds = 60;
        config.send_buffer_bytes = 4096;
    })
    .await;
    let started = Instant::now();
    let mut socket = connect(&server).await;
    flood_until_stalled(&mut socket, "junk that is not a request").await;
    assert!(closed_within(&mut socket, Duration::from_secs(4)).await, "the flood outlived the login deadline");
    assert!(started.elapsed() < Duration::from_secs(4), "closed only after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_logged_in_client_that_stops_reading_its_replies_is_dropped_at_the_write_timeout() {
    let server = TestServer::start_with(|config| {
        config.write_timeout_seconds = 1;
        config.send_buffer_bytes = 4096;
    })
    .await;
    let rest = Rest::new(&server);
    let mut socket = logged_in(&server, "alice", &server.user_sig("alice")).await;
    flood_until_stalled(&mut socket, HEARTBEAT).await;
    assert!(closed_within(&mut socket, WAIT).await, "a blocked reply held the connection");
    wait_for_sessions(&rest, "alice", 0).await;
}

#[tokio::test]
async fn a_rest_kick_ends_a_session_that_stopped_reading() {
    let server = server_with_long_write_timeout().await;
    let rest = Rest::new(&server);
    let mut socket = logged_in(&server, "alice", &server.user_sig("alice")).await;
    flood_until_stalled(&mut socket, HEARTBEAT).await;

    rest.ok("im_open_login_svc/kick", json!({ "UserID": "alice" })).await;
    wait_for_sessions(&rest, "alice", 0).await;
    assert!(closed_within(&mut socket, WAIT).await, "the kicked connection stayed open");
}

#[tokio::test]
async fn a_new_login_on_the_platform_displaces_a_session_that_stopped_reading() {
    let server = server_with_long_write_timeout().await;
    let rest = Rest::new(&server);
    let mut socket = logged_in(&server, "alice", &server.user_sig("alice")).await;
    flood_until_stalled(&mut socket, HEARTBEAT).await;

    let (second, _events) = server.client_on("alice", Platform::Linux).await;
    wait_for_sessions(&rest, "alice", 1).await;
    assert!(closed_within(&mut socket, WAIT).await, "the displaced connection stayed open");
    second.heartbeat().await.expect("the new session is served");
}

#[tokio::test]
async fn an_expired_usersig_ends_a_session_that_stopped_reading() {
    let server = server_with_long_write_timeout().await;
    let rest = Rest::new(&server);
    let mut socket = logged_in(&server, "alice", &user_sig(APP_ID, APP_KEY, "alice", 2)).await;
    flood_until_stalled(&mut socket, HEARTBEAT).await;

    assert!(closed_within(&mut socket, WAIT).await, "the session outlived its UserSig");
    wait_for_sessions(&rest, "alice", 0).await;
}
