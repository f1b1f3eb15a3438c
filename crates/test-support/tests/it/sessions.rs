//! Sessions: a second login on the same platform kicks the first, the per-app limit is
//! configurable, and an expired UserSig ends the session.

use mynah_client::ClientOptions;
use mynah_proto::codes::KickReason;
use mynah_proto::requests::Platform;
use mynah_test_support::{APP_ID, APP_KEY, TestServer, user_sig};

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
