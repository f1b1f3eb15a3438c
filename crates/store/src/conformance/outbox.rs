//! Conformance: the webhook outbox keeps events until they are delivered, and a message's event is
//! written with the message itself.

use super::{APP, OTHER_APP, T0, c2c, send};
use crate::Store;
use crate::records::{AfterSendHook, NewMessage, OutboxEvent};

/// A time after every due entry (SQLite integers are signed 64-bit).
const FOREVER: u64 = i64::MAX as u64;
/// A time to postpone to that is before `FOREVER`.
const LATER: u64 = FOREVER - 10;

fn state(user: &str) -> OutboxEvent {
    OutboxEvent::StateChanged {
        user: user.to_owned(),
        action: "Login".to_owned(),
        reason: "Register".to_owned(),
        platform: "Web".to_owned(),
        at_ms: T0,
    }
}

pub(super) async fn enqueued_events_wait_until_completed(store: Store) {
    store.outbox.enqueue(APP, "State.StateChange", state("alice")).await.unwrap();
    store.outbox.enqueue(OTHER_APP, "State.StateChange", state("bob")).await.unwrap();
    let due = store.outbox.due(FOREVER, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(
        (due[0].app, due[0].command.as_str(), &due[0].event, due[0].attempts),
        (APP, "State.StateChange", &state("alice"), 0)
    );
    assert_eq!(due[1].app, OTHER_APP, "oldest first, each with its app");
    assert_eq!(store.outbox.due(FOREVER, 1).await.unwrap().len(), 1, "the limit holds");

    store.outbox.postpone(due[0].id, 1, LATER).await.unwrap();
    let now_due = store.outbox.due(LATER - 1, 10).await.unwrap();
    assert_eq!(now_due.iter().map(|item| item.id).collect::<Vec<_>>(), vec![due[1].id], "a postponed entry waits");
    let later = store.outbox.due(FOREVER, 10).await.unwrap();
    assert_eq!(later.iter().find(|item| item.id == due[0].id).unwrap().attempts, 1);

    store.outbox.complete(due[1].id).await.unwrap();
    store.outbox.complete(due[0].id).await.unwrap();
    assert!(store.outbox.due(FOREVER, 10).await.unwrap().is_empty());
}

pub(super) async fn a_message_event_is_written_with_its_message_once(store: Store) {
    let hook = AfterSendHook {
        command: "C2C.CallbackAfterSendMsg".to_owned(),
        client_ip: "127.0.0.1".to_owned(),
        platform: "Web".to_owned(),
    };
    let with_hook = NewMessage { after_send_hook: Some(hook), ..c2c(APP, "alice", "bob", "h1") };
    let stored = send(&store, with_hook.clone()).await;
    send(&store, c2c(APP, "alice", "bob", "plain")).await;
    // A resend of the same message is a duplicate: no second event.
    assert!(store.messages.append_message(with_hook).await.unwrap().duplicate);

    let due = store.outbox.due(FOREVER, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].command, "C2C.CallbackAfterSendMsg");
    let expected = OutboxEvent::MessageSent {
        message_id: stored.message_id(),
        client_ip: "127.0.0.1".to_owned(),
        platform: "Web".to_owned(),
    };
    assert_eq!(due[0].event, expected);
    assert!(store.outbox.due(0, 10).await.unwrap().len() <= 1);
}
