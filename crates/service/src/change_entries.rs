//! The wire form of the change records administration appends: recalls, edits, group system notices,
//! dismissals and profile updates. `conversations` builds the others.

use mynah_proto::objects::Change;
use mynah_store::{AppId, AppendedChange, ChangeRecord, ConversationKey};

use crate::Service;
use crate::error::ServiceResult;
use crate::publish::Resolved;

impl Service {
    /// The change a record of administration stands for; `None` for records it does not know.
    pub(crate) async fn administration_change(
        &self,
        app: AppId,
        appended: &AppendedChange,
        resolved: &mut Resolved,
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
                let message = resolved.message(self, app, message_id, conversation, *seq).await?;
                Change::MessageModified {
                    conversation_id: ConversationKey::from_stored(conversation.clone()).to_ref(viewer).id(),
                    message_id: message_id.clone(),
                    sequence: *seq,
                    message: message.map(Box::new),
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
                Change::ProfileUpdated { profile: Box::new(resolved.profile(self, app, user).await?) }
            }
            _ => return Ok(None),
        };
        Ok(Some(change))
    }
}
