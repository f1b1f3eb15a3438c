//! Plain HTTP: `/healthz` and `/metrics`, and the accept loop's limits on slow, idle and
//! too-many connections, checked with raw TCP sockets.

use std::time::Duration;

use mynah_test_support::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout, timeout_at};

#[tokio::test]
async fn health_and_metrics_answer() {
    let server = TestServer::start().await;
    let (alice, _events) = server.client("alice").await;
    alice.send_text("bob", "counted").await.unwrap();

    let health = reqwest::get(server.http_url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let metrics = reqwest::get(server.http_url("/metrics")).await.unwrap();
    assert_eq!(metrics.status(), 200);
    let body = metrics.text().await.unwrap();
    assert!(body.contains("mynah_messages_sent_total"), "metrics:\n{body}");
}

/// A server whose HTTP time limits are one second.
async fn server_with_short_http_timeouts() -> TestServer {
    TestServer::start_with(|config| {
        config.http_header_timeout_seconds = 1;
        config.http_body_timeout_seconds = 1;
    })
    .await
}

/// Reads (and ignores) whatever the server sends until it closes the connection; false if it is
/// still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        match timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Well past the one-second limits, well short of "never".
const CLOSED_BY: Duration = Duration::from_secs(4);

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let server = server_with_short_http_timeouts().await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    assert!(closed_within(&mut stream, CLOSED_BY).await, "a silent connection stayed open");
}

#[tokio::test]
async fn half_a_header_is_closed_at_the_header_timeout() {
    let server = server_with_short_http_timeouts().await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: mynah\r\n").await.unwrap();
    assert!(closed_within(&mut stream, CLOSED_BY).await, "half a request head stayed open");
}

#[tokio::test]
async fn a_half_finished_websocket_upgrade_is_closed_at_the_header_timeout() {
    let server = server_with_short_http_timeouts().await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"GET /ws HTTP/1.1\r\nHost: mynah\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
        .await
        .unwrap();
    assert!(closed_within(&mut stream, CLOSED_BY).await, "half an upgrade request stayed open");
}

#[tokio::test]
async fn headers_trickled_a_byte_at_a_time_are_cut_off() {
    let server = server_with_short_http_timeouts().await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let started = Instant::now();
    // Each byte is fresh progress, so only a limit on the whole head stops this.
    for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if started.elapsed() > CLOSED_BY {
            break;
        }
    }
    assert!(closed_within(&mut stream, Duration::from_millis(100)).await, "a trickled head stayed open");
    assert!(started.elapsed() < CLOSED_BY, "a trickled head stayed open for {:?}", started.elapsed());
}

#[tokio::test]
async fn a_body_that_never_ends_is_cut_off() {
    let server = server_with_short_http_timeouts().await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"POST /v4/openim/sendmsg?sdkappid=1 HTTP/1.1\r\nHost: mynah\r\nContent-Length: 100\r\n\r\n{\"a\":")
        .await
        .unwrap();
    assert!(closed_within(&mut stream, CLOSED_BY).await, "a stalled body stayed open");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let server = server_with_short_http_timeouts().await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: mynah\r\n\r\n").await.unwrap();
    let mut answer = [0u8; 1024];
    let read = timeout(Duration::from_secs(2), stream.read(&mut answer)).await.unwrap().unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer[..read]));
    assert!(closed_within(&mut stream, CLOSED_BY).await, "an idle kept-alive connection stayed open");
}

#[tokio::test]
async fn connections_over_the_per_address_cap_are_refused_while_others_are_served() {
    let server = TestServer::start_with(|config| config.max_connections_per_address = 3).await;
    // Every 127.x.x.x address is the loopback: one host's connections come from 127.0.0.2.
    let from_one_host = || async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        socket.connect(server.address).await.unwrap()
    };
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(from_one_host().await);
    }
    // The server takes connections in order: a request on the last one shows all three are in.
    held[2].write_all(b"GET /healthz HTTP/1.1\r\nHost: mynah\r\n\r\n").await.unwrap();
    let mut answer = [0u8; 1024];
    let read = timeout(Duration::from_secs(2), held[2].read(&mut answer)).await.unwrap().unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));

    let mut refused = from_one_host().await;
    assert!(closed_within(&mut refused, Duration::from_secs(2)).await, "a fourth connection from one host was served");
    // Other addresses are served, the WebSocket included.
    let health = reqwest::get(server.http_url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let (alice, _events) = server.client("alice").await;
    alice.heartbeat().await.unwrap();

    // A closed connection gives its place back.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let mut again = from_one_host().await;
        again.write_all(b"GET /healthz HTTP/1.1\r\nHost: mynah\r\n\r\n").await.unwrap();
        let read = timeout(Duration::from_secs(2), again.read(&mut answer)).await.unwrap().unwrap_or(0);
        if answer[..read].starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the freed place was never reusable");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_client_that_never_reads_its_responses_is_dropped_at_the_write_timeout() {
    let server = TestServer::start_with(|config| {
        config.http_header_timeout_seconds = 1;
        config.write_timeout_seconds = 1;
        config.send_buffer_bytes = 4096;
    })
    .await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.set_send_buffer_size(4096).unwrap();
    let mut stream = socket.connect(server.address).await.unwrap();
    // Pipelined requests whose answers fill both socket buffers; then only the write is waiting.
    let request = b"GET /metrics HTTP/1.1\r\nHost: mynah\r\n\r\n";
    let deadline = Instant::now() + Duration::from_secs(6);
    let closed = loop {
        match timeout_at(deadline, stream.write_all(request)).await {
            Err(_) => break false,
            Ok(Err(_)) => break true,
            Ok(Ok(())) => continue,
        }
    };
    assert!(closed, "a connection whose responses are never read stayed open");
}

#[tokio::test]
async fn the_first_scrape_of_a_fresh_server_lists_every_metric_family() {
    let server = TestServer::start().await;
    let body = reqwest::get(server.http_url("/metrics")).await.unwrap().text().await.unwrap();
    let families = [
        ("mynah_connections", "gauge"),
        ("mynah_logins_total", "counter"),
        ("mynah_messages_sent_total", "counter"),
        ("mynah_group_messages_rate_dropped_total", "counter"),
        ("mynah_slow_consumers_dropped_total", "counter"),
        ("mynah_rest_requests_total", "counter"),
        ("mynah_webhook_calls_total", "counter"),
        ("mynah_connections_refused_total", "counter"),
    ];
    for (name, kind) in families {
        assert!(body.contains(&format!("# HELP {name} ")), "no HELP for {name}:\n{body}");
        assert!(body.contains(&format!("# TYPE {name} {kind}\n")), "no TYPE {kind} for {name}:\n{body}");
    }
}
