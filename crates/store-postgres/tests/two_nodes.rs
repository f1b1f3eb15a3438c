//! Two nodes (two `PostgresStore`s, two pools) writing to one database at once: racing appends to
//! one C2C and one group conversation, racing resends of the same messages from both nodes, and
//! read marks, notices and membership changes appending change-stream entries meanwhile. What
//! must hold: dense sequences, each message stored once, send times in sequence order, dense change
//! positions for every user, and no write failing (a deadlock would surface as an error).

use std::collections::{BTreeSet, HashMap};

use mynah_pg_harness::PgServer;
use mynah_proto::elements::MsgElement;
use mynah_proto::objects::{GroupType, JoinOption, MemberRole, MessagePriority};
use mynah_store::{
    AppId, Appended, ChangeStore, ConversationKey, ConversationStore, GroupAdminStore, GroupNoticeRecord, GroupStore,
    HistoryRange, MessageStore, NewGroup, NewMember, NewMessage, StoredMessage,
};
use mynah_store_postgres::PostgresStore;
use tokio::task::JoinSet;

const APP: AppId = 1_400_000_001;
const NODES: usize = 2;
const TASKS: usize = 8;
const MESSAGES: usize = 50;
/// The group's members who send; `alice` and `bob` also share the C2C conversation.
const SENDERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

fn message(conversation: ConversationKey, sender: &str, receiver: &str, client_msg_id: String) -> NewMessage {
    NewMessage {
        app: APP,
        conversation,
        sender: sender.to_owned(),
        receiver: receiver.to_owned(),
        body: vec![MsgElement::text(client_msg_id.clone())],
        client_msg_id,
        random: 7,
        time_ms: None,
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

/// Message `index` of task `task` on node `node`. Every fifth message of a task is sent by the
/// same task on both nodes (a resend racing across nodes); the others are the node's own. Even
/// messages go to the C2C conversation, odd ones to the group.
fn nth(node: usize, task: usize, index: usize) -> NewMessage {
    let id =
        if index.is_multiple_of(5) { format!("shared-t{task}-m{index}") } else { format!("n{node}-t{task}-m{index}") };
    if index.is_multiple_of(2) {
        let (from, to) = if task.is_multiple_of(2) { ("alice", "bob") } else { ("bob", "alice") };
        message(ConversationKey::c2c(from, to), from, to, id)
    } else {
        message(ConversationKey::group("g1"), SENDERS[task % SENDERS.len()], "g1", id)
    }
}

fn member(user: &str, role: MemberRole) -> NewMember {
    NewMember { user: user.to_owned(), role, joined_at_ms: 1_700_000_000_000 }
}

/// Sends a task's messages, marking its sender's conversations read now and then.
async fn send_all(node: PostgresStore, node_index: usize, task: usize) -> Vec<Appended> {
    let mut appended = Vec::with_capacity(MESSAGES);
    for index in 0..MESSAGES {
        let message = nth(node_index, task, index);
        let (receiver, key) = (message.receiver.clone(), message.conversation.clone());
        appended.push(node.append_message(message).await.expect("a racing append succeeds"));
        if index % 4 == 3 && key.group_id().is_none() {
            node.mark_read(APP, &receiver, &key, None).await.expect("mark read");
        }
    }
    appended
}

/// Adds and removes a node's own joiner, and sends notices to every member, while the sends run.
async fn churn(node: PostgresStore, node_index: usize) {
    let joiner = format!("joiner{node_index}");
    let notice =
        GroupNoticeRecord { operation_type: 255, operator: "admin".to_owned(), content: String::new(), at_ms: 1 };
    for _ in 0..10 {
        let added = node.add_members(APP, "g1", vec![member(&joiner, MemberRole::Member)]).await.expect("add");
        assert_eq!(added.changes.len(), 1);
        node.notify_members(APP, "g1", Vec::new(), notice.clone()).await.expect("notify");
        assert!(node.remove_member(APP, "g1", &joiner).await.expect("remove").is_some());
    }
}

async fn whole_history(node: &PostgresStore, key: &ConversationKey) -> Vec<StoredMessage> {
    node.history(APP, key, HistoryRange::After(0), 10_000).await.expect("read the history")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_appending_at_once_keep_sequences_and_positions_dense() {
    let Some(server) = PgServer::start() else { return };
    let url = server.create_database("mynah");
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        nodes.push(PostgresStore::connect(&url).await.expect("connect"));
    }
    let group = NewGroup {
        app: APP,
        group_id: "g1".to_owned(),
        group_type: GroupType::Work,
        name: "g1".to_owned(),
        owner: "alice".to_owned(),
        created_at_ms: 1_700_000_000_000,
        max_member_num: 0,
        join_option: JoinOption::FreeAccess,
        introduction: String::new(),
        notification: String::new(),
        avatar: String::new(),
    };
    let members = SENDERS
        .iter()
        .map(|user| member(user, if *user == "alice" { MemberRole::Owner } else { MemberRole::Member }))
        .collect();
    nodes[0].create_group(group, members).await.expect("create the group");

    let mut sends = JoinSet::new();
    let mut churns = JoinSet::new();
    for (node_index, node) in nodes.iter().enumerate() {
        for task in 0..TASKS {
            sends.spawn(send_all(node.clone(), node_index, task));
        }
        churns.spawn(churn(node.clone(), node_index));
    }
    let mut appended = Vec::new();
    while let Some(joined) = sends.join_next().await {
        appended.extend(joined.expect("a sending task"));
    }
    while let Some(joined) = churns.join_next().await {
        joined.expect("a churning task");
    }

    for key in [ConversationKey::c2c("alice", "bob"), ConversationKey::group("g1")] {
        let answers: Vec<&StoredMessage> =
            appended.iter().map(|appended| &appended.message).filter(|message| message.conversation == key).collect();
        let sent: BTreeSet<String> = answers.iter().map(|message| message.message_id()).collect();
        // Read from the other node than the one that created the group: both see one database.
        let history = whole_history(&nodes[1], &key).await;
        let total = history.len() as u64;
        assert_eq!(history.iter().map(|message| message.seq).collect::<Vec<_>>(), (1..=total).collect::<Vec<_>>());
        let stored: BTreeSet<String> = history.iter().map(StoredMessage::message_id).collect();
        assert_eq!(stored.len(), history.len(), "each message is stored once in {key:?}");
        assert_eq!(stored, sent, "every message sent is stored in {key:?}");
        let by_id: HashMap<String, &StoredMessage> =
            history.iter().map(|message| (message.message_id(), message)).collect();
        for answer in &answers {
            assert_eq!(Some(answer), by_id.get(&answer.message_id()), "every sender is told what was stored");
        }
        for pair in history.windows(2) {
            assert!(pair[0].time_ms <= pair[1].time_ms, "time went backward: {:?} then {:?}", pair[0], pair[1]);
        }
    }
    let stored_once = appended.iter().filter(|appended| !appended.duplicate).count();
    let shared_per_task = MESSAGES.div_ceil(5);
    assert_eq!(stored_once, NODES * TASKS * MESSAGES - TASKS * shared_per_task, "one of each racing pair is stored");

    let mut users: Vec<String> = SENDERS.iter().map(|user| (*user).to_owned()).collect();
    users.extend((0..NODES).map(|node| format!("joiner{node}")));
    for user in &users {
        let head = nodes[0].head_position(APP, user).await.expect("head");
        let changes = nodes[1].changes_since(APP, user, 0, 10_000).await.expect("changes");
        let positions: Vec<u64> = changes.iter().map(|change| change.position).collect();
        assert_eq!(positions, (1..=head).collect::<Vec<_>>(), "{user}'s positions are dense");
    }
    // Members who only send heard every notice (one per churn round of each node) after their
    // GroupJoined, and nothing else.
    for user in ["carol", "dave"] {
        assert_eq!(nodes[0].head_position(APP, user).await.unwrap(), 1 + (NODES * 10) as u64, "{user}");
    }
    assert_eq!(nodes[0].members(APP, "g1").await.unwrap().len(), SENDERS.len());
}
