//! The outbox claimed by several nodes at once: each entry goes to exactly one of them.

use std::collections::HashSet;

use mynah_pg_harness::PgServer;
use mynah_store::{OutboxClaim, OutboxEvent, OutboxStore};
use mynah_store_postgres::PostgresStore;

const APP: u64 = 1_400_000_001;

fn event(index: usize) -> OutboxEvent {
    OutboxEvent::MessageSent { message_id: format!("m{index}"), client_ip: String::new(), platform: "Web".to_owned() }
}

/// Claims until nothing is left, completing what it got; returns the ids it delivered.
async fn drain(node: PostgresStore, claimant: &'static str) -> Vec<u64> {
    let mut delivered = Vec::new();
    loop {
        let now_ms = 4_000_000_000_000;
        let claim = OutboxClaim {
            claimant: claimant.to_owned(),
            now_ms,
            lease_until_ms: now_ms + 60_000,
            per_app: 7,
            limit: 7,
            skip_apps: Vec::new(),
        };
        let claimed = node.claim(claim).await.expect("claim");
        if claimed.is_empty() {
            return delivered;
        }
        for item in claimed {
            node.complete(item.id).await.expect("complete");
            delivered.push(item.id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_claiming_at_once_deliver_each_entry_once() {
    let Some(server) = PgServer::start() else { return };
    let url = server.create_database("mynah");
    let first = PostgresStore::connect(&url).await.unwrap();
    for index in 0..300 {
        first.enqueue(APP, "C2C.CallbackAfterSendMsg", event(index)).await.unwrap();
    }
    let nodes = [first, PostgresStore::connect(&url).await.unwrap(), PostgresStore::connect(&url).await.unwrap()];
    let tasks: Vec<_> = nodes
        .into_iter()
        .zip(["node-1", "node-2", "node-3"])
        .map(|(node, name)| tokio::spawn(drain(node, name)))
        .collect();
    let mut every = Vec::new();
    for task in tasks {
        every.extend(task.await.unwrap());
    }
    let distinct: HashSet<u64> = every.iter().copied().collect();
    assert_eq!(every.len(), 300, "an entry was delivered twice or never");
    assert_eq!(distinct.len(), 300);
}
