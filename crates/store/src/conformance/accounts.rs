//! Conformance: accounts (import, delete, existence) and profiles (merge, change entries).

use mynah_proto::profiles::{ProfileValue, TAG_IMAGE, TAG_LEVEL, TAG_NICK};

use super::{APP, OTHER_APP, T0};
use crate::records::{AppendedChange, ChangeRecord};
use crate::{ProfileRecord, SenderProfile, Store, StoreError};

fn users(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn text(value: &str) -> ProfileValue {
    ProfileValue::Text(value.to_owned())
}

pub(super) async fn accounts_are_imported_once_and_deleted(store: Store) {
    assert_eq!(
        store.accounts.import_accounts(APP, users(&["alice", "bob", "alice"]), T0).await.unwrap(),
        users(&["alice", "bob"])
    );
    assert_eq!(store.accounts.import_accounts(APP, users(&["bob", "carol"]), T0).await.unwrap(), users(&["carol"]));
    assert_eq!(
        store.accounts.existing_accounts(APP, users(&["carol", "nobody", "alice"])).await.unwrap(),
        users(&["carol", "alice"])
    );
    assert_eq!(store.accounts.existing_accounts(OTHER_APP, users(&["alice"])).await.unwrap(), Vec::<String>::new());

    store.profiles.set_profile(APP, "alice", vec![(TAG_NICK.to_owned(), text("Alice"))], T0).await.unwrap();
    assert_eq!(store.accounts.delete_accounts(APP, users(&["alice", "nobody"])).await.unwrap(), users(&["alice"]));
    assert_eq!(store.accounts.existing_accounts(APP, users(&["alice", "bob"])).await.unwrap(), users(&["bob"]));
    assert_eq!(store.profiles.get_profiles(APP, users(&["alice"])).await.unwrap(), vec![], "the profile went too");
    // A deleted account can come back, with a fresh profile.
    assert_eq!(store.accounts.import_accounts(APP, users(&["alice"]), T0).await.unwrap(), users(&["alice"]));
    let fresh = store.profiles.get_profiles(APP, users(&["alice"])).await.unwrap();
    assert_eq!(fresh, vec![ProfileRecord { user: "alice".to_owned(), ..ProfileRecord::default() }]);
}

pub(super) async fn profiles_merge_and_tell_their_owner(store: Store) {
    let missing = store.profiles.set_profile(APP, "alice", vec![(TAG_NICK.to_owned(), text("A"))], T0).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "no account, no profile: {missing:?}");
    assert_eq!(store.changes.head_position(APP, "alice").await.unwrap(), 0, "the refused write appended nothing");

    store.accounts.import_accounts(APP, users(&["alice", "bob"]), T0).await.unwrap();
    let first = store
        .profiles
        .set_profile(
            APP,
            "alice",
            vec![(TAG_NICK.to_owned(), text("Alice")), (TAG_LEVEL.to_owned(), ProfileValue::Integer(3))],
            T0,
        )
        .await
        .unwrap();
    let updated = |position| AppendedChange {
        user: "alice".to_owned(),
        position,
        change: ChangeRecord::ProfileUpdated { user: "alice".to_owned() },
    };
    assert_eq!(first.change, updated(1));
    let custom = "Tag_Profile_Custom_color".to_owned();
    let second = store
        .profiles
        .set_profile(
            APP,
            "alice",
            vec![(TAG_LEVEL.to_owned(), ProfileValue::Integer(4)), (custom.clone(), text("blue"))],
            T0 + 5,
        )
        .await
        .unwrap();
    assert_eq!(second.change, updated(2));
    let expected = ProfileRecord {
        user: "alice".to_owned(),
        fields: [
            (TAG_NICK.to_owned(), text("Alice")),
            (TAG_LEVEL.to_owned(), ProfileValue::Integer(4)),
            (custom, text("blue")),
        ]
        .into_iter()
        .collect(),
        updated_at_ms: T0 + 5,
    };
    assert_eq!(second.profile, expected);
    let read = store.profiles.get_profiles(APP, users(&["nobody", "alice", "bob"])).await.unwrap();
    assert_eq!(read, vec![expected, ProfileRecord { user: "bob".to_owned(), ..ProfileRecord::default() }]);
    assert_eq!(store.changes.changes_since(APP, "alice", 0, 10).await.unwrap(), vec![updated(1), updated(2)]);
    assert_eq!(store.changes.head_position(APP, "bob").await.unwrap(), 0);
    assert_eq!(store.profiles.get_profiles(OTHER_APP, users(&["alice"])).await.unwrap(), vec![]);
}

/// What a message is stamped with: the nick and avatar only, empty when unset or without a
/// profile or account, and always the profile as it is now.
pub(super) async fn sender_profile_is_the_nick_and_avatar(store: Store) {
    let sender = |nick: &str, avatar: &str| SenderProfile { nick: nick.to_owned(), avatar: avatar.to_owned() };
    assert_eq!(store.profiles.sender_profile(APP, "nobody").await.unwrap(), sender("", ""), "no account");
    store.accounts.import_accounts(APP, users(&["alice"]), T0).await.unwrap();
    assert_eq!(store.profiles.sender_profile(APP, "alice").await.unwrap(), sender("", ""), "never set");

    let level = (TAG_LEVEL.to_owned(), ProfileValue::Integer(3));
    store.profiles.set_profile(APP, "alice", vec![level], T0).await.unwrap();
    assert_eq!(store.profiles.sender_profile(APP, "alice").await.unwrap(), sender("", ""), "neither tag set");

    store.profiles.set_profile(APP, "alice", vec![(TAG_NICK.to_owned(), text("Alice"))], T0).await.unwrap();
    assert_eq!(store.profiles.sender_profile(APP, "alice").await.unwrap(), sender("Alice", ""));
    let fields = vec![(TAG_NICK.to_owned(), text("Ally")), (TAG_IMAGE.to_owned(), text("https://example.com/a.png"))];
    store.profiles.set_profile(APP, "alice", fields, T0 + 1).await.unwrap();
    assert_eq!(store.profiles.sender_profile(APP, "alice").await.unwrap(), sender("Ally", "https://example.com/a.png"));
    assert_eq!(store.profiles.sender_profile(OTHER_APP, "alice").await.unwrap(), sender("", ""), "another app");
}
