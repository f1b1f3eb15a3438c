//! The Mynah Rust SDK.
//!
//! # Layout
//!
//! - [`Client`]: one logged-in session: typed requests, and pushes as [`Event`]s.
//! - [`connection`]: the task that owns the socket, matches responses to requests, heartbeats.
//! - [`sync`]: [`SyncState`], the one sync rule: gap-free prefixes, gap fills, catching up after being offline.
//! - [`ClientError`]: server error codes (Tencent's numbers) and connection failures.
//!
//! ```no_run
//! # async fn example() -> Result<(), mynah_client::ClientError> {
//! use mynah_client::{Client, ClientOptions};
//! let (client, mut events) = Client::connect(ClientOptions::new("ws://127.0.0.1:9800/ws", 1400000001, "alice", "<usersig>")).await?;
//! client.send_text("bob", "hi").await?;
//! # Ok(()) }
//! ```

pub mod connection;
pub mod sync;

use std::sync::atomic::{AtomicU64, Ordering};

use mynah_proto::PROTOCOL_VERSION;
use mynah_proto::codes::ErrorCode;
use mynah_proto::elements::MsgElement;
use mynah_proto::frames::Push;
use mynah_proto::group_management::{
    AddGroupMemberRequest, AddGroupMemberResult, ChangeGroupOwnerRequest, DeleteGroupMemberRequest,
    DeleteGroupMemberResult, GetGroupMemberListRequest, GetGroupMemberProfileRequest, GroupMember,
    GroupMemberListResult, GroupMemberResult, SetGroupMemberMuteTimeRequest, SetGroupMemberNameCardRequest,
    SetGroupMemberRoleRequest, UpdateGroupProfileRequest,
};
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::{Conversation, Group, MemberRole, Message, MessagePriority};
use mynah_proto::profiles::{GetUserProfileRequest, GetUserProfileResult, Profile, UpdateMyProfileRequest};
use mynah_proto::requests::*;
use rand::Rng;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

pub use sync::{CatchUp, Filled, GAP_FILL_DELAY, MAX_HELD_AHEAD, SyncState};

/// What went wrong with a request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a Tencent error code.
    #[error("server error {code}: {message}")]
    Server { code: ErrorCode, message: String },
    /// The connection failed or is closed.
    #[error("connection: {0}")]
    Connection(String),
    /// The server sent something this SDK does not understand.
    #[error("protocol: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The server's error code, when the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Server { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Something the server told this session without being asked, or the end of the session.
// Nearly every event is a push and `Closed` comes once per session, so boxing the push would cost an
// allocation per event to save memory on the one event that does not need it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Push(Push),
    /// The connection closed; `code` is the WebSocket close code when there was one.
    Closed {
        code: Option<u16>,
        reason: String,
    },
}

/// How to log in.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The WebSocket URL, e.g. `ws://127.0.0.1:9800/ws`.
    pub url: String,
    pub sdk_app_id: u64,
    pub user_id: String,
    pub user_sig: String,
    pub platform: Platform,
}

impl ClientOptions {
    pub fn new(
        url: impl Into<String>,
        sdk_app_id: u64,
        user_id: impl Into<String>,
        user_sig: impl Into<String>,
    ) -> ClientOptions {
        ClientOptions {
            url: url.into(),
            sdk_app_id,
            user_id: user_id.into(),
            user_sig: user_sig.into(),
            platform: Platform::Linux,
        }
    }

    pub fn platform(mut self, platform: Platform) -> ClientOptions {
        self.platform = platform;
        self
    }
}

/// A logged-in session. Requests may be made concurrently from many tasks.
pub struct Client {
    requests: mpsc::Sender<connection::Outgoing>,
    next_id: AtomicU64,
    user_id: String,
    login: LoginResult,
}

impl Client {
    /// Connects and logs in. Pushes arrive on the returned receiver until the session ends.
    pub async fn connect(options: ClientOptions) -> Result<(Client, mpsc::UnboundedReceiver<Event>), ClientError> {
        let (requests, events) = connection::open(&options.url).await?;
        let mut client = Client {
            requests,
            next_id: AtomicU64::new(1),
            user_id: options.user_id.clone(),
            login: LoginResult { server_time_ms: 0, position: 0, user_sig_expire_time: 0, session_id: 0 },
        };
        client.login = client
            .request(Request::Login(LoginRequest {
                sdk_app_id: options.sdk_app_id,
                user_id: options.user_id,
                user_sig: options.user_sig,
                platform: options.platform,
                protocol_version: PROTOCOL_VERSION,
            }))
            .await?;
        Ok((client, events))
    }

    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The server's answer to the login.
    pub fn login_result(&self) -> &LoginResult {
        &self.login
    }

    /// Sends any request and decodes its result.
    pub async fn request<T: DeserializeOwned>(&self, request: Request) -> Result<T, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let data = connection::call(&self.requests, id, request).await?;
        serde_json::from_value(data).map_err(|error| ClientError::Protocol(format!("result did not decode: {error}")))
    }

    /// Sends a message with the given options. Use [`new_client_msg_id`] for the idempotency key
    /// and reuse it when resending after a lost response.
    pub async fn send_message(&self, request: SendMessageRequest) -> Result<SendMessageResult, ClientError> {
        self.request(Request::SendMessage(request)).await
    }

    /// Sends a one-to-one text message.
    pub async fn send_text(&self, to: &str, text: &str) -> Result<Message, ClientError> {
        Ok(self.send_message(text_message(ConversationType::C2c, to, text)).await?.message)
    }

    /// Sends a text message to a group.
    pub async fn send_group_text(&self, group_id: &str, text: &str) -> Result<Message, ClientError> {
        Ok(self.send_message(text_message(ConversationType::Group, group_id, text)).await?.message)
    }

    pub async fn get_message_list(&self, request: GetMessageListRequest) -> Result<GetMessageListResult, ClientError> {
        self.request(Request::GetMessageList(request)).await
    }

    pub async fn find_message(&self, message_id: &str) -> Result<Message, ClientError> {
        self.request(Request::FindMessage(FindMessageRequest { message_id: message_id.to_owned() })).await
    }

    /// Marks a conversation read (up to `sequence`, or everything).
    pub async fn set_message_read(
        &self,
        conversation_id: &str,
        sequence: Option<u64>,
    ) -> Result<Conversation, ClientError> {
        self.request(Request::SetMessageRead(SetMessageReadRequest {
            conversation_id: conversation_id.to_owned(),
            sequence,
        }))
        .await
    }

    /// Pins or unpins a conversation; the user's sessions get a `conversationPinned` change.
    pub async fn pin_conversation(&self, conversation_id: &str, is_pinned: bool) -> Result<Conversation, ClientError> {
        self.request(Request::PinConversation(PinConversationRequest {
            conversation_id: conversation_id.to_owned(),
            is_pinned,
        }))
        .await
    }

    /// Sets the custom data of conversations; the user's sessions get a `conversationCustomData`
    /// change for each conversation it changed.
    pub async fn set_conversation_custom_data(
        &self,
        conversation_ids: &[&str],
        custom_data: &str,
    ) -> Result<ConversationBatchResult, ClientError> {
        self.request(Request::SetConversationCustomData(SetConversationCustomDataRequest {
            conversation_id_list: conversation_ids.iter().map(|id| (*id).to_owned()).collect(),
            custom_data: custom_data.to_owned(),
        }))
        .await
    }

    /// Sets (`enable`) or clears one mark (`2^n`) of conversations; the user's sessions get a
    /// `conversationMarked` change for each conversation it changed.
    pub async fn mark_conversation(
        &self,
        conversation_ids: &[&str],
        mark_type: f64,
        enable: bool,
    ) -> Result<ConversationBatchResult, ClientError> {
        self.request(Request::MarkConversation(MarkConversationRequest {
            conversation_id_list: conversation_ids.iter().map(|id| (*id).to_owned()).collect(),
            mark_type,
            enable_mark: enable,
        }))
        .await
    }

    pub async fn get_conversation_list(&self) -> Result<ConversationListResult, ClientError> {
        self.request(Request::GetConversationList(Empty {})).await
    }

    pub async fn get_conversation(&self, conversation_id: &str) -> Result<Conversation, ClientError> {
        self.request(Request::GetConversation(ConversationRequest { conversation_id: conversation_id.to_owned() }))
            .await
    }

    pub async fn get_total_unread_message_count(&self) -> Result<u64, ClientError> {
        let result: TotalUnreadResult = self.request(Request::GetTotalUnreadMessageCount(Empty {})).await?;
        Ok(result.total_unread_count)
    }

    pub async fn sync(&self, position: u64) -> Result<SyncResult, ClientError> {
        self.request(Request::Sync(SyncRequest { position, limit: None })).await
    }

    pub async fn create_group(&self, request: CreateGroupRequest) -> Result<Group, ClientError> {
        self.request(Request::CreateGroup(request)).await
    }

    pub async fn join_group(&self, group_id: &str) -> Result<JoinGroupResult, ClientError> {
        self.request(Request::JoinGroup(GroupRequest { group_id: group_id.to_owned() })).await
    }

    pub async fn quit_group(&self, group_id: &str) -> Result<(), ClientError> {
        let _: Empty = self.request(Request::QuitGroup(GroupRequest { group_id: group_id.to_owned() })).await?;
        Ok(())
    }

    pub async fn get_group_list(&self) -> Result<Vec<Group>, ClientError> {
        let result: GroupListResult = self.request(Request::GetGroupList(Empty {})).await?;
        Ok(result.group_list)
    }

    pub async fn get_group_profile(&self, group_id: &str) -> Result<Group, ClientError> {
        self.request(Request::GetGroupProfile(GroupRequest { group_id: group_id.to_owned() })).await
    }

    /// Dismisses a group (its owner; not a work group).
    pub async fn dismiss_group(&self, group_id: &str) -> Result<(), ClientError> {
        let _: Empty = self.request(Request::DismissGroup(GroupRequest { group_id: group_id.to_owned() })).await?;
        Ok(())
    }

    /// A page of a group's members; the result's `offset` continues it (0: the last page).
    pub async fn get_group_member_list(
        &self,
        request: GetGroupMemberListRequest,
    ) -> Result<GroupMemberListResult, ClientError> {
        self.request(Request::GetGroupMemberList(request)).await
    }

    /// The named members of a group (names that are not members are left out).
    pub async fn get_group_member_profile(
        &self,
        group_id: &str,
        user_ids: &[&str],
    ) -> Result<Vec<GroupMember>, ClientError> {
        let request = GetGroupMemberProfileRequest {
            group_id: group_id.to_owned(),
            user_id_list: user_ids.iter().map(|user| (*user).to_owned()).collect(),
        };
        let result: GroupMemberListResult = self.request(Request::GetGroupMemberProfile(request)).await?;
        Ok(result.member_list)
    }

    /// Adds members to a group.
    pub async fn add_group_member(
        &self,
        group_id: &str,
        user_ids: &[&str],
    ) -> Result<AddGroupMemberResult, ClientError> {
        let request = AddGroupMemberRequest {
            group_id: group_id.to_owned(),
            user_id_list: user_ids.iter().map(|user| (*user).to_owned()).collect(),
        };
        self.request(Request::AddGroupMember(request)).await
    }

    /// Removes members from a group; each gets a system notice with `reason`.
    pub async fn delete_group_member(
        &self,
        group_id: &str,
        user_ids: &[&str],
        reason: &str,
    ) -> Result<DeleteGroupMemberResult, ClientError> {
        let request = DeleteGroupMemberRequest {
            group_id: group_id.to_owned(),
            user_id_list: user_ids.iter().map(|user| (*user).to_owned()).collect(),
            reason: reason.to_owned(),
        };
        self.request(Request::DeleteGroupMember(request)).await
    }

    /// Changes the named fields of a group's profile; returns the group as it is now.
    pub async fn update_group_profile(&self, request: UpdateGroupProfileRequest) -> Result<Group, ClientError> {
        self.request(Request::UpdateGroupProfile(request)).await
    }

    /// Makes a member an admin or an ordinary member.
    pub async fn set_group_member_role(
        &self,
        group_id: &str,
        user_id: &str,
        role: MemberRole,
    ) -> Result<GroupMemberResult, ClientError> {
        let request = SetGroupMemberRoleRequest { group_id: group_id.to_owned(), user_id: user_id.to_owned(), role };
        self.request(Request::SetGroupMemberRole(request)).await
    }

    /// Mutes a member for `mute_time` seconds from now (0 unmutes).
    pub async fn set_group_member_mute_time(
        &self,
        group_id: &str,
        user_id: &str,
        mute_time: u32,
    ) -> Result<GroupMemberResult, ClientError> {
        let request =
            SetGroupMemberMuteTimeRequest { group_id: group_id.to_owned(), user_id: user_id.to_owned(), mute_time };
        self.request(Request::SetGroupMemberMuteTime(request)).await
    }

    /// Sets a member's name card (`user_id` `None`: one's own).
    pub async fn set_group_member_name_card(
        &self,
        group_id: &str,
        user_id: Option<&str>,
        name_card: &str,
    ) -> Result<GroupMemberResult, ClientError> {
        let request = SetGroupMemberNameCardRequest {
            group_id: group_id.to_owned(),
            user_id: user_id.map(str::to_owned),
            name_card: name_card.to_owned(),
        };
        self.request(Request::SetGroupMemberNameCard(request)).await
    }

    /// Hands a group to another member.
    pub async fn change_group_owner(&self, group_id: &str, new_owner_id: &str) -> Result<Group, ClientError> {
        let request = ChangeGroupOwnerRequest { group_id: group_id.to_owned(), new_owner_id: new_owner_id.to_owned() };
        self.request(Request::ChangeGroupOwner(request)).await
    }

    /// The profiles of the users that exist, in the order asked.
    pub async fn get_user_profile(&self, user_ids: &[&str]) -> Result<Vec<Profile>, ClientError> {
        let user_id_list = user_ids.iter().map(|user| (*user).to_owned()).collect();
        let result: GetUserProfileResult =
            self.request(Request::GetUserProfile(GetUserProfileRequest { user_id_list })).await?;
        Ok(result.profile_list)
    }

    /// This user's own profile.
    pub async fn get_my_profile(&self) -> Result<Profile, ClientError> {
        let mut profiles = self.get_user_profile(&[self.user_id.as_str()]).await?;
        profiles.pop().ok_or_else(|| ClientError::Protocol("the server returned no profile for this user".to_owned()))
    }

    /// Changes this user's profile; the user's other sessions get a `profileUpdated` change.
    pub async fn update_my_profile(&self, update: UpdateMyProfileRequest) -> Result<Profile, ClientError> {
        self.request(Request::UpdateMyProfile(update)).await
    }

    pub async fn heartbeat(&self) -> Result<HeartbeatResult, ClientError> {
        self.request(Request::Heartbeat(Empty {})).await
    }

    /// Logs out; the server closes the connection afterwards.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let _: Empty = self.request(Request::Logout(Empty {})).await?;
        Ok(())
    }
}

/// A fresh idempotency key for a message: 24 characters of `[A-Za-z0-9]`.
pub fn new_client_msg_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut random = rand::rng();
    (0..24).map(|_| ALPHABET[random.random_range(0..ALPHABET.len())] as char).collect()
}

/// A text message request with a fresh idempotency key and default options.
pub fn text_message(conversation_type: ConversationType, to: &str, text: &str) -> SendMessageRequest {
    message_request(conversation_type, to, vec![MsgElement::text(text)])
}

/// A message request with a fresh idempotency key and default options.
pub fn message_request(conversation_type: ConversationType, to: &str, msg_body: Vec<MsgElement>) -> SendMessageRequest {
    SendMessageRequest {
        conversation_type,
        to: to.to_owned(),
        msg_body,
        client_msg_id: new_client_msg_id(),
        random: rand::rng().random(),
        cloud_custom_data: String::new(),
        priority: MessagePriority::Normal,
        need_read_receipt: false,
        online_user_only: false,
        excluded_from_unread_count: false,
        excluded_from_last_message: false,
        receiver_list: Vec::new(),
    }
}
