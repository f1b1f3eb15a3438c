//! Webhooks: before-send callbacks veto, rewrite or drop messages within their 2 s timeout;
//! after-events reach the app's backend through the durable outbox, across failures and restarts.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use mynah_client::ClientOptions;
use mynah_client::text_message;
use mynah_proto::codes::ErrorCode;
use mynah_proto::elements::MsgElement;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::GroupType;
use mynah_proto::requests::{CreateGroupRequest, Platform};
use mynah_server::config::WebhookEntry;
use mynah_test_support::{APP_ID, OTHER_APP_ID, OTHER_APP_KEY, TestServer, user_sig};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::delivery::page;

/// How the test backend answers a callback: status, body, and a delay before answering.
type Answer = Arc<dyn Fn(&str, &Value) -> (StatusCode, Value, Duration) + Send + Sync>;

/// One callback the backend received.
#[derive(Clone, Debug)]
struct Call {
    query: HashMap<String, String>,
    body: Value,
}

#[derive(Clone)]
struct Backend {
    calls: Arc<Mutex<Vec<Call>>>,
    arrived: Arc<Notify>,
    answer: Answer,
}

/// A webhook receiver on a real HTTP port.
struct Receiver {
    address: SocketAddr,
    backend: Backend,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(answer: Answer) -> Receiver {
        Receiver::start_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), answer)
    }

    fn start_on(listener: TcpListener, answer: Answer) -> Receiver {
        let address = listener.local_addr().unwrap();
        let backend = Backend { calls: Arc::default(), arrived: Arc::default(), answer };
        let router = Router::new().route("/callback", post(receive)).with_state(backend.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Receiver { address, backend, task }
    }

    fn url(&self) -> String {
        format!("http://{}/callback", self.address)
    }

    /// Waits until `count` callbacks with `command` arrived, and returns them.
    async fn calls_of(&self, command: &str, count: usize) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + mynah_test_support::WAIT;
        loop {
            let arrived = self.backend.arrived.notified();
            let calls: Vec<Call> = self
                .backend
                .calls
                .lock()
                .unwrap()
                .iter()
                .filter(|call| call.query.get("CallbackCommand").map(String::as_str) == Some(command))
                .cloned()
                .collect();
            if calls.len() >= count {
                return calls;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("expected {count} {command} callbacks, got {calls:?}");
            }
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(backend): State<Backend>,
    Query(query): Query<HashMap<String, String>>,
    body: String,
) -> (StatusCode, String) {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let command = query.get("CallbackCommand").cloned().unwrap_or_default();
    let (status, reply, delay) = (backend.answer)(&command, &body);
    tokio::time::sleep(delay).await;
    backend.calls.lock().unwrap().push(Call { query, body });
    backend.arrived.notify_waiters();
    (status, reply.to_string())
}

fn ok() -> Value {
    json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})
}

fn always_ok() -> Answer {
    Arc::new(|_, _| (StatusCode::OK, ok(), Duration::ZERO))
}

async fn server_with_webhook(url: String, commands: &[&str], fail_closed: bool) -> TestServer {
    let commands: Vec<String> = commands.iter().map(|command| (*command).to_owned()).collect();
    TestServer::start_with(move |config| {
        config.webhook_poll_interval_ms = 20;
        config.webhook_first_retry_ms = 50;
        config.apps[0].webhook = Some(WebhookEntry { url, commands, fail_closed });
    })
    .await
}

#[tokio::test]
async fn before_send_can_refuse_rewrite_or_drop_a_message() {
    let answer: Answer = Arc::new(|_, body| {
        let text = body["MsgBody"][0]["MsgContent"]["Text"].as_str().unwrap_or_default().to_owned();
        let reply = match text.as_str() {
            "refuse" => json!({"ActionStatus": "OK", "ErrorCode": 1, "ErrorInfo": "no"}),
            "custom" => json!({"ActionStatus": "OK", "ErrorCode": 120005, "ErrorInfo": "custom refusal"}),
            "drop" => json!({"ActionStatus": "OK", "ErrorCode": 2, "ErrorInfo": ""}),
            "rewrite" => json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
                "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "rewritten"}}], "CloudCustomData": "checked"}),
            _ => ok(),
        };
        (StatusCode::OK, reply, Duration::ZERO)
    });
    let receiver = Receiver::start(answer).await;
    let server = server_with_webhook(receiver.url(), &["C2C.CallbackBeforeSendMsg"], false).await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;

    let refused = alice.send_text("bob", "refuse").await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::C2C_REJECTED_BY_CALLBACK));
    let custom = alice.send_text("bob", "custom").await.unwrap_err();
    assert_eq!(
        custom,
        mynah_client::ClientError::Server { code: ErrorCode(120005), message: "custom refusal".to_owned() }
    );

    let dropped = alice.send_message(text_message(ConversationType::C2c, "bob", "drop")).await.unwrap();
    assert_eq!(dropped.message.sequence, 0, "a dropped message is not stored");

    let rewritten = alice.send_message(text_message(ConversationType::C2c, "bob", "rewrite")).await.unwrap();
    assert!(rewritten.modified);
    assert_eq!(rewritten.message.msg_body, vec![MsgElement::text("rewritten")]);
    assert_eq!(rewritten.message.cloud_custom_data, "checked");
    let received = bob_events.next_message().await;
    assert_eq!(received, rewritten.message, "the receiver gets the rewritten message, and only that one");
    bob_events.expect_quiet(Duration::from_millis(200)).await;

    let plain = alice.send_message(text_message(ConversationType::C2c, "bob", "fine")).await.unwrap();
    assert!(!plain.modified);
    let history = bob.get_message_list(page("C2Calice", None)).await.unwrap();
    let texts: Vec<&MsgElement> = history.message_list.iter().map(|message| &message.msg_body[0]).collect();
    assert_eq!(texts, [&MsgElement::text("rewritten"), &MsgElement::text("fine")]);

    let calls = receiver.calls_of("C2C.CallbackBeforeSendMsg", 5).await;
    let first = &calls[0];
    assert_eq!(first.query.get("SdkAppid").map(String::as_str), Some(APP_ID.to_string().as_str()));
    assert_eq!(first.query.get("contenttype").map(String::as_str), Some("json"));
    assert_eq!(first.query.get("ClientIP").map(String::as_str), Some("127.0.0.1"));
    assert_eq!(first.query.get("OptPlatform").map(String::as_str), Some("Linux"));
    assert_eq!(first.body["CallbackCommand"], "C2C.CallbackBeforeSendMsg");
    assert_eq!(first.body["From_Account"], "alice");
    assert_eq!(first.body["To_Account"], "bob");
}

#[tokio::test]
async fn a_slow_before_send_callback_times_out_open_or_closed() {
    let slow: Answer = Arc::new(|_, _| (StatusCode::OK, ok(), Duration::from_secs(3)));
    let receiver = Receiver::start(slow.clone()).await;
    let open = server_with_webhook(receiver.url(), &["C2C.CallbackBeforeSendMsg"], false).await;
    let (alice, _events) = open.client("alice").await;
    let started = std::time::Instant::now();
    alice.send_text("bob", "sent anyway").await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(2900), "the callback is given 2 s, not more");

    let closed = server_with_webhook(receiver.url(), &["C2C.CallbackBeforeSendMsg"], true).await;
    let (alice, _events) = closed.client("alice").await;
    let refused = alice.send_text("bob", "refused").await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::C2C_REJECTED_BY_CALLBACK));
    let (bob, _bob_events) = closed.client("bob").await;
    assert!(bob.get_message_list(page("C2Calice", None)).await.unwrap().message_list.is_empty());
}

#[tokio::test]
async fn after_send_callbacks_are_retried_until_delivered() {
    let failures = Arc::new(Mutex::new(2));
    let answer: Answer = {
        let failures = failures.clone();
        Arc::new(move |_, _| {
            let mut left = failures.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                (StatusCode::INTERNAL_SERVER_ERROR, json!({}), Duration::ZERO)
            } else {
                (StatusCode::OK, ok(), Duration::ZERO)
            }
        })
    };
    let receiver = Receiver::start(answer).await;
    let server = server_with_webhook(receiver.url(), &["C2C.CallbackAfterSendMsg"], false).await;
    let (alice, _events) = server.client("alice").await;
    let sent = alice.send_text("bob", "tell the backend").await.unwrap();

    // Two failed attempts, then the delivery; nothing after it.
    let calls = receiver.calls_of("C2C.CallbackAfterSendMsg", 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.calls_of("C2C.CallbackAfterSendMsg", 3).await.len(), 3);
    let body = &calls[2].body;
    assert_eq!(body["From_Account"], "alice");
    assert_eq!(body["To_Account"], "bob");
    assert_eq!(body["MsgSeq"], 1);
    assert_eq!(body["MsgRandom"], sent.random);
    assert_eq!(body["MsgKey"], format!("1_{}_{}", sent.random, sent.time));
    assert_eq!(body["SendMsgResult"], 0);
    assert_eq!(body["UnreadMsgNum"], 1);
    assert_eq!(body["MsgBody"], json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "tell the backend"}}]));
}

#[tokio::test]
async fn after_send_callbacks_survive_a_restart_while_the_backend_is_down() {
    // Reserve a port, then leave it closed: the backend is down while the messages are sent.
    let reserved = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = reserved.local_addr().unwrap();
    drop(reserved);
    let url = format!("http://{address}/callback");
    let mut server = server_with_webhook(url, &["C2C.CallbackAfterSendMsg"], false).await;
    let (alice, _events) = server.client("alice").await;
    for index in 0..3 {
        alice.send_text("bob", &format!("while down {index}")).await.unwrap();
    }
    drop(alice);
    server.restart().await;

    let receiver = Receiver::start_on(TcpListener::bind(address).await.unwrap(), always_ok());
    let calls = receiver.calls_of("C2C.CallbackAfterSendMsg", 3).await;
    let mut sequences: Vec<u64> = calls.iter().map(|call| call.body["MsgSeq"].as_u64().unwrap()).collect();
    sequences.sort_unstable();
    assert_eq!(sequences, [1, 2, 3]);
}

#[tokio::test]
async fn group_messages_have_their_own_callbacks() {
    let answer: Answer = Arc::new(|command, body| {
        let refuse = command == "Group.CallbackBeforeSendMsg" && body["MsgBody"][0]["MsgContent"]["Text"] == "refuse";
        let code = if refuse { 1 } else { 0 };
        (StatusCode::OK, json!({"ActionStatus": "OK", "ErrorCode": code, "ErrorInfo": ""}), Duration::ZERO)
    });
    let receiver = Receiver::start(answer).await;
    let commands = ["Group.CallbackBeforeSendMsg", "Group.CallbackAfterSendMsg"];
    let server = server_with_webhook(receiver.url(), &commands, false).await;
    let (alice, _events) = server.client("alice").await;
    let request = CreateGroupRequest {
        group_type: GroupType::Meeting,
        name: "room".to_owned(),
        group_id: Some("room1".to_owned()),
        member_list: Vec::new(),
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
        join_option: None,
        max_member_num: None,
    };
    alice.create_group(request).await.unwrap();
    assert_eq!(
        alice.send_group_text("room1", "refuse").await.unwrap_err().code(),
        Some(ErrorCode::GROUP_REJECTED_BY_CALLBACK)
    );
    alice.send_group_text("room1", "hello room").await.unwrap();

    let before = receiver.calls_of("Group.CallbackBeforeSendMsg", 2).await;
    assert_eq!(before[0].body["GroupId"], "room1");
    assert_eq!(before[0].body["Type"], "Meeting");
    let after = receiver.calls_of("Group.CallbackAfterSendMsg", 1).await;
    assert_eq!(after.len(), 1, "a refused message has no after-callback");
    assert_eq!(after[0].body["MsgSeq"], 1);
    assert_eq!(after[0].body["From_Account"], "alice");
}

#[tokio::test]
async fn state_changes_are_reported() {
    let receiver = Receiver::start(always_ok()).await;
    let server = server_with_webhook(receiver.url(), &["State.StateChange"], false).await;
    let (alice, mut events) = server.client_on("alice", Platform::Web).await;
    alice.logout().await.unwrap();
    events.next_close().await;

    let calls = receiver.calls_of("State.StateChange", 2).await;
    let infos: Vec<(&Value, &Value, &Value)> = calls
        .iter()
        .map(|call| (&call.body["Info"]["Action"], &call.body["Info"]["Reason"], &call.body["Info"]["To_Account"]))
        .collect();
    assert_eq!(
        infos,
        [
            (&json!("Login"), &json!("Register"), &json!("alice")),
            (&json!("Logout"), &json!("Unregister"), &json!("alice"))
        ]
    );
    assert_eq!(calls[0].query.get("OptPlatform").map(String::as_str), Some("Web"));
}

#[tokio::test]
async fn a_dead_endpoint_of_one_app_does_not_hold_up_another_apps_callbacks() {
    // The first app's backend accepts connections and never answers: each call waits out the 5 s
    // call timeout.
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/callback", dead.local_addr().unwrap());
    let receiver = Receiver::start(always_ok()).await;
    let live_url = receiver.url();
    let commands = vec!["State.StateChange".to_owned()];
    let server = TestServer::start_with(move |config| {
        config.webhook_poll_interval_ms = 20;
        config.apps[0].webhook = Some(WebhookEntry { url: dead_url, commands: commands.clone(), fail_closed: false });
        config.apps[1].webhook = Some(WebhookEntry { url: live_url, commands, fail_closed: false });
    })
    .await;
    let mut stuck = Vec::new();
    for user in ["alice", "bob", "carol"] {
        stuck.push(server.client(user).await);
    }

    let sig = user_sig(OTHER_APP_ID, OTHER_APP_KEY, "zoe", 86_400);
    let _zoe = server.login(ClientOptions::new(server.ws_url(), OTHER_APP_ID, "zoe", sig)).await.unwrap();
    // Delivered serially, zoe's login would wait behind three 5 s timeouts.
    let calls = tokio::time::timeout(Duration::from_secs(3), receiver.calls_of("State.StateChange", 1))
        .await
        .expect("the other app's callback is not held up by the dead endpoint");
    assert_eq!(calls[0].body["Info"]["To_Account"], "zoe");
    assert_eq!(calls[0].query.get("SdkAppid").map(String::as_str), Some(OTHER_APP_ID.to_string().as_str()));
    drop(dead);
}
