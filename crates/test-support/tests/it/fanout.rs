//! Fan-out: an event that reaches many members is resolved once, not once per member, and a
//! committed send is pushed even when its request is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::SinkExt;
use mynah_store::{
    AppId, Appended, AppendedChange, ConversationKey, GroupCreated, GroupRecord, GroupStore, HistoryRange,
    MemberRecord, MembersAdded, MessageStore, NewGroup, NewMember, NewMessage, Store, StoreError, StoredMessage,
};
use mynah_test_support::{APP_ID, TestServer, WrapStore};
use serde_json::json;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::rest::Rest;

/// A group store that counts group-row reads.
struct CountingGroups {
    inner: Arc<dyn GroupStore>,
    group_reads: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl GroupStore for CountingGroups {
    async fn create_group(&self, group: NewGroup, members: Vec<NewMember>) -> Result<GroupCreated, StoreError> {
        self.inner.create_group(group, members).await
    }

    async fn get_group(&self, app: AppId, group_id: &str) -> Result<Option<GroupRecord>, StoreError> {
        self.group_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_group(app, group_id).await
    }

    async fn add_members(
        &self,
        app: AppId,
        group_id: &str,
        members: Vec<NewMember>,
    ) -> Result<MembersAdded, StoreError> {
        self.inner.add_members(app, group_id, members).await
    }

    async fn remove_member(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
    ) -> Result<Option<AppendedChange>, StoreError> {
        self.inner.remove_member(app, group_id, user).await
    }

    async fn get_member(&self, app: AppId, group_id: &str, user: &str) -> Result<Option<MemberRecord>, StoreError> {
        self.inner.get_member(app, group_id, user).await
    }

    async fn member_ids(&self, app: AppId, group_id: &str) -> Result<Vec<String>, StoreError> {
        self.inner.member_ids(app, group_id).await
    }

    async fn group_ids_of_user(&self, app: AppId, user: &str) -> Result<Vec<String>, StoreError> {
        self.inner.group_ids_of_user(app, user).await
    }

    async fn groups_of_user(&self, app: AppId, user: &str) -> Result<Vec<(GroupRecord, MemberRecord)>, StoreError> {
        self.inner.groups_of_user(app, user).await
    }
}

#[tokio::test]
async fn adding_many_members_reads_the_group_once_for_all_their_join_entries() {
    let group_reads = Arc::new(AtomicUsize::new(0));
    let wrap: WrapStore = {
        let group_reads = group_reads.clone();
        Arc::new(move |store: Store| Store {
            groups: Arc::new(CountingGroups { inner: store.groups.clone(), group_reads: group_reads.clone() }),
            ..store
        })
    };
    let server = TestServer::start_with_store(|_| {}, Some(wrap)).await;
    let rest = Rest::new(&server);
    let users: Vec<String> = (0..40).map(|index| format!("member{index}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    rest.import(&names).await;
    let created = rest.ok("group_open_http_svc/create_group", json!({ "Type": "Public", "Name": "big" })).await;
    let group_id = created["GroupId"].as_str().unwrap().to_owned();

    let before = group_reads.load(Ordering::SeqCst);
    let members: Vec<_> = names.iter().map(|user| json!({ "Member_Account": user })).collect();
    rest.ok("group_open_http_svc/add_group_member", json!({ "GroupId": group_id, "MemberList": members })).await;
    let reads = group_reads.load(Ordering::SeqCst) - before;
    // One to check the group exists, one to build the 40 `groupJoined` entries.
    assert!(reads <= 2, "{reads} group reads for one event with 40 recipients");
}

/// A message store that, for the message `gated`, commits and then waits for `release` before
/// answering, telling `committed` when it is there.
struct GatedMessages {
    inner: Arc<dyn MessageStore>,
    committed: Arc<Notify>,
    release: Arc<Notify>,
}

#[async_trait::async_trait]
impl MessageStore for GatedMessages {
    async fn append_message(&self, message: NewMessage) -> Result<Appended, StoreError> {
        let gated = message.client_msg_id == "gated";
        let appended = self.inner.append_message(message).await;
        if gated {
            self.committed.notify_one();
            self.release.notified().await;
        }
        appended
    }

    async fn history(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        range: HistoryRange,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.inner.history(app, conversation, range, limit).await
    }

    async fn find_message(&self, app: AppId, message_id: &str) -> Result<Option<StoredMessage>, StoreError> {
        self.inner.find_message(app, message_id).await
    }
}

#[tokio::test]
async fn a_committed_send_is_pushed_even_when_its_session_ends_before_the_reply() {
    let committed = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let wrap: WrapStore = {
        let (committed, release) = (committed.clone(), release.clone());
        Arc::new(move |store: Store| Store {
            messages: Arc::new(GatedMessages {
                inner: store.messages.clone(),
                committed: committed.clone(),
                release: release.clone(),
            }),
            ..store
        })
    };
    let server = TestServer::start_with_store(|_| {}, Some(wrap)).await;
    let rest = Rest::new(&server);
    let (_bob, mut bob_events) = server.client("bob").await;

    let (mut alice, _) = tokio_tungstenite::connect_async(server.ws_url()).await.expect("connect");
    let login = json!({"id": 1, "op": "login", "data": {
        "sdkAppID": APP_ID, "userID": "alice", "userSig": server.user_sig("alice"), "platform": "web", "protocolVersion": 1}});
    alice.send(Frame::text(login.to_string())).await.unwrap();
    let send = json!({"id": 2, "op": "sendMessage", "data": {
        "conversationType": "C2C", "to": "bob", "clientMsgID": "gated", "random": 1,
        "msgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "bye"}}]}});
    alice.send(Frame::text(send.to_string())).await.unwrap();
    tokio::time::timeout(mynah_test_support::WAIT, committed.notified()).await.expect("the append committed");
    // Alice's session ends before the reply (the administrator kicks her), dropping the request.
    rest.ok("im_open_login_svc/kick", json!({ "UserID": "alice" })).await;
    loop {
        let online = rest.ok("openim/query_online_status", json!({ "To_Account": ["alice"] })).await;
        if online["QueryResult"][0]["Status"] == "Offline" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    release.notify_one();
    let pushed = bob_events.next_message().await;
    assert_eq!(pushed.client_msg_id, "gated");
    drop(alice);
}

#[tokio::test]
async fn members_added_and_removed_by_the_administrator_gain_and_lose_the_groups_pushes() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice", "bob"]).await;
    let (alice, _alice_events) = server.client("alice").await;
    // Bob is online before he is added: his session learns the group from the change, not a login.
    let (_bob, mut bob_events) = server.client("bob").await;
    let created = rest.ok("group_open_http_svc/create_group", json!({ "Type": "Public", "Name": "club" })).await;
    let group_id = created["GroupId"].as_str().unwrap().to_owned();
    let add =
        json!({ "GroupId": group_id, "MemberList": [{ "Member_Account": "alice" }, { "Member_Account": "bob" }] });
    rest.ok("group_open_http_svc/add_group_member", add).await;
    let sent = alice.send_group_text(&group_id, "hello bob").await.unwrap();
    assert_eq!(bob_events.next_message().await, sent);

    let remove = json!({ "GroupId": group_id, "MemberToDel_Account": ["bob"] });
    rest.ok("group_open_http_svc/delete_group_member", remove).await;
    let sent = alice.send_group_text(&group_id, "bob is gone").await.unwrap();
    // Bob hears of his removal (changes) and nothing of what follows it.
    loop {
        match tokio::time::timeout(Duration::from_millis(300), bob_events.receiver.recv()).await {
            Ok(Some(mynah_client::Event::Push(mynah_proto::frames::Push::Change(_)))) => continue,
            Ok(other) => panic!("a removed member got {other:?} (after {sent:?})"),
            Err(_) => break,
        }
    }
}
