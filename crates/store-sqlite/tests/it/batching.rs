//! Group commit: concurrent writes share transactions, keep dense sequences, and a failing write
//! fails alone.

use std::collections::BTreeMap;
use std::sync::Arc;

use mynah_proto::objects::{GroupType, JoinOption, MemberRole};
use mynah_store::{
    ConversationKey, ConversationStore, GroupStore, HistoryRange, MessageStore, NewGroup, NewMember, NewMessage,
    StoreError,
};
use mynah_store_sqlite::SqliteStore;

use crate::{APP, c2c, database, open};

/// Holds SQLite's write lock from a second connection, so the writer cannot begin its next
/// transaction and every write submitted meanwhile queues up for one batch.
struct WriteLock(rusqlite::Connection);

impl WriteLock {
    fn take(path: &std::path::Path) -> WriteLock {
        let connection = rusqlite::Connection::open(path).unwrap();
        connection.execute_batch("BEGIN IMMEDIATE").unwrap();
        WriteLock(connection)
    }

    fn release(self) {
        self.0.execute_batch("COMMIT").unwrap();
    }
}

/// Waits (cooperatively, on the current-thread runtime) until `count` writes were handed to the
/// writer in total.
async fn until_submitted(store: &SqliteStore, count: u64) {
    while store.writer_stats().submitted < count {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_get_dense_sequences_and_share_commits() {
    const CONVERSATIONS: usize = 10;
    const PER_CONVERSATION: usize = 100;
    let directory = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&database(&directory)));

    let mut tasks = Vec::new();
    for round in 0..PER_CONVERSATION {
        for pair in 0..CONVERSATIONS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let (peer, id) = (format!("peer{pair}"), format!("{pair}-{round}"));
                // Both directions of each pair, so both users' rows take writes.
                let message = if round % 2 == 0 { c2c("hub", &peer, &id) } else { c2c(&peer, "hub", &id) };
                let appended = store.append_message(message).await.unwrap();
                (pair, appended.message.seq)
            }));
        }
    }
    let mut seqs: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    for task in tasks {
        let (pair, seq) = task.await.unwrap();
        seqs.entry(pair).or_default().push(seq);
    }
    for (pair, mut got) in seqs {
        got.sort_unstable();
        assert_eq!(got, (1..=PER_CONVERSATION as u64).collect::<Vec<_>>(), "peer{pair}");
        let key = ConversationKey::c2c("hub", &format!("peer{pair}"));
        let stored = store.history(APP, &key, HistoryRange::After(0), 1000).await.unwrap();
        assert_eq!(stored.len(), PER_CONVERSATION);
    }
    let stats = store.writer_stats();
    let appends = (CONVERSATIONS * PER_CONVERSATION) as u64;
    assert_eq!(stats.commands, appends);
    assert!(stats.commits < appends, "group commit never batched: {stats:?}");
}

#[tokio::test]
async fn queued_writes_commit_together() {
    let directory = tempfile::tempdir().unwrap();
    let path = database(&directory);
    let store = Arc::new(open(&path));
    let lock = WriteLock::take(&path);

    let mut tasks = Vec::new();
    for index in 0..600 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.append_message(c2c("alice", "bob", &format!("m{index}"))).await }));
    }
    until_submitted(&store, 600).await;
    lock.release();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = store.writer_stats();
    // At most the first write alone (taken before the lock was seen), then full batches.
    assert!(stats.commits <= 1 + 600_u64.div_ceil(256), "{stats:?}");
    assert_eq!(stats.commands, 600);
}

#[tokio::test]
async fn a_failing_write_does_not_fail_its_batch() {
    let directory = tempfile::tempdir().unwrap();
    let path = database(&directory);
    let store = Arc::new(open(&path));
    let group = NewGroup {
        app: APP,
        group_id: "g1".to_owned(),
        group_type: GroupType::Work,
        name: "g1".to_owned(),
        owner: "alice".to_owned(),
        created_at_ms: 1,
        max_member_num: 2,
        join_option: JoinOption::DisableApply,
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
    };
    let member = |user: &str| NewMember { user: user.to_owned(), role: MemberRole::Member, joined_at_ms: 1 };
    store.create_group(group.clone(), vec![member("alice"), member("bob")]).await.unwrap();
    let before = store.writer_stats();

    let lock = WriteLock::take(&path);
    let spawn_append = |message: NewMessage| {
        let store = store.clone();
        tokio::spawn(async move { store.append_message(message).await })
    };
    let first = spawn_append(c2c("alice", "bob", "first"));
    until_submitted(&store, before.submitted + 1).await;
    // Reads do not wait for the writer.
    assert_eq!(store.total_unread(APP, "bob").await.unwrap(), 0);

    let mut appends = vec![first];
    appends.extend((0..20).map(|index| spawn_append(c2c("alice", "bob", &format!("m{index}")))));
    let taken = {
        let store = store.clone();
        let group = group.clone();
        tokio::spawn(async move { store.create_group(group, vec![member("carol")]).await })
    };
    let full = {
        let store = store.clone();
        tokio::spawn(async move { store.add_members(APP, "g1", vec![member("carol")]).await })
    };
    let outsider = spawn_append(NewMessage {
        conversation: ConversationKey::group("g1"),
        receiver: "g1".to_owned(),
        ..c2c("carol", "g1", "sneaky")
    });
    appends.extend((20..40).map(|index| spawn_append(c2c("bob", "alice", &format!("m{index}")))));
    until_submitted(&store, before.submitted + 44).await;
    lock.release();

    assert!(matches!(taken.await.unwrap(), Err(StoreError::AlreadyExists(_))));
    assert!(matches!(full.await.unwrap(), Err(StoreError::GroupFull)));
    assert!(matches!(outsider.await.unwrap(), Err(StoreError::NotMember(_))));
    let mut seqs = Vec::new();
    for append in appends {
        seqs.push(append.await.unwrap().unwrap().message.seq);
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=41).collect::<Vec<_>>());
    let stats = store.writer_stats();
    assert!(
        stats.commits - before.commits <= 2,
        "the failures shared a batch with the rest: {stats:?} after {before:?}"
    );
    assert_eq!(store.get_group(APP, "g1").await.unwrap().unwrap().member_count, 2);
    assert_eq!(store.find_message(APP, "carol-sneaky").await.unwrap(), None);
}

#[tokio::test]
async fn message_ids_that_collide_across_senders_are_refused() {
    let directory = tempfile::tempdir().unwrap();
    let store = open(&database(&directory));
    // "a-b" + "c" and "a" + "b-c" both spell the message ID "a-b-c".
    store.append_message(c2c("a-b", "z", "c")).await.unwrap();
    let collision = store.append_message(c2c("a", "z", "b-c")).await;
    assert!(matches!(collision, Err(StoreError::AlreadyExists(_))), "{collision:?}");
    let found = store.find_message(APP, "a-b-c").await.unwrap().unwrap();
    assert_eq!((found.sender.as_str(), found.client_msg_id.as_str()), ("a-b", "c"));
}
