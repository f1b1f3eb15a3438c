//! A throwaway `nats-server` on a free loopback port, stopped when dropped.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mynah_bus_nats::NatsBus;

pub struct NatsServer {
    child: Child,
    pub url: String,
}

impl NatsServer {
    /// Starts `nats-server` from PATH (or Debian's `/usr/sbin`), or says loudly that it is not
    /// installed and returns `None`: CI installs it, so there the tests always run.
    pub async fn start() -> Option<NatsServer> {
        let Some(binary) = ["nats-server", "/usr/sbin/nats-server"]
            .into_iter()
            .find(|binary| Command::new(binary).arg("--version").stdout(Stdio::null()).status().is_ok())
        else {
            eprintln!("SKIPPED: nats-server not installed (apt-get install nats-server)");
            return None;
        };
        // A free port: bound by the OS, released for the server to take.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        let server = NatsServer { child, url: format!("nats://127.0.0.1:{port}") };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nats-server did not listen on port {port} within 5 s");
    }

    pub async fn node(&self) -> NatsBus {
        NatsBus::connect(&self.url).await.expect("connects to the test nats-server")
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
