//! One connection's task: wait for login, then serve requests one at a time while delivering
//! pushes, until logout, a kick, UserSig expiry, silence, a slow-consumer drop or shutdown.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use mynah_bus::Delivery;
use mynah_proto::codes::{ErrorCode, KickReason};
use mynah_proto::frames::{Push, RequestFrame};
use mynah_proto::requests::{Kicked, Request};
use mynah_service::hooks::StateChange;
use mynah_service::login::LoginGrant;
use mynah_service::{ServiceError, now_ms};
use tokio::time::{Instant, sleep, sleep_until};

use crate::Gateway;
use crate::dispatch::{self, Outcome};

/// Close codes the server uses.
mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const POLICY: u16 = 1008;
    pub const RESTART: u16 = 1012;
}

/// Serves one connection until it ends.
pub async fn serve(mut socket: WebSocket, gateway: Gateway, client_ip: Option<IpAddr>) {
    metrics::gauge!("mynah_connections").increment(1.0);
    if let Some(grant) = wait_for_login(&mut socket, &gateway, client_ip).await {
        let session = grant.session.clone();
        let how = serve_session(socket, gateway.clone(), grant).await;
        gateway.service.session_ended(&session, how).await;
    }
    metrics::gauge!("mynah_connections").decrement(1.0);
}

/// Reads frames until a login succeeds. Other requests are answered with "not logged in".
async fn wait_for_login(socket: &mut WebSocket, gateway: &Gateway, client_ip: Option<IpAddr>) -> Option<LoginGrant> {
    let deadline = sleep(gateway.config.login_timeout);
    tokio::pin!(deadline);
    loop {
        let frame = tokio::select! {
            _ = &mut deadline => {
                close(socket, close_code::POLICY, "login timeout").await;
                return None;
            }
            _ = gateway.shutdown.cancelled() => {
                close(socket, close_code::RESTART, "server shutting down").await;
                return None;
            }
            frame = socket.recv() => frame,
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                send(socket, dispatch::encode::<()>(0, Err(malformed("binary frames are not supported"))))
                    .await
                    .ok()?;
                continue;
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        };
        let reply = match RequestFrame::decode(&text) {
            Err(error) => dispatch::encode::<()>(error.id.unwrap_or(0), Err(malformed(error.reason))),
            Ok(RequestFrame { id, request: Request::Login(login) }) => {
                match gateway.service.login(&login, client_ip).await {
                    Ok(grant) => {
                        send(socket, dispatch::encode(id, Ok(&grant.result))).await.ok()?;
                        return Some(grant);
                    }
                    Err(error) => dispatch::encode::<()>(id, Err(error)),
                }
            }
            Ok(RequestFrame { id, .. }) => {
                dispatch::encode::<()>(id, Err(ServiceError::new(ErrorCode::NOT_LOGGED_IN, "log in first")))
            }
        };
        send(socket, reply).await.ok()?;
    }
}

type PendingReply = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// The logged-in phase. Requests are served one at a time, in order (a connection's sends are
/// stored in the order it sent them); pushes keep flowing while a request is being served.
async fn serve_session(mut socket: WebSocket, gateway: Gateway, grant: LoginGrant) -> StateChange {
    let LoginGrant { session, mut subscription, expires_at, .. } = grant;
    tracing::debug!(app = session.app, user = %session.user, id = session.session_id, "logged in");

    let idle = sleep(gateway.config.idle_timeout);
    tokio::pin!(idle);
    let seconds_left = expires_at.saturating_sub(now_ms() / 1000);
    // Tokio timers reach a little over two years; a UserSig that outlives that never fires here.
    let expiry = sleep_until(Instant::now() + Duration::from_secs(seconds_left.min(60 * 60 * 24 * 365 * 2)));
    tokio::pin!(expiry);
    let mut pending: Option<PendingReply> = None;

    let how = loop {
        tokio::select! {
            biased;
            _ = gateway.shutdown.cancelled() => {
                close(&mut socket, close_code::RESTART, "server shutting down").await;
                break StateChange::Disconnect;
            }
            _ = &mut expiry => {
                kick(&mut socket, KickReason::UserSigExpired).await;
                break StateChange::Kicked;
            }
            delivery = subscription.receiver.recv() => {
                let Some(delivery) = delivery else {
                    // The bus dropped this session: it could not keep up.
                    close(&mut socket, close_code::POLICY, "too slow: reconnect and sync").await;
                    break StateChange::Disconnect;
                };
                // A client that stops reading must not hold its task forever on a full socket.
                let delivered = deliver(&mut socket, &mut subscription.receiver, delivery, session.session_id);
                let Ok(delivered) = tokio::time::timeout(gateway.config.write_timeout, delivered).await else {
                    metrics::counter!("mynah_slow_consumers_dropped_total").increment(1);
                    break StateChange::Disconnect;
                };
                match delivered {
                    Delivered::Continue => {}
                    Delivered::Kicked(reason) => {
                        kick(&mut socket, reason).await;
                        break StateChange::Kicked;
                    }
                    Delivered::SocketFailed => break StateChange::Disconnect,
                }
            }
            outcome = async { pending.as_mut().expect("guarded by is_some").await }, if pending.is_some() => {
                pending = None;
                match outcome {
                    Outcome::Reply(frame) => {
                        if send(&mut socket, frame).await.is_err() {
                            break StateChange::Disconnect;
                        }
                    }
                    Outcome::ReplyAndClose(frame) => {
                        let _ = send(&mut socket, frame).await;
                        close(&mut socket, close_code::NORMAL, "logged out").await;
                        break StateChange::Logout;
                    }
                }
            }
            frame = socket.recv(), if pending.is_none() => {
                idle.as_mut().reset(Instant::now() + gateway.config.idle_timeout);
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => {
                        if send(&mut socket, dispatch::encode::<()>(0, Err(malformed("binary frames are not supported")))).await.is_err() {
                            break StateChange::Disconnect;
                        }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break StateChange::Disconnect,
                    Some(Ok(_)) => continue,
                };
                match RequestFrame::decode(&text) {
                    Ok(RequestFrame { id, request }) => {
                        pending = Some(Box::pin(dispatch::dispatch(gateway.service.clone(), session.clone(), id, request)));
                    }
                    Err(error) => {
                        let reply = dispatch::encode::<()>(error.id.unwrap_or(0), Err(malformed(error.reason)));
                        if send(&mut socket, reply).await.is_err() {
                            break StateChange::Disconnect;
                        }
                    }
                }
            }
            _ = &mut idle => {
                close(&mut socket, close_code::GOING_AWAY, "no heartbeat").await;
                break StateChange::Timeout;
            }
        }
    };
    tracing::debug!(app = session.app, user = %session.user, id = session.session_id, ?how, "session ended");
    how
}

enum Delivered {
    Continue,
    Kicked(KickReason),
    SocketFailed,
}

/// Writes a delivery and whatever else is already queued, then flushes once: one write syscall
/// for a burst of pushes instead of one per push.
async fn deliver(
    socket: &mut WebSocket,
    receiver: &mut tokio::sync::mpsc::Receiver<Delivery>,
    first: Delivery,
    own_session: u64,
) -> Delivered {
    let mut next = Some(first);
    let mut written = 0usize;
    while let Some(delivery) = next.take() {
        match delivery {
            Delivery::Kick { session, reason } if session == own_session => return Delivered::Kicked(reason),
            Delivery::Kick { .. } => {}
            Delivery::Push { push, except_session } => {
                if except_session != Some(own_session) {
                    let frame = push.encoded(encode_push);
                    if socket.feed(Message::Text(Utf8Bytes::from(frame.as_ref()))).await.is_err() {
                        return Delivered::SocketFailed;
                    }
                    written += 1;
                }
            }
        }
        if written < 64 {
            next = receiver.try_recv().ok();
        }
    }
    if written > 0 && socket.flush().await.is_err() {
        return Delivered::SocketFailed;
    }
    Delivered::Continue
}

fn encode_push(push: &Push) -> String {
    serde_json::to_string(push).unwrap_or_else(|error| {
        tracing::error!(%error, "push did not encode");
        String::from("{}")
    })
}

async fn kick(socket: &mut WebSocket, reason: KickReason) {
    let frame = encode_push(&Push::Kicked(Kicked { reason }));
    let _ = send(socket, frame).await;
    close(socket, close_code::POLICY, "kicked").await;
}

async fn send(socket: &mut WebSocket, frame: String) -> Result<(), axum::Error> {
    socket.send(Message::Text(Utf8Bytes::from(frame))).await
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }))).await;
}

fn malformed(reason: impl Into<String>) -> ServiceError {
    ServiceError::new(ErrorCode::REQUEST_MALFORMED, reason)
}
