//! After-send webhooks with three nodes: every node runs the outbox worker over the shared
//! outbox, and each message's callback is delivered exactly once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::common::Cluster;

const MESSAGES: u64 = 30;

/// A webhook receiver that records every after-send callback's `MsgRandom`.
#[derive(Clone, Default)]
struct Received {
    randoms: Arc<Mutex<Vec<u64>>>,
    arrived: Arc<Notify>,
}

async fn receive(State(received): State<Received>, body: String) -> String {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if let Some(random) = body["MsgRandom"].as_u64() {
        received.randoms.lock().unwrap().push(random);
        received.arrived.notify_waiters();
    }
    json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_is_called_back_once_with_three_nodes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback", listener.local_addr().unwrap());
    let received = Received::default();
    let router = Router::new().route("/callback", post(receive)).with_state(received.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let webhook = format!("[apps.webhook]\nurl = \"{url}\"\ncommands = [\"C2C.CallbackAfterSendMsg\"]\n");
    let Some(cluster) = Cluster::start(3, &webhook).await else { return };

    let accounts = json!({ "Accounts": ["sender0", "sender1", "sender2", "sender3", "receiver"] });
    cluster.node(0).rest("im_open_login_svc/multiaccount_import", accounts).await;
    for random in 1..=MESSAGES {
        let node = cluster.node(usize::try_from(random).unwrap() % 3);
        let body = json!({
            "From_Account": format!("sender{}", random % 4),
            "To_Account": "receiver",
            "MsgRandom": random,
            "MsgBody": [{ "MsgType": "TIMTextElem", "MsgContent": { "Text": format!("message {random}") } }],
        });
        node.rest("openim/sendmsg", body).await;
    }

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let arrived = received.arrived.notified();
        if received.randoms.lock().unwrap().len() as u64 >= MESSAGES {
            break;
        }
        if tokio::time::timeout_at(deadline, arrived).await.is_err() {
            panic!("only {:?} of {MESSAGES} callbacks arrived", received.randoms.lock().unwrap().len());
        }
    }
    // Several polls of every node later, nothing was delivered twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for random in received.randoms.lock().unwrap().iter() {
        *counts.entry(*random).or_default() += 1;
    }
    let expected: BTreeMap<u64, usize> = (1..=MESSAGES).map(|random| (random, 1)).collect();
    assert_eq!(counts, expected, "one callback per message");
    server.abort();
}
