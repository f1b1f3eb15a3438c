//! Tencent's numeric error codes: the only error vocabulary Mynah puts on the wire.
//!
//! The SDKs surface these numbers unchanged as `imError.code`. Codes are grouped by the Tencent
//! service that owns them: 70xxx login and accounts, 20xxx one-to-one messages, 10xxx groups,
//! 80xxx message content, 60xxx the REST API and protocol framing.

use serde::{Deserialize, Serialize};

/// A Tencent error code. `0` means success.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    pub const OK: ErrorCode = ErrorCode(0);

    // --- login and accounts (70xxx) ---
    /// The UserSig has expired.
    pub const USERSIG_EXPIRED: ErrorCode = ErrorCode(70001);
    /// The UserSig is empty.
    pub const USERSIG_EMPTY: ErrorCode = ErrorCode(70002);
    /// The UserSig cannot be decoded.
    pub const USERSIG_INVALID: ErrorCode = ErrorCode(70003);
    /// The UserSig signature does not verify (wrong key or tampered).
    pub const USERSIG_BAD_SIGNATURE: ErrorCode = ErrorCode(70009);
    /// The identifier inside the UserSig is not the user logging in.
    pub const USERSIG_IDENTIFIER_MISMATCH: ErrorCode = ErrorCode(70013);
    /// The SDKAppID inside the UserSig is not the app logged in to.
    pub const USERSIG_APP_MISMATCH: ErrorCode = ErrorCode(70014);
    /// The SDKAppID is not configured on this server.
    pub const SDKAPPID_NOT_FOUND: ErrorCode = ErrorCode(70020);
    /// A request parameter of the account service is invalid (for example a malformed userID).
    pub const ACCOUNT_INVALID_PARAMETER: ErrorCode = ErrorCode(70402);
    /// Internal error of the account service.
    pub const ACCOUNT_INTERNAL: ErrorCode = ErrorCode(70500);

    // --- one-to-one messages (20xxx) ---
    /// The request packet is invalid.
    pub const C2C_INVALID_REQUEST: ErrorCode = ErrorCode(20001);
    /// The sender or receiver userID is invalid.
    pub const C2C_INVALID_USER: ErrorCode = ErrorCode(20003);
    /// Internal error of the one-to-one message service (the server failed, not the request;
    /// Tencent's table says to retry).
    pub const C2C_INTERNAL: ErrorCode = ErrorCode(20005);
    /// The message was rejected by the app's before-send webhook.
    pub const C2C_REJECTED_BY_CALLBACK: ErrorCode = ErrorCode(20006);

    // --- groups (10xxx) ---
    /// Internal error of the group service.
    pub const GROUP_INTERNAL: ErrorCode = ErrorCode(10002);
    /// A request parameter of the group service is invalid.
    pub const GROUP_INVALID_PARAMETER: ErrorCode = ErrorCode(10004);
    /// The operator has no permission (for example: not a member).
    pub const GROUP_NO_PERMISSION: ErrorCode = ErrorCode(10007);
    /// The owner cannot quit a group other than by dismissing it.
    pub const GROUP_OWNER_CANNOT_QUIT: ErrorCode = ErrorCode(10009);
    /// The group does not exist or has been dismissed.
    pub const GROUP_NOT_FOUND: ErrorCode = ErrorCode(10010);
    /// The user is already a member.
    pub const GROUP_ALREADY_MEMBER: ErrorCode = ErrorCode(10013);
    /// The group is full.
    pub const GROUP_FULL: ErrorCode = ErrorCode(10014);
    /// The group ID is invalid.
    pub const GROUP_INVALID_ID: ErrorCode = ErrorCode(10015);
    /// The app's backend refused the operation through its callback.
    pub const GROUP_REJECTED_BY_CALLBACK: ErrorCode = ErrorCode(10016);
    /// The group ID is already used by another group.
    pub const GROUP_ID_IN_USE: ErrorCode = ErrorCode(10021);
    /// The operation is not supported for this group type.
    pub const GROUP_TYPE_UNSUPPORTED: ErrorCode = ErrorCode(10035);
    /// The member is muted in the group and cannot send.
    pub const GROUP_MEMBER_MUTED: ErrorCode = ErrorCode(10017);
    /// Member roles cannot be changed in this group type (work groups, live rooms): the SDK's
    /// `setGroupMemberRole` code.
    pub const GROUP_ROLE_CHANGE_UNSUPPORTED: ErrorCode = ErrorCode(2682);
    /// Member profiles (name cards, member custom fields) are not kept in live rooms: the SDK's
    /// `getGroupMemberProfile` / `setGroupMemberNameCard` code.
    pub const GROUP_MEMBER_PROFILE_UNSUPPORTED: ErrorCode = ErrorCode(2687);

    // --- message content (80xxx) ---
    /// The message body exceeds 12 KB.
    pub const MESSAGE_TOO_LONG: ErrorCode = ErrorCode(80002);

    // --- framing and common (60xxx, 2xxx) ---
    /// The request could not be parsed (bad JSON, unknown operation, wrong field types).
    pub const REQUEST_MALFORMED: ErrorCode = ErrorCode(60002);
    /// The request was sent before login, or by a connection that is not logged in.
    pub const NOT_LOGGED_IN: ErrorCode = ErrorCode(2024);
    /// The request rate is over the limit.
    pub const RATE_LIMITED: ErrorCode = ErrorCode(60007);
    /// Sending to the system conversation is not allowed.
    pub const SYSTEM_CONVERSATION_READ_ONLY: ErrorCode = ErrorCode(2106);
    /// The message does not exist.
    pub const MESSAGE_NOT_FOUND: ErrorCode = ErrorCode(20026);

    /// Whether this code means success.
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

/// Why the server ended a session. Mirrors the SDK's `TYPES.KICKED_OUT_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum KickReason {
    /// Another login of the same user on the same platform class took this session's place.
    MultipleAccount,
    /// A login on a conflicting device type took this session's place.
    MultipleDevice,
    /// The UserSig the session logged in with has expired.
    UserSigExpired,
    /// An administrator ended the session through the REST API.
    RestApi,
}
