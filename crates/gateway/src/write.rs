//! Socket writes with a time limit, and the frames a connection ends with.
//!
//! A write to a client that stopped reading waits for space in the socket forever, so no write
//! here is unbounded: a client must never keep its connection (and its task, and its session) by
//! not reading.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use mynah_proto::codes::KickReason;
use mynah_proto::frames::Push;
use mynah_proto::requests::Kicked;

/// Close codes the server uses.
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const POLICY: u16 = 1008;
    pub const RESTART: u16 = 1012;
}

/// Why a bounded write did not complete.
#[derive(Debug)]
pub enum WriteFailed {
    /// The socket failed (the client is gone).
    Socket,
    /// The client did not make room in time: it stopped reading.
    TimedOut,
}

/// The last frames of a connection, sent after its session has ended.
#[derive(Debug)]
pub enum Farewell {
    /// Nothing: the socket is stalled or broken, so the connection is just dropped.
    None,
    /// A close frame.
    Close { code: u16, reason: &'static str },
    /// A `kicked` push, then a policy close frame.
    Kick(KickReason),
}

/// Writes one text frame, giving up after `limit`.
pub async fn send_within(socket: &mut WebSocket, frame: String, limit: Duration) -> Result<(), WriteFailed> {
    match tokio::time::timeout(limit, socket.send(Message::Text(Utf8Bytes::from(frame)))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(WriteFailed::Socket),
        Err(_) => Err(WriteFailed::TimedOut),
    }
}

/// Sends a connection's last frames, all within `limit` (zero tries once, without waiting for
/// space in the socket). The frames are a courtesy: the connection is dropped either way.
pub async fn say_farewell(socket: &mut WebSocket, farewell: Farewell, limit: Duration) {
    let frames = async {
        match farewell {
            Farewell::None => Ok(()),
            Farewell::Close { code, reason } => socket.send(close_frame(code, reason)).await,
            Farewell::Kick(reason) => {
                socket
                    .feed(Message::Text(Utf8Bytes::from(mynah_bus::encode_push(&Push::Kicked(Kicked { reason })))))
                    .await?;
                socket.send(close_frame(close_code::POLICY, "kicked")).await
            }
        }
    };
    // Whether it arrived changes nothing: the caller drops the socket next.
    let _ = tokio::time::timeout(limit, frames).await;
}

fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }))
}
