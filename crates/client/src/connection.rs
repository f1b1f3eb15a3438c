//! The task that owns a client's socket: writes requests, matches responses to them by id,
//! forwards pushes as events, and heartbeats every 30 seconds.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mynah_proto::codes::ErrorCode;
use mynah_proto::frames::{RequestFrame, ServerFrame};
use mynah_proto::requests::{Empty, Request};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::{ClientError, Event};

/// How often the client heartbeats; the server closes connections silent for 90 s.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);

/// Heartbeats use ids from the top of the range so they never collide with requests.
const HEARTBEAT_ID_BASE: u64 = u64::MAX / 2;

/// A request waiting to be written, with where its response goes.
pub struct Outgoing {
    id: u64,
    frame: String,
    reply: oneshot::Sender<Result<Value, ClientError>>,
}

/// Opens the socket and starts its task.
pub async fn open(url: &str) -> Result<(mpsc::Sender<Outgoing>, mpsc::UnboundedReceiver<Event>), ClientError> {
    let config = WebSocketConfig::default().read_buffer_size(16 * 1024).write_buffer_size(16 * 1024);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .map_err(|error| ClientError::Connection(format!("connecting to {url}: {error}")))?;
    let (requests_sender, requests) = mpsc::channel(256);
    let (events_sender, events) = mpsc::unbounded_channel();
    tokio::spawn(run(socket, requests, events_sender));
    Ok((requests_sender, events))
}

/// Queues a request and waits for its response data.
pub async fn call(requests: &mpsc::Sender<Outgoing>, id: u64, request: Request) -> Result<Value, ClientError> {
    let frame = serde_json::to_string(&RequestFrame { id, request })
        .map_err(|error| ClientError::Protocol(format!("request did not encode: {error}")))?;
    let (reply, response) = oneshot::channel();
    requests.send(Outgoing { id, frame, reply }).await.map_err(|_| closed())?;
    response.await.map_err(|_| closed())?
}

fn closed() -> ClientError {
    ClientError::Connection("the connection is closed".to_owned())
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn run(mut socket: Socket, mut requests: mpsc::Receiver<Outgoing>, events: mpsc::UnboundedSender<Event>) {
    let mut pending: HashMap<u64, oneshot::Sender<Result<Value, ClientError>>> = HashMap::new();
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT_INTERVAL, HEARTBEAT_INTERVAL);
    let mut heartbeats_sent = 0u64;
    let (close_code, close_reason) = loop {
        tokio::select! {
            outgoing = requests.recv() => {
                let Some(outgoing) = outgoing else {
                    // Every Client handle is gone: end the session politely.
                    let _ = socket.close(None).await;
                    break (None, "client dropped".to_owned());
                };
                if let Err(error) = socket.send(Message::text(outgoing.frame)).await {
                    let _ = outgoing.reply.send(Err(ClientError::Connection(error.to_string())));
                    break (None, error.to_string());
                }
                pending.insert(outgoing.id, outgoing.reply);
            }
            _ = heartbeat.tick() => {
                heartbeats_sent += 1;
                let frame = RequestFrame { id: HEARTBEAT_ID_BASE + heartbeats_sent, request: Request::Heartbeat(Empty {}) };
                let text = serde_json::to_string(&frame).unwrap_or_default();
                if let Err(error) = socket.send(Message::text(text)).await {
                    break (None, error.to_string());
                }
            }
            frame = socket.next() => {
                match frame {
                    Some(Ok(Message::Text(text))) => handle_frame(&text, &mut pending, &events),
                    Some(Ok(Message::Close(frame))) => {
                        break match frame {
                            Some(frame) => (Some(u16::from(frame.code)), frame.reason.to_string()),
                            None => (None, "closed".to_owned()),
                        };
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => break (None, error.to_string()),
                    None => break (None, "connection ended".to_owned()),
                }
            }
        }
    };
    for (_, reply) in pending.drain() {
        let _ = reply.send(Err(closed()));
    }
    let _ = events.send(Event::Closed { code: close_code, reason: close_reason });
}

fn handle_frame(
    text: &str,
    pending: &mut HashMap<u64, oneshot::Sender<Result<Value, ClientError>>>,
    events: &mpsc::UnboundedSender<Event>,
) {
    match serde_json::from_str::<ServerFrame>(text) {
        Ok(ServerFrame::Response(response)) => {
            let Some(reply) = pending.remove(&response.id) else {
                if response.id < HEARTBEAT_ID_BASE {
                    tracing::debug!(id = response.id, "response to no pending request");
                }
                return;
            };
            let result = if response.code == ErrorCode::OK {
                Ok(response.data.unwrap_or(Value::Object(Default::default())))
            } else {
                Err(ClientError::Server { code: response.code, message: response.message.unwrap_or_default() })
            };
            let _ = reply.send(result);
        }
        Ok(ServerFrame::Push(push)) => {
            let _ = events.send(Event::Push(push));
        }
        // Unknown push kinds from a newer server are ignored, as the protocol asks.
        Err(error) => tracing::debug!(%error, "ignored a frame this client does not understand"),
    }
}
