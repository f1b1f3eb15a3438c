//! The one sync rule of `docs/protocol.md` ("Sync") for Rust apps: what a client has seen (per
//! conversation the gap-free prefix and the sequences seen ahead of it, the change position), gaps
//! filled once they are [`GAP_FILL_DELAY`] old, and catching up after being offline.
//!
//! An app feeds every pushed message to [`SyncState::observe_message`] (and shows it when that
//! returns true) and every change to [`SyncState::observe_change`] (and applies what it returns),
//! and now and then (a timer of [`GAP_FILL_DELAY`]) calls [`SyncState::fill_due`]. After a login
//! it calls [`SyncState::catch_up`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use mynah_proto::objects::{ChangeEntry, Conversation, Message};
use mynah_proto::requests::GetMessageListRequest;
use tokio::time::Instant;

use crate::{Client, ClientError};

/// How long a gap may stay open before it is fetched: a push that is only late closes it well
/// within this for free, and a large group whose members all see one lost push does not send a
/// fetch each at once for a gap the next push would have closed.
pub const GAP_FILL_DELAY: Duration = Duration::from_secs(1);

/// More sequences (or change positions) than this held ahead of a gap make it due at once.
pub const MAX_HELD_AHEAD: usize = 100;

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
    /// When each conversation's open gap was first seen.
    gap_opened: HashMap<String, Instant>,
    /// Change entries that came ahead of a missing position, held so changes apply in order.
    held_changes: BTreeMap<u64, ChangeEntry>,
    /// When the change stream's open gap was first seen.
    change_gap_opened: Option<Instant>,
}

/// What a gap fill found: messages not seen before, and changes to apply now, in position order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filled {
    pub messages: Vec<Message>,
    pub changes: Vec<ChangeEntry>,
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
    /// state: a message more than one past it reveals a gap (a message whose push was lost or is
    /// late), which [`SyncState::gaps_due`] reports once it is [`GAP_FILL_DELAY`] old, and which
    /// the next catch-up fetches in any case.
    ///
    /// Returns whether the message is new to this state (false for one seen before), so a caller
    /// that merges pushes, gap fills and catch-ups reports each message exactly once, as soon as
    /// it arrives.
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
        if ahead.is_empty() {
            self.gap_opened.remove(conversation_id);
        } else {
            self.gap_opened.entry(conversation_id.to_owned()).or_insert_with(Instant::now);
        }
        true
    }

    /// Records a change entry seen live and returns the entries to apply now, in position order:
    /// none while one before it is missing (it is held until the gap fills), and it with every
    /// held entry that follows it once the gap closes. An entry seen before returns nothing.
    pub fn observe_change(&mut self, entry: ChangeEntry) -> Vec<ChangeEntry> {
        if entry.position <= self.position || self.held_changes.contains_key(&entry.position) {
            return Vec::new();
        }
        self.held_changes.insert(entry.position, entry);
        self.release_changes()
    }

    /// The conversations whose gap is due for a fill at `now`: open for [`GAP_FILL_DELAY`], or
    /// with more than [`MAX_HELD_AHEAD`] sequences seen ahead of it. Sorted, so fills run in a
    /// stable order.
    pub fn gaps_due(&self, now: Instant) -> Vec<String> {
        let mut due: Vec<String> = self
            .gap_opened
            .iter()
            .filter(|(conversation_id, opened)| {
                now.saturating_duration_since(**opened) >= GAP_FILL_DELAY
                    || self.ahead.get(*conversation_id).is_some_and(|ahead| ahead.len() > MAX_HELD_AHEAD)
            })
            .map(|(conversation_id, _)| conversation_id.clone())
            .collect();
        due.sort();
        due
    }

    /// Whether the change stream's gap is due for a fill at `now` (same rule as messages).
    pub fn changes_due(&self, now: Instant) -> bool {
        self.change_gap_opened.is_some_and(|opened| {
            now.saturating_duration_since(opened) >= GAP_FILL_DELAY || self.held_changes.len() > MAX_HELD_AHEAD
        })
    }

    /// Fills every gap due at `now`: one `getMessageList {afterSequence}` conversation at a time
    /// (a page per 100 missing messages), then one `sync {position}` when the change stream's gap
    /// is due. All or nothing, like [`SyncState::catch_up`].
    pub async fn fill_due(&mut self, client: &Client, now: Instant) -> Result<Filled, ClientError> {
        let mut next = self.clone();
        let mut filled = Filled::default();
        for conversation_id in next.gaps_due(now) {
            filled.messages.extend(next.fill_gap(client, &conversation_id).await?);
        }
        if next.changes_due(now) {
            filled.changes = next.fill_changes(client).await?;
        }
        *self = next;
        Ok(filled)
    }

    /// Fetches one conversation's gap, up to the highest sequence seen ahead of it (not beyond:
    /// what follows comes by push), and returns the messages not seen before.
    async fn fill_gap(&mut self, client: &Client, conversation_id: &str) -> Result<Vec<Message>, ClientError> {
        let mut fresh = Vec::new();
        loop {
            let known = self.sequences.get(conversation_id).copied().unwrap_or(0);
            let Some(&highest) = self.ahead.get(conversation_id).and_then(|ahead| ahead.last()) else { break };
            let page = client
                .get_message_list(GetMessageListRequest {
                    conversation_id: conversation_id.to_owned(),
                    before_sequence: None,
                    after_sequence: Some(known),
                    count: Some((highest - known).min(100) as u32),
                })
                .await?;
            for message in &page.message_list {
                if self.observe_message(conversation_id, message) {
                    fresh.push(message.clone());
                }
            }
            // Sequences are dense, so a page that did not move the prefix means nothing more is there.
            if page.is_completed || self.sequences.get(conversation_id).copied().unwrap_or(0) <= known {
                break;
            }
        }
        Ok(fresh)
    }

    /// Fetches the change stream after the position and returns what to apply, in order,
    /// followed by held entries the fetch made contiguous.
    async fn fill_changes(&mut self, client: &Client) -> Result<Vec<ChangeEntry>, ClientError> {
        let mut changes = Vec::new();
        loop {
            let page = client.sync(self.position).await?;
            changes.extend(page.changes.into_iter().filter(|entry| entry.position > self.position));
            self.position = self.position.max(page.position);
            if !page.has_more {
                break;
            }
        }
        changes.extend(self.release_changes());
        Ok(changes)
    }

    /// Drops held entries at or below the position, takes those that follow it without a gap,
    /// and keeps the gap's age while one is left.
    fn release_changes(&mut self) -> Vec<ChangeEntry> {
        self.held_changes.retain(|position, _| *position > self.position);
        let mut released = Vec::new();
        while let Some(entry) = self.held_changes.remove(&(self.position + 1)) {
            self.position = entry.position;
            released.push(entry);
        }
        if self.held_changes.is_empty() {
            self.change_gap_opened = None;
        } else {
            self.change_gap_opened.get_or_insert_with(Instant::now);
        }
        released
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
        // Held entries the fetch covered were just reported; any after it now follow in order.
        caught_up.changes.extend(self.release_changes());
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

#[cfg(test)]
mod tests {
    use mynah_proto::objects::Change;

    use super::*;

    fn message(sequence: u64) -> Message {
        serde_json::from_value(serde_json::json!({
            "ID": format!("alice-{sequence}"), "conversationType": "C2C", "from": "alice", "to": "bob",
            "sequence": sequence, "random": 0, "time": 0, "timeMs": 0, "clientMsgID": format!("{sequence}"),
            "msgBody": [],
        }))
        .unwrap()
    }

    fn change(position: u64) -> ChangeEntry {
        ChangeEntry { position, change: Change::GroupLeft { group_id: format!("group {position}") } }
    }

    fn positions(entries: &[ChangeEntry]) -> Vec<u64> {
        entries.iter().map(|entry| entry.position).collect()
    }

    #[test]
    fn messages_past_a_gap_are_new_at_once_and_the_gap_is_due_after_the_delay() {
        let mut state = SyncState::default();
        assert!(state.observe_message("C2Calice", &message(1)));
        assert!(state.observe_message("C2Calice", &message(3)), "past the gap: reported at once");
        // Taken after the gap opened, so the gap is at least as old as it says at every later time.
        let start = Instant::now();
        assert!(!state.observe_message("C2Calice", &message(3)), "never twice");
        assert_eq!(state.sequences["C2Calice"], 1);
        assert!(state.gaps_due(start).is_empty(), "not fetched on sight");
        assert_eq!(state.gaps_due(start + GAP_FILL_DELAY), ["C2Calice"]);

        // A late push closes the gap: nothing is due any more.
        assert!(state.observe_message("C2Calice", &message(2)));
        assert_eq!(state.sequences["C2Calice"], 3);
        assert!(state.gaps_due(start + GAP_FILL_DELAY * 10).is_empty());
    }

    #[test]
    fn more_than_the_cap_held_ahead_makes_a_gap_due_at_once() {
        let mut state = SyncState::default();
        let now = Instant::now();
        for sequence in 2..=(MAX_HELD_AHEAD as u64 + 1) {
            state.observe_message("GROUPbig", &message(sequence));
        }
        assert!(state.gaps_due(now).is_empty(), "{MAX_HELD_AHEAD} held: wait");
        state.observe_message("GROUPbig", &message(MAX_HELD_AHEAD as u64 + 2));
        assert_eq!(state.gaps_due(now), ["GROUPbig"]);
    }

    #[test]
    fn changes_apply_in_position_order_and_wait_for_a_missing_one() {
        let mut state = SyncState::default();
        assert_eq!(positions(&state.observe_change(change(1))), [1]);
        assert!(state.observe_change(change(3)).is_empty(), "held behind 2");
        let start = Instant::now();
        assert!(state.observe_change(change(4)).is_empty());
        assert!(!state.changes_due(start));
        assert!(state.changes_due(start + GAP_FILL_DELAY));
        assert_eq!(positions(&state.observe_change(change(2))), [2, 3, 4]);
        assert_eq!(state.position, 4);
        assert!(state.observe_change(change(3)).is_empty(), "never twice");
        assert!(!state.changes_due(start + GAP_FILL_DELAY * 10));
    }
}
