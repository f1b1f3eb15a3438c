//! `TestServer`: a real Mynah server on port 0 with a temporary data directory, and helpers to log
//! users in through the Rust SDK.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mynah_client::{Client, ClientError, ClientOptions, Event};
use mynah_proto::frames::Push;
use mynah_proto::requests::Platform;
use mynah_server::{AppEntry, Backends, Config};
use mynah_store::Store;
use mynah_usersig::SecretKey;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The app every test server serves.
pub const APP_ID: u64 = 1_400_000_001;
/// Its secret key.
pub const APP_KEY: &str = "mynah-test-secret-key";
/// A second app, for isolation tests.
pub const OTHER_APP_ID: u64 = 1_400_000_002;
pub const OTHER_APP_KEY: &str = "mynah-other-secret-key";

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(5);

/// Changes the store a test server runs on (to inject faults, for instance).
pub type WrapStore = Arc<dyn Fn(Store) -> Store + Send + Sync>;

/// A running server. Dropping it stops the server and deletes its data.
pub struct TestServer {
    pub address: SocketAddr,
    config: Config,
    wrap_store: Option<WrapStore>,
    data: TempDir,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with two apps on a free port.
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed its configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        TestServer::start_with_store(adjust, None).await
    }

    /// Starts a server after `adjust` has changed its configuration, on the SQLite store in its
    /// data directory as `wrap_store` changes it (at every start).
    pub async fn start_with_store(adjust: impl FnOnce(&mut Config), wrap_store: Option<WrapStore>) -> TestServer {
        let data = tempfile::tempdir().expect("temporary data directory");
        let mut config = Config { data: data.path().to_path_buf(), ..Config::default() };
        config.apps.push(AppEntry::parse(&format!("{APP_ID}:{APP_KEY}")).expect("app"));
        config.apps.push(AppEntry::parse(&format!("{OTHER_APP_ID}:{OTHER_APP_KEY}")).expect("app"));
        adjust(&mut config);
        let mut server = TestServer {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            config,
            wrap_store,
            data,
            shutdown: CancellationToken::new(),
            task: None,
        };
        server.launch().await;
        server
    }

    async fn launch(&mut self) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        self.address = listener.local_addr().expect("address");
        let mut config = self.config.clone();
        config.listen = self.address;
        self.shutdown = CancellationToken::new();
        let shutdown = self.shutdown.clone();
        let wrap_store = self.wrap_store.clone();
        self.task = Some(tokio::spawn(async move {
            let sqlite = mynah_server::open_sqlite(&config).expect("store opens");
            let mut store = Store::from_backend(sqlite.clone());
            if let Some(wrap_store) = wrap_store {
                store = wrap_store(store);
            }
            let served = mynah_server::run_with(config, Backends::local(store), listener, shutdown).await;
            sqlite.close().await;
            served.expect("server runs");
        }));
    }

    /// Stops the server gracefully and starts it again on the same data (on a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.launch().await;
    }

    /// Stops the server gracefully.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.address)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A UserSig for `user` of the test app, valid for a day.
    pub fn user_sig(&self, user: &str) -> String {
        user_sig(APP_ID, APP_KEY, user, 86_400)
    }

    /// Logs `user` in on the Linux platform.
    pub async fn client(&self, user: &str) -> (Client, Events) {
        self.client_on(user, Platform::Linux).await
    }

    /// Logs `user` in on `platform`.
    pub async fn client_on(&self, user: &str, platform: Platform) -> (Client, Events) {
        let options = ClientOptions::new(self.ws_url(), APP_ID, user, self.user_sig(user)).platform(platform);
        self.login(options).await.expect("login")
    }

    /// Logs in with explicit options.
    pub async fn login(&self, options: ClientOptions) -> Result<(Client, Events), ClientError> {
        let (client, events) = Client::connect(options).await?;
        Ok((client, Events { receiver: events }))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A UserSig valid from now for `expire_seconds`.
pub fn user_sig(app: u64, key: &str, user: &str, expire_seconds: u64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
    mynah_usersig::generate(app, &SecretKey::from(key), user, expire_seconds, now)
}

/// A session's events, with waiting helpers that fail the test after [`WAIT`].
pub struct Events {
    pub receiver: UnboundedReceiver<Event>,
}

impl Events {
    /// The next event.
    pub async fn next(&mut self) -> Event {
        tokio::time::timeout(WAIT, self.receiver.recv()).await.expect("an event in time").expect("events open")
    }

    /// The next push, skipping nothing: fails if the next event is not a push.
    pub async fn next_push(&mut self) -> Push {
        match self.next().await {
            Event::Push(push) => push,
            other => panic!("expected a push, got {other:?}"),
        }
    }

    /// The next message push. Change pushes before it are skipped; anything else fails the test.
    pub async fn next_message(&mut self) -> mynah_proto::objects::Message {
        loop {
            match self.next_push().await {
                Push::Message(message) => return message,
                Push::Change(_) => continue,
                other => panic!("expected a message push, got {other:?}"),
            }
        }
    }

    /// The next change push. Anything else before it fails the test.
    pub async fn next_change(&mut self) -> mynah_proto::objects::ChangeEntry {
        match self.next_push().await {
            Push::Change(change) => change,
            other => panic!("expected a change push, got {other:?}"),
        }
    }

    /// Waits for the session to end and returns the close event's code and reason, and any
    /// `kicked` reason pushed before it.
    pub async fn next_close(&mut self) -> (Option<mynah_proto::codes::KickReason>, Option<u16>) {
        let mut kicked = None;
        loop {
            match self.next().await {
                Event::Push(Push::Kicked(body)) => kicked = Some(body.reason),
                Event::Push(_) => continue,
                Event::Closed { code, .. } => return (kicked, code),
            }
        }
    }

    /// Asserts nothing arrives for a short while.
    pub async fn expect_quiet(&mut self, how_long: Duration) {
        if let Ok(Some(event)) = tokio::time::timeout(how_long, self.receiver.recv()).await {
            panic!("expected no event, got {event:?}");
        }
    }
}
