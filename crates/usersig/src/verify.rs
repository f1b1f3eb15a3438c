//! Verifying: parse the JSON document leniently (any key order or whitespace, numbers or numeric
//! strings), then check app, user, HMAC (in constant time) and expiry.

use hmac::Mac;
use serde_json::{Map, Value};

use crate::envelope::{decode_base64_field, open};
use crate::sign::{SignedFields, content_mac};
use crate::{SecretKey, UserSigClaims, UserSigError};

/// Verifies that `user_sig` lets `identifier` log in to `sdk_app_id` at `now_unix`, signed with `key`.
///
/// The checks run in this order, so each failure gets the most useful error code:
/// 1. decoding (`Empty`, `TooLarge`, `Malformed`);
/// 2. the SDKAppID and then the UserID match the request (`AppIdMismatch`, `IdentifierMismatch`),
///    because a ticket for another app was made with another key and would otherwise only show up
///    as a bad signature;
/// 3. the HMAC, compared in constant time (`BadSignature`);
/// 4. expiry, `now_unix > issued_at + expire_seconds` (`Expired`), reported only for genuine tickets.
///
/// A `userbuf` is covered by the HMAC and returned in the claims; callers that require one (or
/// require none) check [`UserSigClaims::userbuf`] themselves.
pub fn verify(
    user_sig: &str,
    sdk_app_id: u64,
    identifier: &str,
    key: &SecretKey,
    now_unix: u64,
) -> Result<UserSigClaims, UserSigError> {
    let document = parse(user_sig)?;
    if document.claims.sdk_app_id != sdk_app_id {
        return Err(UserSigError::AppIdMismatch);
    }
    if document.claims.identifier != identifier {
        return Err(UserSigError::IdentifierMismatch);
    }
    let fields = SignedFields {
        identifier: &document.claims.identifier,
        sdk_app_id: &document.sdk_app_id_text,
        time: &document.time_text,
        expire: &document.expire_text,
        userbuf: document.userbuf_text.as_deref(),
    };
    content_mac(key, &fields).verify_slice(&document.sig).map_err(|_| UserSigError::BadSignature)?;
    let expired_at = document.claims.expires_at();
    if now_unix > expired_at {
        return Err(UserSigError::Expired { expired_at });
    }
    Ok(document.claims)
}

/// Parse without checking the HMAC (used to find which app a sig claims, before we know the key).
///
/// Nothing in the result can be trusted until [`verify`] has accepted the same UserSig.
pub fn decode_unverified(user_sig: &str) -> Result<UserSigClaims, UserSigError> {
    parse(user_sig).map(|document| document.claims)
}

/// A decoded document: the claims plus the exact text the signature covers.
struct ParsedDocument {
    claims: UserSigClaims,
    sdk_app_id_text: String,
    time_text: String,
    expire_text: String,
    userbuf_text: Option<String>,
    sig: Vec<u8>,
}

fn parse(user_sig: &str) -> Result<ParsedDocument, UserSigError> {
    let json = open(user_sig)?;
    let object: Map<String, Value> =
        serde_json::from_slice(&json).map_err(|_| UserSigError::Malformed("document is not a JSON object"))?;

    // Every TLSSigAPIv2 generator writes "2.0"; older ECDSA tickets are out of scope.
    if let Some(version) = object.get("TLS.ver")
        && version.as_str() != Some("2.0")
    {
        return Err(UserSigError::Malformed("TLS.ver is not \"2.0\""));
    }
    let identifier = match object.get("TLS.identifier") {
        Some(Value::String(identifier)) => identifier.clone(),
        _ => {
            return Err(UserSigError::Malformed("TLS.identifier missing or not a string"));
        }
    };
    let (sdk_app_id, sdk_app_id_text) =
        unsigned_field(&object, "TLS.sdkappid", "TLS.sdkappid missing or not an unsigned integer")?;
    let (issued_at, time_text) = unsigned_field(&object, "TLS.time", "TLS.time missing or not an unsigned integer")?;
    let (expire_seconds, expire_text) =
        unsigned_field(&object, "TLS.expire", "TLS.expire missing or not an unsigned integer")?;
    let (userbuf, userbuf_text) = match object.get("TLS.userbuf") {
        None | Some(Value::Null) => (None, None),
        Some(Value::String(text)) => {
            let bytes = decode_base64_field(text).ok_or(UserSigError::Malformed("TLS.userbuf is not base64"))?;
            (Some(bytes), Some(text.clone()))
        }
        Some(_) => return Err(UserSigError::Malformed("TLS.userbuf is not a string")),
    };
    let sig = match object.get("TLS.sig") {
        Some(Value::String(text)) => {
            decode_base64_field(text).ok_or(UserSigError::Malformed("TLS.sig is not base64"))?
        }
        _ => return Err(UserSigError::Malformed("TLS.sig missing or not a string")),
    };

    Ok(ParsedDocument {
        claims: UserSigClaims { identifier, sdk_app_id, issued_at, expire_seconds, userbuf },
        sdk_app_id_text,
        time_text,
        expire_text,
        userbuf_text,
        sig,
    })
}

/// Reads an unsigned integer written either as a JSON number or as a string of decimal digits,
/// returning the value and the text that the signer signed for it.
fn unsigned_field(object: &Map<String, Value>, name: &str, error: &'static str) -> Result<(u64, String), UserSigError> {
    match object.get(name) {
        Some(Value::Number(number)) => {
            number.as_u64().map(|value| (value, value.to_string())).ok_or(UserSigError::Malformed(error))
        }
        Some(Value::String(text)) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse::<u64>().map(|value| (value, text.clone())).map_err(|_| UserSigError::Malformed(error))
        }
        _ => Err(UserSigError::Malformed(error)),
    }
}
