//! Data outlives the store: close, reopen, and everything acknowledged is there.

use mynah_proto::objects::{GroupType, JoinOption, MemberRole};
use mynah_store::{
    ChangeStore, ConversationKey, ConversationStore, GroupStore, HistoryRange, MessageStore, NewGroup, NewMember,
    StoreError,
};
use mynah_store_sqlite::{Durability, SqliteConfig, SqliteStore};

use crate::{APP, c2c, database, open};

#[tokio::test]
async fn acknowledged_writes_survive_close_and_reopen() {
    let directory = tempfile::tempdir().unwrap();
    let path = database(&directory);
    let key = ConversationKey::c2c("alice", "bob");
    let store = open(&path);
    for index in 1..=5 {
        store.append_message(c2c("alice", "bob", &format!("m{index}"))).await.unwrap();
    }
    store.mark_read(APP, "bob", &key, Some(3)).await.unwrap();
    let group = NewGroup {
        app: APP,
        group_id: "g1".to_owned(),
        group_type: GroupType::Public,
        name: "Group one".to_owned(),
        owner: "alice".to_owned(),
        created_at_ms: 1,
        max_member_num: 10,
        join_option: JoinOption::NeedPermission,
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
    };
    let members = vec![NewMember { user: "alice".to_owned(), role: MemberRole::Owner, joined_at_ms: 1 }];
    let created = store.create_group(group, members).await.unwrap();
    let before = store.history(APP, &key, HistoryRange::After(0), 100).await.unwrap();
    store.close().await;

    let closed = store.append_message(c2c("alice", "bob", "late")).await;
    assert!(matches!(closed, Err(StoreError::Backend(_))), "{closed:?}");
    assert_eq!(store.history(APP, &key, HistoryRange::After(0), 100).await.unwrap(), before, "reads still work");
    drop(store);

    let store = open(&path);
    assert_eq!(store.history(APP, &key, HistoryRange::After(0), 100).await.unwrap(), before);
    let bob = store.get_conversation(APP, "bob", &key).await.unwrap().unwrap();
    assert_eq!((bob.last_seq, bob.read_seq, bob.unread_count), (5, 3, 2));
    assert_eq!(store.head_position(APP, "bob").await.unwrap(), 1);
    assert_eq!(store.get_group(APP, "g1").await.unwrap(), Some(created.group));
    assert_eq!(store.find_message(APP, "alice-late").await.unwrap(), None, "the write after close never happened");

    let next = store.append_message(c2c("bob", "alice", "b1")).await.unwrap();
    assert_eq!(next.message.seq, 6, "sequences continue where they stopped");
    let again = store.append_message(c2c("alice", "bob", "m2")).await.unwrap();
    assert!(again.duplicate, "idempotency keys survive the reopen");
}

#[tokio::test]
async fn dropping_the_store_flushes_queued_writes() {
    let directory = tempfile::tempdir().unwrap();
    let path = database(&directory);
    let store = std::sync::Arc::new(open(&path));
    let mut tasks = Vec::new();
    for index in 0..50 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.append_message(c2c("alice", "bob", &format!("m{index}"))).await }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    drop(store);

    let store = open(&path);
    let history = store.history(APP, &ConversationKey::c2c("alice", "bob"), HistoryRange::After(0), 100).await.unwrap();
    assert_eq!(history.iter().map(|message| message.seq).collect::<Vec<_>>(), (1..=50).collect::<Vec<_>>());
}

#[tokio::test]
async fn normal_durability_stores_and_reopens_too() {
    let directory = tempfile::tempdir().unwrap();
    let path = database(&directory);
    let config = SqliteConfig { durability: Durability::Normal, readers: 1, ..SqliteConfig::new(&path) };
    let store = SqliteStore::open(config).unwrap();
    store.append_message(c2c("alice", "bob", "m1")).await.unwrap();
    store.close().await;
    drop(store);

    let store = open(&path);
    assert!(store.find_message(APP, "alice-m1").await.unwrap().is_some());
}
