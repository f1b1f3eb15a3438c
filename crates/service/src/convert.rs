//! Records to wire objects. The only place the service builds `mynah_proto` objects from records.

use mynah_proto::objects::{Conversation, Group, GroupSelfInfo, Message};
use mynah_proto::profiles::Profile;
use mynah_store::{ConversationRecord, GroupRecord, MemberRecord, StoredMessage};

/// A stored message as clients see it.
pub fn message(stored: &StoredMessage) -> Message {
    Message {
        id: stored.message_id(),
        conversation_type: stored.conversation.conversation_type(),
        from: stored.sender.clone(),
        to: stored.receiver.clone(),
        sequence: stored.seq,
        random: stored.random,
        time: stored.time_ms / 1000,
        time_ms: stored.time_ms,
        client_msg_id: stored.client_msg_id.clone(),
        msg_body: stored.body.clone(),
        cloud_custom_data: stored.cloud_custom_data.clone(),
        priority: stored.priority,
        need_read_receipt: stored.need_read_receipt,
        is_revoked: stored.revoked,
        online_only: false,
        excluded_from_unread_count: stored.excluded_from_unread_count,
        excluded_from_last_message: stored.excluded_from_last_message,
        nick: stored.nick.clone(),
        avatar: stored.avatar.clone(),
        // The sender's name card when it was sent, stamped like the nick.
        name_card: stored.name_card.clone(),
        counted_index: stored.counted_index,
    }
}

/// A conversation as `viewer` sees it; `user_profile` is the peer's profile for a C2C conversation
/// (`None` for a group).
pub fn conversation(viewer: &str, record: &ConversationRecord, user_profile: Option<Profile>) -> Conversation {
    let reference = record.conversation.to_ref(viewer);
    Conversation {
        conversation_id: reference.id(),
        conversation_type: reference.conversation_type,
        unread_count: record.unread_count,
        last_message: record.last_message.as_ref().map(message),
        last_sequence: record.last_seq,
        read_sequence: record.read_seq,
        read_counted_index: record.read_counted,
        updated_at_ms: record.updated_at_ms,
        user_profile,
        is_pinned: record.pinned,
        custom_data: record.custom_data.clone(),
        mark_list: mark_list(record.marks),
    }
}

/// The mark values (`2^n`, ascending) of a conversation's mark bits.
pub fn mark_list(marks: u64) -> Vec<u64> {
    (0..64).map(|bit| 1u64 << bit).filter(|mark| marks & mark != 0).collect()
}

/// A group as a user with `membership` (or none) sees it.
pub fn group(record: &GroupRecord, membership: Option<&MemberRecord>) -> Group {
    Group {
        group_id: record.group_id.clone(),
        group_type: record.group_type,
        name: record.name.clone(),
        owner_id: record.owner.clone(),
        create_time: record.created_at_ms / 1000,
        member_count: record.member_count,
        max_member_num: record.max_member_num,
        join_option: record.join_option,
        introduction: record.introduction.clone(),
        notification: record.notification.clone(),
        avatar: record.avatar.clone(),
        next_message_seq: record.last_seq + 1,
        self_info: membership.map(|member| GroupSelfInfo {
            role: member.role,
            join_time: member.joined_at_ms / 1000,
            name_card: member.name_card.clone(),
        }),
    }
}
