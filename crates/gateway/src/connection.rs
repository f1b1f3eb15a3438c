//! One connection's task: wait for login, then serve requests one at a time while delivering
//! pushes, until logout, a kick, UserSig expiry, silence, a slow-consumer drop or shutdown.
//!
//! Every write is bounded by the write timeout (see [`crate::write`]), and a write in progress
//! still gives way to what ends a session (a kick, a new login displacing it, UserSig expiry,
//! shutdown): a client that stops reading cannot keep a session the server has ended.

use std::collections::VecDeque;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use mynah_bus::{Delivery, SESSION_QUEUE_CAPACITY, Subscription, Taken};
use mynah_proto::codes::{ErrorCode, KickReason};
use mynah_proto::frames::RequestFrame;
use mynah_proto::requests::{LoginRequest, Request};
use mynah_service::hooks::StateChange;
use mynah_service::login::LoginGrant;
use mynah_service::{ServiceError, Session, now_ms};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep, sleep, sleep_until, timeout_at};

use crate::Gateway;
use crate::dispatch::{self, Outcome};
use crate::write::{Farewell, WriteFailed, close_code, say_farewell, send_within};

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

/// How reading the login phase's frames ended.
enum LoginStep {
    Login {
        id: u64,
        request: LoginRequest,
    },
    Shutdown,
    /// The client left, or a reply could not be written.
    Gone,
}

/// Reads frames until a login succeeds. Other requests are answered with "not logged in".
///
/// The login deadline covers everything the connection does before it is logged in, its replies
/// included: a client that floods junk and never reads is closed at the deadline like an idle one.
/// Only the login call itself is not cut short, so a login is never left half registered.
async fn wait_for_login(socket: &mut WebSocket, gateway: &Gateway, client_ip: Option<IpAddr>) -> Option<LoginGrant> {
    let deadline = Instant::now() + gateway.config.login_timeout;
    let write_timeout = gateway.config.write_timeout;
    loop {
        let step = match timeout_at(deadline, next_login(socket, gateway)).await {
            Ok(step) => step,
            Err(_) => {
                // At the deadline, whatever the client is doing: a stalled socket gets no wait.
                say_farewell(
                    socket,
                    Farewell::Close { code: close_code::POLICY, reason: "login timeout" },
                    Duration::ZERO,
                )
                .await;
                return None;
            }
        };
        let (id, request) = match step {
            LoginStep::Login { id, request } => (id, request),
            LoginStep::Shutdown => {
                let farewell = Farewell::Close { code: close_code::RESTART, reason: "server shutting down" };
                say_farewell(socket, farewell, write_timeout).await;
                return None;
            }
            LoginStep::Gone => return None,
        };
        match gateway.service.login(&request, client_ip).await {
            Ok(grant) => {
                // Logged in: the login deadline is over, and the reply is bounded like any other.
                if send_within(socket, dispatch::encode(id, Ok(&grant.result)), write_timeout).await.is_ok() {
                    // Only a login its client has heard succeed displaces older sessions.
                    gateway.service.displace_older_sessions(&grant.session).await;
                    return Some(grant);
                }
                // The session was registered (and its login recorded): end it as a disconnect.
                let LoginGrant { session, subscription, .. } = grant;
                drop(subscription);
                gateway.service.session_ended(&session, StateChange::Disconnect).await;
                return None;
            }
            Err(error) => {
                let reply = dispatch::encode::<()>(id, Err(error));
                match timeout_at(deadline, send_within(socket, reply, write_timeout)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return None,
                    Err(_) => {
                        let farewell = Farewell::Close { code: close_code::POLICY, reason: "login timeout" };
                        say_farewell(socket, farewell, Duration::ZERO).await;
                        return None;
                    }
                }
            }
        }
    }
}

/// Reads frames, answering everything but a login request, until one arrives.
async fn next_login(socket: &mut WebSocket, gateway: &Gateway) -> LoginStep {
    loop {
        let frame = tokio::select! {
            _ = gateway.shutdown.cancelled() => return LoginStep::Shutdown,
            frame = socket.recv() => frame,
        };
        let reply = match frame {
            Some(Ok(Message::Text(text))) => match RequestFrame::decode(&text) {
                Err(error) => dispatch::encode::<()>(error.id.unwrap_or(0), Err(malformed(error.reason))),
                Ok(RequestFrame { id, request: Request::Login(request) }) => return LoginStep::Login { id, request },
                Ok(RequestFrame { id, .. }) => {
                    dispatch::encode::<()>(id, Err(ServiceError::new(ErrorCode::NOT_LOGGED_IN, "log in first")))
                }
            },
            Some(Ok(Message::Binary(_))) => {
                dispatch::encode::<()>(0, Err(malformed("binary frames are not supported")))
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return LoginStep::Gone,
        };
        if send_within(socket, reply, gateway.config.write_timeout).await.is_err() {
            return LoginStep::Gone;
        }
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
///
/// When the session ends, its subscription is dropped (so it is unregistered at once) before the
/// last frames are written, and those are bounded by the write timeout too.
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
    let write_timeout = gateway.config.write_timeout;
    // A push that arrives before `quiet_from` (one window after the last write) is held until
    // then; `flush_at` is set while pushes are held. The timer is boxed and made on first use:
    // a connection that never holds pushes does not carry it.
    let mut quiet_from = Instant::now();
    let mut flush_at: Option<Instant> = None;
    let mut flush_timer: Option<Pin<Box<Sleep>>> = None;
    let mut waiting = VecDeque::new();
    // Deliveries taken from the subscription while a write was in progress (to look for a kick),
    // written with the next batch; they are older than anything still in the subscription.
    let mut taken_while_writing = VecDeque::new();

    let ending = loop {
        let event = tokio::select! {
            biased;
            _ = gateway.shutdown.cancelled() => Event::Shutdown,
            _ = &mut expiry => Event::Expired,
            // A reply goes before pushes: its sender is waiting for it, and it is one frame.
            outcome = async { pending.as_mut().expect("guarded by is_some").await }, if pending.is_some() => {
                pending = None;
                Event::Replied(outcome)
            }
            _ = async {
                if taken_while_writing.is_empty() {
                    subscription.receiver.ready().await;
                }
            }, if flush_at.is_none() => Event::PushesWaiting,
            _ = async { flush_timer.as_mut().expect("set with flush_at").await }, if flush_at.is_some() => Event::FlushDue,
            frame = socket.recv(), if pending.is_none() => Event::Frame(frame),
            _ = &mut idle => Event::Silent,
        };
        // Watches for what ends the session while a write is in progress.
        let mut watch = Watch {
            gateway,
            subscription: &subscription,
            expiry: expiry.as_mut(),
            taken: &mut taken_while_writing,
            own_session: session.session_id,
        };
        match event {
            Event::Shutdown => {
                break Ending::with(
                    StateChange::Disconnect,
                    Farewell::Close { code: close_code::RESTART, reason: "server shutting down" },
                );
            }
            Event::Expired => break Ending::with(StateChange::Kicked, Farewell::Kick(KickReason::UserSigExpired)),
            Event::Replied(Outcome::Reply(frame)) => {
                if let Err(ending) = Box::pin(watch.write(send_within(socket, frame, write_timeout))).await {
                    break ending;
                }
            }
            Event::Replied(Outcome::ReplyAndClose(frame)) => {
                match Box::pin(watch.write(send_within(socket, frame, write_timeout))).await {
                    Ok(()) => {
                        break Ending::with(
                            StateChange::Logout,
                            Farewell::Close { code: close_code::NORMAL, reason: "logged out" },
                        );
                    }
                    // The client asked to log out; only an ending of the server's own counts as more.
                    Err(ending) if ending.how == StateChange::Disconnect => break Ending::silent(StateChange::Logout),
                    Err(ending) => break ending,
                }
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
                waiting.extend(std::mem::take(watch.taken));
                if subscription.receiver.take_all(&mut waiting) == Taken::Closed && waiting.is_empty() {
                    // The bus dropped this session: it could not keep up.
                    break Ending::with(
                        StateChange::Disconnect,
                        Farewell::Close { code: close_code::POLICY, reason: "too slow: reconnect and sync" },
                    );
                }
                // Boxed: the write is rarely in progress, and the idle connection stays smaller.
                let written = Box::pin(watch.write(async {
                    match tokio::time::timeout(write_timeout, write_pushes(socket, &mut waiting, session.session_id))
                        .await
                    {
                        Ok(written) => Ok(written),
                        Err(_) => Err(WriteFailed::TimedOut),
                    }
                }))
                .await;
                let written = match written {
                    Ok(written) => written,
                    Err(ending) => break ending,
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
                    Written::Kicked(reason) => break Ending::with(StateChange::Kicked, Farewell::Kick(reason)),
                    Written::SocketFailed => break Ending::silent(StateChange::Disconnect),
                }
            }
            Event::Frame(frame) => {
                idle.as_mut().reset(Instant::now() + gateway.config.idle_timeout);
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => {
                        let reply = dispatch::encode::<()>(0, Err(malformed("binary frames are not supported")));
                        if let Err(ending) = Box::pin(watch.write(send_within(socket, reply, write_timeout))).await {
                            break ending;
                        }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        break Ending::silent(StateChange::Disconnect);
                    }
                    Some(Ok(_)) => continue,
                };
                match RequestFrame::decode(&text) {
                    Ok(RequestFrame { id, request }) => {
                        pending =
                            Some(Box::pin(dispatch::dispatch(gateway.service.clone(), session.clone(), id, request)));
                    }
                    Err(error) => {
                        let reply = dispatch::encode::<()>(error.id.unwrap_or(0), Err(malformed(error.reason)));
                        if let Err(ending) = Box::pin(watch.write(send_within(socket, reply, write_timeout))).await {
                            break ending;
                        }
                    }
                }
            }
            Event::Silent => {
                break Ending::with(
                    StateChange::Timeout,
                    Farewell::Close { code: close_code::GOING_AWAY, reason: "no heartbeat" },
                );
            }
        }
    };
    // A request being served is finished on its own task, its reply dropped: a send that committed
    // must still be pushed to the others (the service runs sends inline, trusting this).
    if let Some(pending) = pending.take() {
        gateway.tasks.spawn(pending);
    }
    // Unregistered before the last frames: a client that does not read them is offline already.
    drop(subscription);
    let Ending { how, farewell, at_once } = ending;
    let limit = if at_once { Duration::ZERO } else { write_timeout };
    Box::pin(say_farewell(socket, farewell, limit)).await;
    tracing::debug!(app = session.app, user = %session.user, id = session.session_id, ?how, "session ended");
    how
}

/// How a session ends: what is reported, and the frames it ends with.
struct Ending {
    how: StateChange,
    farewell: Farewell,
    /// The farewell is tried once, without waiting for room in the socket: it was decided while a
    /// write was stuck, and a client that is not reading must not keep the connection longer.
    at_once: bool,
}

impl Ending {
    /// Ends with `farewell`, which may take up to the write timeout.
    fn with(how: StateChange, farewell: Farewell) -> Ending {
        Ending { how, farewell, at_once: false }
    }

    /// Ends without more frames (the socket failed or is stalled).
    fn silent(how: StateChange) -> Ending {
        Ending { how, farewell: Farewell::None, at_once: true }
    }

    /// Ends while a write is in progress: the farewell goes only if the socket has room now.
    fn interrupting(how: StateChange, farewell: Farewell) -> Ending {
        Ending { how, farewell, at_once: true }
    }
}

/// What a logged-in connection watches while one of its writes is in progress: a client that
/// stopped reading blocks the write, and the session must still end when the server ends it.
struct Watch<'a> {
    gateway: &'a Gateway,
    subscription: &'a Subscription,
    expiry: Pin<&'a mut Sleep>,
    /// Where deliveries taken to look for a kick are kept for the next write.
    taken: &'a mut VecDeque<Delivery>,
    own_session: u64,
}

impl Watch<'_> {
    /// Runs `write` (already bounded by the write timeout) unless the session ends first. A write
    /// that fails or times out ends the session without more frames.
    async fn write<T>(&mut self, write: impl Future<Output = Result<T, WriteFailed>>) -> Result<T, Ending> {
        let written = tokio::select! {
            biased;
            ending = self.session_ended() => return Err(ending),
            written = write => written,
        };
        written.map_err(|failure| {
            if matches!(failure, WriteFailed::TimedOut) {
                metrics::counter!("mynah_slow_consumers_dropped_total").increment(1);
            }
            Ending::silent(StateChange::Disconnect)
        })
    }

    /// Resolves when shutdown, UserSig expiry, a kick of this session or the bus giving up on it
    /// ends the session. The write it interrupts stays whole in the socket's buffer (frames are
    /// queued whole), so the farewell can still follow it if the socket has room.
    async fn session_ended(&mut self) -> Ending {
        loop {
            tokio::select! {
                biased;
                _ = self.gateway.shutdown.cancelled() => {
                    let farewell = Farewell::Close { code: close_code::RESTART, reason: "server shutting down" };
                    return Ending::interrupting(StateChange::Disconnect, farewell);
                }
                _ = self.expiry.as_mut() => {
                    return Ending::interrupting(StateChange::Kicked, Farewell::Kick(KickReason::UserSigExpired));
                }
                _ = self.subscription.receiver.ready() => {
                    // Only what was just taken is new: a stuck write must not rescan the whole buffer.
                    let seen = self.taken.len();
                    let taken = self.subscription.receiver.take_all(self.taken);
                    let own = self.own_session;
                    let kick = self.taken.range(seen..).find_map(|delivery| match delivery {
                        Delivery::Kick { session, reason } if *session == own => Some(*reason),
                        _ => None,
                    });
                    if let Some(reason) = kick {
                        return Ending::interrupting(StateChange::Kicked, Farewell::Kick(reason));
                    }
                    // Taking deliveries keeps the bus's queue empty, so its slow-consumer limit is
                    // applied here instead.
                    if taken == Taken::Closed || self.taken.len() > SESSION_QUEUE_CAPACITY {
                        metrics::counter!("mynah_slow_consumers_dropped_total").increment(1);
                        let farewell = Farewell::Close { code: close_code::POLICY, reason: "too slow: reconnect and sync" };
                        return Ending::interrupting(StateChange::Disconnect, farewell);
                    }
                }
            }
        }
    }
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
                    let frame = push.frame();
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

fn malformed(reason: impl Into<String>) -> ServiceError {
    ServiceError::new(ErrorCode::REQUEST_MALFORMED, reason)
}
