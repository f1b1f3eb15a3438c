//! The storage ports of administration: accounts, profiles, message revisions (recall and edit) and
//! group administration (member lists and pages, removal, dismissal, profile, role, owner, mute and
//! name card edits, system notices), with their records.
//!
//! Like the other ports, every write that others must learn of appends the change-stream entries of
//! everyone concerned in the same atomic, durable write, and returns them for pushing.

use std::collections::BTreeMap;

use async_trait::async_trait;
use mynah_proto::elements::MsgElement;
use mynah_proto::objects::{JoinOption, MemberRole};
use mynah_proto::profiles::ProfileValue;

use crate::StoreError;
use crate::keys::ConversationKey;
use crate::records::{AppId, Appended, AppendedChange, GroupRecord, MemberRecord, NewMessage, StoredMessage};

/// Accounts: who exists in an app. An account is created by an import or by the user's first login.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Records the accounts that do not exist yet; existing ones are left as they are. Returns the
    /// users that were new, in the order given (a user named twice counts once).
    async fn import_accounts(&self, app: AppId, users: Vec<String>, at_ms: u64) -> Result<Vec<String>, StoreError>;

    /// Deletes accounts and their profiles. Returns the users that existed.
    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<String>, StoreError>;

    /// The users among `users` that have an account, in the order given.
    async fn existing_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<String>, StoreError>;
}

/// Profiles: tag → value pairs per account.
#[async_trait]
pub trait ProfileStore: Send + Sync + 'static {
    /// Sets profile fields (others keep their values) and appends a `ProfileUpdated` change for the
    /// user. `NotFound` when the user has no account.
    async fn set_profile(
        &self,
        app: AppId,
        user: &str,
        fields: Vec<(String, ProfileValue)>,
        at_ms: u64,
    ) -> Result<ProfileSet, StoreError>;

    /// The profiles of the users that have an account, in the order given. An account whose
    /// profile was never set has an empty record.
    async fn get_profiles(&self, app: AppId, users: Vec<String>) -> Result<Vec<ProfileRecord>, StoreError>;

    /// The nick and avatar a message from `user` is stamped with when it is sent: the profile's
    /// `Tag_Profile_IM_Nick` and `Tag_Profile_IM_Image`, each empty when unset (or not text), both
    /// empty when the user has no profile or no account. It runs on every send, so a backend
    /// answers it with one point read by key, not by loading the whole profile.
    async fn sender_profile(&self, app: AppId, user: &str) -> Result<SenderProfile, StoreError>;
}

/// Administrative message writes: sends that bypass membership, recall and edit.
#[async_trait]
pub trait MessageAdminStore: Send + Sync + 'static {
    /// Appends a message like `MessageStore::append_message`, except that a group message's sender
    /// need not be a member (an administrator). A non-member sender has no read mark to move.
    async fn append_admin_message(&self, message: NewMessage) -> Result<Appended, StoreError>;

    /// Marks a message recalled and appends a `MessageRevoked` change for every participant (both
    /// users of a C2C conversation, every current member of a group), in one write.
    async fn revoke_message(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        seq: u64,
    ) -> Result<Revision, StoreError>;

    /// Replaces a message's body and/or custom data and appends a `MessageModified` change for
    /// every participant, in one write. A recalled message cannot be edited (`AlreadyRevoked`).
    async fn modify_message(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        seq: u64,
        edit: MessageEdit,
    ) -> Result<Revision, StoreError>;
}

/// Group administration.
#[async_trait]
pub trait GroupAdminStore: Send + Sync + 'static {
    /// Every member with its role, ordered by user.
    async fn members(&self, app: AppId, group_id: &str) -> Result<Vec<MemberRecord>, StoreError>;

    /// One page of the members ordered by user, of one role when `role` is given: at most `limit`
    /// after skipping `offset`. Empty when the group does not exist.
    async fn member_page(
        &self,
        app: AppId,
        group_id: &str,
        role: Option<MemberRole>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<MemberRecord>, StoreError>;

    /// Removes members (the owner cannot be removed: `owner` stays) and appends, per removed user, a
    /// `GroupLeft` change and a `GroupNotice` (kicked) change, in one write. Users that were not
    /// members are skipped. `NotFound` when the group does not exist.
    async fn remove_members(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
        notice: GroupNoticeRecord,
    ) -> Result<Vec<AppendedChange>, StoreError>;

    /// Deletes a group, its memberships, conversation and messages, and appends a `GroupDismissed`
    /// change for every member, in one write. `NotFound` when the group does not exist.
    async fn dismiss_group(
        &self,
        app: AppId,
        group_id: &str,
        operator: &str,
        at_ms: u64,
    ) -> Result<Vec<AppendedChange>, StoreError>;

    /// Changes a group's profile fields (those the edit names) and appends a `GroupUpdated` change
    /// for every member, in one write. `NotFound` when the group does not exist.
    async fn edit_group(&self, app: AppId, group_id: &str, edit: GroupEdit) -> Result<GroupEdited, StoreError>;

    /// Sets a member's role and appends a `GroupUpdated` change for that member, in one write.
    /// `NotFound` when the group does not exist, `NotMember` when the user is not a member.
    async fn set_member_role(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
        role: MemberRole,
    ) -> Result<GroupEdited, StoreError>;

    /// Makes a member the owner: the old owner (if the group has one) becomes an ordinary member,
    /// and every member gets a `GroupUpdated` change, in one write. `NotFound` when the group does
    /// not exist, `NotMember` (nothing written) when `new_owner` is not a member.
    async fn change_owner(&self, app: AppId, group_id: &str, new_owner: &str) -> Result<GroupEdited, StoreError>;

    /// Sets until when a member is muted (unix milliseconds; 0 unmutes) and appends a
    /// `GroupUpdated` change for that member, in one write. `NotFound` when the group does not
    /// exist, `NotMember` when the user is not a member.
    async fn mute_member(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
        until_ms: u64,
    ) -> Result<GroupEdited, StoreError>;

    /// Sets a member's name card (empty clears it) and appends a `GroupUpdated` change for that
    /// member, in one write. `NotFound` when the group does not exist, `NotMember` when the user is
    /// not a member.
    async fn set_name_card(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
        name_card: &str,
    ) -> Result<GroupEdited, StoreError>;

    /// Appends a `GroupNotice` change for each listed member (every member when `users` is empty);
    /// listed users that are not members are skipped. `NotFound` when the group does not exist.
    async fn notify_members(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
        notice: GroupNoticeRecord,
    ) -> Result<Vec<AppendedChange>, StoreError>;
}

/// A change to a group's profile; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupEdit {
    pub name: Option<String>,
    pub introduction: Option<String>,
    pub notification: Option<String>,
    pub avatar: Option<String>,
    pub join_option: Option<JoinOption>,
}

/// A group after an edit, and the changes appended for the members who must learn it.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupEdited {
    pub group: GroupRecord,
    pub changes: Vec<AppendedChange>,
}

/// A stored profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileRecord {
    pub user: String,
    pub fields: BTreeMap<String, ProfileValue>,
    /// 0 when the profile was never set.
    pub updated_at_ms: u64,
}

/// What a message is stamped with from its sender's profile (see `ProfileStore::sender_profile`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SenderProfile {
    pub nick: String,
    pub avatar: String,
}

/// The result of setting a profile.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileSet {
    pub profile: ProfileRecord,
    /// The user's `ProfileUpdated` change.
    pub change: AppendedChange,
}

/// What an edit replaces; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MessageEdit {
    pub body: Option<Vec<MsgElement>>,
    pub cloud_custom_data: Option<String>,
}

/// The outcome of a recall or an edit.
#[derive(Clone, Debug, PartialEq)]
pub enum Revision {
    /// The message as it is now, and the changes appended for its participants.
    Revised { message: Box<StoredMessage>, changes: Vec<AppendedChange> },
    /// The message was recalled already; nothing was written.
    AlreadyRevoked,
    /// There is no message with that sequence in the conversation.
    NotFound,
}

/// A group system notice as stored in a change: what the SDK shows in `@TIM#SYSTEM`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupNoticeRecord {
    /// The SDK's `operationType` (4 kicked, 5 dismissed, 255 custom).
    pub operation_type: u32,
    pub operator: String,
    /// The custom notice's content (`userDefinedField`), or the removal's reason.
    pub content: String,
    pub at_ms: u64,
}
