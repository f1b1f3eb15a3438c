//! The conformance suite: behaviour every store backend must show.
//!
//! A backend's tests call [`run_all`] with a factory that makes a fresh, empty store. Each check is
//! a plain async function, run on its own fresh store, going through the [`Store`] ports only (no
//! backend internals), so a failure names the behaviour that broke.
//!
//! # Layout
//!
//! - `messages`: sequences, idempotency, C2C keys, history paging, lookups, last message.
//! - `concurrency`: racing appends, racing resends, the change stream under racing writes, send
//!   times in sequence order.
//! - `conversations`: the conversation list, unread counts and read marks.
//! - `conversation_attributes`: a user's own attributes of a conversation (pin, custom data, marks).
//! - `changes`: the per-user change stream.
//! - `groups`: groups and memberships.
//! - `isolation`: two apps with the same IDs never see each other's rows.
//! - `outbox`: the webhook outbox and its exclusive, leased claims.
//! - `accounts`: accounts and profiles.
//! - `revisions`: administrators' sends, message recall and edit.
//! - `group_admin`: member lists with roles, removal with a notice, dismissal, system notices.

mod accounts;
mod changes;
mod concurrency;
mod conversation_attributes;
mod conversations;
mod group_admin;
mod group_edits;
mod groups;
mod isolation;
mod messages;
mod outbox;
mod revisions;

use std::future::Future;

use mynah_proto::elements::MsgElement;
use mynah_proto::objects::{GroupType, JoinOption, MemberRole, MessagePriority};

use crate::Store;
use crate::keys::ConversationKey;
use crate::records::{AppId, NewGroup, NewMember, NewMessage, StoredMessage};

/// Runs every conformance check, each on a fresh store from `make_store`. Panics on the first
/// failure; the check's name is printed to stderr before it starts.
pub async fn run_all<F, Fut>(make_store: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Store>,
{
    macro_rules! run {
        ($($check:path),* $(,)?) => {
            $(
                eprintln!("conformance: {}", stringify!($check));
                $check(make_store().await).await;
            )*
        };
    }
    run!(
        messages::sequences_are_dense_per_conversation,
        messages::appended_messages_keep_every_field,
        messages::last_messages_keep_the_sender_profile,
        messages::duplicate_sends_return_the_original,
        messages::c2c_conversations_are_shared_by_both_users,
        messages::history_pages_both_ways,
        messages::find_message_by_id,
        messages::excluded_messages_are_never_the_last_message,
        conversations::receivers_count_unread_and_senders_do_not,
        conversations::excluded_messages_do_not_count_as_unread,
        conversations::mark_read_moves_forward_only_and_clamps,
        conversations::mark_read_needs_a_conversation_row,
        conversations::conversations_list_newest_first,
        conversations::a_group_message_moves_the_group_up_for_every_member,
        conversations::total_unread_sums_every_conversation,
        conversation_attributes::pinned_conversations_list_first,
        conversation_attributes::pinning_again_appends_nothing,
        conversation_attributes::pinning_needs_a_conversation_row,
        conversation_attributes::custom_data_is_the_users_own_and_appends_a_change,
        conversation_attributes::marks_are_bits_set_and_cleared_one_at_a_time,
        changes::positions_are_dense_per_user,
        changes::changes_since_pages_the_stream,
        groups::create_group_adds_members_and_conversations,
        groups::create_group_refuses_a_taken_id,
        groups::create_group_respects_the_cap,
        groups::add_members_reports_members_already_in,
        groups::add_members_respects_the_cap,
        groups::add_members_needs_the_group,
        groups::new_members_start_read_at_the_newest_message,
        groups::remove_member_drops_membership_and_conversation,
        groups::an_owner_that_leaves_leaves_the_group_ownerless,
        groups::members_and_groups_of_a_user,
        groups::group_messages_need_a_member_sender,
        isolation::apps_never_see_each_others_messages,
        isolation::apps_never_see_each_others_groups,
        outbox::enqueued_events_wait_until_completed,
        outbox::claims_are_exclusive_until_the_lease_ends,
        outbox::claims_take_each_apps_oldest_and_skip_busy_apps,
        outbox::a_message_event_is_written_with_its_message_once,
        accounts::accounts_are_imported_once_and_deleted,
        accounts::profiles_merge_and_tell_their_owner,
        accounts::sender_profile_is_the_nick_and_avatar,
        revisions::recalls_keep_the_message_and_tell_both_users,
        revisions::group_recalls_tell_the_current_members,
        revisions::edits_replace_what_they_name,
        revisions::administrators_send_to_groups_they_are_not_in,
        group_admin::members_come_with_their_roles,
        group_admin::removed_members_learn_why,
        group_admin::dismissal_tells_every_member_and_frees_the_id,
        group_admin::notices_reach_the_listed_members,
        group_admin::member_pages_follow_the_user_order_and_the_role,
        group_edits::profile_edits_keep_what_they_do_not_name_and_tell_every_member,
        group_edits::role_changes_tell_the_member_and_ownership_moves_whole,
        group_edits::mutes_are_kept_with_the_membership_until_lifted,
        group_edits::name_cards_are_kept_with_the_membership,
        concurrency::parallel_appends_get_dense_sequences,
        concurrency::racing_resends_store_one_message,
        concurrency::change_positions_are_dense_and_visible_in_order,
        concurrency::send_times_never_go_backward_with_the_sequence,
    );
}

/// The app most checks use.
const APP: AppId = 1_400_000_001;
/// A second app with the same user and group IDs.
const OTHER_APP: AppId = 1_400_000_002;
/// The base time of fixture messages and groups.
const T0: u64 = 1_700_000_000_000;

/// A plain C2C text message; change fields with struct update syntax.
fn c2c(app: AppId, from: &str, to: &str, client_msg_id: &str) -> NewMessage {
    NewMessage {
        app,
        conversation: ConversationKey::c2c(from, to),
        sender: from.to_owned(),
        receiver: to.to_owned(),
        client_msg_id: client_msg_id.to_owned(),
        random: 42,
        time_ms: Some(T0),
        body: vec![MsgElement::text(format!("{from}: {client_msg_id}"))],
        cloud_custom_data: String::new(),
        priority: MessagePriority::Normal,
        need_read_receipt: false,
        excluded_from_unread_count: false,
        excluded_from_last_message: false,
        nick: String::new(),
        avatar: String::new(),
        name_card: String::new(),
        after_send_hook: None,
    }
}

/// A plain group text message.
fn to_group(app: AppId, from: &str, group_id: &str, client_msg_id: &str) -> NewMessage {
    NewMessage {
        conversation: ConversationKey::group(group_id),
        receiver: group_id.to_owned(),
        ..c2c(app, from, group_id, client_msg_id)
    }
}

/// A work group owned by `owner`, with a cap of `max_member_num` (0: unlimited).
fn group(app: AppId, group_id: &str, owner: &str, max_member_num: u32) -> NewGroup {
    NewGroup {
        app,
        group_id: group_id.to_owned(),
        group_type: GroupType::Work,
        name: format!("{group_id} name"),
        owner: owner.to_owned(),
        created_at_ms: T0,
        max_member_num,
        join_option: JoinOption::DisableApply,
        introduction: "intro".to_owned(),
        notification: "notice".to_owned(),
        avatar: "https://example.com/a.png".to_owned(),
    }
}

fn member(user: &str, role: MemberRole) -> NewMember {
    NewMember { user: user.to_owned(), role, joined_at_ms: T0 }
}

/// Creates `group_id` in `app` with `owner` as owner and `others` as members, no cap.
async fn make_group(store: &Store, app: AppId, group_id: &str, owner: &str, others: &[&str]) {
    let mut members = vec![member(owner, MemberRole::Owner)];
    members.extend(others.iter().map(|user| member(user, MemberRole::Member)));
    store.groups.create_group(group(app, group_id, owner, 0), members).await.expect("create the group");
}

/// Appends a message and returns the stored one, failing the check on an error or a duplicate.
async fn send(store: &Store, message: NewMessage) -> StoredMessage {
    let appended = store.messages.append_message(message).await.expect("append the message");
    assert!(!appended.duplicate, "a fresh message was taken for a duplicate");
    appended.message
}

fn seqs(messages: &[StoredMessage]) -> Vec<u64> {
    messages.iter().map(|message| message.seq).collect()
}
