//! Tencent's error codes of the administrative (REST) services: accounts, one-to-one messages
//! (`openim`, 90xxx), message recall, groups and profiles (40xxx).
//!
//! They extend [`ErrorCode`] with a second `impl` block so the whole vocabulary stays one type.

use crate::codes::ErrorCode;

impl ErrorCode {
    // --- accounts (70xxx) ---
    /// The account was never imported (and never logged in).
    pub const ACCOUNT_NOT_IMPORTED: ErrorCode = ErrorCode(70107);

    // --- one-to-one messages of the REST API (`openim`, 90xxx) ---
    /// The body is not valid JSON, or a field has the wrong type.
    pub const OPENIM_BAD_JSON: ErrorCode = ErrorCode(90001);
    /// `MsgBody` is missing, empty or not a valid message body.
    pub const OPENIM_BAD_MSG_BODY: ErrorCode = ErrorCode(90002);
    /// `To_Account` is missing or the account does not exist.
    pub const OPENIM_BAD_TO_ACCOUNT: ErrorCode = ErrorCode(90003);
    /// `MsgRandom` is missing or not an integer.
    pub const OPENIM_BAD_MSG_RANDOM: ErrorCode = ErrorCode(90005);
    /// `MsgTimeStamp` is missing or out of range.
    pub const OPENIM_BAD_MSG_TIMESTAMP: ErrorCode = ErrorCode(90006);
    /// `From_Account` is missing or the account does not exist.
    pub const OPENIM_BAD_FROM_ACCOUNT: ErrorCode = ErrorCode(90008);
    /// A batch names more accounts than the command takes (`batchsendmsg`: 500).
    pub const OPENIM_TOO_MANY_ACCOUNTS: ErrorCode = ErrorCode(90011);
    /// `MsgLifeTime` is out of range (at most 7 days).
    pub const OPENIM_BAD_MSG_LIFETIME: ErrorCode = ErrorCode(90026);
    /// `MsgKey` is not a key this server made.
    pub const OPENIM_BAD_MSG_KEY: ErrorCode = ErrorCode(90054);
    /// Internal error of the one-to-one message service.
    pub const OPENIM_INTERNAL: ErrorCode = ErrorCode(91000);
    /// The message is over 12 KB.
    pub const OPENIM_TOO_LONG: ErrorCode = ErrorCode(93000);
    /// The one-to-one message to recall (or edit) does not exist.
    pub const C2C_MESSAGE_NOT_FOUND: ErrorCode = ErrorCode(20022);
    /// The one-to-one message was recalled already.
    pub const C2C_MESSAGE_ALREADY_REVOKED: ErrorCode = ErrorCode(20023);

    // --- groups (10xxx) ---
    /// An account named in a group request does not exist.
    pub const GROUP_ACCOUNT_NOT_FOUND: ErrorCode = ErrorCode(10019);
    /// The group message to recall does not exist.
    pub const GROUP_MESSAGE_NOT_FOUND: ErrorCode = ErrorCode(10030);

    // --- profiles (40xxx) ---
    /// A profile request parameter is invalid (a missing account, an empty item list).
    pub const PROFILE_INVALID_PARAMETER: ErrorCode = ErrorCode(40001);
    /// The account whose profile is asked for does not exist.
    pub const PROFILE_ACCOUNT_NOT_FOUND: ErrorCode = ErrorCode(40003);
    /// Internal error of the profile service.
    pub const PROFILE_INTERNAL: ErrorCode = ErrorCode(40006);
    /// The profile tag does not exist.
    pub const PROFILE_UNKNOWN_TAG: ErrorCode = ErrorCode(40009);
    /// A profile value is longer than its field takes (500 bytes; 16 for the location).
    pub const PROFILE_VALUE_TOO_LONG: ErrorCode = ErrorCode(40601);
    /// A profile value has the wrong type or is not one of the field's values.
    pub const PROFILE_BAD_VALUE: ErrorCode = ErrorCode(40605);
}
