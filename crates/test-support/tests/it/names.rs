//! Names and avatars on messages and conversations: a message carries its sender's nick and avatar
//! as they were when it was sent (in the push, the send result, history and the conversation list),
//! whoever sends it (the SDK, the REST API, an import), and a C2C conversation carries the peer's
//! profile as it is now.

use mynah_client::{Client, text_message};
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::{GroupType, Message};
use mynah_proto::profiles::UpdateMyProfileRequest;
use mynah_proto::requests::{CreateGroupRequest, InitialMember};
use mynah_test_support::TestServer;
use serde_json::json;

use crate::delivery::page;
use crate::rest::{Rest, text};

const AVATAR: &str = "https://example.com/alice.png";

async fn set_names(client: &Client, nick: &str, avatar: Option<&str>) {
    let update = UpdateMyProfileRequest {
        nick: Some(nick.to_owned()),
        avatar: avatar.map(str::to_owned),
        ..UpdateMyProfileRequest::default()
    };
    client.update_my_profile(update).await.unwrap();
}

fn names(message: &Message) -> (&str, &str, &str) {
    (message.nick.as_str(), message.avatar.as_str(), message.name_card.as_str())
}

async fn history(client: &Client, conversation_id: &str) -> Vec<Message> {
    client.get_message_list(page(conversation_id, None)).await.unwrap().message_list
}

#[tokio::test]
async fn a_message_carries_the_senders_nick_and_avatar_from_when_it_was_sent() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    set_names(&alice, "Alice", Some(AVATAR)).await;

    let sent = alice.send_text("bob", "hello").await.unwrap();
    assert_eq!(names(&sent), ("Alice", AVATAR, ""), "the send result");
    assert_eq!(bob_events.next_message().await, sent, "the push");
    assert_eq!(history(&bob, "C2Calice").await, vec![sent.clone()], "history");
    assert_eq!(bob.find_message(&sent.id).await.unwrap(), sent, "findMessage");

    // A user without a profile sends empty names.
    let reply = bob.send_text("alice", "hi").await.unwrap();
    assert_eq!(names(&reply), ("", "", ""));

    // A later change of profile does not rewrite the messages sent before it.
    set_names(&alice, "Ally", None).await;
    let later = alice.send_text("bob", "again").await.unwrap();
    assert_eq!(names(&later), ("Ally", AVATAR, ""));
    let stored: Vec<(String, String)> =
        history(&bob, "C2Calice").await.iter().map(|message| (message.id.clone(), message.nick.clone())).collect();
    assert_eq!(
        stored,
        vec![(sent.id.clone(), "Alice".to_owned()), (reply.id, String::new()), (later.id.clone(), "Ally".to_owned())]
    );
    let conversation = bob.get_conversation("C2Calice").await.unwrap();
    assert_eq!(conversation.last_message.map(|message| message.nick), Some("Ally".to_owned()));

    assert_eq!(bob_events.next_message().await, later);

    let mut online = text_message(ConversationType::C2c, "bob", "typing");
    online.online_user_only = true;
    let typing = alice.send_message(online).await.unwrap().message;
    assert_eq!(names(&typing), ("Ally", AVATAR, ""), "online-only messages are stamped too");
    assert_eq!(bob_events.next_message().await, typing);
}

#[tokio::test]
async fn group_messages_carry_the_senders_names_and_no_name_card() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, mut bob_events) = server.client("bob").await;
    set_names(&alice, "Alice", Some(AVATAR)).await;
    let request = CreateGroupRequest {
        group_type: GroupType::Work,
        name: "team".to_owned(),
        group_id: Some("g1".to_owned()),
        member_list: vec![InitialMember { user_id: "bob".to_owned(), role: None }],
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
        join_option: None,
        max_member_num: None,
    };
    alice.create_group(request).await.unwrap();

    let sent = alice.send_group_text("g1", "hello team").await.unwrap();
    // Groups have no name cards yet, so `nameCard` is empty.
    assert_eq!(names(&sent), ("Alice", AVATAR, ""));
    let pushed = loop {
        let message = bob_events.next_message().await;
        if message.id == sent.id {
            break message;
        }
    };
    assert_eq!(pushed, sent);
    assert_eq!(history(&bob, "GROUPg1").await, vec![sent.clone()]);

    let list = bob.get_conversation_list().await.unwrap().conversation_list;
    let group = list.iter().find(|conversation| conversation.conversation_id == "GROUPg1").unwrap();
    assert_eq!(group.last_message.as_ref().map(names), Some(("Alice", AVATAR, "")));
    assert_eq!(group.user_profile, None, "a group conversation has no peer profile");
}

#[tokio::test]
async fn a_c2c_conversation_carries_the_peers_profile_as_it_is_now() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let (carol, _carol_events) = server.client("carol").await;
    set_names(&alice, "Alice", Some(AVATAR)).await;
    alice.send_text("bob", "from alice").await.unwrap();
    carol.send_text("bob", "from carol").await.unwrap();
    set_names(&alice, "Ally", None).await;

    let list = bob.get_conversation_list().await.unwrap().conversation_list;
    let profile_of = |conversation_id: &str| {
        let conversation = list.iter().find(|conversation| conversation.conversation_id == conversation_id).unwrap();
        conversation.user_profile.clone().expect("a C2C conversation has the peer's profile")
    };
    let alice_profile = profile_of("C2Calice");
    assert_eq!(
        (alice_profile.user_id.as_str(), alice_profile.nick.as_str(), alice_profile.avatar.as_str()),
        ("alice", "Ally", AVATAR),
        "the profile as it is now, not as it was at the last message"
    );
    let carol_profile = profile_of("C2Ccarol");
    assert_eq!((carol_profile.user_id.as_str(), carol_profile.nick.as_str()), ("carol", ""));

    let one = bob.get_conversation("C2Calice").await.unwrap();
    assert_eq!(one.user_profile.map(|profile| profile.nick), Some("Ally".to_owned()));
    let read = bob.set_message_read("C2Calice", None).await.unwrap();
    assert_eq!(read.user_profile.map(|profile| profile.nick), Some("Ally".to_owned()));
    // A conversation with no messages yet still names its peer.
    let empty = bob.get_conversation("C2Cdave").await.unwrap();
    assert_eq!(empty.user_profile.map(|profile| profile.user_id), Some("dave".to_owned()));
}

#[tokio::test]
async fn rest_sends_and_imports_are_stamped_with_the_senders_names() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice"]).await;
    let portrait = json!({ "From_Account": "alice", "ProfileItem": [
        { "Tag": "Tag_Profile_IM_Nick", "Value": "Alice" },
        { "Tag": "Tag_Profile_IM_Image", "Value": AVATAR },
    ] });
    rest.ok("profile/portrait_set", portrait).await;
    let (bob, mut bob_events) = server.client("bob").await;

    let send = json!({ "From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": text("sendmsg") });
    rest.ok("openim/sendmsg", send).await;
    assert_eq!(names(&bob_events.next_message().await), ("Alice", AVATAR, ""), "sendmsg");

    let batch = json!({ "From_Account": "alice", "To_Account": ["bob"], "MsgRandom": 2, "MsgBody": text("batch") });
    rest.ok("openim/batchsendmsg", batch).await;
    assert_eq!(names(&bob_events.next_message().await), ("Alice", AVATAR, ""), "batchsendmsg");

    let import = json!({ "SyncFromOldSystem": 2, "From_Account": "alice", "To_Account": "bob", "MsgRandom": 3,
        "MsgTimeStamp": 1_600_000_000, "MsgBody": text("imported") });
    rest.ok("openim/importmsg", import).await;
    let stored = history(&bob, "C2Calice").await;
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|message| names(message) == ("Alice", AVATAR, "")), "{stored:?}");

    let group = json!({ "Owner_Account": "alice", "Type": "Private", "Name": "team", "GroupId": "g1",
        "MemberList": [{ "Member_Account": "bob" }] });
    rest.ok("group_open_http_svc/create_group", group).await;
    let group_send = json!({ "GroupId": "g1", "From_Account": "alice", "Random": 4, "MsgBody": text("to the group") });
    rest.ok("group_open_http_svc/send_group_msg", group_send).await;
    let pushed = loop {
        let message = bob_events.next_message().await;
        if message.to == "g1" {
            break message;
        }
    };
    assert_eq!(names(&pushed), ("Alice", AVATAR, ""), "send_group_msg");
}
