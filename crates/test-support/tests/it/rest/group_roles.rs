//! `group_open_http_svc`, ownership, roles and mutes: what the administrator changes through REST is
//! what the members' SDKs see (owner, roles, a muted member's refused send), and every documented
//! bad input gets its code.

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::{Change, MemberRole};
use mynah_test_support::TestServer;
use serde_json::{Value, json};

use super::{Rest, next_change_where, now_seconds};

async fn create(rest: &Rest, group_type: &str, group_id: &str, owner: &str, members: &[&str]) {
    let member_list: Vec<Value> = members.iter().map(|user| json!({ "Member_Account": user })).collect();
    let request = json!({ "Owner_Account": owner, "Type": group_type, "Name": group_id, "GroupId": group_id, "MemberList": member_list });
    rest.ok("group_open_http_svc/create_group", request).await;
}

async fn roles(rest: &Rest, group_id: &str, users: &[&str]) -> Value {
    let reply =
        rest.ok("group_open_http_svc/get_role_in_group", json!({ "GroupId": group_id, "User_Account": users })).await;
    reply["UserIdList"].clone()
}

#[tokio::test]
async fn the_administrator_hands_a_group_to_a_member_and_re_owns_an_ownerless_work_group() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let (_carol, mut carol_events) = server.client("carol").await;
    create(&rest, "Public", "club", "alice", &["bob", "carol"]).await;

    rest.ok("group_open_http_svc/change_group_owner", json!({ "GroupId": "club", "NewOwner_Account": "bob" })).await;
    let updated = next_change_where(
        &mut carol_events,
        |change| matches!(change, Change::GroupUpdated { group } if group.owner_id == "bob"),
    )
    .await;
    let Change::GroupUpdated { group } = updated.change else { unreachable!() };
    assert_eq!(group.group_id, "club");
    let profile = alice.get_group_profile("club").await.unwrap();
    assert_eq!(profile.owner_id, "bob");
    assert_eq!(profile.self_info.unwrap().role, MemberRole::Member, "the old owner is an ordinary member");
    assert_eq!(
        roles(&rest, "club", &["alice", "bob", "carol", "dave"]).await,
        json!([
            { "Member_Account": "alice", "Role": "Member" },
            { "Member_Account": "bob", "Role": "Owner" },
            { "Member_Account": "carol", "Role": "Member" },
            { "Member_Account": "dave", "Role": "NotMember" },
        ])
    );

    // The owner of a work group may quit it, leaving it ownerless; the administrator names a new one.
    create(&rest, "Private", "team", "alice", &["bob"]).await;
    alice.quit_group("team").await.unwrap();
    assert_eq!(bob.get_group_profile("team").await.unwrap().owner_id, "");
    rest.ok("group_open_http_svc/change_group_owner", json!({ "GroupId": "team", "NewOwner_Account": "bob" })).await;
    let profile = bob.get_group_profile("team").await.unwrap();
    assert_eq!((profile.owner_id.as_str(), profile.self_info.unwrap().role), ("bob", MemberRole::Owner));
    assert_eq!(
        roles(&rest, "team", &["bob", "alice"]).await,
        json!([{ "Member_Account": "bob", "Role": "Owner" }, { "Member_Account": "alice", "Role": "NotMember" }])
    );
}

#[tokio::test]
async fn bad_ownership_and_role_requests_get_the_group_codes() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice", "bob", "carol"]).await;
    create(&rest, "Public", "club", "alice", &["bob"]).await;
    let change = "group_open_http_svc/change_group_owner";
    rest.fails(change, json!({ "NewOwner_Account": "bob" }), 10004).await;
    rest.fails(change, json!({ "GroupId": "club" }), 10004).await;
    rest.fails(change, json!({ "GroupId": "club", "NewOwner_Account": "" }), 10004).await;
    rest.fails(change, json!({ "GroupId": "nope", "NewOwner_Account": "bob" }), 10010).await;
    rest.fails(change, json!({ "GroupId": "club", "NewOwner_Account": "carol" }), 10004).await;
    rest.fails(change, json!({ "GroupId": "club", "NewOwner_Account": "ghost" }), 10004).await;
    rest.fails(change, json!({ "GroupId": "club", "NewOwner_Account": "alice" }), 10004).await;
    // Nothing changed.
    assert_eq!(roles(&rest, "club", &["alice"]).await, json!([{ "Member_Account": "alice", "Role": "Owner" }]));

    let ask = "group_open_http_svc/get_role_in_group";
    rest.fails(ask, json!({ "User_Account": ["alice"] }), 10004).await;
    rest.fails(ask, json!({ "GroupId": "club", "User_Account": [] }), 10004).await;
    let too_many: Vec<String> = (0..501).map(|index| format!("user{index}")).collect();
    rest.fails(ask, json!({ "GroupId": "club", "User_Account": too_many }), 10004).await;
    rest.fails(ask, json!({ "GroupId": "nope", "User_Account": ["alice"] }), 10010).await;
}

#[tokio::test]
async fn a_member_muted_over_rest_cannot_send_until_unmuted() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    let (carol, _carol_events) = server.client("carol").await;
    create(&rest, "Public", "club", "alice", &["bob", "carol"]).await;
    next_change_where(&mut bob_events, |change| matches!(change, Change::GroupJoined { .. })).await;

    let before = now_seconds();
    rest.ok(
        "group_open_http_svc/forbid_send_msg",
        json!({ "GroupId": "club", "Members_Account": ["bob"], "MuteTime": 600 }),
    )
    .await;
    // The older field name is accepted too.
    rest.ok(
        "group_open_http_svc/forbid_send_msg",
        json!({ "GroupId": "club", "Members_Account": ["carol"], "ShutUpTime": 60 }),
    )
    .await;
    // The muted member's sessions learn of it from the change stream.
    let updated = next_change_where(&mut bob_events, |change| matches!(change, Change::GroupUpdated { .. })).await;
    assert!(matches!(updated.change, Change::GroupUpdated { group } if group.group_id == "club"));
    let refused = bob.send_group_text("club", "hello").await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::GROUP_MEMBER_MUTED));
    let seen = alice.get_group_member_profile("club", &["bob"]).await.unwrap();
    assert!((before + 600..=now_seconds() + 600).contains(&seen[0].mute_until), "{seen:?}");

    let muted = rest.ok("group_open_http_svc/get_group_muted_account", json!({ "GroupId": "club" })).await;
    assert_eq!(muted["GroupId"], "club");
    let list = muted["ShuttedUinList"].as_array().unwrap();
    let accounts: Vec<&str> = list.iter().map(|entry| entry["Member_Account"].as_str().unwrap()).collect();
    assert_eq!(accounts, ["bob", "carol"]);
    let bob_until = list[0]["ShuttedUntil"].as_u64().unwrap();
    assert!((before + 600..=now_seconds() + 600).contains(&bob_until), "{muted}");
    let carol_until = list[1]["ShuttedUntil"].as_u64().unwrap();
    assert!((before + 60..=now_seconds() + 60).contains(&carol_until), "{muted}");

    // 0 unmutes; the older command name answers the same.
    rest.ok(
        "group_open_http_svc/forbid_send_msg",
        json!({ "GroupId": "club", "Members_Account": ["bob", "carol"], "MuteTime": 0 }),
    )
    .await;
    bob.send_group_text("club", "back").await.unwrap();
    carol.send_group_text("club", "me too").await.unwrap();
    let muted = rest.ok("group_open_http_svc/get_group_shutted_uin", json!({ "GroupId": "club" })).await;
    assert_eq!(muted["ShuttedUinList"], json!([]));
}

#[tokio::test]
async fn bad_mute_requests_get_the_group_codes_and_change_nothing() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice", "bob", "carol"]).await;
    create(&rest, "Public", "club", "alice", &["bob"]).await;
    create(&rest, "Private", "team", "alice", &["bob"]).await;
    let mute = "group_open_http_svc/forbid_send_msg";
    rest.fails(mute, json!({ "Members_Account": ["bob"], "MuteTime": 60 }), 10004).await;
    rest.fails(mute, json!({ "GroupId": "club", "Members_Account": ["bob"] }), 10004).await;
    rest.fails(mute, json!({ "GroupId": "club", "Members_Account": ["bob"], "MuteTime": 4_294_967_296u64 }), 10004)
        .await;
    rest.fails(mute, json!({ "GroupId": "club", "Members_Account": [], "MuteTime": 60 }), 10004).await;
    let too_many: Vec<String> = (0..501).map(|index| format!("user{index}")).collect();
    rest.fails(mute, json!({ "GroupId": "club", "Members_Account": too_many, "MuteTime": 60 }), 10004).await;
    rest.fails(mute, json!({ "GroupId": "nope", "Members_Account": ["bob"], "MuteTime": 60 }), 10010).await;
    // A non-member or the owner among the named refuses the whole request.
    rest.fails(mute, json!({ "GroupId": "club", "Members_Account": ["bob", "carol"], "MuteTime": 60 }), 10004).await;
    rest.fails(mute, json!({ "GroupId": "club", "Members_Account": ["bob", "alice"], "MuteTime": 60 }), 10007).await;
    // Members of work groups cannot be muted.
    rest.fails(mute, json!({ "GroupId": "team", "Members_Account": ["bob"], "MuteTime": 60 }), 10035).await;
    let muted = rest.ok("group_open_http_svc/get_group_muted_account", json!({ "GroupId": "club" })).await;
    assert_eq!(muted["ShuttedUinList"], json!([]));

    rest.fails("group_open_http_svc/get_group_muted_account", json!({}), 10004).await;
    rest.fails("group_open_http_svc/get_group_muted_account", json!({ "GroupId": "nope" }), 10010).await;
}
