//! The `mynah_store` ports on [`SqliteStore`]: every write is a job for the writer thread, every
//! read runs on a pooled read connection (point lookups by key through `ReaderPool::lookup`, on
//! the caller's thread; the rest through `ReaderPool::read`, on a blocking thread).

use async_trait::async_trait;
use mynah_store::{
    AppId, Appended, AppendedChange, ChangeStore, ConversationKey, ConversationRecord, ConversationStore, GroupCreated,
    GroupRecord, GroupStore, HistoryRange, MemberRecord, MembersAdded, MessageStore, NewGroup, NewMember, NewMessage,
    OutboxClaim, OutboxEvent, OutboxItem, OutboxStore, ReadMarked, StoreError, StoredMessage,
};

use crate::{SqliteStore, changes, conversations, groups, messages, outbox};
use mynah_store::backend::PreparedMessage;

#[async_trait]
impl MessageStore for SqliteStore {
    async fn append_message(&self, message: NewMessage) -> Result<Appended, StoreError> {
        // Encoding happens here, on the caller's task, so the writer thread only runs SQL.
        let prepared = PreparedMessage::new(message)?;
        self.writer.write(move |connection| messages::append(connection, &prepared)).await
    }

    async fn history(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        range: HistoryRange,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let conversation = conversation.clone();
        self.readers.read(move |connection| messages::history(connection, app, &conversation, range, limit)).await
    }

    async fn find_message(&self, app: AppId, message_id: &str) -> Result<Option<StoredMessage>, StoreError> {
        let message_id = message_id.to_owned();
        self.readers.lookup(move |connection| messages::find(connection, app, &message_id)).await
    }
}

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn list_conversations(
        &self,
        app: AppId,
        user: &str,
        limit: u32,
    ) -> Result<Vec<ConversationRecord>, StoreError> {
        let user = user.to_owned();
        self.readers.read(move |connection| conversations::list(connection, app, &user, limit)).await
    }

    async fn get_conversation(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        let (user, conversation) = (user.to_owned(), conversation.clone());
        self.readers.lookup(move |connection| conversations::get(connection, app, &user, &conversation)).await
    }

    async fn mark_read(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
        up_to: Option<u64>,
    ) -> Result<ReadMarked, StoreError> {
        let (user, conversation) = (user.to_owned(), conversation.clone());
        self.writer
            .write(move |connection| conversations::mark_read(connection, app, &user, &conversation, up_to))
            .await
    }

    async fn total_unread(&self, app: AppId, user: &str) -> Result<u64, StoreError> {
        let user = user.to_owned();
        self.readers.read(move |connection| conversations::total_unread(connection, app, &user)).await
    }
}

#[async_trait]
impl ChangeStore for SqliteStore {
    async fn changes_since(
        &self,
        app: AppId,
        user: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<AppendedChange>, StoreError> {
        let (user, unknown) = (user.to_owned(), self.unknown_change_kinds.clone());
        self.readers.read(move |connection| changes::since(connection, app, &user, after, limit, &unknown)).await
    }

    async fn head_position(&self, app: AppId, user: &str) -> Result<u64, StoreError> {
        let user = user.to_owned();
        self.readers.lookup(move |connection| changes::head(connection, app, &user)).await
    }
}

#[async_trait]
impl GroupStore for SqliteStore {
    async fn create_group(&self, group: NewGroup, members: Vec<NewMember>) -> Result<GroupCreated, StoreError> {
        self.writer.write(move |connection| groups::create(connection, &group, &members)).await
    }

    async fn get_group(&self, app: AppId, group_id: &str) -> Result<Option<GroupRecord>, StoreError> {
        let group_id = group_id.to_owned();
        self.readers.lookup(move |connection| groups::get(connection, app, &group_id)).await
    }

    async fn add_members(
        &self,
        app: AppId,
        group_id: &str,
        members: Vec<NewMember>,
    ) -> Result<MembersAdded, StoreError> {
        let group_id = group_id.to_owned();
        self.writer.write(move |connection| groups::add_members(connection, app, &group_id, &members)).await
    }

    async fn remove_member(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
    ) -> Result<Option<AppendedChange>, StoreError> {
        let (group_id, user) = (group_id.to_owned(), user.to_owned());
        self.writer.write(move |connection| groups::remove_member(connection, app, &group_id, &user)).await
    }

    async fn get_member(&self, app: AppId, group_id: &str, user: &str) -> Result<Option<MemberRecord>, StoreError> {
        let (group_id, user) = (group_id.to_owned(), user.to_owned());
        self.readers.lookup(move |connection| groups::get_member(connection, app, &group_id, &user)).await
    }

    async fn member_ids(&self, app: AppId, group_id: &str) -> Result<Vec<String>, StoreError> {
        let group_id = group_id.to_owned();
        self.readers.read(move |connection| groups::member_ids(connection, app, &group_id)).await
    }

    async fn group_ids_of_user(&self, app: AppId, user: &str) -> Result<Vec<String>, StoreError> {
        let user = user.to_owned();
        self.readers.read(move |connection| groups::group_ids_of_user(connection, app, &user)).await
    }

    async fn groups_of_user(&self, app: AppId, user: &str) -> Result<Vec<(GroupRecord, MemberRecord)>, StoreError> {
        let user = user.to_owned();
        self.readers.read(move |connection| groups::groups_of_user(connection, app, &user)).await
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn enqueue(&self, app: AppId, command: &str, event: OutboxEvent) -> Result<(), StoreError> {
        let command = command.to_owned();
        let now_ms = crate::rows::now_ms();
        self.writer.write(move |connection| outbox::enqueue(connection, app, &command, &event, now_ms)).await
    }

    async fn claim(&self, claim: OutboxClaim) -> Result<Vec<OutboxItem>, StoreError> {
        self.writer.write(move |connection| outbox::claim(connection, &claim)).await
    }

    async fn complete(&self, id: u64) -> Result<(), StoreError> {
        self.writer.write(move |connection| outbox::complete(connection, id)).await
    }

    async fn postpone(&self, id: u64, claimant: &str, attempts: u32, next_attempt_ms: u64) -> Result<(), StoreError> {
        let claimant = claimant.to_owned();
        self.writer
            .write(move |connection| outbox::postpone(connection, id, &claimant, attempts, next_attempt_ms))
            .await
    }
}
