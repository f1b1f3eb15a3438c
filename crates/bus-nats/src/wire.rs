//! What travels on a topic's subject: a header line of JSON, and for a push the encoded push
//! frame after it, as the gateway writes it (so the frame is encoded once, on the publishing node).
//!
//! - `{"t":"push","except":12}\n{...push frame...}`: a push for every session of the topic but
//!   `except`.
//! - `{"t":"kick","session":12,"reason":"multipleAccount"}`: end one session of the user.
//! - `{"t":"join","group":"g","position":7}` / `{"t":"leave",...}`: on a user's subject, a
//!   membership change every node applies to its sessions of that user.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use mynah_bus::{Delivery, SessionId, SharedPush};
use mynah_proto::codes::KickReason;
use mynah_proto::frames::Push;
use serde::{Deserialize, Serialize};

/// One message on a subject.
#[derive(Debug)]
pub enum Message<'a> {
    Push { frame: Arc<str>, except_session: Option<SessionId> },
    Kick { session: SessionId, reason: KickReason },
    Join { group: Cow<'a, str>, position: u64 },
    Leave { group: Cow<'a, str>, position: u64 },
}

/// The header line.
#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "camelCase")]
enum Header<'a> {
    Push {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        except: Option<SessionId>,
    },
    Kick {
        session: SessionId,
        reason: KickReason,
    },
    Join {
        #[serde(borrow)]
        group: Cow<'a, str>,
        position: u64,
    },
    Leave {
        #[serde(borrow)]
        group: Cow<'a, str>,
        position: u64,
    },
}

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not UTF-8")]
    Utf8(#[from] std::str::Utf8Error),
    #[error("malformed header or frame: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a push without its frame")]
    MissingFrame,
}

impl Message<'_> {
    pub fn from_delivery(delivery: &Delivery) -> Message<'static> {
        match delivery {
            Delivery::Push { push, except_session } => {
                Message::Push { frame: push.frame(), except_session: *except_session }
            }
            Delivery::Kick { session, reason } => Message::Kick { session: *session, reason: *reason },
        }
    }

    pub fn encode(&self) -> Bytes {
        let header = match self {
            Message::Push { except_session, .. } => Header::Push { except: *except_session },
            Message::Kick { session, reason } => Header::Kick { session: *session, reason: *reason },
            Message::Join { group, position } => Header::Join { group: Cow::Borrowed(group), position: *position },
            Message::Leave { group, position } => Header::Leave { group: Cow::Borrowed(group), position: *position },
        };
        // A header of plain fields always encodes.
        let mut bytes = serde_json::to_vec(&header).unwrap_or_default();
        if let Message::Push { frame, .. } = self {
            bytes.push(b'\n');
            bytes.extend_from_slice(frame.as_bytes());
        }
        Bytes::from(bytes)
    }

    pub fn decode(payload: &[u8]) -> Result<Message<'_>, DecodeError> {
        let text = std::str::from_utf8(payload)?;
        let (header, frame) = match text.split_once('\n') {
            Some((header, frame)) => (header, Some(frame)),
            None => (text, None),
        };
        Ok(match serde_json::from_str(header)? {
            Header::Push { except } => {
                let frame = frame.ok_or(DecodeError::MissingFrame)?;
                Message::Push { frame: Arc::from(frame), except_session: except }
            }
            Header::Kick { session, reason } => Message::Kick { session, reason },
            Header::Join { group, position } => Message::Join { group, position },
            Header::Leave { group, position } => Message::Leave { group, position },
        })
    }
}

/// A push received from another node, as a delivery: the frame is parsed once and kept encoded.
pub fn push_delivery(frame: Arc<str>, except_session: Option<SessionId>) -> Result<Delivery, DecodeError> {
    let push: Push = serde_json::from_str(&frame)?;
    Ok(Delivery::Push { push: SharedPush::with_encoded(push, frame), except_session })
}

#[cfg(test)]
mod tests {
    use mynah_proto::requests::Kicked;

    use super::*;

    #[test]
    fn every_message_survives_the_wire() {
        let push = SharedPush::new(Push::Kicked(Kicked { reason: KickReason::RestApi }));
        let delivery = Delivery::Push { push: push.clone(), except_session: Some(12) };
        let encoded = Message::from_delivery(&delivery).encode();
        let Message::Push { frame, except_session } = Message::decode(&encoded).unwrap() else { panic!() };
        assert_eq!(except_session, Some(12));
        let Delivery::Push { push: received, .. } = push_delivery(frame, except_session).unwrap() else { panic!() };
        assert_eq!(received.push, push.push);
        assert_eq!(received.frame(), push.frame());

        let kick = Message::Kick { session: 3, reason: KickReason::MultipleAccount }.encode();
        assert!(matches!(
            Message::decode(&kick).unwrap(),
            Message::Kick { session: 3, reason: KickReason::MultipleAccount }
        ));
        let join = Message::Join { group: "g.\n\"x".into(), position: 9 }.encode();
        assert!(matches!(Message::decode(&join).unwrap(), Message::Join { group, position: 9 } if group == "g.\n\"x"));
        let leave = Message::Leave { group: "g".into(), position: 10 }.encode();
        assert!(matches!(Message::decode(&leave).unwrap(), Message::Leave { position: 10, .. }));
        assert!(Message::decode(br#"{"t":"push"}"#).is_err());
        assert!(Message::decode(b"garbage").is_err());
    }
}
