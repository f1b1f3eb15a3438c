//! The REST API's envelope (Tencent v4): `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"", ...}`.
//!
//! Request and response bodies of each command live in the `rest_*` modules, with Tencent's field
//! names (`From_Account`, `MsgBody`, ...).

use serde::{Deserialize, Serialize};

use crate::codes::ErrorCode;

/// `OK` or `FAIL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionStatus {
    #[serde(rename = "OK")]
    Ok,
    #[serde(rename = "FAIL")]
    Fail,
}

/// A REST response: the envelope fields, then the command's own fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestReply<T> {
    #[serde(rename = "ActionStatus")]
    pub action_status: ActionStatus,
    #[serde(rename = "ErrorCode")]
    pub error_code: ErrorCode,
    #[serde(rename = "ErrorInfo")]
    pub error_info: String,
    #[serde(flatten)]
    pub body: T,
}

impl<T> RestReply<T> {
    pub fn ok(body: T) -> RestReply<T> {
        RestReply { action_status: ActionStatus::Ok, error_code: ErrorCode::OK, error_info: String::new(), body }
    }
}

impl RestReply<serde_json::Map<String, serde_json::Value>> {
    pub fn fail(code: ErrorCode, info: impl Into<String>) -> Self {
        RestReply {
            action_status: ActionStatus::Fail,
            error_code: code,
            error_info: info.into(),
            body: Default::default(),
        }
    }
}

/// REST-specific error codes (60xxx).
pub mod codes {
    use crate::codes::ErrorCode;

    /// The body is not valid JSON, or a field has the wrong type (Tencent: "JSON parsing error").
    pub const BAD_JSON: ErrorCode = ErrorCode(60003);
    /// A required parameter of a generic command is missing or invalid. Tencent's table has no
    /// separate code for this, so it shares 60003 with an unreadable body.
    pub const BAD_PARAMETER: ErrorCode = ErrorCode(60003);
    /// The `identifier` is missing or does not match its UserSig.
    pub const BAD_IDENTIFIER: ErrorCode = ErrorCode(60004);
    /// The `usersig` is missing, malformed, expired or does not verify.
    pub const BAD_USERSIG: ErrorCode = ErrorCode(60005);
    /// The `sdkappid` is not an app of this server.
    pub const BAD_SDKAPPID: ErrorCode = ErrorCode(60006);
    /// The app's REST request rate is over its limit.
    pub const RATE_LIMITED: ErrorCode = ErrorCode(60007);
    /// The `identifier` is not the app's administrator.
    pub const NOT_ADMIN: ErrorCode = ErrorCode(60010);
    /// The `sdkappid` parameter is missing.
    pub const MISSING_SDKAPPID: ErrorCode = ErrorCode(60012);
    /// The `{service}/{command}` does not exist (Tencent: "request resource error, check the URL").
    pub const UNKNOWN_COMMAND: ErrorCode = ErrorCode(60009);
}
