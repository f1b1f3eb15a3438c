//! `im_open_login_svc`: importing, checking and deleting accounts, and kicking a user's sessions.

use mynah_proto::codes::KickReason;
use mynah_proto::requests::Platform;
use mynah_test_support::TestServer;
use serde_json::{Value, json};

use super::Rest;

async fn statuses(rest: &Rest, users: &[&str]) -> Vec<String> {
    let items: Vec<Value> = users.iter().map(|user| json!({ "UserID": user })).collect();
    let reply = rest.ok("im_open_login_svc/account_check", json!({ "CheckItem": items })).await;
    reply["ResultItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            assert_eq!(item["ResultCode"], 0);
            format!("{}:{}", item["UserID"].as_str().unwrap(), item["AccountStatus"].as_str().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn imported_and_logged_in_users_exist_until_deleted() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    assert_eq!(statuses(&rest, &["alice", "bob"]).await, ["alice:NotImported", "bob:NotImported"]);

    rest.ok(
        "im_open_login_svc/account_import",
        json!({ "UserID": "alice", "Nick": "Alice", "FaceUrl": "https://a.example/a.png" }),
    )
    .await;
    // Logging in through the SDK records the account too.
    let (_bob, _bob_events) = server.client("bob").await;
    let reply =
        rest.ok("im_open_login_svc/multiaccount_import", json!({ "Accounts": ["carol", "bad\u{1}id", "carol"] })).await;
    assert_eq!(reply["FailAccounts"], json!(["bad\u{1}id"]));
    assert_eq!(
        statuses(&rest, &["alice", "bob", "carol", "dave"]).await,
        ["alice:Imported", "bob:Imported", "carol:Imported", "dave:NotImported"]
    );

    // The nickname and avatar of the import are the profile's.
    let profile = rest
        .ok(
            "profile/portrait_get",
            json!({ "To_Account": ["alice"], "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_IM_Image"] }),
        )
        .await;
    assert_eq!(
        profile["UserProfileItem"][0]["ProfileItem"],
        json!([{ "Tag": "Tag_Profile_IM_Image", "Value": "https://a.example/a.png" }, { "Tag": "Tag_Profile_IM_Nick", "Value": "Alice" }])
    );

    let reply = rest
        .ok("im_open_login_svc/account_delete", json!({ "DeleteItem": [{ "UserID": "alice" }, { "UserID": "dave" }] }))
        .await;
    assert_eq!(reply["ResultItem"][0], json!({ "UserID": "alice", "ResultCode": 0, "ResultInfo": "" }));
    assert_eq!(reply["ResultItem"][1]["ResultCode"], 70107, "dave never existed");
    assert_eq!(statuses(&rest, &["alice", "carol"]).await, ["alice:NotImported", "carol:Imported"]);
}

#[tokio::test]
async fn account_requests_out_of_bounds_are_refused() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.fails("im_open_login_svc/account_import", json!({}), 70402).await;
    rest.fails("im_open_login_svc/account_import", json!({ "UserID": "x".repeat(33) }), 70402).await;
    rest.fails("im_open_login_svc/account_import", json!({ "UserID": "alice", "Nick": "n".repeat(501) }), 40601).await;
    let many: Vec<String> = (0..101).map(|index| format!("user{index}")).collect();
    rest.fails("im_open_login_svc/multiaccount_import", json!({ "Accounts": many }), 70402).await;
    rest.fails("im_open_login_svc/multiaccount_import", json!({ "Accounts": [] }), 70402).await;
    rest.fails("im_open_login_svc/account_check", json!({ "CheckItem": [] }), 70402).await;
    let items: Vec<Value> = (0..101).map(|index| json!({ "UserID": format!("user{index}") })).collect();
    rest.fails("im_open_login_svc/account_delete", json!({ "DeleteItem": items }), 70402).await;
    rest.fails("im_open_login_svc/kick", json!({}), 60003).await;
}

#[tokio::test]
async fn kick_ends_every_session_with_the_rest_reason() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (_web, mut web_events) = server.client_on("alice", Platform::Web).await;
    let (_android, mut android_events) = server.client_on("alice", Platform::Android).await;
    let (bob, _bob_events) = server.client("bob").await;

    let online = rest.ok("openim/query_online_status", json!({ "To_Account": ["alice"], "IsNeedDetail": 1 })).await;
    assert_eq!(online["QueryResult"][0]["Status"], "Online");
    rest.ok("im_open_login_svc/kick", json!({ "UserID": "alice" })).await;
    assert_eq!(web_events.next_close().await.0, Some(KickReason::RestApi));
    assert_eq!(android_events.next_close().await.0, Some(KickReason::RestApi));
    bob.heartbeat().await.expect("other users stay connected");
}

#[tokio::test]
async fn account_delete_ends_the_users_sessions_like_kick() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (_web, mut web_events) = server.client_on("alice", Platform::Web).await;
    let (_android, mut android_events) = server.client_on("alice", Platform::Android).await;
    let (bob, _bob_events) = server.client("bob").await;

    rest.ok("im_open_login_svc/account_delete", json!({ "DeleteItem": [{ "UserID": "alice" }] })).await;
    assert_eq!(web_events.next_close().await.0, Some(KickReason::RestApi));
    assert_eq!(android_events.next_close().await.0, Some(KickReason::RestApi));
    bob.heartbeat().await.expect("other users stay connected");
}
