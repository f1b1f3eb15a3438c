//! R4, the authorization matrix: every operation of `mynah_proto::requests::Request` × every kind of
//! actor. Each cell runs on its own fresh server, so no cell depends on another's side effects.
//!
//! The world of every cell: in app 1, `alice` owns the work group `g-work` and the meeting group
//! `g-meet`, `bob` is a member of both, and alice has sent bob a C2C message and the work group a
//! message, each carrying a secret marker. `carol` is in no group. App 2 has its own `alice`.
//!
//! To add an operation, add a row to [`rows`]; to add an actor, add a variant to [`Actor`] and a
//! column to every row. A row states the outcome expected of each actor, in [`ACTORS`] order.
//! [`the_matrix_covers_every_operation`] fails while an operation of the protocol has no row; a row
//! for an operation the protocol does not have (yet) is skipped.

use futures_util::StreamExt;
use mynah_client::text_message;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::GroupType;
use mynah_proto::requests::{CreateGroupRequest, InitialMember};
use mynah_test_support::{APP_ID, APP_KEY, OTHER_APP_ID, OTHER_APP_KEY, TestServer, user_sig};
use serde_json::{Value, json};

use crate::reliability::raw::RawSession;

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Actor {
    /// `alice`: the groups' owner, and the sender of the C2C message.
    Owner,
    /// `bob`: a member of both groups, and the receiver of the C2C message.
    Member,
    /// `carol`: same app, in no group, party to no conversation.
    NonMember,
    /// `alice` of the other app: same userID, different tenant.
    OtherApp,
    /// `alice` with an expired UserSig: never logged in.
    Expired,
}

const ACTORS: [Actor; 5] = [Actor::Owner, Actor::Member, Actor::NonMember, Actor::OtherApp, Actor::Expired];

/// What a cell must do.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// Succeeds (code 0).
    Allowed,
    /// Succeeds, and shows none of app 1's private data (the markers, the work group).
    Isolated,
    /// Fails with this Tencent code.
    Denied(u64),
}

use Expect::{Allowed, Denied, Isolated};

const NOT_LOGGED_IN: Expect = Denied(2024);
const NO_PERMISSION: Expect = Denied(10007);
const GROUP_NOT_FOUND: Expect = Denied(10010);
const MESSAGE_NOT_FOUND: Expect = Denied(20026);

const C2C_SECRET: &str = "c2c-secret-marker";
const GROUP_SECRET: &str = "group-secret-marker";
const WORK_GROUP: &str = "g-work";
const MEETING_GROUP: &str = "g-meet";
const C2C_MESSAGE_ID: &str = "alice-authzc2c";
const GROUP_MESSAGE_ID: &str = "alice-authzgroup";

/// One operation on one object, and what each actor may do with it.
struct Row {
    name: &'static str,
    op: &'static str,
    data: Value,
    expect: [Expect; 5],
}

fn row(name: &'static str, op: &'static str, data: Value, expect: [Expect; 5]) -> Row {
    Row { name, op, data, expect }
}

fn send(conversation_type: &str, to: &str, key: &str) -> Value {
    json!({"conversationType": conversation_type, "to": to, "clientMsgID": key,
           "msgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello"}}]})
}

/// The matrix. Columns: owner, member, non-member, other app, expired UserSig.
fn rows() -> Vec<Row> {
    vec![
        // `login` itself is the first column's credentials: see `login_is_the_first_gate`.
        row("heartbeat", "heartbeat", json!({}), [Allowed, Allowed, Allowed, Allowed, NOT_LOGGED_IN]),
        row("logout", "logout", json!({}), [Allowed, Allowed, Allowed, Allowed, NOT_LOGGED_IN]),
        // C2C has no membership: anyone may message anyone in their own app.
        row(
            "sendMessage C2C to bob",
            "sendMessage",
            send("C2C", "bob", "k1"),
            [Allowed, Allowed, Allowed, Allowed, NOT_LOGGED_IN],
        ),
        row(
            "sendMessage to the work group",
            "sendMessage",
            send("GROUP", WORK_GROUP, "k2"),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "sendMessage to the meeting group",
            "sendMessage",
            send("GROUP", MEETING_GROUP, "k3"),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // C2C conversation IDs are relative to the viewer: `C2Cbob` is alice↔bob only for alice.
        row(
            "getMessageList C2Cbob",
            "getMessageList",
            json!({"conversationID": "C2Cbob"}),
            [Allowed, Isolated, Isolated, Isolated, NOT_LOGGED_IN],
        ),
        row(
            "getMessageList C2Calice",
            "getMessageList",
            json!({"conversationID": "C2Calice"}),
            [Isolated, Allowed, Isolated, Isolated, NOT_LOGGED_IN],
        ),
        row(
            "getMessageList of the work group",
            "getMessageList",
            json!({"conversationID": format!("GROUP{WORK_GROUP}")}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "findMessage of the C2C message",
            "findMessage",
            json!({"messageID": C2C_MESSAGE_ID}),
            [Allowed, Allowed, MESSAGE_NOT_FOUND, MESSAGE_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "findMessage of the group message",
            "findMessage",
            json!({"messageID": GROUP_MESSAGE_ID}),
            [Allowed, Allowed, MESSAGE_NOT_FOUND, MESSAGE_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "setMessageRead C2Cbob",
            "setMessageRead",
            json!({"conversationID": "C2Cbob"}),
            [Allowed, Isolated, Isolated, Isolated, NOT_LOGGED_IN],
        ),
        row(
            "setMessageRead of the work group",
            "setMessageRead",
            json!({"conversationID": format!("GROUP{WORK_GROUP}")}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "pinConversation C2Cbob",
            "pinConversation",
            json!({"conversationID": "C2Cbob", "isPinned": true}),
            [Allowed, Denied(20001), Denied(20001), Denied(20001), NOT_LOGGED_IN],
        ),
        row(
            "pinConversation of the work group",
            "pinConversation",
            json!({"conversationID": format!("GROUP{WORK_GROUP}"), "isPinned": true}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // The batch operations answer 0 and refuse each conversation the asker does not have in
        // `failureConversationIDList` (its codes: `conversation_attributes` end-to-end tests).
        row(
            "setConversationCustomData C2Cbob",
            "setConversationCustomData",
            json!({"conversationIDList": ["C2Cbob"], "customData": "x"}),
            [Allowed, Isolated, Isolated, Isolated, NOT_LOGGED_IN],
        ),
        row(
            "markConversation C2Cbob",
            "markConversation",
            json!({"conversationIDList": ["C2Cbob"], "markType": 1, "enableMark": true}),
            [Allowed, Isolated, Isolated, Isolated, NOT_LOGGED_IN],
        ),
        row(
            "getConversationList",
            "getConversationList",
            json!({}),
            [Allowed, Allowed, Isolated, Isolated, NOT_LOGGED_IN],
        ),
        row(
            "getConversation C2Cbob",
            "getConversation",
            json!({"conversationID": "C2Cbob"}),
            [Allowed, Isolated, Isolated, Isolated, NOT_LOGGED_IN],
        ),
        row(
            "getConversation of the work group",
            "getConversation",
            json!({"conversationID": format!("GROUP{WORK_GROUP}")}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "getTotalUnreadMessageCount",
            "getTotalUnreadMessageCount",
            json!({}),
            [Allowed, Allowed, Allowed, Allowed, NOT_LOGGED_IN],
        ),
        row("sync from 0", "sync", json!({"position": 0}), [Allowed, Allowed, Isolated, Isolated, NOT_LOGGED_IN]),
        row(
            "createGroup with a new ID",
            "createGroup",
            json!({"type": "Private", "name": "new", "groupID": "g-new"}),
            [Allowed, Allowed, Allowed, Allowed, NOT_LOGGED_IN],
        ),
        // Group IDs are per app: the other app may take the same ID.
        row(
            "createGroup with the work group's ID",
            "createGroup",
            json!({"type": "Private", "name": "clash", "groupID": WORK_GROUP}),
            [Denied(10021), Denied(10021), Denied(10021), Allowed, NOT_LOGGED_IN],
        ),
        row(
            "joinGroup of the work group",
            "joinGroup",
            json!({"groupID": WORK_GROUP}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "joinGroup of the meeting group",
            "joinGroup",
            json!({"groupID": MEETING_GROUP}),
            [Allowed, Allowed, Allowed, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "quitGroup of the work group",
            "quitGroup",
            json!({"groupID": WORK_GROUP}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // Only a work group's owner may quit; others transfer or dismiss.
        row(
            "quitGroup of the meeting group",
            "quitGroup",
            json!({"groupID": MEETING_GROUP}),
            [Denied(10009), Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "dismissGroup of the meeting group",
            "dismissGroup",
            json!({"groupID": MEETING_GROUP}),
            [Allowed, NO_PERMISSION, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // Nobody dismisses a work group through the SDK, its owner included.
        row(
            "dismissGroup of the work group",
            "dismissGroup",
            json!({"groupID": WORK_GROUP}),
            [NO_PERMISSION, NO_PERMISSION, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "getGroupMemberList of the work group",
            "getGroupMemberList",
            json!({"groupID": WORK_GROUP}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "getGroupMemberProfile of the work group",
            "getGroupMemberProfile",
            json!({"groupID": WORK_GROUP, "userIDList": ["alice", "bob"]}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // Any member of a work group adds others; in a meeting group only the owner and admins.
        // (Adding bob, a member already, is allowed and changes nothing.)
        row(
            "addGroupMember to the work group",
            "addGroupMember",
            json!({"groupID": WORK_GROUP, "userIDList": ["bob"]}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "addGroupMember to the meeting group",
            "addGroupMember",
            json!({"groupID": MEETING_GROUP, "userIDList": ["bob"]}),
            [Allowed, NO_PERMISSION, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // Any member of a work group edits its profile; in a meeting group the owner and admins.
        row(
            "updateGroupProfile of the work group",
            "updateGroupProfile",
            json!({"groupID": WORK_GROUP, "name": "renamed"}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "updateGroupProfile of the meeting group",
            "updateGroupProfile",
            json!({"groupID": MEETING_GROUP, "name": "renamed"}),
            [Allowed, NO_PERMISSION, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "setGroupMemberRole bob in the meeting group",
            "setGroupMemberRole",
            json!({"groupID": MEETING_GROUP, "userID": "bob", "role": "Admin"}),
            [Allowed, NO_PERMISSION, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // Work groups have no roles to set (2682), whoever asks among the members.
        row(
            "setGroupMemberRole bob in the work group",
            "setGroupMemberRole",
            json!({"groupID": WORK_GROUP, "userID": "bob", "role": "Admin"}),
            [Denied(2682), Denied(2682), NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "changeGroupOwner of the meeting group to bob",
            "changeGroupOwner",
            json!({"groupID": MEETING_GROUP, "newOwnerID": "bob"}),
            [Allowed, NO_PERMISSION, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // bob, an ordinary member, may not mute; work groups have no muting (10035).
        row(
            "setGroupMemberMuteTime bob in the meeting group",
            "setGroupMemberMuteTime",
            json!({"groupID": MEETING_GROUP, "userID": "bob", "muteTime": 60}),
            [Allowed, NO_PERMISSION, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row(
            "setGroupMemberMuteTime bob in the work group",
            "setGroupMemberMuteTime",
            json!({"groupID": WORK_GROUP, "userID": "bob", "muteTime": 60}),
            [Denied(10035), Denied(10035), NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // Everyone sets its own name card; only the owner (and admins, for members) others'.
        row(
            "setGroupMemberNameCard of bob in the work group",
            "setGroupMemberNameCard",
            json!({"groupID": WORK_GROUP, "userID": "bob", "nameCard": "B"}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // bob removing bob is removing oneself (10004: quitGroup is the way).
        row(
            "deleteGroupMember bob from the work group",
            "deleteGroupMember",
            json!({"groupID": WORK_GROUP, "userIDList": ["bob"]}),
            [Allowed, Denied(10004), NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        row("getGroupList", "getGroupList", json!({}), [Allowed, Allowed, Isolated, Isolated, NOT_LOGGED_IN]),
        row(
            "getGroupProfile of the work group",
            "getGroupProfile",
            json!({"groupID": WORK_GROUP}),
            [Allowed, Allowed, NO_PERMISSION, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // Meeting groups show their profile to anyone in the app (without selfInfo).
        row(
            "getGroupProfile of the meeting group",
            "getGroupProfile",
            json!({"groupID": MEETING_GROUP}),
            [Allowed, Allowed, Allowed, GROUP_NOT_FOUND, NOT_LOGGED_IN],
        ),
        // Profiles are public inside an app; each user changes only its own.
        row(
            "getUserProfile of alice",
            "getUserProfile",
            json!({"userIDList": ["alice"]}),
            [Allowed, Allowed, Allowed, Allowed, NOT_LOGGED_IN],
        ),
        row(
            "updateMyProfile",
            "updateMyProfile",
            json!({"nick": "renamed"}),
            [Allowed, Allowed, Allowed, Allowed, NOT_LOGGED_IN],
        ),
    ]
}

/// The operations the protocol has, from the decoder itself: serde names every variant it expects
/// when it meets an unknown one.
fn protocol_operations() -> Vec<String> {
    let error = mynah_proto::frames::RequestFrame::decode(r#"{"id":1,"op":"noSuchOperation"}"#).unwrap_err();
    let expected = error.reason.split_once("expected one of").expect("serde lists the operations").1;
    expected.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// Every operation the protocol has must appear in the matrix (login is checked separately), so a
/// new operation fails this test until it has a row.
#[test]
fn the_matrix_covers_every_operation() {
    let operations = protocol_operations();
    assert!(operations.len() >= 16, "operations found: {operations:?}");
    let covered: std::collections::BTreeSet<&str> = rows().iter().map(|row| row.op).chain(["login"]).collect();
    let missing: Vec<&String> = operations.iter().filter(|op| !covered.contains(op.as_str())).collect();
    assert!(missing.is_empty(), "the authorization matrix has no row for {missing:?}");
}

/// Builds the world of a cell and returns the server.
async fn world() -> TestServer {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (_bob, _bob_events) = server.client("bob").await;
    for (group_id, group_type) in [(WORK_GROUP, GroupType::Work), (MEETING_GROUP, GroupType::Meeting)] {
        alice
            .create_group(CreateGroupRequest {
                group_type,
                name: "authz".to_owned(),
                group_id: Some(group_id.to_owned()),
                member_list: vec![InitialMember { user_id: "bob".to_owned(), role: None }],
                introduction: String::new(),
                notification: String::new(),
                avatar: String::new(),
                join_option: None,
                max_member_num: None,
            })
            .await
            .expect("create group");
    }
    let mut c2c = text_message(ConversationType::C2c, "bob", C2C_SECRET);
    c2c.client_msg_id = "authzc2c".to_owned();
    alice.send_message(c2c).await.expect("c2c message");
    let mut group = text_message(ConversationType::Group, WORK_GROUP, GROUP_SECRET);
    group.client_msg_id = "authzgroup".to_owned();
    alice.send_message(group).await.expect("group message");
    server
}

/// Logs the actor in (or tries to) on a raw connection.
async fn session_of(server: &TestServer, actor: Actor) -> RawSession {
    match actor {
        Actor::Owner => RawSession::logged_in(server, APP_ID, "alice", &server.user_sig("alice")).await,
        Actor::Member => RawSession::logged_in(server, APP_ID, "bob", &server.user_sig("bob")).await,
        Actor::NonMember => RawSession::logged_in(server, APP_ID, "carol", &server.user_sig("carol")).await,
        Actor::OtherApp => {
            RawSession::logged_in(server, OTHER_APP_ID, "alice", &user_sig(OTHER_APP_ID, OTHER_APP_KEY, "alice", 600))
                .await
        }
        Actor::Expired => {
            let mut session = RawSession::connect(server).await;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let expired = mynah_usersig::generate(APP_ID, &APP_KEY.into(), "alice", 60, now - 3600);
            assert_eq!(session.login(APP_ID, "alice", &expired).await, 70001, "an expired UserSig is refused");
            session
        }
    }
}

/// Runs one cell; returns a description of the mismatch, if any.
async fn run_cell(row: &Row, column: usize) -> Option<String> {
    let actor = ACTORS[column];
    let expect = row.expect[column];
    let server = world().await;
    let mut session = session_of(&server, actor).await;
    let response = session.call(7, row.op, row.data.clone()).await;
    let code = response["code"].as_u64().expect("a code");
    let text = response.to_string();
    let leaked = [C2C_SECRET, GROUP_SECRET, WORK_GROUP].into_iter().find(|secret| text.contains(secret));
    let ok = match expect {
        Allowed => code == 0,
        Isolated => code == 0 && leaked.is_none(),
        Denied(expected) => code == expected,
    };
    (!ok).then(|| {
        format!("{} as {actor:?}: expected {expect:?}, got code {code} (leaked: {leaked:?}): {text}", row.name)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_allowed_cells_of_the_matrix_succeed() {
    let operations = protocol_operations();
    let rows: Vec<Row> = rows().into_iter().filter(|row| operations.iter().any(|op| op == row.op)).collect();
    let cells: Vec<(usize, usize)> =
        (0..rows.len()).flat_map(|row| (0..ACTORS.len()).map(move |column| (row, column))).collect();
    let rows = &rows;
    let mismatches: Vec<String> = futures_util::stream::iter(cells)
        .map(|(row, column)| async move { run_cell(&rows[row], column).await })
        .buffer_unordered(8)
        .filter_map(|mismatch| async move { mismatch })
        .collect()
        .await;
    assert!(
        mismatches.is_empty(),
        "{} cell(s) of the authorization matrix are wrong:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[tokio::test]
async fn login_is_the_first_gate() {
    let server = TestServer::start().await;
    for actor in ACTORS {
        // session_of asserts each login's outcome: 0 for the first four actors, 70001 for the last.
        let mut session = session_of(&server, actor).await;
        let code = session.call(8, "heartbeat", json!({})).await["code"].as_u64();
        let expected = if actor == Actor::Expired { 2024 } else { 0 };
        assert_eq!(code, Some(expected), "{actor:?} after login");
    }
}
