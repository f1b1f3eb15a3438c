//! Conversations as one user sees them: the list, one conversation, read marks, total unread, and
//! the change stream that keeps a user's sessions in step.

use std::collections::HashMap;

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::{Change, ChangeEntry, Conversation};
use mynah_proto::profiles::Profile;
use mynah_proto::requests::{
    ConversationListResult, ConversationRequest, SetMessageReadRequest, SyncRequest, SyncResult, TotalUnreadResult,
};
use mynah_store::{AppendedChange, ChangeRecord, ConversationKey, ConversationRecord};

use crate::error::{ServiceError, ServiceResult};
use crate::history::internal_code;
use crate::publish::Resolved;
use crate::{Service, Session, convert};

/// The most conversations a list returns (Tencent: 100 by default, up to 500).
pub const MAX_CONVERSATIONS: u32 = 500;
/// The most changes one sync returns.
pub const MAX_SYNC_CHANGES: u32 = 1000;

impl Service {
    /// The user's conversations, newest first, with the change-stream position they reflect.
    pub async fn get_conversation_list(&self, session: &Session) -> ServiceResult<ConversationListResult> {
        let internal = |error| ServiceError::from_store("getConversationList", error, ErrorCode::C2C_INTERNAL);
        // Read the position first: a change made between the two reads is then replayed by the
        // next sync, never lost.
        let position = self.store().changes.head_position(session.app, &session.user).await.map_err(internal)?;
        let records = self
            .store()
            .conversations
            .list_conversations(session.app, &session.user, MAX_CONVERSATIONS)
            .await
            .map_err(internal)?;
        let mut profiles = self.peer_profiles(session.app, &session.user, &records).await?;
        let conversation_list =
            records.iter().map(|record| conversation_view(&session.user, record, &mut profiles)).collect();
        Ok(ConversationListResult { conversation_list, position })
    }

    /// One conversation of the user.
    pub async fn get_conversation(
        &self,
        session: &Session,
        request: ConversationRequest,
    ) -> ServiceResult<Conversation> {
        let reference = self.readable_conversation(session, &request.conversation_id).await?;
        let key = ConversationKey::for_viewer(&session.user, &reference);
        let record = self
            .store()
            .conversations
            .get_conversation(session.app, &session.user, &key)
            .await
            .map_err(|error| ServiceError::from_store("getConversation", error, internal_code(&reference)))?
            .unwrap_or_else(|| empty_conversation(key));
        self.with_peer_profile(session, &record).await
    }

    /// Marks a conversation read up to a sequence (the newest when absent). The user's other
    /// sessions learn it through a `conversationRead` change.
    pub async fn set_message_read(
        &self,
        session: &Session,
        request: SetMessageReadRequest,
    ) -> ServiceResult<Conversation> {
        let reference = self.readable_conversation(session, &request.conversation_id).await?;
        let key = ConversationKey::for_viewer(&session.user, &reference);
        let marked =
            match self.store().conversations.mark_read(session.app, &session.user, &key, request.sequence).await {
                Ok(marked) => marked,
                // A conversation with no messages yet has nothing to read.
                Err(mynah_store::StoreError::NotFound(_)) => {
                    return self.with_peer_profile(session, &empty_conversation(key)).await;
                }
                Err(error) => {
                    return Err(ServiceError::from_store("setMessageRead", error, internal_code(&reference)));
                }
            };
        if let Some(change) = marked.change {
            self.publish_changes(session.app, &[change]).await;
        }
        self.with_peer_profile(session, &marked.conversation).await
    }

    /// One conversation as the session's user sees it, with the peer's profile when it is C2C.
    pub(crate) async fn with_peer_profile(
        &self,
        session: &Session,
        record: &ConversationRecord,
    ) -> ServiceResult<Conversation> {
        let mut profiles = self.peer_profiles(session.app, &session.user, std::slice::from_ref(record)).await?;
        Ok(conversation_view(&session.user, record, &mut profiles))
    }

    /// The profiles of the peers of the C2C conversations among `records` that have an account,
    /// by userID: one store read for the whole list, never one per conversation.
    async fn peer_profiles(
        &self,
        app: u64,
        viewer: &str,
        records: &[ConversationRecord],
    ) -> ServiceResult<HashMap<String, Profile>> {
        let peers: Vec<String> =
            records.iter().filter_map(|record| peer_of(viewer, record)).map(str::to_owned).collect();
        if peers.is_empty() {
            return Ok(HashMap::new());
        }
        let found = self
            .store()
            .profiles
            .get_profiles(app, peers)
            .await
            .map_err(|error| ServiceError::from_store("conversation profiles", error, ErrorCode::C2C_INTERNAL))?;
        Ok(found.iter().map(|record| (record.user.clone(), crate::profiles::profile(record))).collect())
    }

    /// The sum of the user's unread counts.
    pub async fn get_total_unread(&self, session: &Session) -> ServiceResult<TotalUnreadResult> {
        let total_unread_count =
            self.store().conversations.total_unread(session.app, &session.user).await.map_err(|error| {
                ServiceError::from_store("getTotalUnreadMessageCount", error, ErrorCode::C2C_INTERNAL)
            })?;
        Ok(TotalUnreadResult { total_unread_count })
    }

    /// The user's changes after a position.
    pub async fn sync(&self, session: &Session, request: SyncRequest) -> ServiceResult<SyncResult> {
        let limit = request.limit.unwrap_or(MAX_SYNC_CHANGES).clamp(1, MAX_SYNC_CHANGES);
        let internal = |error| ServiceError::from_store("sync", error, ErrorCode::C2C_INTERNAL);
        let mut records = self
            .store()
            .changes
            .changes_since(session.app, &session.user, request.position, limit + 1)
            .await
            .map_err(internal)?;
        let has_more = records.len() > limit as usize;
        records.truncate(limit as usize);
        let position = records.last().map_or(request.position, |record| record.position);
        let mut changes = Vec::with_capacity(records.len());
        let mut resolved = Resolved::default();
        for record in &records {
            // A kind a newer node wrote (the store logged it): skipped, so one unknown change does
            // not fail the sync; `position` still moves past it.
            if record.change == ChangeRecord::Unknown {
                continue;
            }
            changes.push(self.change_entry(session.app, record, &mut resolved).await?);
        }
        Ok(SyncResult { changes, position, has_more })
    }

    /// A stored change as the client sees it.
    pub(crate) async fn change_entry(
        &self,
        app: u64,
        appended: &AppendedChange,
        resolved: &mut Resolved,
    ) -> ServiceResult<ChangeEntry> {
        let change = match &appended.change {
            ChangeRecord::ConversationRead { conversation, read_seq, unread_count, read_counted } => {
                Change::ConversationRead {
                    conversation_id: ConversationKey::from_stored(conversation.clone()).to_ref(&appended.user).id(),
                    read_sequence: *read_seq,
                    unread_count: *unread_count,
                    read_counted_index: *read_counted,
                }
            }
            ChangeRecord::GroupJoined { group_id } => {
                let internal = |error| ServiceError::from_store("sync", error, ErrorCode::GROUP_INTERNAL);
                let group = resolved.group(self, app, group_id).await?;
                // The membership (its role) and the read mark differ per user: two point lookups;
                // the group is read once per event.
                let member = self.store().groups.get_member(app, group_id, &appended.user).await.map_err(internal)?;
                let key = ConversationKey::group(group_id);
                let (read_sequence, read_counted_index) = self
                    .store()
                    .conversations
                    .get_conversation(app, &appended.user, &key)
                    .await
                    .map_err(internal)?
                    .map_or((0, 0), |record| (record.read_seq, record.read_counted));
                match group {
                    Some(group) => Change::GroupJoined {
                        group: convert::group(&group, member.as_ref()),
                        read_sequence,
                        read_counted_index,
                    },
                    // The group was dismissed since; to the client that is the same as having left.
                    None => Change::GroupLeft { group_id: group_id.clone() },
                }
            }
            ChangeRecord::GroupLeft { group_id } => Change::GroupLeft { group_id: group_id.clone() },
            ChangeRecord::ConversationPinned { conversation, pinned } => Change::ConversationPinned {
                conversation_id: ConversationKey::from_stored(conversation.clone()).to_ref(&appended.user).id(),
                is_pinned: *pinned,
            },
            ChangeRecord::ConversationMarked { conversation, marks } => Change::ConversationMarked {
                conversation_id: ConversationKey::from_stored(conversation.clone()).to_ref(&appended.user).id(),
                mark_list: convert::mark_list(*marks),
            },
            ChangeRecord::ConversationCustomData { conversation, custom_data } => Change::ConversationCustomData {
                conversation_id: ConversationKey::from_stored(conversation.clone()).to_ref(&appended.user).id(),
                custom_data: custom_data.clone(),
            },
            ChangeRecord::GroupUpdated { group_id } => {
                let internal = |error| ServiceError::from_store("sync", error, ErrorCode::GROUP_INTERNAL);
                let group = resolved.group(self, app, group_id).await?;
                let member = self.store().groups.get_member(app, group_id, &appended.user).await.map_err(internal)?;
                match (group, member) {
                    // The group as it is now, with the viewer's own membership.
                    (Some(group), Some(member)) => {
                        Change::GroupUpdated { group: convert::group(&group, Some(&member)) }
                    }
                    // Dismissed or left since: to the client that is having left (its own entry follows).
                    _ => Change::GroupLeft { group_id: group_id.clone() },
                }
            }
            other => match self.administration_change(app, appended, resolved).await? {
                Some(change) => change,
                None => {
                    // A record this service has no wire form for: the server's bug, not the client's.
                    tracing::error!(?other, "a change record has no wire form");
                    return Err(ServiceError::new(ErrorCode::C2C_INTERNAL, "internal server error"));
                }
            },
        };
        Ok(ChangeEntry { position: appended.position, change })
    }
}

/// A conversation as `viewer` sees it, with its peer's profile taken from `profiles` (the default
/// profile for a peer without one).
fn conversation_view(
    viewer: &str,
    record: &ConversationRecord,
    profiles: &mut HashMap<String, Profile>,
) -> Conversation {
    let user_profile = peer_of(viewer, record)
        .map(|peer| profiles.remove(peer).unwrap_or_else(|| crate::profiles::default_profile(peer)));
    convert::conversation(viewer, record, user_profile)
}

/// The other user of a C2C conversation as `viewer` sees it (`viewer` itself for a conversation
/// with oneself); `None` for a group.
fn peer_of<'a>(viewer: &str, record: &'a ConversationRecord) -> Option<&'a str> {
    let (low, high) = record.conversation.c2c_users()?;
    Some(if low == viewer { high } else { low })
}

fn empty_conversation(conversation: ConversationKey) -> ConversationRecord {
    ConversationRecord {
        conversation,
        last_seq: 0,
        read_seq: 0,
        read_counted: 0,
        unread_count: 0,
        last_message: None,
        updated_at_ms: 0,
        pinned: false,
        custom_data: String::new(),
        marks: 0,
    }
}
