//! Integration tests of the SQLite store: the shared conformance suite, then SQLite-specific
//! behaviour (durability across reopen, group commit, failures inside a batch).

mod batching;
mod reopen;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mynah_proto::elements::MsgElement;
use mynah_proto::objects::MessagePriority;
use mynah_store::{AppId, ConversationKey, NewMessage, Store};
use mynah_store_sqlite::{SqliteConfig, SqliteStore};

const APP: AppId = 1_400_000_001;

#[tokio::test]
async fn passes_the_conformance_suite() {
    let directory = tempfile::tempdir().unwrap();
    let opened = AtomicUsize::new(0);
    mynah_store::conformance::run_all(|| {
        let path = directory.path().join(format!("store-{}.db", opened.fetch_add(1, Ordering::Relaxed)));
        async move { Store::from_backend(Arc::new(open(&path))) }
    })
    .await;
    assert!(opened.load(Ordering::Relaxed) > 20, "every check runs on its own store");
}

/// Opens a store at `path` with the default configuration.
fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(SqliteConfig::new(path)).expect("open the sqlite store")
}

fn database(directory: &tempfile::TempDir) -> PathBuf {
    directory.path().join("mynah.db")
}

/// A C2C text message.
fn c2c(from: &str, to: &str, client_msg_id: &str) -> NewMessage {
    NewMessage {
        app: APP,
        conversation: ConversationKey::c2c(from, to),
        sender: from.to_owned(),
        receiver: to.to_owned(),
        client_msg_id: client_msg_id.to_owned(),
        random: 1,
        time_ms: Some(1_700_000_000_000),
        body: vec![MsgElement::text(client_msg_id)],
        cloud_custom_data: String::new(),
        priority: MessagePriority::Normal,
        need_read_receipt: false,
        excluded_from_unread_count: false,
        excluded_from_last_message: false,
        nick: String::new(),
        avatar: String::new(),
        name_card: String::new(),
        after_send_hook: None,
    }
}
