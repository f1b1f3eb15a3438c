//! Signing: the content string that the HMAC covers, and generating UserSigs the way Tencent's
//! TLSSigAPIv2 generators do.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::SecretKey;
use crate::envelope::{encode_base64_field, seal};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The textual fields the HMAC covers, exactly as the signer wrote them.
///
/// Numbers are kept as text because a signer may have written them as strings, and the signature
/// covers that text, not our re-rendering of it.
pub(crate) struct SignedFields<'a> {
    pub identifier: &'a str,
    pub sdk_app_id: &'a str,
    pub time: &'a str,
    pub expire: &'a str,
    /// `TLS.userbuf` as base64 text, when present.
    pub userbuf: Option<&'a str>,
}

/// Starts an HMAC-SHA256 over the content string of `fields`, keyed with the key's UTF-8 bytes.
pub(crate) fn content_mac(key: &SecretKey, fields: &SignedFields<'_>) -> HmacSha256 {
    // HMAC accepts keys of any length (long keys are hashed first), so this cannot fail.
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(key.expose().as_bytes()).expect("HMAC accepts keys of any length");
    let mut line = |name: &str, value: &str| {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
        mac.update(b"\n");
    };
    line("TLS.identifier:", fields.identifier);
    line("TLS.sdkappid:", fields.sdk_app_id);
    line("TLS.time:", fields.time);
    line("TLS.expire:", fields.expire);
    if let Some(userbuf) = fields.userbuf {
        line("TLS.userbuf:", userbuf);
    }
    mac
}

/// Generates a UserSig for `identifier` in app `sdk_app_id`, valid from `now_unix` for
/// `expire_seconds` seconds (Tencent's tools default to 180 days).
pub fn generate(sdk_app_id: u64, key: &SecretKey, identifier: &str, expire_seconds: u64, now_unix: u64) -> String {
    generate_document(sdk_app_id, key, identifier, expire_seconds, now_unix, None)
}

/// Like [`generate`], with `userbuf` signed into the ticket (TRTC's PrivateMapKey uses this).
pub fn generate_with_userbuf(
    sdk_app_id: u64,
    key: &SecretKey,
    identifier: &str,
    expire_seconds: u64,
    now_unix: u64,
    userbuf: &[u8],
) -> String {
    generate_document(sdk_app_id, key, identifier, expire_seconds, now_unix, Some(userbuf))
}

/// The JSON document, with fields in the order Tencent's generators write them.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "TLS.ver")]
    version: &'static str,
    #[serde(rename = "TLS.identifier")]
    identifier: &'a str,
    #[serde(rename = "TLS.sdkappid")]
    sdk_app_id: u64,
    #[serde(rename = "TLS.expire")]
    expire: u64,
    #[serde(rename = "TLS.time")]
    time: u64,
    #[serde(rename = "TLS.userbuf", skip_serializing_if = "Option::is_none")]
    userbuf: Option<&'a str>,
    #[serde(rename = "TLS.sig")]
    sig: &'a str,
}

fn generate_document(
    sdk_app_id: u64,
    key: &SecretKey,
    identifier: &str,
    expire_seconds: u64,
    now_unix: u64,
    userbuf: Option<&[u8]>,
) -> String {
    let sdk_app_id_text = sdk_app_id.to_string();
    let time_text = now_unix.to_string();
    let expire_text = expire_seconds.to_string();
    let userbuf_base64 = userbuf.map(encode_base64_field);
    let fields = SignedFields {
        identifier,
        sdk_app_id: &sdk_app_id_text,
        time: &time_text,
        expire: &expire_text,
        userbuf: userbuf_base64.as_deref(),
    };
    let sig = encode_base64_field(&content_mac(key, &fields).finalize().into_bytes());
    let document = Document {
        version: "2.0",
        identifier,
        sdk_app_id,
        expire: expire_seconds,
        time: now_unix,
        userbuf: userbuf_base64.as_deref(),
        sig: &sig,
    };
    // A struct of strings and integers always serializes.
    let json = serde_json::to_vec(&document).expect("serializing strings and integers cannot fail");
    seal(&json)
}
