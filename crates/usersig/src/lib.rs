//! UserSig (Tencent's TLSSigAPIv2 login ticket): generate one for a user, verify one a client sends.
//!
//! A UserSig is a small signed JSON document, zlib-compressed and base64-encoded with a URL-friendly
//! character map. It proves that whoever holds an app's secret key allowed `identifier` to log in to
//! `sdk_app_id` from `issued_at` for `expire_seconds`. The format is byte-compatible with Tencent's
//! official generators (npm and PyPI `tls-sig-api-v2`), which `tests/official_vectors.rs` checks.
//!
//! # Layout
//! - `envelope.rs`: the outer layers, i.e. the base64 character map and zlib, with size caps.
//! - `sign.rs`: the signed content string, the HMAC, and [`generate`].
//! - `verify.rs`: parsing a document leniently, [`verify`] and [`decode_unverified`].
//! - `error.rs`: [`UserSigError`] and its Tencent error codes.
//!
//! This crate does no I/O and keeps no state: callers pass the current time in, so tests are
//! deterministic and the server decides where the clock comes from.

mod envelope;
mod error;
mod sign;
mod verify;

#[cfg(test)]
mod tests;

use std::fmt;

pub use error::UserSigError;
pub use sign::{generate, generate_with_userbuf};
pub use verify::{decode_unverified, verify};

/// An app's secret key, the HMAC key of its UserSigs.
///
/// Its `Debug` output is redacted so the key cannot leak through logs or panic messages.
/// The key is used as the UTF-8 bytes of the string, exactly as the console shows it (it is not
/// hex-decoded), because that is what Tencent's generators do.
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    /// The key itself; call this only where the key must really be used or stored.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("SecretKey(<redacted>)")
    }
}

impl From<String> for SecretKey {
    fn from(key: String) -> Self {
        Self(key)
    }
}

impl From<&str> for SecretKey {
    fn from(key: &str) -> Self {
        Self(key.to_owned())
    }
}

/// What a UserSig says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSigClaims {
    /// The UserID the ticket was issued to (`TLS.identifier`).
    pub identifier: String,
    /// The app the ticket is for (`TLS.sdkappid`).
    pub sdk_app_id: u64,
    /// When the ticket was issued, in Unix seconds (`TLS.time`).
    pub issued_at: u64,
    /// How long the ticket is valid after `issued_at`, in seconds (`TLS.expire`).
    pub expire_seconds: u64,
    /// Optional opaque bytes covered by the signature (`TLS.userbuf`, used by TRTC PrivateMapKey).
    pub userbuf: Option<Vec<u8>>,
}

impl UserSigClaims {
    /// The last Unix second at which the ticket is still valid: `issued_at + expire_seconds`.
    ///
    /// The sum saturates instead of overflowing, so absurd values cannot wrap to the past.
    pub fn expires_at(&self) -> u64 {
        self.issued_at.saturating_add(self.expire_seconds)
    }
}
