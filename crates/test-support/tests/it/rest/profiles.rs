//! Profiles: `portrait_set`/`portrait_get` over REST and `getUserProfile`/`updateMyProfile` over the
//! SDK see the same fields; a change reaches the owner's sessions as `profileUpdated`.

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::Change;
use mynah_proto::profiles::{ProfileCustomField, ProfileValue, UpdateMyProfileRequest};
use mynah_proto::requests::Platform;
use mynah_test_support::TestServer;
use serde_json::json;

use super::{Rest, next_change_where};

#[tokio::test]
async fn an_administrator_sets_a_profile_the_sdk_reads() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (alice, mut alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;

    let items = json!([
        { "Tag": "Tag_Profile_IM_Nick", "Value": "Alice" },
        { "Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female" },
        { "Tag": "Tag_Profile_IM_Level", "Value": 7 },
        { "Tag": "Tag_Profile_Custom_color", "Value": "blue" }
    ]);
    rest.ok("profile/portrait_set", json!({ "From_Account": "alice", "ProfileItem": items })).await;
    let updated = next_change_where(&mut alice_events, |change| matches!(change, Change::ProfileUpdated { .. })).await;
    let Change::ProfileUpdated { profile } = updated.change else { unreachable!() };
    assert_eq!(
        (profile.user_id.as_str(), profile.nick.as_str(), profile.gender.as_str(), profile.level),
        ("alice", "Alice", "Gender_Type_Female", 7)
    );
    assert_eq!(
        profile.profile_custom_field,
        vec![ProfileCustomField { key: "Tag_Profile_Custom_color".into(), value: ProfileValue::Text("blue".into()) }]
    );

    let seen = bob.get_user_profile(&["alice", "ghost", "bob"]).await.unwrap();
    assert_eq!(seen.len(), 2, "ghost has no account");
    assert_eq!(seen[0], *profile);
    assert_eq!(
        (seen[1].user_id.as_str(), seen[1].nick.as_str(), seen[1].allow_type.as_str()),
        ("bob", "", "AllowType_Type_NeedConfirm")
    );
    assert_eq!(alice.get_my_profile().await.unwrap(), *profile);

    let got = rest
        .ok(
            "profile/portrait_get",
            json!({ "To_Account": ["alice", "ghost"], "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_IM_Level"] }),
        )
        .await;
    assert_eq!(
        got["UserProfileItem"][0],
        json!({ "To_Account": "alice", "ResultCode": 0, "ResultInfo": "", "ProfileItem": [
            { "Tag": "Tag_Profile_IM_Level", "Value": 7 }, { "Tag": "Tag_Profile_IM_Nick", "Value": "Alice" }
        ] })
    );
    assert_eq!(got["UserProfileItem"][1]["ResultCode"], 40003);
    assert_eq!(got["Fail_Account"], json!(["ghost"]));
}

#[tokio::test]
async fn update_my_profile_reaches_the_users_other_sessions() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (phone, _phone_events) = server.client_on("alice", Platform::Android).await;
    let (_web, mut web_events) = server.client_on("alice", Platform::Web).await;

    let update = UpdateMyProfileRequest {
        nick: Some("Ally".into()),
        self_signature: Some("hi".into()),
        birthday: Some(20000101),
        profile_custom_field: vec![ProfileCustomField {
            key: "Tag_Profile_Custom_rank".into(),
            value: ProfileValue::Integer(3),
        }],
        ..UpdateMyProfileRequest::default()
    };
    let profile = phone.update_my_profile(update).await.unwrap();
    assert_eq!((profile.nick.as_str(), profile.self_signature.as_str(), profile.birthday), ("Ally", "hi", 20000101));
    assert!(profile.last_updated_time > 0);
    let updated = next_change_where(&mut web_events, |change| matches!(change, Change::ProfileUpdated { .. })).await;
    assert_eq!(updated.change, Change::ProfileUpdated { profile: Box::new(profile.clone()) });
    let got = rest.ok("profile/portrait_get", json!({ "To_Account": ["alice"] })).await;
    let items = got["UserProfileItem"][0]["ProfileItem"].as_array().unwrap().clone();
    assert!(items.contains(&json!({ "Tag": "Tag_Profile_Custom_rank", "Value": 3 })), "{items:?}");
    assert!(items.contains(&json!({ "Tag": "Tag_Profile_IM_Nick", "Value": "Ally" })), "{items:?}");

    let bad_gender = UpdateMyProfileRequest { gender: Some("male".into()), ..UpdateMyProfileRequest::default() };
    assert_eq!(phone.update_my_profile(bad_gender).await.unwrap_err().code(), Some(ErrorCode(40605)));
    assert_eq!(
        phone.update_my_profile(UpdateMyProfileRequest::default()).await.unwrap_err().code(),
        Some(ErrorCode(40001))
    );
    // getUserProfile reads at most 100 accounts and drops the rest, as the SDK documents.
    let mut many: Vec<String> = (0..100).map(|index| format!("user{index}")).collect();
    many.push("alice".to_owned());
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert!(phone.get_user_profile(&many).await.unwrap().is_empty(), "the 101st account is dropped");
    let mut first: Vec<&str> = vec!["alice"];
    first.extend(&many[..100]);
    assert_eq!(phone.get_user_profile(&first).await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_profile_requests_get_the_profile_codes() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice"]).await;
    let set = |tag: &str, value: serde_json::Value| json!({ "From_Account": "alice", "ProfileItem": [{ "Tag": tag, "Value": value }] });
    let cases = [
        (json!({ "ProfileItem": [{ "Tag": "Tag_Profile_IM_Nick", "Value": "x" }] }), 40001),
        (json!({ "From_Account": "alice", "ProfileItem": [] }), 40001),
        (set("Tag_Profile_IM_Nope", json!("x")), 40009),
        (set("Tag_Profile_Custom_waytoolong", json!("x")), 40009),
        (set("Tag_Profile_IM_Nick", json!(5)), 40605),
        (set("Tag_Profile_IM_Level", json!("high")), 40605),
        (set("Tag_Profile_IM_Level", json!(-1)), 40605),
        (set("Tag_Profile_IM_AllowType", json!("AllowType_Type_Maybe")), 40605),
        (set("Tag_Profile_IM_Nick", json!("n".repeat(501))), 40601),
        (set("Tag_Profile_IM_Location", json!("l".repeat(17))), 40601),
        (json!({ "From_Account": "ghost", "ProfileItem": [{ "Tag": "Tag_Profile_IM_Nick", "Value": "x" }] }), 40003),
    ];
    for (request, code) in cases {
        rest.fails("profile/portrait_set", request, code).await;
    }
    rest.fails("profile/portrait_get", json!({ "To_Account": [] }), 40001).await;
    let many: Vec<String> = (0..101).map(|index| format!("user{index}")).collect();
    rest.fails("profile/portrait_get", json!({ "To_Account": many }), 40001).await;
}
