//! Input checks shared by the use cases, each returning the documented error code.

use mynah_proto::codes::ErrorCode;

use crate::error::{ServiceError, ServiceResult};

/// The longest userID, in bytes (Tencent: 32).
pub const MAX_USER_ID_BYTES: usize = 32;
/// The longest custom group ID, in bytes (Tencent: 48).
pub const MAX_GROUP_ID_BYTES: usize = 48;
/// The longest group name, in bytes (Tencent: 100).
pub const MAX_GROUP_NAME_BYTES: usize = 100;
/// The longest group introduction or notification, in bytes (Tencent: 400).
pub const MAX_GROUP_TEXT_BYTES: usize = 400;
/// The longest avatar URL, in bytes (Tencent: 500).
pub const MAX_AVATAR_BYTES: usize = 500;
/// The most initial members `createGroup` takes (Tencent: 100).
pub const MAX_INITIAL_MEMBERS: usize = 100;

/// A userID: non-empty, at most 32 bytes, no control characters.
pub fn user_id(value: &str, code: ErrorCode) -> ServiceResult<()> {
    if value.is_empty() || value.len() > MAX_USER_ID_BYTES || value.chars().any(char::is_control) {
        return Err(ServiceError::new(
            code,
            format!("invalid userID {value:?}: 1-{MAX_USER_ID_BYTES} bytes, no control characters"),
        ));
    }
    Ok(())
}

/// A custom group ID: printable ASCII, at most 48 bytes, not starting with the reserved `@TGS#`.
pub fn custom_group_id(value: &str) -> ServiceResult<()> {
    let printable = value.bytes().all(|byte| (0x20..=0x7e).contains(&byte));
    if value.is_empty() || value.len() > MAX_GROUP_ID_BYTES || !printable || value.starts_with("@TGS#") {
        return Err(ServiceError::new(
            ErrorCode::GROUP_INVALID_ID,
            format!(
                "invalid groupID {value:?}: printable ASCII, 1-{MAX_GROUP_ID_BYTES} bytes, not starting with @TGS#"
            ),
        ));
    }
    Ok(())
}

/// A client message ID: `[A-Za-z0-9_]{1,64}`.
pub fn client_msg_id(value: &str) -> ServiceResult<()> {
    let valid = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    if !valid {
        return Err(ServiceError::new(ErrorCode::C2C_INVALID_REQUEST, "clientMsgID must be 1-64 of [A-Za-z0-9_]"));
    }
    Ok(())
}

/// A text field with a byte cap.
pub fn bounded(field: &str, value: &str, max_bytes: usize, code: ErrorCode) -> ServiceResult<()> {
    if value.len() > max_bytes {
        return Err(ServiceError::new(code, format!("{field} is {} bytes, over {max_bytes}", value.len())));
    }
    Ok(())
}
