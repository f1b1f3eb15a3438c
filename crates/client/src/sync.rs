//! Catching up after being offline: what a client knew (per-conversation sequences, the change
//! position) against what the server has now.

use std::collections::{BTreeSet, HashMap};

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
        for conversation in &snapshot.conversation_list {
            let mut known = self.sequences.get(&conversation.conversation_id).copied().unwrap_or(0);
            while known < conversation.last_sequence {
                let page = client
                    .get_message_list(GetMessageListRequest {
                        conversation_id: conversation.conversation_id.clone(),
                        before_sequence: None,
                        after_sequence: Some(known),
                        count: Some(100),
                    })
                    .await?;
                let Some(last) = page.message_list.last() else { break };
                known = last.sequence;
                for message in page.message_list {
                    if self.observe_message(&conversation.conversation_id, &message) {
                        caught_up.messages.push(message);
                    }
                }
                if page.is_completed {
                    break;
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
