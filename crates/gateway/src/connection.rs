//! One connection's task: wait for login, then serve requests one at a time while delivering
//! pushes, until logout, a kick, UserSig expiry, silence, a slow-consumer drop or shutdown.

use std::collections::VecDeque;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use mynah_bus::{Delivery, Subscription, Taken};
use mynah_proto::codes::{ErrorCode, KickReason};
use mynah_proto::frames::{Push, RequestFrame};
use mynah_proto::requests::{Kicked, Request};
use mynah_service::hooks::StateChange;
use mynah_service::login::LoginGrant;
use mynah_service::{ServiceError, Session, now_ms};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep, sleep, sleep_until};

use crate::Gateway;
use crate::dispatch::{self, Outcome};

/// Close codes the server uses.
mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const POLICY: u16 = 1008;
    pub const RESTART: u16 = 1012;
}

/// Serves one connection until it ends. `slot` is its place under the connection limit, given
/// back when it ends.
///
/// Most connections sit idle, so what this future keeps while idle is paid per connection. It is
/// an `async move` block rather than an `async fn` (an `async fn` keeps an argument it moves on
/// twice: as the argument and as a local), the socket and the gateway are held once and lent to
/// each phase, and the login phase and the end of the session are boxed: they are alive briefly,
/// and inline they would make the resident state as large as themselves.
#[expect(clippy::manual_async_fn, reason = "an async fn would hold the socket twice; see above")]
pub fn serve(
    mut socket: WebSocket,
    gateway: Gateway,
    client_ip: Option<IpAddr>,
    slot: OwnedSemaphorePermit,
) -> impl Future<Output = ()> + Send {
    async move {
        metrics::gauge!("mynah_connections").increment(1.0);
        if let Some(LoginGrant { session, subscription, expires_at, .. }) =
            Box::pin(wait_for_login(&mut socket, &gateway, client_ip)).await
        {
            let how = serve_session(&mut socket, &gateway, &session, subscription, expires_at).await;
            Box::pin(gateway.service.session_ended(&session, how)).await;
        }
        metrics::gauge!("mynah_connections").decrement(1.0);
        drop(slot);
    }
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
                        // Only a login its client has heard succeed displaces older sessions.
                        gateway.service.displace_older_sessions(&grant.session).await;
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

/// What woke the logged-in connection.
enum Event {
    Shutdown,
    Expired,
    Replied(Outcome),
    /// The subscription has deliveries waiting.
    PushesWaiting,
    /// The flush window of held pushes has ended.
    FlushDue,
    Frame(Option<Result<Message, axum::Error>>),
    Silent,
}

/// The logged-in phase. Requests are served one at a time, in order (a connection's sends are
/// stored in the order it sent them); pushes keep flowing while a request is being served.
///
/// Pushes are coalesced: a write syscall costs about as much as everything else a delivery costs,
/// so a busy session writes at most once per `push_flush_window`. The first push after a quiet
/// spell is written at once (an idle conversation gets no added latency); pushes that arrive
/// sooner are held until the window since the last write ends, and then everything waiting is
/// written with one flush. While pushes are held the subscription is not polled, so further
/// deliveries do not wake this task.
async fn serve_session(
    socket: &mut WebSocket,
    gateway: &Gateway,
    session: &Session,
    subscription: Subscription,
    expires_at: u64,
) -> StateChange {
    tracing::debug!(app = session.app, user = %session.user, id = session.session_id, "logged in");

    let idle = sleep(gateway.config.idle_timeout);
    tokio::pin!(idle);
    let seconds_left = expires_at.saturating_sub(now_ms() / 1000);
    // Tokio timers reach a little over two years; a UserSig that outlives that never fires here.
    let expiry = sleep_until(Instant::now() + Duration::from_secs(seconds_left.min(60 * 60 * 24 * 365 * 2)));
    tokio::pin!(expiry);
    let mut pending: Option<PendingReply> = None;
    let window = gateway.config.push_flush_window;
    // A push that arrives before `quiet_from` (one window after the last write) is held until
    // then; `flush_at` is set while pushes are held. The timer is boxed and made on first use:
    // a connection that never holds pushes does not carry it.
    let mut quiet_from = Instant::now();
    let mut flush_at: Option<Instant> = None;
    let mut flush_timer: Option<Pin<Box<Sleep>>> = None;
    let mut waiting = VecDeque::new();

    let how = loop {
        let event = tokio::select! {
            biased;
            _ = gateway.shutdown.cancelled() => Event::Shutdown,
            _ = &mut expiry => Event::Expired,
            // A reply goes before pushes: its sender is waiting for it, and it is one frame.
            outcome = async { pending.as_mut().expect("guarded by is_some").await }, if pending.is_some() => {
                pending = None;
                Event::Replied(outcome)
            }
            _ = subscription.receiver.ready(), if flush_at.is_none() => Event::PushesWaiting,
            _ = async { flush_timer.as_mut().expect("set with flush_at").await }, if flush_at.is_some() => Event::FlushDue,
            frame = socket.recv(), if pending.is_none() => Event::Frame(frame),
            _ = &mut idle => Event::Silent,
        };
        match event {
            Event::Shutdown => {
                close(socket, close_code::RESTART, "server shutting down").await;
                break StateChange::Disconnect;
            }
            Event::Expired => {
                kick(socket, KickReason::UserSigExpired).await;
                break StateChange::Kicked;
            }
            Event::Replied(Outcome::Reply(frame)) => {
                if send(socket, frame).await.is_err() {
                    break StateChange::Disconnect;
                }
            }
            Event::Replied(Outcome::ReplyAndClose(frame)) => {
                let _ = send(socket, frame).await;
                close(socket, close_code::NORMAL, "logged out").await;
                break StateChange::Logout;
            }
            Event::PushesWaiting | Event::FlushDue => {
                if matches!(event, Event::PushesWaiting) && Instant::now() < quiet_from {
                    flush_at = Some(quiet_from);
                    match flush_timer.as_mut() {
                        Some(timer) => timer.as_mut().reset(quiet_from),
                        None => flush_timer = Some(Box::pin(sleep_until(quiet_from))),
                    }
                    continue;
                }
                flush_at = None;
                if subscription.receiver.take_all(&mut waiting) == Taken::Closed && waiting.is_empty() {
                    // The bus dropped this session: it could not keep up.
                    close(socket, close_code::POLICY, "too slow: reconnect and sync").await;
                    break StateChange::Disconnect;
                }
                // A client that stops reading must not hold its task forever on a full socket.
                // Boxed: the write is rarely in progress, and the idle connection stays smaller.
                let written = Box::pin(write_pushes(socket, &mut waiting, session.session_id));
                let Ok(written) = tokio::time::timeout(gateway.config.write_timeout, written).await else {
                    metrics::counter!("mynah_slow_consumers_dropped_total").increment(1);
                    break StateChange::Disconnect;
                };
                if matches!(written, Written::Continue { frames } if frames > 0) {
                    quiet_from = Instant::now() + window;
                }
                waiting.clear();
                if waiting.capacity() > WAITING_CAPACITY_KEPT {
                    // A burst should not pin its buffer for the rest of the connection.
                    waiting = VecDeque::new();
                }
                match written {
                    Written::Continue { .. } => {}
                    Written::Kicked(reason) => {
                        kick(socket, reason).await;
                        break StateChange::Kicked;
                    }
                    Written::SocketFailed => break StateChange::Disconnect,
                }
            }
            Event::Frame(frame) => {
                idle.as_mut().reset(Instant::now() + gateway.config.idle_timeout);
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => {
                        let reply = dispatch::encode::<()>(0, Err(malformed("binary frames are not supported")));
                        if send(socket, reply).await.is_err() {
                            break StateChange::Disconnect;
                        }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break StateChange::Disconnect,
                    Some(Ok(_)) => continue,
                };
                match RequestFrame::decode(&text) {
                    Ok(RequestFrame { id, request }) => {
                        pending =
                            Some(Box::pin(dispatch::dispatch(gateway.service.clone(), session.clone(), id, request)));
                    }
                    Err(error) => {
                        let reply = dispatch::encode::<()>(error.id.unwrap_or(0), Err(malformed(error.reason)));
                        if send(socket, reply).await.is_err() {
                            break StateChange::Disconnect;
                        }
                    }
                }
            }
            Event::Silent => {
                close(socket, close_code::GOING_AWAY, "no heartbeat").await;
                break StateChange::Timeout;
            }
        }
    };
    tracing::debug!(app = session.app, user = %session.user, id = session.session_id, ?how, "session ended");
    how
}

/// Deliveries a session keeps buffer space for between writes; a larger burst's buffer is freed.
const WAITING_CAPACITY_KEPT: usize = 64;

enum Written {
    /// Written and flushed; `frames` may be 0 (only pushes this session does not get were waiting),
    /// and then no flush window starts.
    Continue {
        frames: usize,
    },
    Kicked(KickReason),
    SocketFailed,
}

/// Writes the waiting pushes and flushes once: one write syscall for the lot (tungstenite also
/// writes whenever its buffer passes `write_buffer_bytes`). A kick of this session ends it there.
async fn write_pushes(socket: &mut WebSocket, waiting: &mut VecDeque<Delivery>, own_session: u64) -> Written {
    let mut written = 0usize;
    while let Some(delivery) = waiting.pop_front() {
        match delivery {
            Delivery::Kick { session, reason } if session == own_session => return Written::Kicked(reason),
            Delivery::Kick { .. } => {}
            Delivery::Push { push, except_session } => {
                if except_session != Some(own_session) {
                    let frame = push.encoded(encode_push);
                    if socket.feed(Message::Text(Utf8Bytes::from(frame.as_ref()))).await.is_err() {
                        return Written::SocketFailed;
                    }
                    written += 1;
                }
            }
        }
    }
    if written > 0 && socket.flush().await.is_err() {
        return Written::SocketFailed;
    }
    Written::Continue { frames: written }
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
