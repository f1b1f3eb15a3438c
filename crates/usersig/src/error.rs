//! Why a UserSig was refused, and the Tencent error code each reason maps to.

/// Why a UserSig could not be decoded or was refused.
///
/// The messages are safe to show to the client that sent the UserSig: they never contain the key.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserSigError {
    /// The UserSig is the empty string.
    #[error("UserSig is empty")]
    Empty,
    /// The UserSig cannot be decoded: bad base64, not zlib, not JSON, or a field is missing or has
    /// the wrong type. The text says which layer failed.
    #[error("UserSig cannot be parsed: {0}")]
    Malformed(&'static str),
    /// The encoded UserSig or its decompressed document is larger than any genuine one.
    #[error("UserSig is too large")]
    TooLarge,
    /// The signature is genuine but the validity period has passed.
    #[error("UserSig expired at Unix time {expired_at}")]
    Expired {
        /// The last Unix second at which the UserSig was valid.
        expired_at: u64,
    },
    /// The UserSig was issued to a different UserID than the one logging in.
    #[error("the UserID in the request does not match the UserID in the UserSig")]
    IdentifierMismatch,
    /// The UserSig was issued for a different SDKAppID than the one requested.
    #[error("the SDKAppID in the request does not match the SDKAppID in the UserSig")]
    AppIdMismatch,
    /// The HMAC does not match: the UserSig was made with another key or was altered.
    #[error("UserSig signature verification failed")]
    BadSignature,
    /// The app exists but has no secret key configured. This crate never returns it; servers use it
    /// when the key lookup that precedes [`crate::verify`] fails.
    #[error("no secret key is configured for SDKAppID {sdk_app_id}")]
    KeyNotFound {
        /// The SDKAppID whose key is missing.
        sdk_app_id: u64,
    },
    /// No app with this SDKAppID exists. This crate never returns it; servers use it when the
    /// SDKAppID found by [`crate::decode_unverified`] is unknown.
    #[error("SDKAppID {sdk_app_id} does not exist")]
    UnknownApp {
        /// The SDKAppID the UserSig or request names.
        sdk_app_id: u64,
    },
}

impl UserSigError {
    /// Tencent's numeric error code for this failure, as returned on the wire in `ErrorCode`.
    ///
    /// | code  | variant                          | Tencent's meaning |
    /// |-------|----------------------------------|-------------------|
    /// | 70001 | `Expired`                        | UserSig has expired |
    /// | 70002 | `Empty`                          | the length of the UserSig is 0 |
    /// | 70003 | `Malformed`, `TooLarge`          | UserSig parsing failed (for example truncated) |
    /// | 70009 | `BadSignature`                   | UserSig verification failed (made with another app's key) |
    /// | 70013 | `IdentifierMismatch`             | UserID in the request differs from the one in the UserSig |
    /// | 70014 | `AppIdMismatch`                  | SDKAppID in the request differs from the one in the UserSig |
    /// | 70016 | `KeyNotFound`                    | the key does not exist, UserSig verification failed |
    /// | 70020 | `UnknownApp`                     | SDKAppID does not exist, UserSig verification failed |
    ///
    /// Sources: Tencent Cloud Chat "REST API 公共错误码", account error table
    /// (<https://cloud.tencent.com/document/product/679/131708>: 70001, 70003, 70009, 70013,
    /// 70014, 70016, 70020); the TRTC Web SDK `ErrorCode` account-error table
    /// (<https://web.sdk.qcloud.com/trtc/webrtc/doc/en/module-ErrorCode.html>: 70002 "the length of
    /// userSig is 0"); and Tencent's IM FAQ entry on 70001/70003/70009/70013
    /// (<https://cloud.tencent.com/developer/techpedia/1294/6985>: 70003 is a UserSig that was
    /// truncated so checking failed). Tencent documents no separate code for an oversized UserSig,
    /// so `TooLarge` shares 70003 with the other undecodable inputs.
    pub fn code(&self) -> u32 {
        match self {
            Self::Expired { .. } => 70001,
            Self::Empty => 70002,
            Self::Malformed(_) | Self::TooLarge => 70003,
            Self::BadSignature => 70009,
            Self::IdentifierMismatch => 70013,
            Self::AppIdMismatch => 70014,
            Self::KeyNotFound { .. } => 70016,
            Self::UnknownApp { .. } => 70020,
        }
    }
}
