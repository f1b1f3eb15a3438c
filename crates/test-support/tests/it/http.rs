//! Plain HTTP: `/healthz` and `/metrics`.

use mynah_test_support::TestServer;

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
