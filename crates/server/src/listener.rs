//! The accept loop: every TCP connection is served as HTTP/1 with a time limit on everything a
//! client controls before its request is handled, and no source address may hold more than its
//! share of connections.
//!
//! A connection that sends nothing, half a header, headers a byte at a time, a body that never
//! ends, or that sits idle after a request, is closed: otherwise each one holds a file descriptor
//! for ever, and a few hundred of them make the whole server (health checks, WebSocket, REST)
//! unreachable. The request head (and the wait for the next one on a kept-alive connection) has
//! `header_timeout`; the body has `body_timeout` from the end of the head. A WebSocket upgrade is
//! a request like any other, so the time from accept to a completed upgrade is bounded by the
//! two, and after it the gateway's login deadline takes over. Until then every write (hyper's
//! responses) has the write timeout, like the gateway's writes after it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;

/// The largest request body read; the same as axum's default limit for its body extractors.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How long the accept loop pauses after an error that is not about one connection (such as
/// running out of file descriptors), so it does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(200);

/// The shortest time between two warnings about failing accepts.
const ACCEPT_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// What the accept loop allows each connection.
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// How long a client has to send a request's head; also how long a kept-alive connection may
    /// wait for its next request.
    pub header_timeout: Duration,
    /// How long a client has to send a request's body once its head is in.
    pub body_timeout: Duration,
    /// The most connections open at once from one IP address; 0 = no limit.
    pub max_connections_per_address: usize,
    /// How long a write may wait for room in the socket before the connection is dropped.
    pub write_timeout: Duration,
    /// The kernel send buffer of each socket, in bytes; 0 leaves the kernel's autotuning.
    pub send_buffer_bytes: u32,
}

/// Accepts and serves connections until `shutdown` is cancelled. Connection tasks are spawned on
/// `tasks`; at shutdown each finishes the request it is serving and closes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) {
    let per_address = PerAddress::new(limits.max_connections_per_address);
    let mut last_warning = None;
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Per-connection errors (the peer reset before accept) need no pause.
                    if !is_connection_error(&error) {
                        // Out of file descriptors, this repeats every pause: one line per minute.
                        if last_warning.is_none_or(|at: Instant| at.elapsed() >= ACCEPT_WARNING_INTERVAL) {
                            tracing::warn!(%error, "accepting connections fails");
                            last_warning = Some(Instant::now());
                        }
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    }
                    continue;
                }
            },
        };
        let Some(slot) = per_address.enter(peer.ip()) else {
            metrics::counter!("mynah_connections_refused_total", "reason" => "per_address").increment(1);
            refuse(stream);
            continue;
        };
        // Small frames must not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        // A client that stops reading ties up at most this much kernel memory, and its blocked
        // write (and so the write timeout) starts once that much waits, not after 4 MiB.
        if limits.send_buffer_bytes > 0 {
            let _ = socket2::SockRef::from(&stream).set_send_buffer_size(limits.send_buffer_bytes as usize);
        }
        let http_phase = Arc::new(AtomicBool::new(true));
        let connection = Connection::new(stream, slot, limits.write_timeout, http_phase.clone());
        let served = serve_connection(connection, peer, router.clone(), limits.clone(), shutdown.clone());
        tasks.spawn(async move {
            served.await;
            http_phase.store(false, Ordering::Relaxed);
        });
    }
}

/// Serves one connection's HTTP requests until it closes, upgrades or times out.
async fn serve_connection(
    connection: Connection,
    peer: SocketAddr,
    router: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
) {
    let body_timeout = limits.body_timeout;
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let router = router.clone();
        handle(router, request, peer, body_timeout)
    });
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    let served = builder.serve_connection(TokioIo::new(connection), service).with_upgrades();
    tokio::pin!(served);
    tokio::select! {
        result = served.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection ended");
            }
        }
        _ = shutdown.cancelled() => {
            // Finish the request in progress (if any), then close.
            served.as_mut().graceful_shutdown();
            let _ = served.await;
        }
    }
}

/// Reads the body within the body timeout, then hands the request to the router with the
/// client's address (as `ConnectInfo`, which the gateway and REST read).
async fn handle(
    mut router: Router,
    request: Request<Incoming>,
    peer: SocketAddr,
    body_timeout: Duration,
) -> Result<Response<Body>, Infallible> {
    let (mut parts, body) = request.into_parts();
    let body = match tokio::time::timeout(body_timeout, axum::body::to_bytes(Body::new(body), MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return Ok(closing(StatusCode::PAYLOAD_TOO_LARGE, "request body too large or broken")),
        Err(_) => return Ok(closing(StatusCode::REQUEST_TIMEOUT, "request body too slow")),
    };
    parts.extensions.insert(ConnectInfo(peer));
    router.call(Request::from_parts(parts, Body::from(body))).await
}

/// A response after which the connection closes (its request body was not read to the end).
fn closing(status: StatusCode, message: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(message));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Closes a connection over the per-address limit, with a 503 if the socket takes it at once.
fn refuse(stream: TcpStream) {
    const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 35\r\n\
                             connection: close\r\n\r\ntoo many connections from this host";
    // Never waits: a refused client gets no more of the server's time than this.
    let _ = stream.try_write(REFUSAL);
}

fn is_connection_error(error: &io::Error) -> bool {
    use io::ErrorKind;
    matches!(error.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset)
}

/// Open connections per source address.
#[derive(Clone)]
struct PerAddress {
    limit: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerAddress {
    fn new(limit: usize) -> PerAddress {
        PerAddress { limit, open: Arc::default() }
    }

    /// A place for one more connection from `address`, or `None` when it has its limit.
    fn enter(&self, address: IpAddr) -> Option<AddressSlot> {
        if self.limit == 0 {
            return Some(AddressSlot { counter: None, address });
        }
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(address).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot { counter: Some(self.clone()), address })
    }
}

/// One connection's place under its address's limit, given back when the connection is dropped.
struct AddressSlot {
    counter: Option<PerAddress>,
    address: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let Some(counter) = &self.counter else { return };
        let mut open = counter.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// An accepted socket with its per-address slot, whose writes give up after the write timeout.
///
/// The slot goes wherever the socket goes (into a WebSocket after an upgrade), so it is held until
/// the connection really closes. The write limit covers what hyper writes (a response to a client
/// that pipelines requests and never reads the answers would otherwise wait for ever). It ends
/// with the HTTP phase: after an upgrade the gateway bounds its own writes (and counts the clients
/// it drops), and tungstenite's reads also try writes, which would start this timer early.
struct Connection {
    stream: TcpStream,
    _slot: AddressSlot,
    write_timeout: Duration,
    /// Cleared when hyper is done with the connection (closed or upgraded).
    http_phase: Arc<AtomicBool>,
    /// Runs while a write waits for room in the socket; made on the first such wait.
    stalled: Option<Pin<Box<Sleep>>>,
    /// Set once a write timed out: the connection is finished, every later write fails at once.
    timed_out: bool,
}

impl Connection {
    fn new(stream: TcpStream, slot: AddressSlot, write_timeout: Duration, http_phase: Arc<AtomicBool>) -> Connection {
        Connection { stream, _slot: slot, write_timeout, http_phase, stalled: None, timed_out: false }
    }

    /// Turns a write's result into a timeout once it has waited `write_timeout` for room.
    fn bounded<T>(&mut self, context: &mut Context<'_>, result: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if result.is_ready() || !self.http_phase.load(Ordering::Relaxed) {
            self.stalled = None;
            return result;
        }
        let deadline = Instant::now() + self.write_timeout;
        let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if stalled.as_mut().poll(context).is_ready() {
            self.timed_out = true;
            self.stalled = None;
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading")));
        }
        Poll::Pending
    }

    fn check(&self) -> io::Result<()> {
        if self.timed_out {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading"));
        }
        Ok(())
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(context, buffer)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(mut self: Pin<&mut Self>, context: &mut Context<'_>, buffer: &[u8]) -> Poll<io::Result<usize>> {
        self.check()?;
        let result = Pin::new(&mut self.stream).poll_write(context, buffer);
        self.bounded(context, result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        let result = Pin::new(&mut self.stream).poll_write_vectored(context, buffers);
        self.bounded(context, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        let result = Pin::new(&mut self.stream).poll_flush(context);
        self.bounded(context, result)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_places_back_when_connections_close() {
        let per_address = PerAddress::new(2);
        let host: IpAddr = [10, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 2].into();
        let first = per_address.enter(host).expect("first");
        let _second = per_address.enter(host).expect("second");
        assert!(per_address.enter(host).is_none(), "a third from one address is refused");
        assert!(per_address.enter(other).is_some(), "other addresses are not affected");
        drop(first);
        assert!(per_address.enter(host).is_some(), "a closed connection's place is free again");
    }

    #[test]
    fn zero_is_no_limit() {
        let per_address = PerAddress::new(0);
        let host: IpAddr = [10, 0, 0, 1].into();
        let slots: Vec<_> = (0..10_000).map(|_| per_address.enter(host).expect("no limit")).collect();
        assert_eq!(slots.len(), 10_000);
        assert!(per_address.open.lock().unwrap().is_empty(), "nothing is counted without a limit");
    }
}
