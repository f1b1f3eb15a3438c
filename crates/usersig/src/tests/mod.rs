//! Unit tests: round trips, every refusal reason with its code, hostile inputs, lenient parsing.

mod proptests;

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use hmac::Mac;
use serde_json::{Value, json};

use crate::envelope::{MAX_DOCUMENT_LEN, MAX_ENCODED_LEN, encode_base64_field, inflate_capped, seal};
use crate::sign::{SignedFields, content_mac};
use crate::{SecretKey, UserSigClaims, UserSigError, decode_unverified, generate, generate_with_userbuf, verify};

const APP: u64 = 1_400_000_000;
const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

fn key() -> SecretKey {
    SecretKey::from(KEY)
}

/// Encodes arbitrary bytes with the UserSig character map, without zlib.
fn encode_raw(bytes: &[u8]) -> String {
    encode_base64_field(bytes).replace('+', "*").replace('/', "-").replace('=', "_")
}

/// The genuine `TLS.sig` for these textual fields under [`KEY`].
fn sign_text(identifier: &str, app: &str, time: &str, expire: &str, userbuf: Option<&str>) -> String {
    let fields = SignedFields { identifier, sdk_app_id: app, time, expire, userbuf };
    encode_base64_field(&content_mac(&key(), &fields).finalize().into_bytes())
}

/// The JSON document inside a UserSig we generated.
fn open_document(user_sig: &str) -> Value {
    let json = crate::envelope::open(user_sig).expect("our own UserSig opens");
    serde_json::from_slice(&json).expect("our own document is JSON")
}

fn claims(identifier: &str, issued_at: u64, expire_seconds: u64) -> UserSigClaims {
    UserSigClaims { identifier: identifier.to_owned(), sdk_app_id: APP, issued_at, expire_seconds, userbuf: None }
}

#[test]
fn round_trip_returns_the_claims() {
    let user_sig = generate(APP, &key(), "alice", 180 * DAY, NOW);
    assert_eq!(verify(&user_sig, APP, "alice", &key(), NOW), Ok(claims("alice", NOW, 180 * DAY)));
    assert_eq!(decode_unverified(&user_sig), Ok(claims("alice", NOW, 180 * DAY)));
}

#[test]
fn generated_document_has_tencents_fields_and_types() {
    let document = open_document(&generate(APP, &key(), "alice", DAY, NOW));
    assert_eq!(document["TLS.ver"], "2.0");
    assert_eq!(document["TLS.identifier"], "alice");
    assert_eq!(document["TLS.sdkappid"], APP);
    assert_eq!(document["TLS.time"], NOW);
    assert_eq!(document["TLS.expire"], DAY);
    assert!(document.get("TLS.userbuf").is_none());
    let expected = sign_text("alice", &APP.to_string(), &NOW.to_string(), &DAY.to_string(), None);
    assert_eq!(document["TLS.sig"], expected.as_str());
}

#[test]
fn userbuf_round_trip_including_binary_bytes() {
    for userbuf in [&b"abc"[..], &[0, 255, 1, 254, 10, 13][..], &[][..]] {
        let user_sig = generate_with_userbuf(APP, &key(), "alice", DAY, NOW, userbuf);
        let verified = verify(&user_sig, APP, "alice", &key(), NOW).expect("valid");
        assert_eq!(verified.userbuf.as_deref(), Some(userbuf));
    }
}

#[test]
fn expiry_is_inclusive_of_the_last_second() {
    let user_sig = generate(APP, &key(), "alice", 60, NOW);
    assert!(verify(&user_sig, APP, "alice", &key(), NOW + 60).is_ok());
    let error = verify(&user_sig, APP, "alice", &key(), NOW + 61).unwrap_err();
    assert_eq!(error, UserSigError::Expired { expired_at: NOW + 60 });
    assert_eq!(error.code(), 70001);
}

#[test]
fn wrong_key_is_a_signature_failure() {
    let user_sig = generate(APP, &SecretKey::from("another key"), "alice", DAY, NOW);
    let error = verify(&user_sig, APP, "alice", &key(), NOW).unwrap_err();
    assert_eq!(error, UserSigError::BadSignature);
    assert_eq!(error.code(), 70009);
}

#[test]
fn wrong_user_is_an_identifier_mismatch() {
    let user_sig = generate(APP, &key(), "alice", DAY, NOW);
    let error = verify(&user_sig, APP, "bob", &key(), NOW).unwrap_err();
    assert_eq!(error, UserSigError::IdentifierMismatch);
    assert_eq!(error.code(), 70013);
}

#[test]
fn ticket_for_another_app_is_an_app_mismatch_even_with_that_apps_key() {
    let other_app_key = SecretKey::from("key of app 1400000001");
    let user_sig = generate(APP + 1, &other_app_key, "alice", DAY, NOW);
    let error = verify(&user_sig, APP, "alice", &key(), NOW).unwrap_err();
    assert_eq!(error, UserSigError::AppIdMismatch);
    assert_eq!(error.code(), 70014);
}

#[test]
fn flipping_any_character_never_yields_different_accepted_claims() {
    let user_sig = generate(APP, &key(), "alice", DAY, NOW);
    let original = verify(&user_sig, APP, "alice", &key(), NOW).expect("valid");
    let mut refused = 0;
    for (index, character) in user_sig.char_indices() {
        let replacement = if character == 'A' { "B" } else { "A" };
        let mut tampered = user_sig.clone();
        tampered.replace_range(index..index + 1, replacement);
        match verify(&tampered, APP, "alice", &key(), NOW) {
            // Deflate ignores a few padding bits, so a flip may decode to the identical document.
            Ok(claims) => assert_eq!(claims, original, "flip at {index} changed accepted claims"),
            Err(_) => refused += 1,
        }
    }
    assert!(refused * 10 >= user_sig.len() * 9, "only {refused} of {} flips refused", user_sig.len());
}

#[test]
fn edited_document_with_the_old_signature_is_refused() {
    let user_sig = generate_with_userbuf(APP, &key(), "alice", DAY, NOW, b"room 1");
    let original = open_document(&user_sig);
    let edits: [(&str, Value, &str); 5] = [
        ("TLS.identifier", json!("mallory"), "mallory"),
        ("TLS.time", json!(NOW + 10 * DAY), "alice"),
        ("TLS.expire", json!(3650 * DAY), "alice"),
        ("TLS.userbuf", json!(encode_base64_field(b"room 2")), "alice"),
        ("TLS.userbuf", Value::Null, "alice"),
    ];
    for (field, value, identifier) in edits {
        let mut document = original.clone();
        document[field] = value;
        let forged = seal(document.to_string().as_bytes());
        let error = verify(&forged, APP, identifier, &key(), NOW).unwrap_err();
        assert_eq!(error, UserSigError::BadSignature, "edit of {field}");
        assert_eq!(error.code(), 70009);
    }
}

#[test]
fn empty_is_its_own_error() {
    let error = verify("", APP, "alice", &key(), NOW).unwrap_err();
    assert_eq!(error, UserSigError::Empty);
    assert_eq!(error.code(), 70002);
    assert_eq!(decode_unverified(""), Err(UserSigError::Empty));
}

#[test]
fn undecodable_inputs_are_malformed() {
    let cases: Vec<(&str, String)> = vec![
        ("garbage", "hello world, this is not a UserSig".to_owned()),
        ("non-base64 characters", "eJw@@@@!!".to_owned()),
        ("impossible base64 length", "A".to_owned()),
        ("base64 of non-zlib bytes", encode_raw(b"{\"TLS.ver\":\"2.0\"}")),
        ("zlib of non-JSON", seal(b"TLS.identifier:alice\n")),
        ("zlib of invalid UTF-8", seal(&[0xff, 0xfe, b'{', b'}'])),
        ("zlib of a JSON array", seal(b"[1, 2, 3]")),
        ("zlib of a JSON string", seal(b"\"alice\"")),
        ("truncated", generate(APP, &key(), "alice", DAY, NOW)[..40].to_owned()),
    ];
    for (name, user_sig) in cases {
        let error = verify(&user_sig, APP, "alice", &key(), NOW).unwrap_err();
        assert!(matches!(error, UserSigError::Malformed(_)), "{name}: {error:?}");
        assert_eq!(error.code(), 70003, "{name}");
    }
}

#[test]
fn missing_or_mistyped_fields_are_malformed() {
    let good = open_document(&generate(APP, &key(), "alice", DAY, NOW));
    for field in ["TLS.identifier", "TLS.sdkappid", "TLS.time", "TLS.expire", "TLS.sig"] {
        let mut document = good.clone();
        document.as_object_mut().expect("object").remove(field);
        let error = decode_unverified(&seal(document.to_string().as_bytes())).unwrap_err();
        assert!(matches!(error, UserSigError::Malformed(_)), "without {field}: {error:?}");
    }
    let mistyped: [(&str, Value); 10] = [
        ("TLS.identifier", json!(42)),
        ("TLS.sdkappid", json!(-1)),
        ("TLS.sdkappid", json!(1.5)),
        ("TLS.sdkappid", json!("14e8")),
        ("TLS.time", json!("")),
        ("TLS.expire", json!(true)),
        ("TLS.expire", json!("18446744073709551616")),
        ("TLS.sig", json!("not base64!")),
        ("TLS.userbuf", json!(["a"])),
        ("TLS.ver", json!("1.0")),
    ];
    for (field, value) in mistyped {
        let mut document = good.clone();
        document[field] = value.clone();
        let error = decode_unverified(&seal(document.to_string().as_bytes())).unwrap_err();
        assert!(matches!(error, UserSigError::Malformed(_)), "{field} = {value}: {error:?}");
    }
}

#[test]
fn numeric_strings_any_key_order_and_whitespace_are_accepted() {
    // Python-style separators, reversed key order, numbers written as strings, no TLS.ver.
    let sig = sign_text("alice", "1400000000", "1700000000", "86400", None);
    let document = format!(
        "{{ \"TLS.sig\" : \"{sig}\",\n \"TLS.expire\": \"86400\", \"TLS.time\": 1700000000,\
         \"TLS.sdkappid\": \"1400000000\", \"TLS.identifier\": \"alice\" }}\n"
    );
    let user_sig = seal(document.as_bytes());
    assert_eq!(verify(&user_sig, APP, "alice", &key(), NOW), Ok(claims("alice", NOW, DAY)));
}

#[test]
fn missing_padding_and_plain_base64_characters_are_tolerated() {
    let user_sig = generate_with_userbuf(APP, &key(), "alice", DAY, NOW, b"ab");
    let expected = verify(&user_sig, APP, "alice", &key(), NOW).expect("valid");
    let unpadded = user_sig.trim_end_matches('_');
    let plain = user_sig.replace('*', "+").replace('-', "/").replace('_', "=");
    for variant in [unpadded, plain.as_str()] {
        assert_eq!(verify(variant, APP, "alice", &key(), NOW).as_ref(), Ok(&expected));
    }
}

#[test]
fn oversized_input_is_too_large() {
    let long = "A".repeat(MAX_ENCODED_LEN + 4);
    let error = verify(&long, APP, "alice", &key(), NOW).unwrap_err();
    assert_eq!(error, UserSigError::TooLarge);
    assert_eq!(error.code(), 70003);
}

fn zlib_of_spaces(count: usize) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    let chunk = vec![b' '; 64 * 1024];
    let mut left = count;
    while left > 0 {
        let take = left.min(chunk.len());
        encoder.write_all(&chunk[..take]).expect("in memory");
        left -= take;
    }
    encoder.finish().expect("in memory")
}

#[test]
fn decompression_bomb_is_too_large() {
    // 10 MB of spaces: the encoded form is already over the input cap ...
    let bomb = zlib_of_spaces(10 * 1024 * 1024);
    let error = verify(&encode_raw(&bomb), APP, "alice", &key(), NOW).unwrap_err();
    assert_eq!(error, UserSigError::TooLarge);
    // ... and inflating it directly stops at the document cap instead of allocating 10 MB.
    assert_eq!(inflate_capped(&bomb, MAX_DOCUMENT_LEN), Err(UserSigError::TooLarge));
    // 1 MB of spaces fits under the input cap and is caught by the inflate cap.
    let small_bomb = encode_raw(&zlib_of_spaces(1024 * 1024));
    assert!(small_bomb.len() <= MAX_ENCODED_LEN);
    assert_eq!(decode_unverified(&small_bomb), Err(UserSigError::TooLarge));
    // Exactly at the cap is still accepted by the inflate step.
    assert_eq!(
        inflate_capped(&zlib_of_spaces(MAX_DOCUMENT_LEN), MAX_DOCUMENT_LEN).map(|d| d.len()),
        Ok(MAX_DOCUMENT_LEN)
    );
}

#[test]
fn non_ascii_identifiers_round_trip_and_are_compared_exactly() {
    for identifier in ["用户01", "José", "🦜 parrot", "ａｌｉｃｅ", "tab\there"] {
        let user_sig = generate(APP, &key(), identifier, DAY, NOW);
        let verified = verify(&user_sig, APP, identifier, &key(), NOW).expect(identifier);
        assert_eq!(verified.identifier, identifier);
    }
    let user_sig = generate(APP, &key(), "用户01", DAY, NOW);
    assert_eq!(verify(&user_sig, APP, "用户02", &key(), NOW), Err(UserSigError::IdentifierMismatch));
    // Python's json.dumps escapes non-ASCII as \uXXXX; the escaped form must verify the same.
    let sig = sign_text("用户01", "1400000000", "1700000000", "86400", None);
    let escaped = format!(
        "{{\"TLS.ver\": \"2.0\", \"TLS.identifier\": \"\\u7528\\u623701\", \"TLS.sdkappid\": 1400000000, \
         \"TLS.expire\": 86400, \"TLS.time\": 1700000000, \"TLS.sig\": \"{sig}\"}}"
    );
    assert!(verify(&seal(escaped.as_bytes()), APP, "用户01", &key(), NOW).is_ok());
}

#[test]
fn secret_key_debug_is_redacted() {
    let secret = SecretKey::from(String::from("super secret"));
    assert_eq!(format!("{secret:?}"), "SecretKey(<redacted>)");
    assert_eq!(secret.expose(), "super secret");
}

#[test]
fn expires_at_saturates() {
    assert_eq!(claims("a", 10, 5).expires_at(), 15);
    assert_eq!(claims("a", u64::MAX - 1, 5).expires_at(), u64::MAX);
}

#[test]
fn error_codes_match_tencents_table() {
    let table = [
        (UserSigError::Expired { expired_at: 1 }, 70001),
        (UserSigError::Empty, 70002),
        (UserSigError::Malformed("x"), 70003),
        (UserSigError::TooLarge, 70003),
        (UserSigError::BadSignature, 70009),
        (UserSigError::IdentifierMismatch, 70013),
        (UserSigError::AppIdMismatch, 70014),
        (UserSigError::KeyNotFound { sdk_app_id: 1 }, 70016),
        (UserSigError::UnknownApp { sdk_app_id: 1 }, 70020),
    ];
    for (error, code) in table {
        assert_eq!(error.code(), code, "{error:?}");
    }
}
