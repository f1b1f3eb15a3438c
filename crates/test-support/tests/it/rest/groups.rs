//! `group_open_http_svc`, groups and members: what the administrator does reaches every member's
//! SDK as change-stream entries (joins, leaves with a system notice, dismissals, custom notices).

use std::time::Duration;

use mynah_proto::objects::{Change, MemberRole};
use mynah_test_support::TestServer;
use serde_json::{Value, json};

use super::{ADMIN, Rest, next_change_where};

fn members(reply: &Value) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = reply["GroupInfo"][0]["MemberList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| {
            (member["Member_Account"].as_str().unwrap().to_owned(), member["Role"].as_str().unwrap().to_owned())
        })
        .collect();
    list.sort();
    list
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(user, role)| ((*user).to_owned(), (*role).to_owned())).collect()
}

#[tokio::test]
async fn an_administrator_creates_fills_and_empties_a_group() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (bob, mut bob_events) = server.client("bob").await;
    let (_carol, mut carol_events) = server.client("carol").await;
    let (_dave, mut dave_events) = server.client("dave").await;

    // No Owner_Account: the administrator owns the group.
    let created = rest
        .ok("group_open_http_svc/create_group", json!({ "Type": "Public", "Name": "club", "MemberList": [{ "Member_Account": "bob" }, { "Member_Account": "carol", "Role": "Admin" }] }))
        .await;
    let group_id = created["GroupId"].as_str().unwrap().to_owned();
    assert!(group_id.starts_with("@TGS#"));
    let joined = next_change_where(&mut bob_events, |change| matches!(change, Change::GroupJoined { .. })).await;
    let Change::GroupJoined { group, read_counted_index, .. } = joined.change else { unreachable!() };
    assert_eq!(read_counted_index, 0, "a new group has counted nothing");
    assert_eq!((group.group_id.as_str(), group.owner_id.as_str(), group.member_count), (group_id.as_str(), ADMIN, 3));
    assert_eq!(group.self_info.unwrap().role, MemberRole::Member);
    next_change_where(&mut carol_events, |change| matches!(change, Change::GroupJoined { .. })).await;

    let info = rest.ok("group_open_http_svc/get_group_info", json!({ "GroupIdList": [group_id, "@TGS#nope"] })).await;
    assert_eq!(info["GroupInfo"][0]["Owner_Account"], ADMIN);
    assert_eq!(info["GroupInfo"][0]["Type"], "Public");
    assert_eq!(info["GroupInfo"][0]["MemberNum"], 3);
    assert_eq!(members(&info), pairs(&[(ADMIN, "Owner"), ("bob", "Member"), ("carol", "Admin")]));
    assert_eq!(info["GroupInfo"][1]["ErrorCode"], 10010);

    let added = rest
        .ok("group_open_http_svc/add_group_member", json!({ "GroupId": group_id, "MemberList": [{ "Member_Account": "dave" }, { "Member_Account": "bob" }, { "Member_Account": "ghost" }] }))
        .await;
    assert_eq!(
        added["MemberList"],
        json!([{ "Member_Account": "dave", "Result": 1 }, { "Member_Account": "bob", "Result": 2 }, { "Member_Account": "ghost", "Result": 0 }])
    );
    next_change_where(&mut dave_events, |change| matches!(change, Change::GroupJoined { .. })).await;

    rest.ok(
        "group_open_http_svc/delete_group_member",
        json!({ "GroupId": group_id, "MemberToDel_Account": ["bob"], "Reason": "spam" }),
    )
    .await;
    let left = next_change_where(&mut bob_events, |change| matches!(change, Change::GroupLeft { .. })).await;
    assert_eq!(left.change, Change::GroupLeft { group_id: group_id.clone() });
    let notice = next_change_where(&mut bob_events, |change| matches!(change, Change::GroupSystemNotice { .. })).await;
    let Change::GroupSystemNotice { group_name, operation_type, operator_id, user_defined_field, .. } = notice.change
    else {
        unreachable!()
    };
    assert_eq!(
        (group_name.as_str(), operation_type, operator_id.as_str(), user_defined_field.as_str()),
        ("club", 4, ADMIN, "spam")
    );
    assert_eq!(bob.get_group_list().await.unwrap(), vec![]);
    rest.fails(
        "group_open_http_svc/delete_group_member",
        json!({ "GroupId": group_id, "MemberToDel_Account": [ADMIN] }),
        10004,
    )
    .await;

    let joined = rest
        .ok("group_open_http_svc/get_joined_group_list", json!({ "Member_Account": "dave", "ResponseFilter": { "GroupBaseInfoFilter": ["Name", "MemberNum"], "SelfInfoFilter": ["Role"] } }))
        .await;
    assert_eq!(joined["TotalCount"], 1);
    let entry = &joined["GroupIdList"][0];
    assert_eq!(
        (entry["GroupId"].as_str(), entry["Name"].as_str(), entry["MemberNum"].as_u64()),
        (Some(group_id.as_str()), Some("club"), Some(3))
    );
    assert_eq!(entry["SelfInfo"]["Role"], "Member");
    assert!(entry.get("Introduction").is_none(), "only the asked fields: {entry}");
    let none = rest
        .ok("group_open_http_svc/get_joined_group_list", json!({ "Member_Account": "dave", "GroupType": "Private" }))
        .await;
    assert_eq!((none["TotalCount"].clone(), none["GroupIdList"].clone()), (json!(0), json!([])));
}

#[tokio::test]
async fn notices_and_dismissal_reach_the_members() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    let (alice, mut alice_events) = server.client("alice").await;
    let (_bob, mut bob_events) = server.client("bob").await;
    let created = rest
        .ok("group_open_http_svc/create_group", json!({ "Owner_Account": "alice", "Type": "Private", "Name": "team", "GroupId": "team1", "MemberList": [{ "Member_Account": "bob" }] }))
        .await;
    assert_eq!(created["GroupId"], "team1");
    assert_eq!(alice.get_group_profile("team1").await.unwrap().owner_id, "alice");

    rest.ok(
        "group_open_http_svc/send_group_system_notification",
        json!({ "GroupId": "team1", "ToMembers_Account": ["bob"], "Content": "meeting at 5" }),
    )
    .await;
    let notice = next_change_where(&mut bob_events, |change| matches!(change, Change::GroupSystemNotice { .. })).await;
    let Change::GroupSystemNotice { operation_type, user_defined_field, group_id, .. } = notice.change else {
        unreachable!()
    };
    assert_eq!((operation_type, user_defined_field.as_str(), group_id.as_str()), (255, "meeting at 5", "team1"));
    rest.ok("group_open_http_svc/send_group_system_notification", json!({ "GroupId": "team1", "Content": "everyone" }))
        .await;
    let notice =
        next_change_where(&mut alice_events, |change| matches!(change, Change::GroupSystemNotice { .. })).await;
    assert!(
        matches!(notice.change, Change::GroupSystemNotice { user_defined_field, .. } if user_defined_field == "everyone")
    );

    rest.ok("group_open_http_svc/destroy_group", json!({ "GroupId": "team1" })).await;
    for events in [&mut alice_events, &mut bob_events] {
        let dismissed = next_change_where(events, |change| matches!(change, Change::GroupDismissed { .. })).await;
        let Change::GroupDismissed { group_id, group_name, operator_id, .. } = dismissed.change else { unreachable!() };
        assert_eq!((group_id.as_str(), group_name.as_str(), operator_id.as_str()), ("team1", "team", ADMIN));
    }
    assert_eq!(alice.get_group_list().await.unwrap(), vec![]);
    let info = rest.ok("group_open_http_svc/get_group_info", json!({ "GroupIdList": ["team1"] })).await;
    assert_eq!(info["GroupInfo"][0]["ErrorCode"], 10010);
    rest.fails("group_open_http_svc/destroy_group", json!({ "GroupId": "team1" }), 10010).await;
    // The ID is free again.
    rest.ok("group_open_http_svc/create_group", json!({ "Type": "Private", "Name": "again", "GroupId": "team1" }))
        .await;
    alice_events.expect_quiet(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn bad_group_requests_get_the_group_codes() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice"]).await;
    let cases = [
        (json!({ "Name": "x" }), 10004),
        (json!({ "Type": "Public" }), 10004),
        (json!({ "Type": "Square", "Name": "x" }), 10004),
        (json!({ "Type": "Public", "Name": "x", "ApplyJoinOption": "Whenever" }), 10004),
        (
            json!({ "Type": "Public", "Name": "x", "MemberList": [{ "Member_Account": "alice", "Role": "Boss" }] }),
            10004,
        ),
        (json!({ "Type": "Public", "Name": "x", "Owner_Account": "ghost" }), 10019),
        (json!({ "Type": "Public", "Name": "x", "MemberList": [{ "Member_Account": "ghost" }] }), 10019),
        (json!({ "Type": "AVChatRoom", "Name": "x" }), 10035),
        (json!({ "Type": "Public", "Name": "x", "GroupId": "@TGS#mine" }), 10015),
    ];
    for (request, code) in cases {
        rest.fails("group_open_http_svc/create_group", request, code).await;
    }
    rest.ok("group_open_http_svc/create_group", json!({ "Type": "Public", "Name": "x", "GroupId": "g1" })).await;
    rest.fails("group_open_http_svc/create_group", json!({ "Type": "Public", "Name": "y", "GroupId": "g1" }), 10021)
        .await;

    rest.fails("group_open_http_svc/get_group_info", json!({ "GroupIdList": [] }), 10004).await;
    let fifty_one: Vec<String> = (0..51).map(|index| format!("g{index}")).collect();
    rest.fails("group_open_http_svc/get_group_info", json!({ "GroupIdList": fifty_one }), 10004).await;
    let member = |user: String| json!({ "Member_Account": user });
    let too_many: Vec<Value> = (0..301).map(|index| member(format!("user{index}"))).collect();
    rest.fails("group_open_http_svc/add_group_member", json!({ "GroupId": "g1", "MemberList": too_many }), 10004).await;
    rest.fails(
        "group_open_http_svc/add_group_member",
        json!({ "GroupId": "nope", "MemberList": [member("alice".into())] }),
        10010,
    )
    .await;
    rest.fails("group_open_http_svc/add_group_member", json!({ "MemberList": [member("alice".into())] }), 10004).await;
    let hundred_one: Vec<String> = (0..101).map(|index| format!("user{index}")).collect();
    rest.fails(
        "group_open_http_svc/delete_group_member",
        json!({ "GroupId": "g1", "MemberToDel_Account": hundred_one }),
        10004,
    )
    .await;
    rest.fails(
        "group_open_http_svc/delete_group_member",
        json!({ "GroupId": "nope", "MemberToDel_Account": ["alice"] }),
        10010,
    )
    .await;
    rest.fails("group_open_http_svc/destroy_group", json!({}), 10004).await;
    rest.fails("group_open_http_svc/get_joined_group_list", json!({}), 10004).await;
    rest.fails(
        "group_open_http_svc/get_joined_group_list",
        json!({ "Member_Account": "alice", "GroupType": "Square" }),
        10004,
    )
    .await;
    rest.fails("group_open_http_svc/send_group_system_notification", json!({ "GroupId": "g1" }), 10004).await;
    rest.fails(
        "group_open_http_svc/send_group_system_notification",
        json!({ "GroupId": "g1", "Content": "x".repeat(12 * 1024 + 1) }),
        10004,
    )
    .await;
    rest.fails(
        "group_open_http_svc/send_group_system_notification",
        json!({ "GroupId": "nope", "Content": "x" }),
        10010,
    )
    .await;
    let too_many: Vec<String> = (0..501).map(|index| format!("user{index}")).collect();
    let notice = json!({ "GroupId": "g1", "ToMembers_Account": too_many, "Content": "x" });
    rest.fails("group_open_http_svc/send_group_system_notification", notice, 10004).await;
    rest.fails("group_open_http_svc/delete_group_member", json!({ "GroupId": "g1", "MemberToDel_Account": [] }), 10004)
        .await;

    // A full group takes nobody more, and nobody is added then.
    rest.import(&["bob", "carol"]).await;
    let small = json!({ "Type": "Public", "Name": "small", "GroupId": "small", "MaxMemberCount": 2 });
    rest.ok("group_open_http_svc/create_group", small).await;
    let both = json!({ "GroupId": "small", "MemberList": [member("bob".into()), member("carol".into())] });
    rest.fails("group_open_http_svc/add_group_member", both, 10014).await;
    let info = rest.ok("group_open_http_svc/get_group_info", json!({ "GroupIdList": ["small"] })).await;
    assert_eq!(info["GroupInfo"][0]["MemberNum"], 1);
    assert_eq!(info["GroupInfo"][0]["MaxMemberNum"], 2);
}
