//! Conformance under concurrency: what must hold when many writes race (the ordering invariants
//! of ARCHITECTURE.md). A backend with one writer passes these by construction; a clustered one
//! must earn them.

use std::time::{SystemTime, UNIX_EPOCH};

use mynah_proto::elements::MsgElement;
use mynah_proto::objects::MemberRole;
use tokio::task::JoinSet;

use super::{APP, c2c, make_group, member, send, seqs, to_group};
use crate::Store;
use crate::keys::ConversationKey;
use crate::records::{Appended, HistoryRange, NewMessage, StoredMessage};

/// How many writes each check races.
const RACERS: u64 = 64;

/// Appends every message at once and returns what each append answered, in no particular order.
async fn append_all(store: &Store, messages: Vec<NewMessage>) -> Vec<Appended> {
    let mut appends = JoinSet::new();
    for message in messages {
        let store = store.clone();
        appends.spawn(async move { store.messages.append_message(message).await });
    }
    let mut appended = Vec::new();
    while let Some(joined) = appends.join_next().await {
        appended.push(joined.expect("the append task").expect("a racing append succeeds"));
    }
    appended
}

/// A live send: the store stamps its time.
fn live(message: NewMessage) -> NewMessage {
    NewMessage { time_ms: None, ..message }
}

fn wall_clock_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}

async fn whole_history(store: &Store, conversation: &ConversationKey) -> Vec<StoredMessage> {
    store.messages.history(APP, conversation, HistoryRange::After(0), 1000).await.expect("read the history")
}

pub(super) async fn parallel_appends_get_dense_sequences(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob", "carol"]).await;
    let mut messages = Vec::new();
    for index in 0..RACERS {
        // Both directions of the pair, and every member of the group, race each other.
        let (from, to) = if index % 2 == 0 { ("alice", "bob") } else { ("bob", "alice") };
        messages.push(live(c2c(APP, from, to, &format!("c{index}"))));
        let member = ["alice", "bob", "carol"][(index % 3) as usize];
        messages.push(live(to_group(APP, member, "g1", &format!("g{index}"))));
    }
    let appended = append_all(&store, messages).await;
    assert!(appended.iter().all(|appended| !appended.duplicate), "no fresh send is taken for a resend");

    let dense: Vec<u64> = (1..=RACERS).collect();
    for conversation in [ConversationKey::c2c("alice", "bob"), ConversationKey::group("g1")] {
        let mut answered: Vec<u64> = appended
            .iter()
            .filter(|appended| appended.message.conversation == conversation)
            .map(|appended| appended.message.seq)
            .collect();
        answered.sort_unstable();
        assert_eq!(answered, dense, "the sequences answered in {conversation:?}: no gap, no duplicate");
        assert_eq!(seqs(&whole_history(&store, &conversation).await), dense, "the stored {conversation:?}");
    }
    assert_eq!(store.groups.get_group(APP, "g1").await.unwrap().unwrap().last_seq, RACERS);
    let bob = store.conversations.get_conversation(APP, "bob", &ConversationKey::c2c("alice", "bob")).await;
    assert_eq!(bob.unwrap().unwrap().last_seq, RACERS);
}

pub(super) async fn racing_resends_store_one_message(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    for (conversation, first) in [
        (ConversationKey::c2c("alice", "bob"), c2c(APP, "alice", "bob", "same")),
        (ConversationKey::group("g1"), to_group(APP, "alice", "g1", "same-in-group")),
    ] {
        // Every resend carries another body and random: whichever is stored, all callers must
        // be told that one.
        let resends = (0..RACERS)
            .map(|index| NewMessage {
                random: index as u32,
                body: vec![MsgElement::text(format!("attempt {index}"))],
                ..live(first.clone())
            })
            .collect();
        let appended = append_all(&store, resends).await;
        let stored: Vec<&Appended> = appended.iter().filter(|appended| !appended.duplicate).collect();
        assert_eq!(stored.len(), 1, "exactly one racing resend is stored in {conversation:?}");
        let original = &stored[0].message;
        assert!(
            appended.iter().all(|appended| &appended.message == original),
            "every racer is answered with the stored original in {conversation:?}"
        );
        assert_eq!(whole_history(&store, &conversation).await, vec![original.clone()]);
    }
}

pub(super) async fn change_positions_are_dense_and_visible_in_order(store: Store) {
    // Bob gets one conversation per peer; marking them all read at once, while groups add him,
    // appends his changes from racing writes.
    const PEERS: u64 = 24;
    for peer in 0..PEERS {
        send(&store, c2c(APP, &format!("peer{peer}"), "bob", "hello")).await;
        make_group(&store, APP, &format!("g{peer}"), &format!("peer{peer}"), &[]).await;
    }
    let expected = PEERS * 2;

    let mut writes = JoinSet::new();
    for peer in 0..PEERS {
        let marking = store.clone();
        writes.spawn(async move {
            let store = marking;
            let key = ConversationKey::c2c("bob", &format!("peer{peer}"));
            store.conversations.mark_read(APP, "bob", &key, None).await.expect("mark read").change.is_some()
        });
        let joining_store = store.clone();
        writes.spawn(async move {
            let store = joining_store;
            let joining = vec![member("bob", MemberRole::Member)];
            store.groups.add_members(APP, &format!("g{peer}"), joining).await.expect("add bob").changes.len() == 1
        });
    }

    // A reader polls the stream while the writes land: whatever it sees must be a gap-free prefix.
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut seen = 0;
            while seen < expected {
                let changes = store.changes.changes_since(APP, "bob", 0, 1000).await.expect("read the stream");
                let positions: Vec<u64> = changes.iter().map(|change| change.position).collect();
                assert_eq!(positions, (1..=positions.len() as u64).collect::<Vec<_>>(), "a gap became visible");
                assert!(positions.len() as u64 >= seen, "changes became invisible again");
                seen = positions.len() as u64;
                tokio::task::yield_now().await;
            }
        })
    };
    while let Some(wrote) = writes.join_next().await {
        assert!(wrote.expect("the write task"), "every racing write appended its change");
    }
    reader.await.expect("the reader saw only gap-free prefixes");
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), expected);
    let middle = store.changes.changes_since(APP, "bob", expected / 2, 1000).await.unwrap();
    let positions: Vec<u64> = middle.iter().map(|change| change.position).collect();
    assert_eq!(positions, (expected / 2 + 1..=expected).collect::<Vec<_>>());
}

pub(super) async fn send_times_never_go_backward_with_the_sequence(store: Store) {
    make_group(&store, APP, "g1", "alice", &["bob"]).await;
    let before = wall_clock_ms();
    let messages = (0..RACERS).map(|index| live(to_group(APP, "bob", "g1", &format!("m{index}")))).collect();
    append_all(&store, messages).await;
    let after = wall_clock_ms();

    let history = whole_history(&store, &ConversationKey::group("g1")).await;
    assert_eq!(history.len() as u64, RACERS);
    for pair in history.windows(2) {
        assert!(pair[0].time_ms <= pair[1].time_ms, "time went backward: {:?} then {:?}", pair[0], pair[1]);
    }
    assert!(history.iter().all(|message| (before..=after).contains(&message.time_ms)), "stamped when sent");

    // A message stored with a time ahead of the clock (an import; or the clock stepped back):
    // the next live send is stamped no earlier.
    let ahead = after + 3_600_000;
    send(&store, NewMessage { time_ms: Some(ahead), ..to_group(APP, "alice", "g1", "ahead") }).await;
    let next = send(&store, live(to_group(APP, "bob", "g1", "next"))).await;
    assert!(next.time_ms >= ahead, "a live send after {ahead} was stamped {}", next.time_ms);
}
