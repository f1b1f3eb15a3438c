//! Conversation IDs as the SDK sees them: `C2C{userID}`, `GROUP{groupID}`, `@TIM#SYSTEM`.

use serde::{Deserialize, Serialize};

/// The kind of a conversation. Serialized as the SDK's `TYPES.CONV_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConversationType {
    #[serde(rename = "C2C")]
    C2c,
    #[serde(rename = "GROUP")]
    Group,
}

impl ConversationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationType::C2c => "C2C",
            ConversationType::Group => "GROUP",
        }
    }
}

/// The system notice conversation. Nobody can send to it.
pub const SYSTEM_CONVERSATION_ID: &str = "@TIM#SYSTEM";

/// A parsed conversation ID: its type and the peer user or group it names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConversationRef {
    pub conversation_type: ConversationType,
    /// The peer's userID for C2C, the groupID for GROUP.
    pub target: String,
}

impl ConversationRef {
    pub fn c2c(peer: impl Into<String>) -> ConversationRef {
        ConversationRef { conversation_type: ConversationType::C2c, target: peer.into() }
    }

    pub fn group(group_id: impl Into<String>) -> ConversationRef {
        ConversationRef { conversation_type: ConversationType::Group, target: group_id.into() }
    }

    /// Parses `C2C{userID}` or `GROUP{groupID}`. The system conversation and anything else is `None`.
    pub fn parse(conversation_id: &str) -> Option<ConversationRef> {
        if let Some(peer) = conversation_id.strip_prefix("C2C") {
            (!peer.is_empty()).then(|| ConversationRef::c2c(peer))
        } else if let Some(group_id) = conversation_id.strip_prefix("GROUP") {
            (!group_id.is_empty()).then(|| ConversationRef::group(group_id))
        } else {
            None
        }
    }

    /// The SDK-facing conversation ID.
    pub fn id(&self) -> String {
        format!("{}{}", self.conversation_type.as_str(), self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_conversation_ids() {
        assert_eq!(ConversationRef::parse("C2Cbob"), Some(ConversationRef::c2c("bob")));
        assert_eq!(ConversationRef::parse("GROUP@TGS#1"), Some(ConversationRef::group("@TGS#1")));
        assert_eq!(ConversationRef::parse("C2C"), None);
        assert_eq!(ConversationRef::parse(SYSTEM_CONVERSATION_ID), None);
        assert_eq!(ConversationRef::group("g1").id(), "GROUPg1");
    }
}
