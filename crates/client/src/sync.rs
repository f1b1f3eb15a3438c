//! Catching up after being offline: what a client knew (per-conversation sequences, the change
//! position) against what the server has now.

use std::collections::{BTreeSet, HashMap};

use futures_util::{StreamExt, TryStreamExt};
use mynah_proto::objects::{ChangeEntry, Conversation, Message};
use mynah_proto::requests::GetMessageListRequest;

use crate::{Client, ClientError};

/// What a client has seen: per conversation the highest message sequence up to which it holds every
/// message, and the change-stream position. Keep one across sessions and pass it to
/// [`SyncState::catch_up`] after a login.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncState {
    pub sequences: HashMap<String, u64>,
    pub position: u64,
    /// Per conversation, sequences seen above the gap-free prefix (pushes that arrived after a
    /// lost one). A catch-up fetches the gap and skips these, so no message is reported twice.
    ahead: HashMap<String, BTreeSet<u64>>,
}

/// What a catch-up found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CatchUp {
    /// The conversation list as it is now.
    pub conversations: Vec<Conversation>,
    /// Messages stored since the state was taken, oldest first within each conversation.
    pub messages: Vec<Message>,
    /// Change-stream entries since the state was taken.
    pub changes: Vec<ChangeEntry>,
}

/// Conversations fetched at once during a catch-up. Their requests queue on the connection, so the
/// server always has the next page to serve instead of waiting a round trip for it (P6 in
/// docs/performance.md: 10,000 messages over 100 conversations take ~1.5× as long one request at a
/// time).
const CONVERSATIONS_IN_FLIGHT: usize = 16;

impl SyncState {
    /// Records a message seen live (from a push or a send). Only the next sequence advances the
    /// state: a message more than one past it reveals a gap (a message whose push never arrived,
    /// for example because the server crashed between storing and delivering it), and the next
    /// catch-up fetches from the gap on.
    ///
    /// Returns whether the message is new to this state (false for one seen before), so a caller
    /// that merges pushes and catch-ups reports each message exactly once.
    pub fn observe_message(&mut self, conversation_id: &str, message: &Message) -> bool {
        let known = self.sequences.entry(conversation_id.to_owned()).or_default();
        let ahead = self.ahead.entry(conversation_id.to_owned()).or_default();
        if message.sequence == 0 {
            // Online-only messages are not stored and have no place in the sequence.
            return true;
        }
        if message.sequence <= *known || !ahead.insert(message.sequence) {
            return false;
        }
        while ahead.remove(&(*known + 1)) {
            *known += 1;
        }
        true
    }

    /// Fetches everything missed since this state was taken, and advances the state.
    ///
    /// All or nothing: when a request fails (the connection dropped midway), the state is left as
    /// it was, so the next catch-up fetches the same messages again instead of skipping them.
    pub async fn catch_up(&mut self, client: &Client) -> Result<CatchUp, ClientError> {
        let mut next = self.clone();
        let caught_up = next.fetch_missed(client).await?;
        *self = next;
        Ok(caught_up)
    }

    async fn fetch_missed(&mut self, client: &Client) -> Result<CatchUp, ClientError> {
        let snapshot = client.get_conversation_list().await?;
        let mut caught_up = CatchUp { conversations: snapshot.conversation_list.clone(), ..CatchUp::default() };
        let behind: Vec<(String, u64, u64)> = snapshot
            .conversation_list
            .iter()
            .map(|conversation| {
                let known = self.sequences.get(&conversation.conversation_id).copied().unwrap_or(0);
                (conversation.conversation_id.clone(), known, conversation.last_sequence)
            })
            .filter(|(_, known, last)| known < last)
            .collect();
        // `buffered` keeps the conversations in list order, so the result does not depend on timing.
        let fetched: Vec<(String, Vec<Message>)> = futures_util::stream::iter(behind)
            .map(|(conversation_id, known, last)| async move {
                let messages = missed_messages(client, &conversation_id, known, last).await?;
                Ok::<_, ClientError>((conversation_id, messages))
            })
            .buffered(CONVERSATIONS_IN_FLIGHT)
            .try_collect()
            .await?;
        for (conversation_id, messages) in fetched {
            for message in messages {
                if self.observe_message(&conversation_id, &message) {
                    caught_up.messages.push(message);
                }
            }
        }
        loop {
            let changes = client.sync(self.position).await?;
            self.position = changes.position;
            caught_up.changes.extend(changes.changes);
            if !changes.has_more {
                break;
            }
        }
        Ok(caught_up)
    }
}

/// The messages of one conversation after sequence `known`, up to `last`, a page at a time.
async fn missed_messages(
    client: &Client,
    conversation_id: &str,
    mut known: u64,
    last: u64,
) -> Result<Vec<Message>, ClientError> {
    let mut messages = Vec::new();
    while known < last {
        let page = client
            .get_message_list(GetMessageListRequest {
                conversation_id: conversation_id.to_owned(),
                before_sequence: None,
                after_sequence: Some(known),
                count: Some(100),
            })
            .await?;
        let Some(newest) = page.message_list.last() else { break };
        known = newest.sequence;
        messages.extend(page.message_list);
        if page.is_completed {
            break;
        }
    }
    Ok(messages)
}
