//! REST authentication and framing: who may call, with which UserSig, how often, with what body.

use mynah_test_support::{APP_ID, APP_KEY, OTHER_APP_ID, TestServer, user_sig};
use serde_json::json;

use super::{ADMIN, Rest, admin_user_sig};

#[tokio::test]
async fn the_administrator_is_accepted_with_a_usersig_from_the_official_generator() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    // `Rest::new` signed with the official npm generator when the tool is set; this call proves the
    // server verifies Tencent's own UserSigs.
    let reply = rest.ok("im_open_login_svc/account_check", json!({ "CheckItem": [{ "UserID": ADMIN }] })).await;
    assert_eq!(reply["ResultItem"][0]["AccountStatus"], "Imported", "the administrator always exists");
    if let Ok(tool) = std::env::var("MYNAH_OFFICIAL_USERSIG_TOOL") {
        // Tencent's UserSig and Mynah's for the same administrator both verify.
        let official = super::official_user_sig(&tool, ADMIN);
        let ours = user_sig(APP_ID, APP_KEY, ADMIN, 86_400);
        for sig in [official, ours] {
            let query = format!("sdkappid={APP_ID}&identifier={ADMIN}&usersig={sig}");
            let reply =
                rest.raw("im_open_login_svc/account_check", &query, r#"{"CheckItem":[{"UserID":"x"}]}"#.into()).await;
            assert_eq!(reply["ErrorCode"], 0, "{reply}");
        }
    }
}

#[tokio::test]
async fn bad_credentials_get_tencents_codes() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let body = || r#"{"CheckItem":[{"UserID":"alice"}]}"#.to_owned();
    let path = "im_open_login_svc/account_check";
    let sig = admin_user_sig(ADMIN);
    let cases = [
        // No sdkappid at all.
        (format!("identifier={ADMIN}&usersig={sig}"), 60012),
        // An app this server does not serve, and one that is not a number.
        (format!("sdkappid=1400999999&identifier={ADMIN}&usersig={sig}"), 60006),
        (format!("sdkappid=abc&identifier={ADMIN}&usersig={sig}"), 60006),
        // No identifier; a UserSig made for another identifier.
        (format!("sdkappid={APP_ID}&usersig={sig}"), 60004),
        (format!("sdkappid={APP_ID}&identifier=someone&usersig={sig}"), 60004),
        // No UserSig; garbage; a UserSig of another app's key.
        (format!("sdkappid={APP_ID}&identifier={ADMIN}"), 60005),
        (format!("sdkappid={APP_ID}&identifier={ADMIN}&usersig=not-a-usersig"), 60005),
        (
            format!("sdkappid={APP_ID}&identifier={ADMIN}&usersig={}", user_sig(APP_ID, "wrong-key", ADMIN, 86_400)),
            60005,
        ),
        // A valid UserSig of a user who is not the administrator.
        (format!("sdkappid={APP_ID}&identifier=alice&usersig={}", user_sig(APP_ID, APP_KEY, "alice", 86_400)), 60010),
    ];
    for (query, code) in cases {
        let reply = rest.raw(path, &query, body()).await;
        assert_eq!(
            (reply["ActionStatus"].as_str(), reply["ErrorCode"].as_u64()),
            (Some("FAIL"), Some(code)),
            "{query}: {reply}"
        );
    }
    // The other app's administrator is its own app's administrator only.
    let other = user_sig(OTHER_APP_ID, "mynah-other-secret-key", ADMIN, 86_400);
    let reply = rest.raw(path, &format!("sdkappid={APP_ID}&identifier={ADMIN}&usersig={other}"), body()).await;
    assert_eq!(reply["ErrorCode"], 60005, "{reply}");
}

#[tokio::test]
async fn malformed_bodies_get_60003_and_unknown_commands_60009() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let query = format!("sdkappid={APP_ID}&identifier={ADMIN}&usersig={}", admin_user_sig(ADMIN));
    for body in ["{not json", "[1,2]", r#"{"CheckItem":"alice"}"#, r#"{"CheckItem":[{"UserID":5}]}"#] {
        let reply = rest.raw("im_open_login_svc/account_check", &query, body.to_owned()).await;
        // Tencent's table: 60003 is "JSON parsing error"; 60002 is an HTTP/URL parse error.
        assert_eq!(reply["ErrorCode"], 60003, "{body}: {reply}");
    }
    // Tencent's table: 60009 is "request resource error" (an unknown URL); 60001 is not in it.
    for path in ["openim/no_such_command", "no_such_service/sendmsg"] {
        let reply = rest.raw(path, &query, "{}".to_owned()).await;
        assert_eq!(reply["ErrorCode"], 60009, "{path}: {reply}");
    }
}

#[tokio::test]
async fn an_app_over_its_request_rate_gets_60007() {
    let server = TestServer::start_with(|config| config.rest_requests_per_second = 1).await;
    let rest = Rest::new(&server);
    let body = json!({ "CheckItem": [{ "UserID": "alice" }] });
    rest.ok("im_open_login_svc/account_check", body.clone()).await;
    rest.fails("im_open_login_svc/account_check", body, 60007).await;
}

#[tokio::test]
async fn requests_with_bad_signatures_do_not_spend_the_apps_budget() {
    let server = TestServer::start_with(|config| config.rest_requests_per_second = 1).await;
    let rest = Rest::new(&server);
    let forged = format!("sdkappid={APP_ID}&identifier={ADMIN}&usersig={}", user_sig(APP_ID, "not-the-key", ADMIN, 60));
    // Someone who knows only the SDKAppID: each attempt is refused for its signature, never for rate.
    for _ in 0..5 {
        let reply =
            rest.raw("im_open_login_svc/account_check", &forged, r#"{"CheckItem":[{"UserID":"a"}]}"#.into()).await;
        assert_eq!(reply["ErrorCode"], 60005, "{reply}");
    }
    // The administrator still has the whole budget.
    let body = json!({ "CheckItem": [{ "UserID": "alice" }] });
    rest.ok("im_open_login_svc/account_check", body.clone()).await;
    rest.fails("im_open_login_svc/account_check", body, 60007).await;
}

#[tokio::test]
async fn an_address_that_keeps_failing_authentication_is_refused_before_verification() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let forged = format!("sdkappid={APP_ID}&identifier={ADMIN}&usersig=not-a-usersig");
    let body = || r#"{"CheckItem":[{"UserID":"a"}]}"#.to_owned();
    // 60 failures per minute per address are allowed in a burst (one more each second after).
    let mut refused_after = None;
    for attempt in 1..=120 {
        let reply = rest.raw("im_open_login_svc/account_check", &forged, body()).await;
        match reply["ErrorCode"].as_u64() {
            Some(60005) => continue,
            Some(60007) => {
                refused_after = Some(attempt);
                break;
            }
            _ => panic!("{reply}"),
        }
    }
    let refused_after = refused_after.expect("the failures are bounded");
    assert!(refused_after > 60, "the first 60 failures are verified and answered 60005, not {refused_after}");
}
