//! Conversation keys: the one canonical storage key of a conversation.
//!
//! A C2C conversation is stored once for the pair, whoever looks at it; its key orders the two
//! userIDs. User IDs are printable ASCII, so a newline can separate them unambiguously.

use mynah_proto::ids::{ConversationRef, ConversationType};

/// The canonical key of a conversation, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationKey(String);

impl ConversationKey {
    /// The key of the conversation between two users, the same whichever comes first.
    pub fn c2c(first_user: &str, second_user: &str) -> ConversationKey {
        let (low, high) = if first_user <= second_user { (first_user, second_user) } else { (second_user, first_user) };
        ConversationKey(format!("c2c:{low}\n{high}"))
    }

    pub fn group(group_id: &str) -> ConversationKey {
        ConversationKey(format!("grp:{group_id}"))
    }

    /// The key of the conversation a user refers to with an SDK conversation reference.
    pub fn for_viewer(viewer: &str, conversation: &ConversationRef) -> ConversationKey {
        match conversation.conversation_type {
            ConversationType::C2c => ConversationKey::c2c(viewer, &conversation.target),
            ConversationType::Group => ConversationKey::group(&conversation.target),
        }
    }

    /// Rebuilds a key from its stored form.
    pub fn from_stored(stored: String) -> ConversationKey {
        ConversationKey(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SDK conversation reference as `viewer` sees this conversation.
    pub fn to_ref(&self, viewer: &str) -> ConversationRef {
        if let Some(pair) = self.0.strip_prefix("c2c:") {
            let (low, high) = pair.split_once('\n').unwrap_or((pair, ""));
            let peer = if low == viewer { high } else { low };
            ConversationRef::c2c(peer)
        } else {
            ConversationRef::group(self.0.strip_prefix("grp:").unwrap_or(&self.0))
        }
    }

    /// The two users of a C2C conversation (the same user twice for a conversation with oneself);
    /// `None` for a group.
    pub fn c2c_users(&self) -> Option<(&str, &str)> {
        self.0.strip_prefix("c2c:").map(|pair| pair.split_once('\n').unwrap_or((pair, pair)))
    }

    /// The group ID of a group conversation; `None` for C2C.
    pub fn group_id(&self) -> Option<&str> {
        self.0.strip_prefix("grp:")
    }

    pub fn conversation_type(&self) -> ConversationType {
        if self.0.starts_with("c2c:") { ConversationType::C2c } else { ConversationType::Group }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c2c_keys_are_the_same_from_both_sides() {
        let key = ConversationKey::c2c("bob", "alice");
        assert_eq!(key, ConversationKey::c2c("alice", "bob"));
        assert_eq!(key.to_ref("alice").id(), "C2Cbob");
        assert_eq!(key.to_ref("bob").id(), "C2Calice");
        assert_eq!(ConversationKey::group("g1").to_ref("anyone").id(), "GROUPg1");
        assert_eq!(ConversationKey::c2c("me", "me").to_ref("me").id(), "C2Cme");
        assert_eq!(key.c2c_users(), Some(("alice", "bob")));
        assert_eq!(ConversationKey::group("g1").c2c_users(), None);
        assert_eq!(ConversationKey::group("g1").group_id(), Some("g1"));
        assert_eq!(key.group_id(), None);
    }
}
