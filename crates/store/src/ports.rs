//! The storage traits. Each is narrow: a use case asks for the one it needs.
//!
//! Writes that must be atomic are single methods: appending a message assigns its sequence,
//! updates the conversation and the sender's read mark, and is durable when the call returns.

use std::sync::Arc;

use async_trait::async_trait;

use crate::StoreError;
use crate::admin::{AccountStore, GroupAdminStore, MessageAdminStore, ProfileStore};
use crate::keys::ConversationKey;
use crate::records::*;

/// Messages, stored once per conversation.
#[async_trait]
pub trait MessageStore: Send + Sync + 'static {
    /// Appends a message in one atomic, durable write: dedup by `(app, sender, client_msg_id)`,
    /// next sequence of the conversation, the conversation's last message and unread bookkeeping,
    /// conversation rows for a C2C pair, and the sender's read mark moved to the new message.
    /// A live message (`time_ms: None`) is stamped in this write, never earlier than the
    /// conversation's newest message. For a group conversation, the sender must already have its
    /// membership row (`NotMember` otherwise, `NotFound` when the group does not exist). Racing
    /// appends get dense sequences; racing resends of one `(sender, client_msg_id)` store one
    /// message and all get it back.
    async fn append_message(&self, message: NewMessage) -> Result<Appended, StoreError>;

    /// Reads a slice of a conversation's history, at most `limit` messages. `Before` returns the
    /// newest first, `After` the oldest first.
    async fn history(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        range: HistoryRange,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError>;

    /// Finds a message by its app-unique ID (`{sender}-{client_msg_id}`).
    async fn find_message(&self, app: AppId, message_id: &str) -> Result<Option<StoredMessage>, StoreError>;
}

/// Per-user conversation state: read marks and unread counts.
#[async_trait]
pub trait ConversationStore: Send + Sync + 'static {
    /// The user's conversations, pinned ones first, each part most recently updated first, at most
    /// `limit`.
    async fn list_conversations(
        &self,
        app: AppId,
        user: &str,
        limit: u32,
    ) -> Result<Vec<ConversationRecord>, StoreError>;

    /// One conversation of the user, `None` when the user has no row for it.
    async fn get_conversation(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
    ) -> Result<Option<ConversationRecord>, StoreError>;

    /// Moves the user's read mark forward to `up_to` (the newest message when `None`; never
    /// backward, never past the newest) and appends a `ConversationRead` change when it moved.
    /// `NotFound` when the user has no row for the conversation.
    async fn mark_read(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
        up_to: Option<u64>,
    ) -> Result<ReadMarked, StoreError>;

    /// Pins or unpins the user's conversation and, when that changed it, appends a
    /// `ConversationPinned` change in the same write. `NotFound` when the user has no row for it.
    async fn set_pinned(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
        pinned: bool,
    ) -> Result<ConversationChanged, StoreError>;

    /// Sets the user's custom data of the conversation (checked for length by the caller) and, when
    /// that changed it, appends a `ConversationCustomData` change in the same write. `NotFound`
    /// when the user has no row for it.
    async fn set_custom_data(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
        custom_data: &str,
    ) -> Result<ConversationChanged, StoreError>;

    /// Sets (`enable`) or clears the user's mark of the conversation whose bit is `mark` (one bit
    /// set) and, when that changed its marks, appends a `ConversationMarked` change in the same
    /// write. `NotFound` when the user has no row for it.
    async fn set_mark(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
        mark: u64,
        enable: bool,
    ) -> Result<ConversationChanged, StoreError>;

    /// The sum of the user's unread counts.
    async fn total_unread(&self, app: AppId, user: &str) -> Result<u64, StoreError>;
}

/// The per-user change stream.
#[async_trait]
pub trait ChangeStore: Send + Sync + 'static {
    /// Changes with a position above `after`, oldest first, at most `limit`. Positions are dense
    /// per user and become visible in order. An entry of a kind this version does not know is
    /// `ChangeRecord::Unknown`; a position above any stored gives nothing.
    async fn changes_since(
        &self,
        app: AppId,
        user: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<AppendedChange>, StoreError>;

    /// The highest position of the user's stream (0 when empty).
    async fn head_position(&self, app: AppId, user: &str) -> Result<u64, StoreError>;
}

/// Groups and memberships.
#[async_trait]
pub trait GroupStore: Send + Sync + 'static {
    /// Creates a group with its initial members (the owner must be among them). `AlreadyExists`
    /// when the group ID is taken in the app.
    async fn create_group(&self, group: NewGroup, members: Vec<NewMember>) -> Result<GroupCreated, StoreError>;

    async fn get_group(&self, app: AppId, group_id: &str) -> Result<Option<GroupRecord>, StoreError>;

    /// Adds members. Members already in are reported, not changed. `GroupFull` when the new
    /// members would exceed the cap (nothing is added then); `NotFound` when the group does not exist.
    /// A new member's read mark starts at the group's newest message.
    async fn add_members(
        &self,
        app: AppId,
        group_id: &str,
        members: Vec<NewMember>,
    ) -> Result<MembersAdded, StoreError>;

    /// Removes a member and its conversation row, appending a `GroupLeft` change. `None` when the
    /// user was not a member. When the member was the owner (a work group's owner may quit), the
    /// group is left without one: its `owner` becomes empty.
    async fn remove_member(&self, app: AppId, group_id: &str, user: &str)
    -> Result<Option<AppendedChange>, StoreError>;

    async fn get_member(&self, app: AppId, group_id: &str, user: &str) -> Result<Option<MemberRecord>, StoreError>;

    /// The user IDs of every member.
    async fn member_ids(&self, app: AppId, group_id: &str) -> Result<Vec<String>, StoreError>;

    /// The IDs of the groups the user is a member of, in ID order: what a login subscribes to, read
    /// from the membership index alone.
    async fn group_ids_of_user(&self, app: AppId, user: &str) -> Result<Vec<String>, StoreError>;

    /// The groups the user is a member of, with the membership.
    async fn groups_of_user(&self, app: AppId, user: &str) -> Result<Vec<(GroupRecord, MemberRecord)>, StoreError>;
}

/// The durable outbox of webhook events.
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Stores an event for later delivery (durable when this returns).
    async fn enqueue(&self, app: AppId, command: &str, event: OutboxEvent) -> Result<(), StoreError>;

    /// Claims entries for delivery, in one atomic write: entries due at `claim.now_ms` that nobody
    /// holds (never claimed, or their lease ended), at most `per_app` per app (its oldest) and
    /// `limit` in all, none of `skip_apps`. Each returned entry is the claimant's until
    /// `lease_until_ms`; **two claimants never hold one entry at once**, so with several nodes each
    /// event is delivered by one of them (again only if its claimant died or overran the lease).
    /// Returned per app oldest first. SQLite: one `UPDATE … RETURNING` on the writer; Postgres:
    /// `SELECT … FOR UPDATE SKIP LOCKED` in the claiming `UPDATE`.
    async fn claim(&self, claim: OutboxClaim) -> Result<Vec<OutboxItem>, StoreError>;

    /// Removes a delivered entry.
    async fn complete(&self, id: u64) -> Result<(), StoreError>;

    /// Records a failed attempt, when to try again, and gives up the claim; does nothing unless
    /// `claimant` still holds the entry (a claimant that overran its lease must not clear another's).
    async fn postpone(&self, id: u64, claimant: &str, attempts: u32, next_attempt_ms: u64) -> Result<(), StoreError>;
}

/// Every port of one backend, as the service holds them.
#[derive(Clone)]
pub struct Store {
    pub messages: Arc<dyn MessageStore>,
    pub conversations: Arc<dyn ConversationStore>,
    pub changes: Arc<dyn ChangeStore>,
    pub groups: Arc<dyn GroupStore>,
    pub outbox: Arc<dyn OutboxStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub profiles: Arc<dyn ProfileStore>,
    pub message_admin: Arc<dyn MessageAdminStore>,
    pub group_admin: Arc<dyn GroupAdminStore>,
}

impl Store {
    /// Wires every port to one backend that implements them all.
    pub fn from_backend<B>(backend: Arc<B>) -> Store
    where
        B: MessageStore
            + ConversationStore
            + ChangeStore
            + GroupStore
            + OutboxStore
            + AccountStore
            + ProfileStore
            + MessageAdminStore
            + GroupAdminStore,
    {
        Store {
            messages: backend.clone(),
            conversations: backend.clone(),
            changes: backend.clone(),
            groups: backend.clone(),
            outbox: backend.clone(),
            accounts: backend.clone(),
            profiles: backend.clone(),
            message_admin: backend.clone(),
            group_admin: backend,
        }
    }
}
