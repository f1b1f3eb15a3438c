//! The multi-device policy across nodes: a second login of a user on the same platform on another
//! node kicks the first session, wherever it is; another platform kicks nobody.

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
