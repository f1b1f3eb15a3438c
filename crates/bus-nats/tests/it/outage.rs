//! NATS going away and coming back: publishers never stall, and cross-node delivery resumes once
//! the client has reconnected and subscribed again.

use std::time::{Duration, Instant};

use mynah_bus::{Bus, Topic};

use crate::common::{APP, NatsServer, marked, received};

#[tokio::test]
async fn publishing_goes_on_through_an_outage_and_delivery_resumes_after_it() {
    let Some(mut server) = NatsServer::start().await else { return };
    let node_a = crate::common::node(&server).await;
    let node_b = crate::common::node(&server).await;
    let mut alice_on_a = node_a.subscribe(APP, "alice", 1).await;
    let mut alice_on_b = node_b.subscribe(APP, "alice", 2).await;
    node_b.publish(APP, Topic::User("alice"), marked(1)).await;
    assert_eq!(received(&mut alice_on_a).await, ["push 1"]);
    received(&mut alice_on_b).await;

    let restarting = server.restart(Duration::from_millis(500));
    let publishing = async {
        // Wait for the server to be gone, then publish while it is down.
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Were each publish to wait out its 100 ms timeout, 499 would take 50 s.
        let started = Instant::now();
        for marker in 2..=500 {
            node_b.publish(APP, Topic::User("alice"), marked(marker)).await;
        }
        started.elapsed()
    };
    let ((), publishing_took) = tokio::join!(restarting, publishing);
    assert!(publishing_took < Duration::from_secs(3), "publishing stalled for {publishing_took:?}");
    // The publisher's own node delivered everything at once, outage or not.
    assert_eq!(received(&mut alice_on_b).await.len(), 499);

    // Once both clients are back, what B publishes reaches A again, once.
    let mut back = false;
    for _ in 0..40 {
        node_b.publish(APP, Topic::User("alice"), marked(999)).await;
        if received(&mut alice_on_a).await.contains(&"push 999".to_owned()) {
            back = true;
            break;
        }
    }
    assert!(back, "cross-node delivery did not resume after NATS came back");
    received(&mut alice_on_b).await;
    node_b.publish(APP, Topic::User("alice"), marked(600)).await;
    assert_eq!(received(&mut alice_on_a).await, ["push 600"]);
    assert_eq!(received(&mut alice_on_b).await, ["push 600"]);
}
