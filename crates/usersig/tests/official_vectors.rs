//! Compatibility with Tencent's official TLSSigAPIv2 generators (npm and PyPI `tls-sig-api-v2`).
//!
//! `tests/vectors.json` holds UserSigs those generators made for fixed times (regenerate it with
//! `tests/official/regenerate.sh --golden`). When `MYNAH_USERSIG_FRESH_VECTORS` names a file that
//! `regenerate.sh` wrote just now, that file is checked the same way (CI does this).

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::read::ZlibDecoder;
use mynah_usersig::{
    SecretKey, UserSigClaims, UserSigError, decode_unverified, generate, generate_with_userbuf, verify,
};
use serde_json::Value;

const GOLDEN: &str = include_str!("vectors.json");
const FRESH_ENV: &str = "MYNAH_USERSIG_FRESH_VECTORS";

#[derive(serde::Deserialize)]
struct VectorFile {
    /// The time `regenerate.sh` issued every vector at, or `null` for fixed per-vector times.
    now: Option<u64>,
    vectors: Vec<Vector>,
}

#[derive(serde::Deserialize)]
struct Vector {
    name: String,
    generator: String,
    sdk_app_id: u64,
    key: String,
    identifier: String,
    expire: u64,
    /// When the generator's clock was pinned; the UserSig's `TLS.time`.
    now: u64,
    userbuf_base64: Option<String>,
    user_sig: String,
}

impl Vector {
    fn key(&self) -> SecretKey {
        SecretKey::from(self.key.as_str())
    }

    fn userbuf(&self) -> Option<Vec<u8>> {
        self.userbuf_base64
            .as_ref()
            .map(|text| STANDARD.decode(text).unwrap_or_else(|error| panic!("{}: userbuf_base64: {error}", self.name)))
    }

    fn expected_claims(&self) -> UserSigClaims {
        UserSigClaims {
            identifier: self.identifier.clone(),
            sdk_app_id: self.sdk_app_id,
            issued_at: self.now,
            expire_seconds: self.expire,
            userbuf: self.userbuf(),
        }
    }
}

/// The JSON document inside a UserSig, decoded independently of the crate under test.
fn inner_document(user_sig: &str) -> Value {
    let standard = user_sig.replace('*', "+").replace('-', "/").replace('_', "=");
    let compressed = STANDARD.decode(standard).expect("official UserSig is base64");
    let mut json = Vec::new();
    ZlibDecoder::new(compressed.as_slice()).read_to_end(&mut json).expect("official UserSig is zlib");
    serde_json::from_slice(&json).expect("official UserSig holds JSON")
}

fn check_vector(vector: &Vector) {
    let name = &vector.name;
    let key = vector.key();
    let expected = vector.expected_claims();
    let verify_at = |now| verify(&vector.user_sig, vector.sdk_app_id, &vector.identifier, &key, now);

    assert_eq!(verify_at(vector.now), Ok(expected.clone()), "{name}: at issue time");
    assert_eq!(verify_at(expected.expires_at()), Ok(expected.clone()), "{name}: last second");
    assert_eq!(
        verify_at(expected.expires_at() + 1),
        Err(UserSigError::Expired { expired_at: expected.expires_at() }),
        "{name}: one second late"
    );
    assert_eq!(decode_unverified(&vector.user_sig), Ok(expected.clone()), "{name}: decode");

    let wrong_key = SecretKey::from(format!("{}x", vector.key));
    let result = verify(&vector.user_sig, vector.sdk_app_id, &vector.identifier, &wrong_key, vector.now);
    assert_eq!(result, Err(UserSigError::BadSignature), "{name}: wrong key");
    let result = verify(&vector.user_sig, vector.sdk_app_id, "someone else", &key, vector.now);
    assert_eq!(result, Err(UserSigError::IdentifierMismatch), "{name}: wrong user");
    let result = verify(&vector.user_sig, vector.sdk_app_id + 1, &vector.identifier, &key, vector.now);
    assert_eq!(result, Err(UserSigError::AppIdMismatch), "{name}: wrong app");

    // Ours decodes to the same claims and carries the same HMAC as the official generator's.
    let ours = match vector.userbuf() {
        Some(userbuf) => {
            generate_with_userbuf(vector.sdk_app_id, &key, &vector.identifier, vector.expire, vector.now, &userbuf)
        }
        None => generate(vector.sdk_app_id, &key, &vector.identifier, vector.expire, vector.now),
    };
    assert_eq!(decode_unverified(&ours), Ok(expected), "{name}: ours decodes the same");
    let (official_doc, our_doc) = (inner_document(&vector.user_sig), inner_document(&ours));
    for field in ["TLS.ver", "TLS.identifier", "TLS.sdkappid", "TLS.time", "TLS.expire", "TLS.userbuf", "TLS.sig"] {
        assert_eq!(official_doc.get(field), our_doc.get(field), "{name}: {field}");
    }
}

fn check_file(vectors: &VectorFile, origin: &str) {
    assert!(!vectors.vectors.is_empty(), "{origin}: no vectors");
    for vector in &vectors.vectors {
        if let Some(now) = vectors.now {
            assert_eq!(vector.now, now, "{origin}: {} was not issued at the file's now", vector.name);
        }
        check_vector(vector);
    }
    // Both official generators, a non-ASCII UserID and a userbuf must be covered, so the file
    // cannot quietly shrink to something that tests less.
    let has = |predicate: &dyn Fn(&Vector) -> bool| vectors.vectors.iter().any(predicate);
    assert!(has(&|v| v.generator.starts_with("npm tls-sig-api-v2@")), "{origin}: no npm vector");
    assert!(has(&|v| v.generator.starts_with("pypi tls-sig-api-v2==")), "{origin}: no PyPI vector");
    assert!(has(&|v| !v.identifier.is_ascii()), "{origin}: no non-ASCII identifier");
    assert!(has(&|v| v.userbuf_base64.is_some()), "{origin}: no userbuf");
}

#[test]
fn golden_vectors_from_official_generators_verify() {
    let vectors: VectorFile = serde_json::from_str(GOLDEN).expect("tests/vectors.json parses");
    assert_eq!(vectors.now, None, "golden vectors use fixed per-vector times");
    check_file(&vectors, "tests/vectors.json");
}

#[test]
fn fresh_vectors_from_official_generators_verify_when_provided() {
    let Some(path) = std::env::var_os(FRESH_ENV).map(std::path::PathBuf::from) else {
        eprintln!("{FRESH_ENV} is not set: fresh official vectors not checked (CI sets it)");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{FRESH_ENV}={}: {error}", path.display()));
    let vectors: VectorFile =
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{FRESH_ENV}={}: {error}", path.display()));
    assert!(vectors.now.is_some(), "{}: fresh vectors must record `now`", path.display());
    check_file(&vectors, &path.display().to_string());
}
