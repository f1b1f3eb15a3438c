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

/// A userID, on every surface that names one (login, `account_import`, group members, a C2C
/// `to`, ...): 1-32 bytes of UTF-8 (Tencent's limit), and no character that is invisible or changes
/// how the characters around it are shown, so two IDs that look alike are equal. Letters of every
/// script, digits and punctuation stay allowed: Tencent accepts non-ASCII userIDs and e-mail
/// addresses, and only recommends `[A-Za-z0-9_-]`.
pub fn user_id(value: &str, code: ErrorCode) -> ServiceResult<()> {
    if value.is_empty() || value.len() > MAX_USER_ID_BYTES || value.chars().any(is_hidden_or_spacing) {
        return Err(ServiceError::new(
            code,
            format!(
                "invalid userID {value:?}: 1-{MAX_USER_ID_BYTES} bytes, no spaces, control, zero-width, \
                 bidirectional or line-separator characters"
            ),
        ));
    }
    Ok(())
}

/// Characters a userID may not hold: controls (Cc), whitespace of every kind (including the line
/// and paragraph separators U+2028/U+2029 and no-break spaces), format characters (Cf: zero-width
/// spaces and joiners, bidirectional marks, embeddings, overrides and isolates, the BOM, soft
/// hyphen, tags), variation selectors, and the blank fillers that render as nothing.
fn is_hidden_or_spacing(character: char) -> bool {
    character.is_control()
        || character.is_whitespace()
        || matches!(
            character,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
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

/// Prefixes of the client message IDs the server derives for its own sends in a user's name
/// (`rest_`: REST `sendmsg`/`batchsendmsg`/`send_group_msg`; `import_`: `importmsg`). A client may
/// not use them: a user who sent one first would make the backend's send a "duplicate" of theirs.
pub const RESERVED_CLIENT_MSG_ID_PREFIXES: &[&str] = &["rest_", "import_"];

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

/// A client message ID an SDK sent: valid, and not one of the server's own
/// ([`RESERVED_CLIENT_MSG_ID_PREFIXES`]); 20001 otherwise.
pub fn sdk_client_msg_id(value: &str) -> ServiceResult<()> {
    client_msg_id(value)?;
    if let Some(prefix) = RESERVED_CLIENT_MSG_ID_PREFIXES.iter().find(|prefix| value.starts_with(**prefix)) {
        return Err(ServiceError::new(
            ErrorCode::C2C_INVALID_REQUEST,
            format!("clientMsgID may not start with {prefix:?}: the prefix is reserved for the server's own sends"),
        ));
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

#[cfg(test)]
mod tests {
    use mynah_proto::codes::ErrorCode;

    use super::{RESERVED_CLIENT_MSG_ID_PREFIXES, sdk_client_msg_id, user_id};

    #[test]
    fn user_ids_refuse_invisible_and_layout_characters() {
        let code = ErrorCode::ACCOUNT_INVALID_PARAMETER;
        for valid in ["alice", "user_1-a", "a@example.com", "张三", "Zoë", "x".repeat(32).as_str()] {
            assert!(user_id(valid, code).is_ok(), "{valid:?}");
        }
        let look_alikes = [
            "",
            "al\u{200B}ice",  // zero-width space
            "al\u{200D}ice",  // zero-width joiner
            "\u{FEFF}alice",  // byte order mark
            "alice\u{202E}",  // right-to-left override
            "al\u{2067}ice",  // right-to-left isolate
            "al\u{200F}ice",  // right-to-left mark
            "alice\u{2028}",  // line separator
            "alice\u{2029}",  // paragraph separator
            "ali ce",         // space
            "alice\u{00A0}",  // no-break space
            "al\u{00AD}ice",  // soft hyphen
            "al\u{2060}ice",  // word joiner
            "alice\u{FE0F}",  // variation selector
            "\u{3164}",       // Hangul filler
            "alice\u{E0041}", // tag character
            "al\u{1}ice",     // control
            "al\nice",        // line feed
        ];
        for invalid in look_alikes {
            assert!(user_id(invalid, code).is_err(), "{invalid:?} must be refused");
        }
        assert!(user_id(&"x".repeat(33), code).is_err(), "over 32 bytes");
    }

    #[test]
    fn the_servers_own_client_msg_id_prefixes_are_reserved() {
        assert!(sdk_client_msg_id("abc_123").is_ok());
        assert!(sdk_client_msg_id("Rest_1").is_ok(), "the prefixes are case-sensitive, as IDs are");
        for prefix in RESERVED_CLIENT_MSG_ID_PREFIXES {
            let error = sdk_client_msg_id(&format!("{prefix}1_0_abc")).unwrap_err();
            assert_eq!(error.code, ErrorCode::C2C_INVALID_REQUEST);
        }
    }
}
