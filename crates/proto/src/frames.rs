//! The WebSocket envelope: one JSON object per text frame.
//!
//! - client → server request: `{"id": 7, "op": "sendMessage", "data": {...}}`
//! - server → client response: `{"id": 7, "code": 0, "data": {...}}` or
//!   `{"id": 7, "code": 80002, "message": "..."}`
//! - server → client push: `{"push": "message", "data": {...}}`
//!
//! See `docs/protocol.md` for the operations and their order.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::ErrorCode;
use crate::objects::{ChangeEntry, Message};
use crate::requests::{Kicked, Request};

/// The largest frame the server reads, in bytes. Larger frames close the connection.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// A request frame as sent by a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestFrame {
    pub id: u64,
    #[serde(flatten)]
    pub request: Request,
}

/// Why a frame could not be decoded. `id` is present when the frame had a usable request id, so
/// the server can still answer that request with an error.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameError {
    pub id: Option<u64>,
    pub reason: String,
}

#[derive(Deserialize)]
struct RawRequestFrame {
    id: u64,
    op: String,
    #[serde(default)]
    data: Value,
}

impl RequestFrame {
    /// Decodes a request frame. Unknown operations and ill-typed bodies are errors that keep the
    /// request id when one could be read.
    pub fn decode(text: &str) -> Result<RequestFrame, FrameError> {
        let raw: RawRequestFrame = serde_json::from_str(text)
            .map_err(|error| FrameError { id: None, reason: format!("invalid frame: {error}") })?;
        let data = if raw.data.is_null() { Value::Object(Default::default()) } else { raw.data };
        let tagged = serde_json::json!({ "op": raw.op, "data": data });
        let request = serde_json::from_value(tagged)
            .map_err(|error| FrameError { id: Some(raw.id), reason: format!("invalid {} request: {error}", raw.op) })?;
        Ok(RequestFrame { id: raw.id, request })
    }
}

/// A response to one request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Response<T> {
    pub id: u64,
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

impl<T> Response<T> {
    pub fn ok(id: u64, data: T) -> Response<T> {
        Response { id, code: ErrorCode::OK, message: None, data: Some(data) }
    }

    pub fn error(id: u64, code: ErrorCode, message: impl Into<String>) -> Response<T> {
        Response { id, code, message: Some(message.into()), data: None }
    }
}

/// Something the server tells a client without being asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "push", content = "data", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Push {
    /// A new message in one of the user's conversations (sent by someone else, or by the user on
    /// another session). Gaps are detected per conversation with `sequence`.
    Message(Message),
    /// An entry of the user's change stream. Gaps are detected with `position`.
    Change(ChangeEntry),
    /// The server is ending this session; the connection closes after this frame.
    Kicked(Kicked),
}

/// Any frame the server sends, for clients that decode without knowing what comes next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ServerFrame {
    Response(Response<Value>),
    Push(Push),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::{Empty, GroupRequest};

    #[test]
    fn decodes_requests_and_keeps_the_id_of_bad_ones() {
        let frame = RequestFrame::decode(r#"{"id":3,"op":"heartbeat"}"#).unwrap();
        assert_eq!(frame, RequestFrame { id: 3, request: Request::Heartbeat(Empty {}) });

        let frame = RequestFrame::decode(r#"{"id":4,"op":"joinGroup","data":{"groupID":"g"}}"#).unwrap();
        assert_eq!(frame.request, Request::JoinGroup(GroupRequest { group_id: "g".into() }));

        let error = RequestFrame::decode(r#"{"id":5,"op":"noSuchOp","data":{}}"#).unwrap_err();
        assert_eq!(error.id, Some(5));
        let error = RequestFrame::decode(r#"{"id":6,"op":"joinGroup","data":{"groupID":1}}"#).unwrap_err();
        assert_eq!(error.id, Some(6));
        let error = RequestFrame::decode("not json").unwrap_err();
        assert_eq!(error.id, None);
    }

    #[test]
    fn request_frames_round_trip() {
        let frame = RequestFrame { id: 9, request: Request::GetGroupList(Empty {}) };
        let text = serde_json::to_string(&frame).unwrap();
        assert_eq!(text, r#"{"id":9,"op":"getGroupList","data":{}}"#);
        assert_eq!(RequestFrame::decode(&text).unwrap(), frame);
    }
}
