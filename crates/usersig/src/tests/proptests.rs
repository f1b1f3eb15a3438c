//! Property tests: verification never panics, and generate→verify round-trips for any input.

use proptest::prelude::*;

use crate::{SecretKey, UserSigClaims, decode_unverified, generate_with_userbuf, verify};

proptest! {
    #[test]
    fn verify_never_panics_on_arbitrary_strings(user_sig in any::<String>()) {
        let _ = verify(&user_sig, 1_400_000_000, "alice", &SecretKey::from("key"), 1_700_000_000);
        let _ = decode_unverified(&user_sig);
    }

    #[test]
    fn verify_never_panics_on_strings_of_the_usersig_alphabet(
        user_sig in "(eJ)?[A-Za-z0-9*_-]{0,600}",
    ) {
        let _ = verify(&user_sig, 1_400_000_000, "alice", &SecretKey::from("key"), 1_700_000_000);
    }

    #[test]
    fn verify_never_panics_on_corrupted_genuine_tickets(
        position in any::<prop::sample::Index>(),
        replacement in prop::char::any(),
        truncate in any::<bool>(),
    ) {
        let key = SecretKey::from("key");
        let mut user_sig = crate::generate(7, &key, "alice", 60, 100);
        let index = position.index(user_sig.len());
        if truncate {
            user_sig.truncate(index);
        } else {
            user_sig.replace_range(index..=index, &replacement.to_string());
        }
        let _ = verify(&user_sig, 7, "alice", &key, 100);
    }

    #[test]
    fn generate_then_verify_round_trips(
        sdk_app_id in any::<u64>(),
        key in any::<String>(),
        identifier in any::<String>(),
        issued_at in any::<u64>(),
        expire_seconds in any::<u64>(),
        userbuf in prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
    ) {
        let key = SecretKey::from(key);
        let user_sig = match &userbuf {
            Some(bytes) => {
                generate_with_userbuf(sdk_app_id, &key, &identifier, expire_seconds, issued_at, bytes)
            }
            None => crate::generate(sdk_app_id, &key, &identifier, expire_seconds, issued_at),
        };
        let expected = UserSigClaims { identifier: identifier.clone(), sdk_app_id, issued_at, expire_seconds, userbuf };
        prop_assert_eq!(verify(&user_sig, sdk_app_id, &identifier, &key, issued_at), Ok(expected.clone()));
        prop_assert_eq!(verify(&user_sig, sdk_app_id, &identifier, &key, expected.expires_at()), Ok(expected.clone()));
        prop_assert_eq!(decode_unverified(&user_sig), Ok(expected));
    }
}
