//! Offline and back: the conversation list with unread counts and last messages, the missed
//! messages, read marks made on other devices, history paging, and total unread.

use mynah_client::{SyncState, text_message};
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::Change;
use mynah_proto::requests::{GetMessageListRequest, Platform};
use mynah_test_support::TestServer;

use crate::delivery::page;

#[tokio::test]
async fn a_user_coming_back_gets_everything_missed() {
    let server = TestServer::start().await;
    let (bob, mut bob_events) = server.client("bob").await;
    let mut state = SyncState::default();
    let (alice, _alice_events) = server.client("alice").await;
    let first = alice.send_text("bob", "before going offline").await.unwrap();
    let seen = bob_events.next_message().await;
    state.observe_message("C2Calice", &seen);
    state.position = bob.login_result().position;
    drop(bob);
    drop(bob_events);

    // While bob is away: 20 messages from alice, 3 from carol.
    for index in 0..20 {
        alice.send_text("bob", &format!("missed {index}")).await.unwrap();
    }
    let (carol, _carol_events) = server.client("carol").await;
    for index in 0..3 {
        carol.send_text("bob", &format!("carol {index}")).await.unwrap();
    }

    let (bob, _bob_events) = server.client("bob").await;
    let caught_up = state.catch_up(&bob).await.unwrap();
    let ids: Vec<&str> =
        caught_up.conversations.iter().map(|conversation| conversation.conversation_id.as_str()).collect();
    assert_eq!(ids, ["C2Ccarol", "C2Calice"], "newest conversation first");
    let with_alice = &caught_up.conversations[1];
    assert_eq!(with_alice.unread_count, 21);
    assert_eq!(with_alice.last_sequence, 21);
    let last = with_alice.last_message.as_ref().unwrap();
    assert_eq!(last.msg_body, vec![mynah_proto::elements::MsgElement::text("missed 19")]);
    assert_eq!(caught_up.conversations[0].unread_count, 3);

    let missed: Vec<u64> =
        caught_up.messages.iter().filter(|message| message.from == "alice").map(|message| message.sequence).collect();
    assert_eq!(
        missed,
        (2..=21).collect::<Vec<u64>>(),
        "exactly the missed messages, in order, without the one already seen"
    );
    assert!(!caught_up.messages.iter().any(|message| message.id == first.id));
    assert_eq!(caught_up.messages.iter().filter(|message| message.from == "carol").count(), 3);
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), 24);

    // A second catch-up finds nothing new.
    let again = state.catch_up(&bob).await.unwrap();
    assert!(again.messages.is_empty() && again.changes.is_empty());
}

#[tokio::test]
async fn reading_on_one_device_clears_unread_on_all_of_them() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob_phone, mut bob_phone_events) = server.client_on("bob", Platform::Android).await;
    let (bob_desktop, mut bob_desktop_events) = server.client_on("bob", Platform::Windows).await;
    for index in 0..5 {
        alice.send_text("bob", &format!("message {index}")).await.unwrap();
        bob_phone_events.next_message().await;
        bob_desktop_events.next_message().await;
    }
    assert_eq!(bob_desktop.get_conversation("C2Calice").await.unwrap().unread_count, 5);

    let read = bob_phone.set_message_read("C2Calice", None).await.unwrap();
    assert_eq!((read.unread_count, read.read_sequence), (0, 5));
    let change = bob_desktop_events.next_change().await;
    assert_eq!(
        change.change,
        Change::ConversationRead {
            conversation_id: "C2Calice".to_owned(),
            read_sequence: 5,
            unread_count: 0,
            read_counted_index: 5
        }
    );
    // The session that read also hears of it, so every session's position stays gap-free.
    assert_eq!(bob_phone_events.next_change().await, change);
    assert_eq!(bob_desktop.get_total_unread_message_count().await.unwrap(), 0);

    // A device that was offline learns the read mark through sync.
    drop(bob_desktop);
    let (bob_tablet, _events) = server.client_on("bob", Platform::Ios).await;
    let synced = bob_tablet.sync(change.position - 1).await.unwrap();
    assert_eq!(synced.changes, vec![change.clone()]);
    assert_eq!(synced.position, change.position);
    assert!(!synced.has_more);

    // Reading partway, then backward, never moves the mark back.
    alice.send_text("bob", "six").await.unwrap();
    alice.send_text("bob", "seven").await.unwrap();
    let partial = bob_tablet.set_message_read("C2Calice", Some(6)).await.unwrap();
    assert_eq!((partial.unread_count, partial.read_sequence), (1, 6));
    let backward = bob_tablet.set_message_read("C2Calice", Some(2)).await.unwrap();
    assert_eq!((backward.unread_count, backward.read_sequence), (1, 6));
}

#[tokio::test]
async fn own_messages_and_excluded_messages_do_not_count_as_unread() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    alice.send_text("bob", "counts").await.unwrap();
    let mut excluded = text_message(ConversationType::C2c, "bob", "does not count");
    excluded.excluded_from_unread_count = true;
    excluded.excluded_from_last_message = true;
    alice.send_message(excluded).await.unwrap();

    let conversation = bob.get_conversation("C2Calice").await.unwrap();
    assert_eq!(conversation.unread_count, 1);
    assert_eq!(conversation.last_sequence, 2);
    assert_eq!(conversation.last_message.unwrap().sequence, 1, "excluded from being the last message");
    assert_eq!(alice.get_conversation("C2Cbob").await.unwrap().unread_count, 0, "own messages never count");

    bob.send_text("alice", "reply").await.unwrap();
    assert_eq!(bob.get_conversation("C2Calice").await.unwrap().unread_count, 0, "sending reads the conversation");
}

#[tokio::test]
async fn history_pages_fifteen_at_a_time_until_completed() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    for index in 1..=40 {
        alice.send_text("bob", &format!("m{index}")).await.unwrap();
    }
    let (bob, _bob_events) = server.client("bob").await;
    let mut sequences = Vec::new();
    let mut before = None;
    let mut pages = 0;
    loop {
        let page = bob.get_message_list(page("C2Calice", before)).await.unwrap();
        pages += 1;
        assert!(page.message_list.len() <= 15);
        let page_sequences: Vec<u64> = page.message_list.iter().map(|message| message.sequence).collect();
        assert!(page_sequences.windows(2).all(|pair| pair[0] + 1 == pair[1]), "oldest first, dense");
        before = page_sequences.first().copied();
        sequences.splice(0..0, page_sequences);
        if page.is_completed {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(sequences, (1..=40).collect::<Vec<u64>>());

    let forward = bob
        .get_message_list(GetMessageListRequest {
            conversation_id: "C2Calice".to_owned(),
            before_sequence: None,
            after_sequence: Some(35),
            count: Some(100),
        })
        .await
        .unwrap();
    assert_eq!(
        forward.message_list.iter().map(|message| message.sequence).collect::<Vec<_>>(),
        vec![36, 37, 38, 39, 40]
    );
    assert!(forward.is_completed);

    // findMessage, and it is not visible to a third user.
    let message = &forward.message_list[0];
    assert_eq!(&bob.find_message(&message.id).await.unwrap(), message);
    let (carol, _carol_events) = server.client("carol").await;
    assert_eq!(
        carol.find_message(&message.id).await.unwrap_err().code(),
        Some(mynah_proto::codes::ErrorCode::MESSAGE_NOT_FOUND)
    );
}

/// The one sync rule: a gap is not fetched on sight; once due it is filled with what is missing,
/// up to the highest sequence seen ahead of it (what follows comes by push).
#[tokio::test]
async fn a_due_gap_is_filled_with_what_is_missing_and_no_more() {
    let server = TestServer::start().await;
    let (alice, _alice_events) = server.client("alice").await;
    let (bob, _bob_events) = server.client("bob").await;
    let mut sent = Vec::new();
    for index in 1..=5 {
        sent.push(alice.send_text("bob", &format!("m{index}")).await.unwrap());
    }
    let mut state = SyncState::default();
    // Bob's pushes of 2 and 3 were lost; 5 has not come yet.
    for seen in [&sent[0], &sent[3]] {
        assert!(state.observe_message("C2Calice", seen));
    }
    let now = tokio::time::Instant::now();
    let nothing = state.fill_due(&bob, now).await.unwrap();
    assert!(nothing.messages.is_empty(), "not fetched on sight");
    assert_eq!(state.sequences["C2Calice"], 1);

    let filled = state.fill_due(&bob, now + mynah_client::GAP_FILL_DELAY).await.unwrap();
    let sequences: Vec<u64> = filled.messages.iter().map(|message| message.sequence).collect();
    assert_eq!(sequences, [2, 3], "the gap only: 4 was seen, 5 comes by push");
    assert_eq!(state.sequences["C2Calice"], 4);
    assert!(state.gaps_due(now + mynah_client::GAP_FILL_DELAY * 10).is_empty());
    assert!(state.observe_message("C2Calice", &sent[4]));
    assert_eq!(state.sequences["C2Calice"], 5);
}
