//! The wire form of the change records administration appends: recalls, edits, group system notices,
//! dismissals and profile updates. `conversations` builds the others.

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::Change;
use mynah_proto::profiles::Profile;
use mynah_store::{AppId, AppendedChange, ChangeRecord, ConversationKey};

use crate::error::{ServiceError, ServiceResult};
use crate::{Service, convert, profiles};

impl Service {
    /// The change a record of administration stands for; `None` for records it does not know.
    pub(crate) async fn administration_change(
        &self,
        app: AppId,
        appended: &AppendedChange,
    ) -> ServiceResult<Option<Change>> {
        let viewer = appended.user.as_str();
        let change = match &appended.change {
            ChangeRecord::MessageRevoked { conversation, seq, message_id } => Change::MessageRevoked {
                conversation_id: ConversationKey::from_stored(conversation.clone()).to_ref(viewer).id(),
                message_id: message_id.clone(),
                sequence: *seq,
            },
            ChangeRecord::MessageModified { conversation, seq, message_id } => {
                // The message as it is now: a later edit shows through an earlier entry, which is
                // what a client replaying its stream wants.
                let stored = self
                    .store()
                    .messages
                    .find_message(app, message_id)
                    .await
                    .map_err(|error| ServiceError::from_store("sync", error, ErrorCode::C2C_INTERNAL))?
                    .filter(|message| message.conversation.as_str() == conversation && message.seq == *seq);
                Change::MessageModified {
                    conversation_id: ConversationKey::from_stored(conversation.clone()).to_ref(viewer).id(),
                    message_id: message_id.clone(),
                    sequence: *seq,
                    message: stored.as_ref().map(|stored| Box::new(convert::message(stored))),
                }
            }
            ChangeRecord::GroupNotice { group_id, group_name, notice } => Change::GroupSystemNotice {
                group_id: group_id.clone(),
                group_name: group_name.clone(),
                operation_type: notice.operation_type,
                operator_id: notice.operator.clone(),
                user_defined_field: notice.content.clone(),
                time: notice.at_ms / 1000,
            },
            ChangeRecord::GroupDismissed { group_id, group_name, operator, at_ms } => Change::GroupDismissed {
                group_id: group_id.clone(),
                group_name: group_name.clone(),
                operator_id: operator.clone(),
                time: at_ms / 1000,
            },
            ChangeRecord::ProfileUpdated { user } => {
                let records = self.profile_records(app, vec![user.clone()]).await?;
                // A deleted account shows its defaults.
                let profile = records.first().map_or_else(|| Profile::from_tags(user, [], 0), profiles::profile);
                Change::ProfileUpdated { profile: Box::new(profile) }
            }
            _ => return Ok(None),
        };
        Ok(Some(change))
    }
}
