//! The schema, as hand-written migrations applied in order and tracked by `PRAGMA user_version`.
//!
//! A migration is never edited once released: a schema change is a new entry at the end of
//! [`MIGRATIONS`]. Every key starts with `app` so two apps never share a row.

use rusqlite::Connection;

/// The migrations, oldest first. After applying entry `i`, `user_version` is `i + 1`.
const MIGRATIONS: &[&str] = &[
    SCHEMA_V1,
    SCHEMA_V2_ADMINISTRATION,
    SCHEMA_V3_WEBHOOK_OUTBOX,
    SCHEMA_V4_MESSAGE_SENDER_PROFILE,
    SCHEMA_V5_WEBHOOK_OUTBOX_CLAIMS,
    SCHEMA_V6_MEMBER_PROFILE,
    SCHEMA_V7_CONVERSATION_PINNED,
    SCHEMA_V8_CONVERSATION_CUSTOM_DATA,
    SCHEMA_V9_CONVERSATION_MARKS,
];

/// Accounts and profiles (administration; unreleased, so it may still change).
///
/// - `accounts`: one row per account of an app, made by an import or by the user's first login.
/// - `profiles`: one row per account whose profile was ever set; `fields_json` is the tag → value
///   map (`Tag_Profile_IM_Nick`, `Tag_Profile_Custom_*`, ...), read and written whole.
///
/// Message revisions need no table: a recall sets `messages.revoked`, an edit rewrites the row's
/// body, and both append the participants' change-stream entries in the same transaction.
const SCHEMA_V2_ADMINISTRATION: &str = "
CREATE TABLE accounts (
    app INTEGER NOT NULL,
    user TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (app, user)
) WITHOUT ROWID;

CREATE TABLE profiles (
    app INTEGER NOT NULL,
    user TEXT NOT NULL,
    fields_json TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (app, user)
) WITHOUT ROWID;
";

/// The durable outbox of webhook events: written in the transaction of the write that caused the
/// event, deleted once the callback was delivered. `webhook_outbox_due` serves the worker's scan.
const SCHEMA_V3_WEBHOOK_OUTBOX: &str = "
CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app INTEGER NOT NULL,
    command TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_ms, id);
";

/// The sender's nick and avatar, stamped on each message when it is sent (as Tencent does), so a
/// later profile change does not rewrite old messages. Messages stored before this migration have
/// none (`''`); adding a column with a constant default rewrites no message row.
///
/// `profiles` keeps the two tags in their own columns too (besides `fields_json`), written with the
/// profile, so the lookup every send makes reads two short columns and parses no JSON. Only text
/// values count (the service never stores another type for these tags).
const SCHEMA_V4_MESSAGE_SENDER_PROFILE: &str = "
ALTER TABLE messages ADD COLUMN nick TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN avatar TEXT NOT NULL DEFAULT '';
ALTER TABLE profiles ADD COLUMN nick TEXT NOT NULL DEFAULT '';
ALTER TABLE profiles ADD COLUMN avatar TEXT NOT NULL DEFAULT '';
UPDATE profiles SET
    nick = CASE WHEN json_type(fields_json, '$.Tag_Profile_IM_Nick') = 'text'
        THEN json_extract(fields_json, '$.Tag_Profile_IM_Nick') ELSE '' END,
    avatar = CASE WHEN json_type(fields_json, '$.Tag_Profile_IM_Image') = 'text'
        THEN json_extract(fields_json, '$.Tag_Profile_IM_Image') ELSE '' END;
";

/// Member profiles in a group: `group_members.mute_until_ms` (unix ms; 0 never muted) and
/// `group_members.name_card` (empty: none), read with the membership by the point lookup every group
/// send makes; `messages.name_card` is the sender's name card stamped at send time, like `nick`.
/// The by-user index is rebuilt with the new columns so that listing a user's groups still reads
/// the index alone.
const SCHEMA_V6_MEMBER_PROFILE: &str = "
ALTER TABLE group_members ADD COLUMN mute_until_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN name_card TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN name_card TEXT NOT NULL DEFAULT '';
DROP INDEX group_members_by_user;
CREATE INDEX group_members_by_user ON group_members (app, user, group_id, role, joined_at_ms, mute_until_ms, name_card);
";

/// Outbox claims: a worker leases the entries it delivers (`claimed_by` until `claimed_until_ms`),
/// so two workers (two nodes) never deliver one event at once. NULL: nobody holds the entry.
const SCHEMA_V5_WEBHOOK_OUTBOX_CLAIMS: &str = "
ALTER TABLE webhook_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_outbox ADD COLUMN claimed_until_ms INTEGER;
";

/// The user's own attributes of a conversation: `pinned` (0 or 1) lists it first.
const SCHEMA_V7_CONVERSATION_PINNED: &str = "
ALTER TABLE user_conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
";

/// The user's own custom data of a conversation (the SDK's `customData`, at most 256 bytes).
const SCHEMA_V8_CONVERSATION_CUSTOM_DATA: &str = "
ALTER TABLE user_conversations ADD COLUMN custom_data TEXT NOT NULL DEFAULT '';
";

/// The user's own marks of a conversation, as bits (mark value `2^n` is bit `n`; bit 63 makes the
/// stored integer negative).
const SCHEMA_V9_CONVERSATION_MARKS: &str = "
ALTER TABLE user_conversations ADD COLUMN marks INTEGER NOT NULL DEFAULT 0;
";

/// The first schema.
///
/// - `conversations`: one row per conversation (a C2C pair or a group). `counted_total` is how many of
///   its messages count as unread; `last_visible_seq` is the newest message that may be shown as the
///   last message (0 when none).
/// - `user_conversations`: one row per (user, conversation) the user sees. `read_counted` is the
///   `counted_index` of the message at `read_seq`, so `unread = counted_total - read_counted`.
/// - `messages`: stored once per conversation (read diffusion). A rowid table: inserts append at its
///   end, and only the two small indexes take random writes. `message_id` is
///   `{sender}-{client_msg_id}`; its unique index is the idempotency key too, since equal
///   `(sender, client_msg_id)` pairs always give equal IDs.
/// - `changes`: the per-user change stream; the next position is `max + 1`, computed by the single
///   writer in the same transaction as the write that causes the change.
/// - `chat_groups` and `group_members`: groups and memberships (`groups` is an SQL keyword).
///   `group_members_by_user` holds every membership column, so a user's groups are found without
///   touching the table (without it the planner scans the whole app's memberships; `plans` pins it).
///
/// There is deliberately no index on `user_conversations(app, user, updated_at_ms)`: the list order
/// is `max(user row, conversation row)` so that a group message moves the group up for every member
/// without a write per member, and no index can serve that expression, while such an index would
/// cost a write on every send (the sender's row changes).
const SCHEMA_V1: &str = "
CREATE TABLE conversations (
    app INTEGER NOT NULL,
    conv_key TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    counted_total INTEGER NOT NULL,
    last_visible_seq INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (app, conv_key)
) WITHOUT ROWID;

CREATE TABLE user_conversations (
    app INTEGER NOT NULL,
    user TEXT NOT NULL,
    conv_key TEXT NOT NULL,
    read_seq INTEGER NOT NULL,
    read_counted INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (app, user, conv_key)
) WITHOUT ROWID;

CREATE TABLE messages (
    app INTEGER NOT NULL,
    conv_key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    client_msg_id TEXT NOT NULL,
    random INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    body_json TEXT NOT NULL,
    cloud_custom_data TEXT NOT NULL,
    priority TEXT NOT NULL,
    need_read_receipt INTEGER NOT NULL,
    excluded_from_unread_count INTEGER NOT NULL,
    excluded_from_last_message INTEGER NOT NULL,
    counted_index INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app, conv_key, seq)
);
CREATE UNIQUE INDEX messages_by_id ON messages (app, message_id);

CREATE TABLE changes (
    app INTEGER NOT NULL,
    user TEXT NOT NULL,
    position INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (app, user, position)
) WITHOUT ROWID;

CREATE TABLE chat_groups (
    app INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    conv_key TEXT NOT NULL,
    group_type TEXT NOT NULL,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    max_member_num INTEGER NOT NULL,
    join_option TEXT NOT NULL,
    introduction TEXT NOT NULL,
    notification TEXT NOT NULL,
    avatar TEXT NOT NULL,
    member_count INTEGER NOT NULL,
    PRIMARY KEY (app, group_id)
);

CREATE TABLE group_members (
    app INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    joined_at_ms INTEGER NOT NULL,
    PRIMARY KEY (app, group_id, user)
) WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (app, user, group_id, role, joined_at_ms);
";

/// Brings the database up to the newest schema, one transaction per migration.
pub(crate) fn migrate(connection: &mut Connection) -> Result<(), MigrationError> {
    let current: usize = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current > MIGRATIONS.len() {
        return Err(MigrationError::TooNew { found: current, known: MIGRATIONS.len() });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(sql)?;
        transaction.pragma_update(None, "user_version", index + 1)?;
        transaction.commit()?;
        tracing::info!(version = index + 1, "applied sqlite migration");
    }
    Ok(())
}

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MigrationError {
    #[error("the database has schema version {found}, newer than this build knows ({known})")]
    TooNew { found: usize, known: usize },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_refuse_newer_databases() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate(&mut connection).unwrap();
        migrate(&mut connection).unwrap();
        let version: usize = connection.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len());

        connection.pragma_update(None, "user_version", MIGRATIONS.len() + 1).unwrap();
        assert!(matches!(migrate(&mut connection), Err(MigrationError::TooNew { .. })));
    }

    #[test]
    fn the_sender_profile_columns_start_empty_for_messages_and_filled_for_profiles() {
        let mut connection = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..3] {
            connection.execute_batch(sql).unwrap();
        }
        connection.pragma_update(None, "user_version", 3).unwrap();
        connection
            .execute_batch(
                "INSERT INTO messages (app, conv_key, seq, message_id, sender, receiver, client_msg_id, random, \
                 time_ms, body_json, cloud_custom_data, priority, need_read_receipt, excluded_from_unread_count, \
                 excluded_from_last_message, counted_index) \
                 VALUES (1, 'c', 1, 'a-m', 'a', 'b', 'm', 0, 0, '[]', '', 'Normal', 0, 0, 0, 1); \
                 INSERT INTO profiles (app, user, fields_json, updated_at_ms) VALUES \
                 (1, 'a', '{\"Tag_Profile_IM_Image\":\"a.png\",\"Tag_Profile_IM_Nick\":\"Alice\"}', 1), \
                 (1, 'b', '{\"Tag_Profile_IM_Level\":3,\"Tag_Profile_IM_Nick\":7}', 1);",
            )
            .unwrap();
        migrate(&mut connection).unwrap();
        let pair = |row: &rusqlite::Row<'_>| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?));
        let stamped = connection.query_row("SELECT nick, avatar FROM messages", [], pair).unwrap();
        assert_eq!(stamped, (String::new(), String::new()));
        let profiles: Vec<(String, String)> = connection
            .prepare("SELECT nick, avatar FROM profiles ORDER BY user")
            .unwrap()
            .query_map([], pair)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(profiles, vec![("Alice".to_owned(), "a.png".to_owned()), (String::new(), String::new())]);
    }
}
