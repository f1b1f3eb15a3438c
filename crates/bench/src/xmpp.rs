//! A minimal XMPP client over WebSocket (RFC 7395) for the ejabberd comparison: `<open/>` framing,
//! SASL PLAIN, resource binding, initial presence, one-to-one `chat` and MUC `groupchat` messages.
//! Frames are built and read as text (each WebSocket frame holds one complete element); no XML
//! library is needed for this fixed subset.

use anyhow::{Context, bail};
use base64::Engine;
use futures_util::SinkExt;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::wire::{self, Socket};

/// The XMPP domain the bench users live in, and its MUC service.
pub const DOMAIN: &str = "localhost";
pub const MUC_ROOM: &str = "bench@conference.localhost";
pub const PASSWORD: &str = "bench";

const OPEN: &str = r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>"#;

/// Connects to an XMPP WebSocket endpoint (subprotocol `xmpp`) and logs `user` in with SASL PLAIN,
/// binds a resource and sends initial presence.
pub async fn connect_and_login(url: &str, source_index: usize, user: &str) -> anyhow::Result<Socket> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", "xmpp".parse()?);
    let authority = request.uri().authority().context("ws url has a host")?.as_str().to_owned();
    let address: std::net::SocketAddr = authority.parse()?;
    let tcp = TcpSocket::new_v4()?;
    tcp.bind(std::net::SocketAddr::new(wire::source_address(source_index), 0))?;
    let stream = tcp.connect(address).await?;
    stream.set_nodelay(true)?;
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(4096);
    let (mut socket, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;

    socket.send(Message::text(OPEN)).await?;
    wait_for(&mut socket, "mechanisms").await?;
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{PASSWORD}"));
    let auth = format!(r#"<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">{credentials}</auth>"#);
    socket.send(Message::text(auth)).await?;
    let answer = wait_for_any(&mut socket, &["<success", "<failure"]).await?;
    if answer.contains("<failure") {
        bail!("SASL PLAIN refused for {user}: {answer}");
    }
    socket.send(Message::text(OPEN)).await?;
    wait_for(&mut socket, "urn:ietf:params:xml:ns:xmpp-bind").await?;
    let bind = r#"<iq xmlns="jabber:client" type="set" id="bind"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>bench</resource></bind></iq>"#;
    socket.send(Message::text(bind)).await?;
    wait_for(&mut socket, "<jid>").await?;
    socket.send(Message::text(r#"<presence xmlns="jabber:client"/>"#)).await?;
    Ok(socket)
}

/// Joins the bench MUC room and waits for the room's own-presence echo (status 110).
pub async fn join_room(socket: &mut Socket, nick: &str) -> anyhow::Result<()> {
    let join = format!(
        r#"<presence xmlns="jabber:client" to="{MUC_ROOM}/{nick}"><x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="0"/></x></presence>"#
    );
    socket.send(Message::text(join)).await?;
    // ejabberd quotes attributes with ', others with ".
    wait_for_any(socket, &[r#"code="110""#, "code='110'"]).await?;
    Ok(())
}

/// A one-to-one chat message.
pub fn chat(to: &str, id: u64, body: &str) -> String {
    format!(r#"<message xmlns="jabber:client" to="{to}@{DOMAIN}" type="chat" id="m{id}"><body>{body}</body></message>"#)
}

/// A message to the bench room.
pub fn groupchat(id: u64, body: &str) -> String {
    format!(
        r#"<message xmlns="jabber:client" to="{MUC_ROOM}" type="groupchat" id="g{id}"><body>{body}</body></message>"#
    )
}

/// The body of a message stanza, if the frame is one.
pub fn message_body(frame: &str) -> Option<&str> {
    if !frame.starts_with("<message") {
        return None;
    }
    let start = frame.find("<body>")? + "<body>".len();
    let end = frame[start..].find("</body>")?;
    Some(&frame[start..start + end])
}

async fn wait_for(socket: &mut Socket, needle: &str) -> anyhow::Result<String> {
    wait_for_any(socket, &[needle]).await
}

async fn wait_for_any(socket: &mut Socket, needles: &[&str]) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = tokio::time::timeout_at(deadline, wire::next_text(socket))
            .await
            .context("XMPP server did not answer")??;
        if needles.iter().any(|needle| text.contains(needle)) {
            return Ok(text);
        }
        if text.contains("<stream:error") || text.contains("<close") {
            bail!("XMPP stream ended: {text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_message_bodies() {
        let frame = r#"<message xmlns="jabber:client" from="a@localhost/x" type="chat"><body>12:3:x</body></message>"#;
        assert_eq!(message_body(frame), Some("12:3:x"));
        assert_eq!(message_body("<presence/>"), None);
        assert!(chat("bob", 1, "hi").contains(r#"to="bob@localhost""#));
    }
}
