//! A throwaway `nats-server` on a free loopback port, stopped when dropped.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mynah_bus::{Delivery, SharedPush, Subscription};
use mynah_bus_nats::NatsBus;
use mynah_proto::codes::KickReason;
use mynah_proto::frames::Push;
use mynah_proto::requests::Kicked;

pub struct NatsServer {
    child: Child,
    binary: &'static str,
    port: u16,
    pub url: String,
    monitor_port: u16,
}

impl NatsServer {
    /// Starts `nats-server` from PATH (or Debian's `/usr/sbin`), or says loudly that it is not
    /// installed and returns `None`: CI installs it, so there the tests always run.
    pub async fn start() -> Option<NatsServer> {
        let Some(binary): Option<&'static str> = ["nats-server", "/usr/sbin/nats-server"]
            .into_iter()
            .find(|binary| Command::new(binary).arg("--version").stdout(Stdio::null()).status().is_ok())
        else {
            eprintln!("SKIPPED: nats-server not installed (apt-get install nats-server)");
            return None;
        };
        // Free ports: bound by the OS, released for the server to take.
        let free_port = || TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (port, monitor_port) = (free_port(), free_port());
        let child = spawn(binary, port, monitor_port);
        let server = NatsServer { child, binary, port, url: format!("nats://127.0.0.1:{port}"), monitor_port };
        server.wait_listening().await;
        Some(server)
    }

    /// Stops the server (as a crash would), then starts a new one on the same ports.
    pub async fn restart(&mut self, down_for: Duration) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        tokio::time::sleep(down_for).await;
        self.child = spawn(self.binary, self.port, self.monitor_port);
        self.wait_listening().await;
    }

    async fn wait_listening(&self) {
        let port = self.port;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nats-server did not listen on port {port} within 5 s");
    }

    pub async fn node(&self) -> NatsBus {
        NatsBus::connect(&self.url).await.expect("connects to the test nats-server")
    }
}

impl NatsServer {
    /// How many subscriptions the server holds, from its monitoring endpoint (`/subsz`).
    pub async fn subscriptions(&self) -> u64 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.monitor_port)).await.unwrap();
        stream.write_all(b"GET /subsz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let body = &response[response.find("\r\n\r\n").expect("an HTTP response") + 4..];
        let subsz: serde_json::Value = serde_json::from_str(body).expect("JSON from /subsz");
        subsz["num_subscriptions"].as_u64().expect("num_subscriptions")
    }
}

fn spawn(binary: &str, port: u16, monitor_port: u16) -> Child {
    Command::new(binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-m", &monitor_port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts")
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const APP: u64 = 1;
/// Long enough for a message to cross a loopback NATS server many times over.
pub const SETTLE: Duration = Duration::from_millis(400);

/// A push told apart by its `except_session`, which names no real session.
pub fn marked(marker: u64) -> Delivery {
    let push = SharedPush::new(Push::Kicked(Kicked { reason: KickReason::RestApi }));
    Delivery::Push { push, except_session: Some(1_000_000 + marker) }
}

/// The markers of the pushes (and the sessions of the kicks) that arrived: whatever comes within
/// `SETTLE`, and then more for as long as deliveries keep coming (a loaded machine is slower).
pub async fn received(subscription: &mut Subscription) -> Vec<String> {
    let mut seen = Vec::new();
    tokio::time::sleep(SETTLE).await;
    loop {
        let before = seen.len();
        while let Some(delivery) = subscription.receiver.try_recv() {
            seen.push(match delivery {
                Delivery::Push { except_session, .. } => {
                    format!("push {}", except_session.unwrap_or(0) - 1_000_000)
                }
                Delivery::Kick { session, .. } => format!("kick {session}"),
            });
        }
        if seen.len() == before {
            return seen;
        }
        tokio::time::sleep(SETTLE / 3).await;
    }
}
