//! The multi-device policy across nodes: a second login of a user on the same platform on another
//! node kicks the first session, wherever it is; another platform kicks nobody. REST on any node
//! sees who is online on every node and kicks them there. A node that stops gracefully takes its
//! sessions out of the registry at once.

use std::time::Duration;

use mynah_proto::codes::KickReason;
use mynah_proto::requests::Platform;

use crate::common::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_login_on_another_node_kicks_the_first() {
    let Some(cluster) = Cluster::start(2, "").await else { return };
    let (_first, mut first_events) = cluster.node(0).client("erin", Platform::Android).await;
    let (_web, mut web_events) = cluster.node(1).client("erin", Platform::Web).await;
    // Another platform: nobody is kicked.
    first_events.expect_quiet(Duration::from_millis(300)).await;

    let (second, mut second_events) = cluster.node(1).client("erin", Platform::Android).await;
    let (kicked, _code) = first_events.next_close().await;
    assert_eq!(kicked, Some(KickReason::MultipleAccount));
    second.heartbeat().await.expect("the new session stays");
    second_events.expect_quiet(Duration::from_millis(300)).await;
    web_events.expect_quiet(Duration::ZERO).await;

    // And back: a third login on node 0 kicks the one on node 1.
    let (_third, _third_events) = cluster.node(0).client("erin", Platform::Android).await;
    let (kicked, _code) = second_events.next_close().await;
    assert_eq!(kicked, Some(KickReason::MultipleAccount));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_on_one_node_sees_and_kicks_the_sessions_on_every_node() {
    let Some(cluster) = Cluster::start(2, "").await else { return };
    let (_web, mut web_events) = cluster.node(1).client("frank", Platform::Web).await;
    let (_android, mut android_events) = cluster.node(0).client("frank", Platform::Android).await;
    let status = |reply: serde_json::Value| reply["QueryResult"][0]["Status"].as_str().map(str::to_owned);
    let query = serde_json::json!({ "To_Account": ["frank"], "IsNeedDetail": 1 });

    let online = cluster.node(0).rest("openim/query_online_status", query.clone()).await;
    assert_eq!(status(online.clone()).as_deref(), Some("Online"), "{online}");
    cluster.node(0).rest("im_open_login_svc/kick", serde_json::json!({ "UserID": "frank" })).await;
    assert_eq!(web_events.next_close().await.0, Some(KickReason::RestApi), "the session on the other node");
    assert_eq!(android_events.next_close().await.0, Some(KickReason::RestApi));

    // The ended sessions' rows are deleted (in the background): frank goes offline on every node.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    for node in [0, 1] {
        loop {
            let reply = cluster.node(node).rest("openim/query_online_status", query.clone()).await;
            if status(reply.clone()).as_deref() != Some("Online") {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "frank stayed online on node {node}: {reply}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_stopped_gracefully_stops_counting_its_sessions_at_once() {
    let Some(mut cluster) = Cluster::start(2, "").await else { return };
    let (_session, _events) = cluster.node(0).client("gina", Platform::Web).await;
    let query = serde_json::json!({ "To_Account": ["gina"], "IsNeedDetail": 1 });
    let online = cluster.node(1).rest("openim/query_online_status", query.clone()).await;
    assert_eq!(online["QueryResult"][0]["Status"], "Online", "{online}");

    cluster.nodes[0].terminate().await;
    // No waiting for a lease to lapse: the node ended its lease as it stopped.
    let after = cluster.node(1).rest("openim/query_online_status", query).await;
    assert_ne!(after["QueryResult"][0]["Status"], "Online", "{after}");
}
