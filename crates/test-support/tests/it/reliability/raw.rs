//! A raw WebSocket session: sends any frame, and reads exactly what the server answers (responses by
//! id, pushes skipped, or the end of the connection).

use futures_util::{SinkExt, StreamExt};
use mynah_test_support::{TestServer, WAIT};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What came next on a connection.
#[derive(Debug, PartialEq)]
pub enum Next {
    Text(String),
    /// A close frame, with its code.
    Closed(Option<u16>),
    /// The connection ended without a close frame (or with an error).
    Ended,
}

pub struct RawSession {
    socket: Socket,
}

impl RawSession {
    pub async fn connect(server: &TestServer) -> RawSession {
        let (socket, _) = tokio_tungstenite::connect_async(server.ws_url()).await.expect("connect");
        RawSession { socket }
    }

    /// Connects and logs in; panics unless the login succeeds.
    pub async fn logged_in(server: &TestServer, app: u64, user: &str, user_sig: &str) -> RawSession {
        let mut session = RawSession::connect(server).await;
        let code = session.login(app, user, user_sig).await;
        assert_eq!(code, 0, "login of {user} to {app}");
        session
    }

    /// Sends a login request and returns its code.
    pub async fn login(&mut self, app: u64, user: &str, user_sig: &str) -> u64 {
        let data =
            json!({"sdkAppID": app, "userID": user, "userSig": user_sig, "platform": "linux", "protocolVersion": 1});
        let response = self.call(1_000_000, "login", data).await;
        response["code"].as_u64().expect("a code")
    }

    pub async fn send(&mut self, message: Message) {
        self.socket.send(message).await.expect("send a frame");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.send(Message::text(text.to_owned())).await;
    }

    /// The next text frame, close frame or end of connection, within [`WAIT`].
    pub async fn next(&mut self) -> Next {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next()).await.expect("the server answers in time");
            return match frame {
                Some(Ok(Message::Text(text))) => Next::Text(text.to_string()),
                Some(Ok(Message::Close(frame))) => Next::Closed(frame.map(|frame| u16::from(frame.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Next::Ended,
            };
        }
    }

    /// The next response frame (pushes are skipped), decoded. Panics if the connection ends.
    pub async fn response(&mut self) -> Value {
        loop {
            match self.next().await {
                Next::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("server frames are JSON");
                    if value.get("push").is_none() {
                        return value;
                    }
                }
                other => panic!("expected a response, got {other:?}"),
            }
        }
    }

    /// Sends a request and returns its whole response frame.
    pub async fn call(&mut self, id: u64, op: &str, data: Value) -> Value {
        self.send_text(&json!({"id": id, "op": op, "data": data}).to_string()).await;
        let response = self.response().await;
        assert_eq!(response["id"].as_u64(), Some(id), "the response answers request {id}: {response}");
        response
    }

    /// Whether the session still answers a heartbeat.
    pub async fn answers_heartbeat(&mut self) -> bool {
        self.send_text(r#"{"id":424242,"op":"heartbeat"}"#).await;
        loop {
            match self.next().await {
                Next::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON");
                    if value["id"] == 424242 {
                        return value["code"] == 0;
                    }
                }
                _ => return false,
            }
        }
    }
}
