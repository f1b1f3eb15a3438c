//! `kill -9` of a node under load. Senders connected to node 0 send one-to-one messages to
//! receivers connected to node 1; node 0 is killed mid-way; the senders log in again on node 1
//! and resend whatever was not acknowledged with the same `clientMsgID`. Then every message is
//! acknowledged with the next sequence of its conversation (stored exactly once, dense, in send
//! order), the stored history is exactly what was acknowledged, and the receivers got no push twice
//! and none that was not stored; what the kill cost them in pushes they find in the history.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mynah_client::{Client, Event, text_message};
use mynah_proto::frames::Push;
use mynah_proto::ids::ConversationType;
use mynah_proto::requests::{GetMessageListRequest, Platform};
use tokio::sync::Notify;

use crate::common::{Cluster, Node};

const PAIRS: usize = 4;
const MESSAGES: usize = 40;
/// Node 0 is killed once this many messages were acknowledged.
const KILL_AFTER: usize = 40;

/// Sends `MESSAGES` messages from `sender` to `receiver` one at a time, starting on `first`; when
/// a send fails (the node died), logs in on `fallback` and resends it with the same `clientMsgID`.
/// Returns each message's acknowledged (sequence, id), in send order, and whether it had to log in again.
async fn send_all(
    first: Client,
    fallback: Arc<Node>,
    sender: String,
    receiver: String,
    acknowledged: Arc<AtomicUsize>,
    progress: Arc<Notify>,
) -> (Vec<(u64, String)>, bool) {
    let mut client = first;
    let mut reconnected = false;
    let mut acks = Vec::new();
    for index in 0..MESSAGES {
        let request = text_message(ConversationType::C2c, &receiver, &format!("{sender} {index}"));
        loop {
            match client.send_message(request.clone()).await {
                Ok(result) => {
                    acks.push((result.message.sequence, result.message.id));
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                    progress.notify_waiters();
                    break;
                }
                Err(error) => {
                    assert!(!reconnected, "{sender}: a send failed on the surviving node: {error}");
                    reconnected = true;
                    client = fallback.client(&sender, Platform::Linux).await.0;
                }
            }
        }
    }
    (acks, reconnected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_duplicates_and_reorders_no_acknowledged_message() {
    let Some(mut cluster) = Cluster::start(2, "").await else { return };
    let survivor = Arc::new(cluster.nodes.remove(1));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let progress = Arc::new(Notify::new());

    let mut receivers = Vec::new();
    for pair in 0..PAIRS {
        receivers.push(survivor.client(&format!("receiver{pair}"), Platform::Linux).await);
    }
    let mut senders = Vec::new();
    for pair in 0..PAIRS {
        let sender = format!("sender{pair}");
        let (client, _events) = cluster.node(0).client(&sender, Platform::Linux).await;
        senders.push(tokio::spawn(send_all(
            client,
            survivor.clone(),
            sender,
            format!("receiver{pair}"),
            acknowledged.clone(),
            progress.clone(),
        )));
    }

    loop {
        let more = progress.notified();
        if acknowledged.load(Ordering::SeqCst) >= KILL_AFTER {
            break;
        }
        more.await;
    }
    cluster.nodes[0].kill().await;
    let mut reconnections = 0;

    for (pair, (sending, (receiver, mut events))) in senders.into_iter().zip(receivers).enumerate() {
        let (acks, reconnected) = sending.await.expect("sender");
        reconnections += usize::from(reconnected);
        let sequences: Vec<u64> = acks.iter().map(|(sequence, _)| *sequence).collect();
        let dense: Vec<u64> = (1..=MESSAGES as u64).collect();
        assert_eq!(sequences, dense, "pair {pair}: each message acknowledged once, with the next sequence");

        let history = receiver
            .get_message_list(GetMessageListRequest {
                conversation_id: format!("C2Csender{pair}"),
                before_sequence: None,
                after_sequence: None,
                count: Some(100),
            })
            .await
            .expect("history")
            .message_list;
        let mut stored: Vec<(u64, String)> =
            history.into_iter().map(|message| (message.sequence, message.id)).collect();
        stored.sort();
        assert_eq!(stored, acks, "pair {pair}: the store holds exactly what was acknowledged");

        // Whatever was pushed so far; a push still on its way can only add a stored message.
        let mut pushed = Vec::new();
        while let Ok(event) = events.receiver.try_recv() {
            if let Event::Push(Push::Message(message)) = event {
                pushed.push(message.id);
            }
        }
        assert!(!pushed.is_empty(), "pair {pair}: the receiver got pushes");
        let distinct: HashSet<&String> = pushed.iter().collect();
        assert_eq!(distinct.len(), pushed.len(), "pair {pair}: no message pushed twice");
        let acknowledged_ids: HashSet<&String> = acks.iter().map(|(_, id)| id).collect();
        assert!(distinct.is_subset(&acknowledged_ids), "pair {pair}: only stored messages are pushed");
    }
    assert!(reconnections > 0, "the kill came mid-way: senders moved to the surviving node");
}
