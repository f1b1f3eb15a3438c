//! A node subscribes on the NATS server only to the subjects of the topics its sessions are in, and
//! unsubscribes when the last local session leaves a topic.

use mynah_bus::Bus;

use crate::common::{APP, NatsServer};

#[tokio::test]
async fn a_node_listens_only_to_the_topics_its_sessions_are_in() {
    let Some(server) = NatsServer::start().await else { return };
    let node = crate::common::node(&server).await;
    // The first settle opens the connection's reply subscription; count from there.
    node.settled().await;
    let before = server.subscriptions().await;
    let web = node.subscribe(APP, "dan", 1).await;
    let phone = node.subscribe(APP, "dan", 2).await;
    assert_eq!(server.subscriptions().await, before + 1, "one subject for the user, however many sessions");
    node.load_groups(APP, "dan", 1, &["g1".to_owned(), "g2".to_owned()], 1).await;
    node.load_groups(APP, "dan", 2, &["g1".to_owned()], 1).await;
    assert_eq!(server.subscriptions().await, before + 3);
    drop(web);
    node.settled().await;
    assert_eq!(server.subscriptions().await, before + 2, "g2 had only the web session");
    node.leave_group(APP, "dan", "g1", 2).await;
    node.settled().await;
    assert_eq!(server.subscriptions().await, before + 1);
    drop(phone);
    node.settled().await;
    assert_eq!(server.subscriptions().await, before);
}
