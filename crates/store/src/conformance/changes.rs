//! Conformance: the per-user change stream (positions, replay, paging).

use mynah_proto::objects::MemberRole;

use super::{APP, c2c, group, member, send};
use crate::Store;
use crate::keys::ConversationKey;
use crate::records::{AppendedChange, ChangeRecord};

pub(super) async fn positions_are_dense_per_user(store: Store) {
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 0);
    assert_eq!(store.changes.changes_since(APP, "bob", 0, 10).await.unwrap(), vec![]);

    let key = ConversationKey::c2c("alice", "bob");
    for index in 1..=3 {
        send(&store, c2c(APP, "alice", "bob", &format!("m{index}"))).await;
    }
    let mut live = Vec::new();
    for up_to in 1..=3 {
        let marked = store.conversations.mark_read(APP, "bob", &key, Some(up_to)).await.unwrap();
        live.push(marked.change.expect("the mark moved"));
    }
    let members = vec![
        member("alice", MemberRole::Owner),
        member("bob", MemberRole::Member),
        member("carol", MemberRole::Member),
    ];
    let created = store.groups.create_group(group(APP, "g1", "alice", 0), members).await.unwrap();
    let mut joined = created.changes.clone();
    joined.sort_by(|left, right| left.user.cmp(&right.user));
    let positions: Vec<_> = joined.iter().map(|change| (change.user.as_str(), change.position)).collect();
    assert_eq!(positions, vec![("alice", 1), ("bob", 4), ("carol", 1)]);
    live.push(joined[1].clone());
    let left = store.groups.remove_member(APP, "g1", "carol").await.unwrap().expect("carol was a member");
    assert_eq!(
        left,
        AppendedChange {
            user: "carol".to_owned(),
            position: 2,
            change: ChangeRecord::GroupLeft { group_id: "g1".to_owned() }
        }
    );

    assert_eq!(store.changes.head_position(APP, "alice").await.unwrap(), 1);
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 4);
    assert_eq!(store.changes.head_position(APP, "carol").await.unwrap(), 2);
    // Replaying the stream gives exactly what the writes returned.
    assert_eq!(store.changes.changes_since(APP, "bob", 0, 100).await.unwrap(), live);
    let expected: Vec<_> = [1, 2, 3]
        .into_iter()
        .map(|read_seq| ChangeRecord::ConversationRead {
            conversation: key.as_str().to_owned(),
            read_seq,
            unread_count: 3 - read_seq,
            // Every message counts, so the counted index at the mark is its sequence.
            read_counted: read_seq,
        })
        .chain([ChangeRecord::GroupJoined { group_id: "g1".to_owned() }])
        .collect();
    assert_eq!(live.iter().map(|change| change.change.clone()).collect::<Vec<_>>(), expected);
    let carol = store.changes.changes_since(APP, "carol", 0, 100).await.unwrap();
    assert_eq!(carol, vec![joined[2].clone(), left]);
}

pub(super) async fn changes_since_pages_the_stream(store: Store) {
    let key = ConversationKey::c2c("alice", "bob");
    for index in 1..=5 {
        send(&store, c2c(APP, "alice", "bob", &format!("m{index}"))).await;
        store.conversations.mark_read(APP, "bob", &key, None).await.unwrap();
    }
    let positions = |after, limit| {
        let store = store.clone();
        async move {
            let changes = store.changes.changes_since(APP, "bob", after, limit).await.unwrap();
            assert!(changes.iter().all(|change| change.user == "bob"));
            changes.iter().map(|change| change.position).collect::<Vec<_>>()
        }
    };
    assert_eq!(positions(0, 2).await, vec![1, 2]);
    assert_eq!(positions(2, 2).await, vec![3, 4]);
    assert_eq!(positions(4, 10).await, vec![5]);
    assert_eq!(positions(5, 10).await, Vec::<u64>::new());
    assert_eq!(positions(100, 10).await, Vec::<u64>::new());
    assert_eq!(positions(0, 0).await, Vec::<u64>::new());
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 5);
    assert_eq!(store.changes.changes_since(APP, "alice", 0, 10).await.unwrap(), vec![]);
}
