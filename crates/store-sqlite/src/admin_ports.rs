//! The administration ports of `mynah_store` on [`SqliteStore`]: accounts, profiles, message
//! revisions and group administration. Writes are jobs for the writer thread, reads run on the pool.

use async_trait::async_trait;
use mynah_proto::objects::MemberRole;
use mynah_proto::profiles::ProfileValue;
use mynah_store::{
    AccountStore, AppId, Appended, AppendedChange, ConversationKey, GroupAdminStore, GroupEdit, GroupEdited,
    GroupNoticeRecord, MemberRecord, MessageAdminStore, MessageEdit, NewMessage, ProfileRecord, ProfileSet,
    ProfileStore, Revision, SenderProfile, StoreError,
};

use crate::revisions::PreparedEdit;
use crate::rows::to_json;
use crate::{SqliteStore, accounts, group_admin, group_edits, messages, revisions};
use mynah_store::backend::PreparedMessage;

#[async_trait]
impl AccountStore for SqliteStore {
    async fn import_accounts(&self, app: AppId, users: Vec<String>, at_ms: u64) -> Result<Vec<String>, StoreError> {
        self.writer.write(move |connection| accounts::import(connection, app, &users, at_ms)).await
    }

    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<String>, StoreError> {
        self.writer.write(move |connection| accounts::delete(connection, app, &users)).await
    }

    async fn existing_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<String>, StoreError> {
        self.readers.lookup(move |connection| accounts::existing(connection, app, &users)).await
    }
}

#[async_trait]
impl ProfileStore for SqliteStore {
    async fn set_profile(
        &self,
        app: AppId,
        user: &str,
        fields: Vec<(String, ProfileValue)>,
        at_ms: u64,
    ) -> Result<ProfileSet, StoreError> {
        let user = user.to_owned();
        self.writer.write(move |connection| accounts::set_profile(connection, app, &user, &fields, at_ms)).await
    }

    async fn get_profiles(&self, app: AppId, users: Vec<String>) -> Result<Vec<ProfileRecord>, StoreError> {
        self.readers.read(move |connection| accounts::profiles(connection, app, &users)).await
    }

    async fn sender_profile(&self, app: AppId, user: &str) -> Result<SenderProfile, StoreError> {
        let user = user.to_owned();
        self.readers.lookup(move |connection| accounts::sender_profile(connection, app, &user)).await
    }
}

#[async_trait]
impl MessageAdminStore for SqliteStore {
    async fn append_admin_message(&self, message: NewMessage) -> Result<Appended, StoreError> {
        let prepared = PreparedMessage::from_administrator(message)?;
        self.writer.write(move |connection| messages::append(connection, &prepared)).await
    }

    async fn revoke_message(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        seq: u64,
    ) -> Result<Revision, StoreError> {
        let conversation = conversation.clone();
        self.writer.write(move |connection| revisions::revoke(connection, app, &conversation, seq)).await
    }

    async fn modify_message(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        seq: u64,
        edit: MessageEdit,
    ) -> Result<Revision, StoreError> {
        // Encoding happens here, on the caller's task, so the writer thread only runs SQL.
        let body = match edit.body {
            Some(body) => {
                let encoded = to_json(&body)?;
                Some((body, encoded))
            }
            None => None,
        };
        let edit = PreparedEdit { body, cloud_custom_data: edit.cloud_custom_data };
        let conversation = conversation.clone();
        self.writer.write(move |connection| revisions::modify(connection, app, &conversation, seq, &edit)).await
    }
}

#[async_trait]
impl GroupAdminStore for SqliteStore {
    async fn members(&self, app: AppId, group_id: &str) -> Result<Vec<MemberRecord>, StoreError> {
        let group_id = group_id.to_owned();
        self.readers.read(move |connection| group_admin::members(connection, app, &group_id)).await
    }

    async fn member_page(
        &self,
        app: AppId,
        group_id: &str,
        role: Option<MemberRole>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<MemberRecord>, StoreError> {
        let group_id = group_id.to_owned();
        self.readers
            .read(move |connection| group_admin::member_page(connection, app, &group_id, role, offset, limit))
            .await
    }

    async fn remove_members(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
        notice: GroupNoticeRecord,
    ) -> Result<Vec<AppendedChange>, StoreError> {
        let group_id = group_id.to_owned();
        self.writer
            .write(move |connection| group_admin::remove_members(connection, app, &group_id, &users, &notice))
            .await
    }

    async fn dismiss_group(
        &self,
        app: AppId,
        group_id: &str,
        operator: &str,
        at_ms: u64,
    ) -> Result<Vec<AppendedChange>, StoreError> {
        let (group_id, operator) = (group_id.to_owned(), operator.to_owned());
        self.writer.write(move |connection| group_admin::dismiss(connection, app, &group_id, &operator, at_ms)).await
    }

    async fn notify_members(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
        notice: GroupNoticeRecord,
    ) -> Result<Vec<AppendedChange>, StoreError> {
        let group_id = group_id.to_owned();
        self.writer.write(move |connection| group_admin::notify(connection, app, &group_id, &users, &notice)).await
    }

    async fn edit_group(&self, app: AppId, group_id: &str, edit: GroupEdit) -> Result<GroupEdited, StoreError> {
        let group_id = group_id.to_owned();
        self.writer.write(move |connection| group_edits::edit(connection, app, &group_id, &edit)).await
    }

    async fn set_member_role(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
        role: MemberRole,
    ) -> Result<GroupEdited, StoreError> {
        let (group_id, user) = (group_id.to_owned(), user.to_owned());
        self.writer.write(move |connection| group_edits::set_role(connection, app, &group_id, &user, role)).await
    }

    async fn change_owner(&self, app: AppId, group_id: &str, new_owner: &str) -> Result<GroupEdited, StoreError> {
        let (group_id, new_owner) = (group_id.to_owned(), new_owner.to_owned());
        self.writer.write(move |connection| group_edits::change_owner(connection, app, &group_id, &new_owner)).await
    }

    async fn mute_member(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
        until_ms: u64,
    ) -> Result<GroupEdited, StoreError> {
        let (group_id, user) = (group_id.to_owned(), user.to_owned());
        self.writer.write(move |connection| group_edits::mute(connection, app, &group_id, &user, until_ms)).await
    }

    async fn set_name_card(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
        name_card: &str,
    ) -> Result<GroupEdited, StoreError> {
        let (group_id, user, name_card) = (group_id.to_owned(), user.to_owned(), name_card.to_owned());
        self.writer
            .write(move |connection| group_edits::set_name_card(connection, app, &group_id, &user, &name_card))
            .await
    }
}
