//! Reading REST request fields: required fields with the command's documented code, `MsgRandom`
//! as a uint32, `MsgBody` as a message body, `SendMsgControl` flags.

use mynah_proto::codes::ErrorCode;
use mynah_proto::elements::{self, MAX_MESSAGE_BODY_BYTES, MsgElement};
use mynah_proto::rest_openim::decode_msg_body;
use serde_json::Value;

use crate::reply::RestError;

/// A required, non-empty string field; `code` when it is missing or empty.
pub fn required(value: Option<String>, field: &str, code: ErrorCode) -> Result<String, RestError> {
    value.filter(|value| !value.is_empty()).ok_or_else(|| RestError::new(code, format!("{field} is missing")))
}

/// A required uint32 (`MsgRandom`, `Random`); `code` when missing or out of range.
pub fn random(value: Option<u64>, field: &str, code: ErrorCode) -> Result<u32, RestError> {
    let value = value.ok_or_else(|| RestError::new(code, format!("{field} is missing")))?;
    u32::try_from(value).map_err(|_| RestError::new(code, format!("{field} {value} is not a uint32")))
}

/// A required message body: a non-empty array of known elements (`invalid` otherwise), at most
/// 12 KB with its custom data (`too_long` otherwise).
pub fn msg_body(
    raw: Option<&Value>,
    cloud_custom_data: &str,
    invalid: ErrorCode,
    too_long: ErrorCode,
) -> Result<Vec<MsgElement>, RestError> {
    let body = raw
        .and_then(decode_msg_body)
        .ok_or_else(|| RestError::new(invalid, "MsgBody must be a non-empty array of known message elements"))?;
    let size = elements::body_size(&body, cloud_custom_data);
    if size > MAX_MESSAGE_BODY_BYTES {
        return Err(RestError::new(too_long, format!("the message is {size} bytes, over {MAX_MESSAGE_BODY_BYTES}")));
    }
    Ok(body)
}

/// The `SendMsgControl` flags Mynah honours: `(NoUnread, NoLastMsg)`.
pub fn send_msg_control(flags: &[String]) -> (bool, bool) {
    (flags.iter().any(|flag| flag == "NoUnread"), flags.iter().any(|flag| flag == "NoLastMsg"))
}
