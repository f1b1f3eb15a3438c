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
    ];
    for (name, kind) in families {
        assert!(body.contains(&format!("# HELP {name} ")), "no HELP for {name}:\n{body}");
        assert!(body.contains(&format!("# TYPE {name} {kind}\n")), "no TYPE {kind} for {name}:\n{body}");
    }
}
