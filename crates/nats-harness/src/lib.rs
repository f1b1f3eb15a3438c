//! A throwaway `nats-server` for tests, on a free loopback port, stopped when dropped.
//!
//! [`NatsServer::start`] runs Debian's `nats-server` (from `PATH`, else `/usr/sbin`). When it is
//! not installed, `start` prints `SKIPPED: nats-server not installed` to stderr and returns
//! `None`: the caller returns early. `.ci/run` installs it, so in CI the tests always run.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `nats-server`; killed on drop.
pub struct NatsServer {
    child: Child,
    binary: &'static str,
    port: u16,
    /// `nats://127.0.0.1:{port}`.
    pub url: String,
    monitor_port: u16,
}

impl NatsServer {
    /// Starts `nats-server`, or says loudly that it is not installed and returns `None`.
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

    /// The server's process id, for measuring its CPU.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server (as a crash would), then starts a new one on the same ports.
    pub async fn restart(&mut self, down_for: Duration) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        tokio::time::sleep(down_for).await;
        self.child = spawn(self.binary, self.port, self.monitor_port);
        self.wait_listening().await;
    }

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
