//! Publishing appended changes: the bus's group topics follow membership changes, each change is
//! resolved once per event (not once per recipient), and each user's entry goes to its user topic.

use std::collections::HashMap;

use mynah_bus::{Delivery, SharedPush, Topic};
use mynah_proto::codes::ErrorCode;
use mynah_proto::frames::Push;
use mynah_proto::objects::Message;
use mynah_proto::profiles::Profile;
use mynah_store::{AppId, AppendedChange, ChangeRecord, GroupRecord};

use crate::error::{ServiceError, ServiceResult};
use crate::{Service, convert, profiles};

/// What the changes of one event read from the store, kept so a change that reaches a thousand
/// members is read and converted once. Only what differs per user (its position, a C2C
/// conversation's id as that user sees it, a joiner's role) is built per recipient.
#[derive(Default)]
pub(crate) struct Resolved {
    messages: HashMap<String, Option<Message>>,
    groups: HashMap<String, Option<GroupRecord>>,
    profiles: HashMap<String, Profile>,
}

impl Resolved {
    /// The message `message_id` as it is now, if it is still `seq` of `conversation`.
    pub async fn message(
        &mut self,
        service: &Service,
        app: AppId,
        message_id: &str,
        conversation: &str,
        seq: u64,
    ) -> ServiceResult<Option<Message>> {
        if let Some(message) = self.messages.get(message_id) {
            return Ok(message.clone());
        }
        let message = service
            .store()
            .messages
            .find_message(app, message_id)
            .await
            .map_err(|error| ServiceError::from_store("sync", error, ErrorCode::C2C_INTERNAL))?
            .filter(|message| message.conversation.as_str() == conversation && message.seq == seq)
            .map(|stored| convert::message(&stored));
        self.messages.insert(message_id.to_owned(), message.clone());
        Ok(message)
    }

    /// The group, `None` once dismissed.
    pub async fn group(&mut self, service: &Service, app: AppId, group_id: &str) -> ServiceResult<Option<GroupRecord>> {
        if let Some(group) = self.groups.get(group_id) {
            return Ok(group.clone());
        }
        let group = service
            .store()
            .groups
            .get_group(app, group_id)
            .await
            .map_err(|error| ServiceError::from_store("sync", error, ErrorCode::GROUP_INTERNAL))?;
        self.groups.insert(group_id.to_owned(), group.clone());
        Ok(group)
    }

    /// The user's profile; a deleted account shows its defaults.
    pub async fn profile(&mut self, service: &Service, app: AppId, user: &str) -> ServiceResult<Profile> {
        if let Some(profile) = self.profiles.get(user) {
            return Ok(profile.clone());
        }
        let records = service.profile_records(app, vec![user.to_owned()]).await?;
        let profile = records.first().map_or_else(|| profiles::default_profile(user), profiles::profile);
        self.profiles.insert(user.to_owned(), profile.clone());
        Ok(profile)
    }
}

impl Service {
    /// Tells the bus of membership changes, then pushes appended changes to their users' sessions.
    ///
    /// Group topics change after the membership is committed, so a message committed between the
    /// commit of a join and this call is not pushed to the joiner: the joiner finds it in the
    /// group's history (its `groupJoined` entry carries the group's next sequence, and the next
    /// pushed message shows the gap, which the client's sync rule fills).
    pub(crate) async fn publish_changes(&self, app: AppId, changes: &[AppendedChange]) {
        for appended in changes {
            match &appended.change {
                ChangeRecord::GroupJoined { group_id } => {
                    self.bus().join_group(app, &appended.user, group_id, appended.position).await;
                }
                ChangeRecord::GroupLeft { group_id } | ChangeRecord::GroupDismissed { group_id, .. } => {
                    self.bus().leave_group(app, &appended.user, group_id, appended.position).await;
                }
                _ => {}
            }
        }
        let mut resolved = Resolved::default();
        for appended in changes {
            match self.change_entry(app, appended, &mut resolved).await {
                Ok(entry) => {
                    let push = SharedPush::new(Push::Change(entry));
                    let delivery = Delivery::Push { push, except_session: None };
                    self.bus().publish(app, Topic::User(&appended.user), delivery).await;
                }
                // The change is stored; the user's sessions will find it at their next sync.
                Err(error) => tracing::warn!(%error, user = %appended.user, "could not build a change push"),
            }
        }
    }
}
