//! Fan-out costs: an event that reaches many members is resolved once, not once per member.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mynah_store::{
    AppId, AppendedChange, GroupCreated, GroupRecord, GroupStore, MemberRecord, MembersAdded, NewGroup, NewMember,
    Store, StoreError,
};
use mynah_test_support::{TestServer, WrapStore};
use serde_json::json;

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
