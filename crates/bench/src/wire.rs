//! The load generator's side of the WebSocket protocol: connecting from a spread of loopback source
//! addresses with small buffers, logging in, encoding the few requests the scenarios send, and
//! classifying server frames without decoding them fully (a full decode per delivery would make
//! the client, not the server, the bottleneck).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use mynah_proto::PROTOCOL_VERSION;
use mynah_usersig::SecretKey;
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// A client WebSocket over plain TCP.
pub type Socket = WebSocketStream<TcpStream>;

/// Read and write buffer of each client socket. tungstenite's 128 KiB default would cost the load
/// generator ~140 KB per connection.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

/// Source addresses cycle over 127.0.0.2 - 127.0.0.254: each has its own 28k ephemeral ports, so
/// many connections (and the TIME_WAIT sockets of earlier runs) never exhaust them.
const SOURCE_ADDRESSES: usize = 253;

/// Where the server is and how to log in to it.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub address: SocketAddr,
    pub app: u64,
    pub key: String,
}

impl Endpoint {
    /// A UserSig for `user`, valid for a day.
    pub fn user_sig(&self, user: &str) -> String {
        mynah_usersig::generate(self.app, &SecretKey::from(self.key.as_str()), user, 86_400, unix_seconds())
    }

    /// The login request frame for `user` with a ready UserSig.
    pub fn login_frame(&self, id: u64, user: &str, user_sig: &str) -> String {
        json!({"id": id, "op": "login", "data": {
            "sdkAppID": self.app, "userID": user, "userSig": user_sig, "platform": "linux",
            "protocolVersion": PROTOCOL_VERSION}})
        .to_string()
    }
}

/// The loopback source address of the `index`-th connection.
pub fn source_address(index: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (index % SOURCE_ADDRESSES) as u8))
}

/// Opens a WebSocket to `/ws` from the `source_index`-th source address.
pub async fn connect(address: SocketAddr, source_index: usize) -> anyhow::Result<Socket> {
    let tcp = TcpSocket::new_v4()?;
    tcp.bind(SocketAddr::new(source_address(source_index), 0)).context("binding a source address")?;
    let stream = tcp.connect(address).await.context("connecting")?;
    stream.set_nodelay(true)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .max_message_size(Some(16 << 20));
    let url = format!("ws://{address}/ws");
    let (socket, _) =
        tokio_tungstenite::client_async_with_config(url.as_str(), stream, Some(config)).await.context("handshake")?;
    Ok(socket)
}

/// Connects and logs `user` in with a ready UserSig. Returns the socket and the login result.
pub async fn connect_and_login(
    endpoint: &Endpoint,
    source_index: usize,
    user: &str,
    user_sig: &str,
) -> anyhow::Result<(Socket, Value)> {
    let mut socket = connect(endpoint.address, source_index).await?;
    let result = call(&mut socket, 1, endpoint.login_frame(1, user, user_sig), &mut |_| {}).await?;
    Ok((socket, result))
}

/// Sends one request and waits for its response, handing every other frame to `on_other`.
/// Returns the response's `data`, or an error with its code.
pub async fn call(
    socket: &mut Socket,
    id: u64,
    frame: String,
    on_other: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<Value> {
    socket.send(Message::text(frame)).await?;
    loop {
        let text = next_text(socket).await?;
        match classify(&text) {
            Frame::Response { id: got, code } if got == id => {
                let mut value: Value = serde_json::from_str(&text)?;
                if code != 0 {
                    bail!("request {id} failed with code {code}: {}", value["message"]);
                }
                return Ok(value["data"].take());
            }
            _ => on_other(&text),
        }
    }
}

/// The next text frame, skipping pings and pongs. Fails when the connection ends.
pub async fn next_text(socket: &mut Socket) -> anyhow::Result<String> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.to_string()),
            Some(Ok(Message::Close(frame))) => bail!("closed by the server: {frame:?}"),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.into()),
            None => bail!("connection ended"),
        }
    }
}

/// What a server frame is, read from its first bytes only.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    Response {
        id: u64,
        code: u64,
    },
    /// A `message` push, with the text of its first text element.
    MessagePush {
        text: Option<&'a str>,
    },
    OtherPush,
    Unknown,
}

/// Classifies a server frame. Responses start `{"id":N,"code":C`; pushes start `{"push":"KIND"`.
pub fn classify(text: &str) -> Frame<'_> {
    if let Some(rest) = text.strip_prefix(r#"{"id":"#) {
        let (id, rest) = leading_number(rest);
        let (code, _) = leading_number(rest.strip_prefix(r#","code":"#).unwrap_or(""));
        return match (id, code) {
            (Some(id), Some(code)) => Frame::Response { id, code },
            _ => Frame::Unknown,
        };
    }
    if text.starts_with(r#"{"push":"message""#) {
        const MARKER: &str = r#""Text":""#;
        let text = text.find(MARKER).and_then(|start| {
            let body = &text[start + MARKER.len()..];
            body.find('"').map(|end| &body[..end])
        });
        return Frame::MessagePush { text };
    }
    if text.starts_with(r#"{"push":"#) {
        return Frame::OtherPush;
    }
    Frame::Unknown
}

fn leading_number(text: &str) -> (Option<u64>, &str) {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    (text[..digits].parse().ok(), &text[digits..])
}

/// A `sendMessage` frame with a text body. The scenarios put the intended send time in the text.
pub fn send_message_frame(id: u64, conversation_type: &str, to: &str, client_msg_id: &str, text: &str) -> String {
    format!(
        r#"{{"id":{id},"op":"sendMessage","data":{{"conversationType":"{conversation_type}","to":"{to}","msgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{text}"}}}}],"clientMsgID":"{client_msg_id}"}}}}"#
    )
}

/// A request frame for any operation, for the setup and sync steps that are not hot.
pub fn request_frame(id: u64, op: &str, data: Value) -> String {
    json!({"id": id, "op": op, "data": data}).to_string()
}

/// Nanoseconds since the Unix epoch: comparable across the bench's processes on one machine.
pub fn unix_nanos() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_nanos() as u64).unwrap_or(0)
}

pub fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}

/// The text a timed message carries: its intended send time and a tag, padded to about 100 bytes
/// of body like a short chat line.
pub fn timed_text(intended_nanos: u64, tag: u64) -> String {
    format!("{intended_nanos}:{tag}:lorem-ipsum-dolor-sit-amet-consectetur-adipiscing-elit-sed-do-eiusmod-tempor")
}

/// Reads back what [`timed_text`] wrote.
pub fn parse_timed_text(text: &str) -> Option<(u64, u64)> {
    let mut parts = text.splitn(3, ':');
    let intended = parts.next()?.parse().ok()?;
    let tag = parts.next()?.parse().ok()?;
    Some((intended, tag))
}

/// Nanoseconds elapsed since `earlier` (a [`unix_nanos`] value), as a duration.
pub fn since(earlier_nanos: u64) -> Duration {
    Duration::from_nanos(unix_nanos().saturating_sub(earlier_nanos))
}

#[cfg(test)]
mod tests {
    use mynah_proto::frames::RequestFrame;
    use mynah_proto::requests::Request;

    use super::*;

    #[test]
    fn hand_written_frames_decode_as_the_server_decodes_them() {
        let frame = send_message_frame(7, "C2C", "u1", "b_1_2", &timed_text(123, 4));
        let decoded = RequestFrame::decode(&frame).unwrap();
        assert_eq!(decoded.id, 7);
        let Request::SendMessage(send) = decoded.request else { panic!("not a send") };
        assert_eq!(send.to, "u1");
        assert_eq!(send.client_msg_id, "b_1_2");
        let endpoint = Endpoint { address: "127.0.0.1:1".parse().unwrap(), app: 5, key: "k".to_owned() };
        let login = RequestFrame::decode(&endpoint.login_frame(1, "u1", "sig")).unwrap();
        assert!(matches!(login.request, Request::Login(_)));
    }

    #[test]
    fn classifies_server_frames_from_their_prefix() {
        assert_eq!(classify(r#"{"id":12,"code":0,"data":{}}"#), Frame::Response { id: 12, code: 0 });
        assert_eq!(classify(r#"{"id":3,"code":10007,"message":"no"}"#), Frame::Response { id: 3, code: 10007 });
        let push = r#"{"push":"message","data":{"ID":"a-b","msgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"99:5:x"}}]}}"#;
        assert_eq!(classify(push), Frame::MessagePush { text: Some("99:5:x") });
        assert_eq!(parse_timed_text("99:5:x"), Some((99, 5)));
        assert_eq!(classify(r#"{"push":"change","data":{}}"#), Frame::OtherPush);
        assert_eq!(classify("garbage"), Frame::Unknown);
    }
}
