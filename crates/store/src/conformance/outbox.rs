//! Conformance: the webhook outbox keeps events until they are delivered, a message's event is
//! written with the message itself, and claims are exclusive: two claimants never hold one entry.

use std::collections::HashSet;

use super::{APP, OTHER_APP, T0, c2c, send};
use crate::Store;
use crate::records::{AfterSendHook, AppId, NewMessage, OutboxClaim, OutboxEvent, OutboxItem};

/// A time after every due entry, with room for a lease after it (SQLite integers are signed 64-bit).
const FOREVER: u64 = i64::MAX as u64 / 2;
/// A time to postpone to that is before `FOREVER`.
const LATER: u64 = FOREVER - 100_000;
/// A third app, for the per-app limits.
const THIRD_APP: AppId = 1_400_000_003;

fn state(user: &str) -> OutboxEvent {
    OutboxEvent::StateChanged {
        user: user.to_owned(),
        action: "Login".to_owned(),
        reason: "Register".to_owned(),
        platform: "Web".to_owned(),
        at_ms: T0,
    }
}

/// A claim at `now_ms` with a lease of 1,000 ms and no per-app limit to speak of.
fn claim_by(claimant: &str, now_ms: u64, limit: u32) -> OutboxClaim {
    OutboxClaim {
        claimant: claimant.to_owned(),
        now_ms,
        lease_until_ms: now_ms.saturating_add(1_000),
        per_app: 1_000,
        limit,
        skip_apps: Vec::new(),
    }
}

fn ids(items: &[OutboxItem]) -> Vec<u64> {
    items.iter().map(|item| item.id).collect()
}

pub(super) async fn enqueued_events_wait_until_completed(store: Store) {
    store.outbox.enqueue(APP, "State.StateChange", state("alice")).await.unwrap();
    store.outbox.enqueue(OTHER_APP, "State.StateChange", state("bob")).await.unwrap();
    let due = store.outbox.claim(claim_by("a", LATER - 2_000, 10)).await.unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(
        (due[0].app, due[0].command.as_str(), &due[0].event, due[0].attempts),
        (APP, "State.StateChange", &state("alice"), 0)
    );
    assert_eq!(due[1].app, OTHER_APP, "each with its app");

    // A postponed entry is released and waits for its time; the other is still claimed by "a".
    store.outbox.postpone(due[0].id, "a", 1, LATER).await.unwrap();
    assert!(store.outbox.claim(claim_by("b", LATER - 1_500, 10)).await.unwrap().is_empty());
    let later = store.outbox.claim(claim_by("b", LATER, 10)).await.unwrap();
    assert_eq!(ids(&later), [due[0].id, due[1].id], "at its time, and after the other's lease ended");
    assert_eq!(later[0].attempts, 1);

    store.outbox.complete(due[1].id).await.unwrap();
    store.outbox.complete(due[0].id).await.unwrap();
    assert!(store.outbox.claim(claim_by("c", FOREVER, 10)).await.unwrap().is_empty());
}

pub(super) async fn claims_are_exclusive_until_the_lease_ends(store: Store) {
    for index in 0..30 {
        let app = [APP, OTHER_APP, THIRD_APP][index % 3];
        store.outbox.enqueue(app, "State.StateChange", state(&format!("user{index}"))).await.unwrap();
    }
    let now = LATER - 10_000;
    // Two claimants at once: what one gets, the other does not.
    let (first, second) =
        tokio::join!(store.outbox.claim(claim_by("a", now, 12)), store.outbox.claim(claim_by("b", now, 12)));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!((first.len(), second.len()), (12, 12));
    let first_ids: HashSet<u64> = ids(&first).into_iter().collect();
    assert!(second.iter().all(|item| !first_ids.contains(&item.id)), "{first:?} and {second:?} overlap");
    let rest = store.outbox.claim(claim_by("c", now, 100)).await.unwrap();
    assert_eq!(rest.len(), 6, "only the unclaimed rest is left");

    // A claimant that does not hold an entry cannot postpone (release) it.
    store.outbox.postpone(first[0].id, "c", 5, now).await.unwrap();
    assert!(store.outbox.claim(claim_by("c", now, 100)).await.unwrap().is_empty(), "still a's");

    // When the leases end, everything is claimable again, by one claimant at a time.
    let after = now + 1_000;
    let (again, racing) =
        tokio::join!(store.outbox.claim(claim_by("d", after, 100)), store.outbox.claim(claim_by("e", after, 100)));
    let (again, racing) = (again.unwrap(), racing.unwrap());
    assert_eq!(again.len() + racing.len(), 30, "each entry once");
    let again_ids: HashSet<u64> = ids(&again).into_iter().collect();
    assert!(racing.iter().all(|item| !again_ids.contains(&item.id)));
    assert!(again.iter().chain(&racing).all(|item| item.attempts == 0), "the foreign postpone changed nothing");
}

pub(super) async fn claims_take_each_apps_oldest_and_skip_busy_apps(store: Store) {
    for index in 0..4 {
        store.outbox.enqueue(APP, "State.StateChange", state(&format!("a{index}"))).await.unwrap();
        store.outbox.enqueue(OTHER_APP, "State.StateChange", state(&format!("b{index}"))).await.unwrap();
        store.outbox.enqueue(THIRD_APP, "State.StateChange", state(&format!("c{index}"))).await.unwrap();
    }
    let now = LATER - 10_000;
    let claim = OutboxClaim { per_app: 2, skip_apps: vec![OTHER_APP], ..claim_by("a", now, 100) };
    let claimed = store.outbox.claim(claim).await.unwrap();
    let summary: Vec<(AppId, String)> = claimed
        .iter()
        .map(|item| match &item.event {
            OutboxEvent::StateChanged { user, .. } => (item.app, user.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        [(APP, "a0".to_owned()), (APP, "a1".to_owned()), (THIRD_APP, "c0".to_owned()), (THIRD_APP, "c1".to_owned())],
        "two per app, oldest first, none of the skipped app"
    );
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

    let due = store.outbox.claim(claim_by("a", LATER, 10)).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].command, "C2C.CallbackAfterSendMsg");
    let expected = OutboxEvent::MessageSent {
        message_id: stored.message_id(),
        client_ip: "127.0.0.1".to_owned(),
        platform: "Web".to_owned(),
    };
    assert_eq!(due[0].event, expected);
}
