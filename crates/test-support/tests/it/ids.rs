//! IDs on every surface: one rule for userIDs (`validate::user_id`: no invisible, bidirectional or
//! line-separator characters, so look-alike names cannot exist) at login, REST imports, group
//! members and C2C receivers; initial group members need accounts over WebSocket as over REST;
//! and the server's own clientMsgID prefixes cannot be taken by an SDK.

use mynah_client::{ClientOptions, text_message};
use mynah_proto::codes::ErrorCode;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::GroupType;
use mynah_proto::requests::{CreateGroupRequest, InitialMember};
use mynah_test_support::{APP_ID, APP_KEY, TestServer, user_sig};
use serde_json::json;

use crate::rest::Rest;

/// IDs that look like `alice` (or like nothing) but are not.
const LOOK_ALIKES: &[&str] = &[
    "al\u{200B}ice", // zero-width space
    "\u{FEFF}alice", // byte order mark
    "alice\u{202E}", // right-to-left override
    "al\u{2066}ice", // left-to-right isolate
    "alice\u{2028}", // line separator
    "alice\u{00A0}", // no-break space
    "\u{3164}",      // Hangul filler
];

fn create(members: &[&str]) -> CreateGroupRequest {
    CreateGroupRequest {
        group_type: GroupType::Work,
        name: "team".to_owned(),
        group_id: None,
        member_list: members.iter().map(|user| InitialMember { user_id: (*user).to_owned(), role: None }).collect(),
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
        join_option: None,
        max_member_num: None,
    }
}

#[tokio::test]
async fn login_refuses_look_alike_user_ids() {
    let server = TestServer::start().await;
    for user in LOOK_ALIKES {
        let options = ClientOptions::new(server.ws_url(), APP_ID, *user, user_sig(APP_ID, APP_KEY, user, 86_400));
        let refused = server.login(options).await.err().unwrap_or_else(|| panic!("{user:?} logged in"));
        assert_eq!(refused.code(), Some(ErrorCode::ACCOUNT_INVALID_PARAMETER), "{user:?}: {refused:?}");
    }
}

#[tokio::test]
async fn rest_imports_refuse_look_alike_user_ids() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    for user in LOOK_ALIKES {
        rest.fails("im_open_login_svc/account_import", json!({ "UserID": user }), 70402).await;
    }
    let reply =
        rest.ok("im_open_login_svc/multiaccount_import", json!({ "Accounts": ["alice", LOOK_ALIKES[0]] })).await;
    assert_eq!(reply["FailAccounts"], json!([LOOK_ALIKES[0]]));
}

#[tokio::test]
async fn c2c_sends_refuse_look_alike_receivers() {
    let server = TestServer::start().await;
    let (alice, _events) = server.client("alice").await;
    for user in LOOK_ALIKES {
        let refused = alice.send_message(text_message(ConversationType::C2c, user, "hi")).await.unwrap_err();
        assert_eq!(refused.code(), Some(ErrorCode::C2C_INVALID_USER), "{user:?}: {refused:?}");
    }
}

#[tokio::test]
async fn create_group_members_follow_the_id_rule_and_need_accounts_as_over_rest() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (_bob, _bob_events) = server.client("bob").await;
    for user in LOOK_ALIKES {
        let refused = alice.create_group(create(&["bob", user])).await.unwrap_err();
        assert_eq!(refused.code(), Some(ErrorCode::GROUP_INVALID_PARAMETER), "{user:?}: {refused:?}");
    }
    // A member without an account: 10019, as REST `create_group` answers.
    let refused = alice.create_group(create(&["bob", "ghost"])).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::GROUP_ACCOUNT_NOT_FOUND), "{refused:?}");
    let rest = Rest::new(&server);
    let over_rest = json!({ "Owner_Account": "alice", "Type": "Private", "Name": "team", "MemberList": [{ "Member_Account": "ghost" }] });
    rest.fails("group_open_http_svc/create_group", over_rest, 10019).await;
    // Once imported, the same member is accepted.
    rest.import(&["ghost"]).await;
    let group = alice.create_group(create(&["bob", "ghost"])).await.unwrap();
    assert_eq!(group.member_count, 3);
}

#[tokio::test]
async fn sdk_sends_cannot_take_the_servers_own_client_msg_id_prefixes() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (_bob, _bob_events) = server.client("bob").await;
    let group = alice.create_group(create(&["bob"])).await.unwrap();
    for (conversation_type, to) in [(ConversationType::C2c, "bob"), (ConversationType::Group, group.group_id.as_str())]
    {
        for id in ["rest_1_0_0123456789abcdef", "import_1_0_0123456789abcdef"] {
            let mut request = text_message(conversation_type, to, "pre-empted");
            request.client_msg_id = id.to_owned();
            let refused = alice.send_message(request).await.unwrap_err();
            assert_eq!(refused.code(), Some(ErrorCode::C2C_INVALID_REQUEST), "{id}: {refused:?}");
        }
    }
    // The backend's send in alice's name is stored, not taken for a duplicate.
    let rest = Rest::new(&server);
    let send = json!({ "From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": crate::rest::text("from the backend") });
    let reply = rest.ok("openim/sendmsg", send).await;
    assert!(reply["MsgKey"].as_str().is_some_and(|key| key.starts_with("1_")), "{reply}");
}
