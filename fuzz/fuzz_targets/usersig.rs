//! Fuzzes the UserSig decoder: `decode_unverified` and `verify` must never panic, whatever the
//! base64, zlib and JSON layers contain, and `verify` must accept only what the key signed for the
//! app and user asked about.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mynah_usersig::SecretKey;

const APP: u64 = 1_400_000_001;
const USER: &str = "alice";
const KEY: &str = "fuzz-key";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = mynah_usersig::decode_unverified(text);
    if let Ok(claims) = mynah_usersig::verify(text, APP, USER, &SecretKey::from(KEY), 1_700_000_000) {
        assert_eq!(claims.sdk_app_id, APP);
        assert_eq!(claims.identifier, USER);
    }
});
