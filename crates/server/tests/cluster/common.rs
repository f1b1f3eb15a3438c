//! A cluster for a test: a throwaway PostgreSQL and `nats-server`, and `mynah` nodes as child
//! processes of this crate's binary on port 0, all sharing them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use mynah_client::{Client, ClientOptions};
use mynah_nats_harness::NatsServer;
use mynah_pg_harness::PgServer;
use mynah_proto::requests::Platform;
use mynah_test_support::{APP_ID, APP_KEY, Events, user_sig};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The administrator identifier of the test app (the default).
pub const ADMIN: &str = "administrator";

/// A PostgreSQL, a NATS server and the nodes started on them. Dropping it kills everything.
pub struct Cluster {
    pub nodes: Vec<Node>,
    _directory: tempfile::TempDir,
    // Declared last: dropped after the nodes.
    _nats: NatsServer,
    _postgres: PgServer,
}

impl Cluster {
    /// Starts `nodes` nodes serving the test app, with `app_settings` added to its `[[apps]]` table
    /// in `mynah.toml` (a webhook, for instance). `None` (after a loud notice) when PostgreSQL or
    /// nats-server is not installed.
    pub async fn start(nodes: usize, app_settings: &str) -> Option<Cluster> {
        let postgres = PgServer::start()?;
        let nats = NatsServer::start().await?;
        let store = postgres.create_database("mynah");
        let directory = tempfile::tempdir().expect("temporary directory");
        let config = format!(
            "webhook_poll_interval_ms = 50\n\n[[apps]]\nsdk_app_id = {APP_ID}\nsecret_key = \"{APP_KEY}\"\n{app_settings}\n"
        );
        std::fs::write(directory.path().join("mynah.toml"), config).expect("write mynah.toml");
        // Started together, as a deployment does: the migrations run once, under their lock.
        let starting: Vec<_> = (0..nodes)
            .map(|index| {
                let data = directory.path().join(format!("node{index}"));
                tokio::spawn(Node::start(data, directory.path().join("mynah.toml"), store.clone(), nats.url.clone()))
            })
            .collect();
        let mut started = Vec::new();
        for node in starting {
            started.push(node.await.expect("node starts"));
        }
        Some(Cluster { nodes: started, _directory: directory, _nats: nats, _postgres: postgres })
    }

    /// The node at `index`.
    pub fn node(&self, index: usize) -> &Node {
        &self.nodes[index]
    }
}

/// One `mynah serve` process.
pub struct Node {
    child: Child,
    pub address: SocketAddr,
}

impl Node {
    async fn start(data: PathBuf, config: PathBuf, store: String, bus: String) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mynah"))
            .args(["serve", "--listen", "127.0.0.1:0", "--store", &store, "--bus", &bus])
            .arg("--data")
            .arg(&data)
            .arg("--config")
            .arg(&config)
            .env("MYNAH_LOG", "warn")
            // The load tests outrun Tencent's 40 messages/s per group; the rate limit is not tested here.
            .env("MYNAH_GROUP_MESSAGES_PER_SECOND", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start mynah");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let address = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("mynah starts in time")
                .expect("read stdout")
                .expect("mynah prints its address before exiting");
            if let Some(address) = line.strip_prefix("mynah listening on ") {
                break address.trim().parse().expect("an address");
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Node { child, address }
    }

    /// `kill -9`: no shutdown, no cleanup.
    pub async fn kill(&mut self) {
        self.child.start_kill().expect("kill -9");
        self.child.wait().await.expect("reap");
    }

    /// `kill -TERM`: a graceful shutdown. Waits for the process to exit and checks it exited well.
    pub async fn terminate(&mut self) {
        let pid = self.child.id().expect("running").to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await.expect("exits in time");
        assert!(status.expect("reap").success(), "a graceful shutdown exits with 0");
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.address)
    }

    /// Logs `user` in on `platform`.
    pub async fn client(&self, user: &str, platform: Platform) -> (Client, Events) {
        let options =
            ClientOptions::new(self.ws_url(), APP_ID, user, user_sig(APP_ID, APP_KEY, user, 3600)).platform(platform);
        let (client, receiver) = Client::connect(options).await.expect("login");
        (client, Events { receiver })
    }

    /// Calls REST `v4/{path}` as the administrator and expects success.
    pub async fn rest(&self, path: &str, body: Value) -> Value {
        let sig = user_sig(APP_ID, APP_KEY, ADMIN, 3600);
        let url = format!(
            "http://{}/v4/{path}?sdkappid={APP_ID}&identifier={ADMIN}&usersig={sig}&random=42&contenttype=json",
            self.address
        );
        let reply: Value = reqwest::Client::new()
            .post(url)
            .body(body.to_string())
            .send()
            .await
            .expect("REST request")
            .json()
            .await
            .expect("a JSON reply");
        assert_eq!(reply["ErrorCode"], 0, "{path}: {reply}");
        reply
    }
}
