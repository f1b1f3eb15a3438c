//! Sessions: a second login on the same platform kicks the first, the per-app limit is
//! configurable, a failed login displaces nobody, session ids are unique across nodes, and an
//! expired UserSig ends the session.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mynah_client::ClientOptions;
use mynah_proto::codes::KickReason;
use mynah_proto::requests::Platform;
use mynah_store::{AppendedChange, ChangeStore, Store, StoreError};
use mynah_test_support::{APP_ID, APP_KEY, TestServer, WrapStore, user_sig};

#[tokio::test]
async fn a_second_login_on_the_same_platform_kicks_the_first() {
    let server = TestServer::start().await;
    let (_first, mut first_events) = server.client_on("alice", Platform::Web).await;
    let (_other_platform, mut other_platform_events) = server.client_on("alice", Platform::Android).await;
    let (second, _second_events) = server.client_on("alice", Platform::Web).await;

    let (kicked, code) = first_events.next_close().await;
    assert_eq!(kicked, Some(KickReason::MultipleAccount));
    assert_eq!(code, Some(1008));
    // The other platform and the new session are unaffected.
    other_platform_events.expect_quiet(std::time::Duration::from_millis(300)).await;
    second.heartbeat().await.unwrap();
}

#[tokio::test]
async fn the_instance_limit_is_configurable() {
    let server = TestServer::start_with(|config| config.max_sessions_per_platform = 2).await;
    let (_first, mut first_events) = server.client_on("alice", Platform::Web).await;
    let (second, _second_events) = server.client_on("alice", Platform::Web).await;
    first_events.expect_quiet(std::time::Duration::from_millis(300)).await;
    let (_third, _third_events) = server.client_on("alice", Platform::Web).await;
    // The oldest goes; the second stays.
    assert_eq!(first_events.next_close().await.0, Some(KickReason::MultipleAccount));
    second.heartbeat().await.unwrap();
}

#[tokio::test]
async fn an_expired_usersig_ends_the_session() {
    let server = TestServer::start().await;
    let options = ClientOptions::new(server.ws_url(), APP_ID, "alice", user_sig(APP_ID, APP_KEY, "alice", 2));
    let (_client, mut events) = server.login(options).await.unwrap();
    let (kicked, _) = events.next_close().await;
    assert_eq!(kicked, Some(KickReason::UserSigExpired));
}

#[tokio::test]
async fn logout_closes_the_session_normally() {
    let server = TestServer::start().await;
    let (client, mut events) = server.client("alice").await;
    client.logout().await.unwrap();
    assert_eq!(events.next_close().await, (None, Some(1000)));
}

/// A change stream whose head cannot be read while `failing` is set, as when the disk fails.
struct FailingHead {
    inner: Arc<dyn ChangeStore>,
    failing: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl ChangeStore for FailingHead {
    async fn changes_since(
        &self,
        app: u64,
        user: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<AppendedChange>, StoreError> {
        self.inner.changes_since(app, user, after, limit).await
    }

    async fn head_position(&self, app: u64, user: &str) -> Result<u64, StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("injected failure".to_owned()));
        }
        self.inner.head_position(app, user).await
    }
}

#[tokio::test]
async fn a_failed_login_leaves_the_other_device_alone() {
    let failing = Arc::new(AtomicBool::new(false));
    let wrap: WrapStore = {
        let failing = failing.clone();
        Arc::new(move |store: Store| Store {
            changes: Arc::new(FailingHead { inner: store.changes.clone(), failing: failing.clone() }),
            ..store
        })
    };
    let server = TestServer::start_with_store(|_| {}, Some(wrap)).await;
    let (_first, mut first_events) = server.client_on("alice", Platform::Web).await;
    failing.store(true, Ordering::SeqCst);
    let options =
        ClientOptions::new(server.ws_url(), APP_ID, "alice", server.user_sig("alice")).platform(Platform::Web);
    assert!(server.login(options).await.is_err(), "the login meets a store failure");
    failing.store(false, Ordering::SeqCst);
    // The first device is still logged in and still receives.
    let (bob, _bob_events) = server.client("bob").await;
    let sent = bob.send_text("alice", "still there?").await.unwrap();
    assert_eq!(first_events.next_message().await, sent);
}

#[tokio::test]
async fn session_ids_are_unique_and_carry_a_node_prefix() {
    let server = TestServer::start().await;
    let (first, _first_events) = server.client_on("alice", Platform::Web).await;
    let (second, _second_events) = server.client_on("alice", Platform::Android).await;
    let (first_id, second_id) = (first.login_result().session_id, second.login_result().session_id);
    assert_ne!(first_id, second_id);
    // Not a bare per-process counter: the node prefix sits above the low 32 bits, and JavaScript
    // reads the id exactly.
    assert_eq!(first_id >> 32, second_id >> 32);
    assert!(first_id >> 32 > 0);
    assert!(second_id < 1 << 53);
}
