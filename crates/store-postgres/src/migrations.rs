//! The schema, as hand-written migrations applied in order on start.
//!
//! A migration is never edited once released: a schema change is a new entry at the end of
//! [`MIGRATIONS`]. The tables mirror the SQLite store's (`mynah-store-sqlite`'s `migrations.rs`, which
//! documents what each row means) in PostgreSQL types; every key starts with `app` so two apps never
//! share a row. Differences from SQLite: the column SQLite calls `user` is `user_id` (`user` is a
//! reserved word in PostgreSQL), flags are `BOOLEAN`, numbers `BIGINT`, and the first migration
//! already holds the columns SQLite added later (sender nick/avatar, outbox claims).
//!
//! # Several nodes starting at once
//!
//! [`migrate`] runs in one transaction that first takes a transaction-level advisory lock
//! ([`MIGRATION_LOCK`]): a second node blocks there until the first commits, then sees the versions
//! the first recorded in `schema_migrations` and applies nothing. The lock is released by the commit
//! or the rollback, so a node that dies mid-migration leaves neither a lock nor a half-applied schema
//! (PostgreSQL's DDL is transactional). `schema_migrations.version` is a primary key, so a migration
//! can never be recorded twice.
//!
//! Why not sqlx's migrator: it reads migrations from a directory of `.sql` files (at build time with
//! `migrate!`) and checksums them, while this schema lives beside its documentation as Rust constants,
//! numbered like the SQLite store's; the locking it would add is the dozen lines below.

use sqlx::postgres::PgPool;

/// The migrations, oldest first. Entry `i` is recorded as version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    SCHEMA_V1,
    CHANGE_HEADS_V2,
    SESSION_REGISTRY_V3,
    BYTE_ORDER_KEYS_V4,
    MEMBER_PROFILE_V5,
    APPEND_FUNCTION_V6,
    CONVERSATION_PINNED_V7,
    CONVERSATION_CUSTOM_DATA_V8,
    CONVERSATION_MARKS_V9,
];

/// The advisory lock key every node takes while migrating (an arbitrary constant: "mynah" in ASCII).
pub const MIGRATION_LOCK: i64 = 0x006d_796e_6168;

/// The first schema: SQLite's five migrations folded into one.
const SCHEMA_V1: &str = "
CREATE TABLE conversations (
    app BIGINT NOT NULL,
    conv_key TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    counted_total BIGINT NOT NULL,
    last_visible_seq BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (app, conv_key)
);

CREATE TABLE user_conversations (
    app BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    conv_key TEXT NOT NULL,
    read_seq BIGINT NOT NULL,
    read_counted BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (app, user_id, conv_key)
);

CREATE TABLE messages (
    app BIGINT NOT NULL,
    conv_key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    client_msg_id TEXT NOT NULL,
    random BIGINT NOT NULL,
    time_ms BIGINT NOT NULL,
    body_json TEXT NOT NULL,
    cloud_custom_data TEXT NOT NULL,
    priority TEXT NOT NULL,
    need_read_receipt BOOLEAN NOT NULL,
    excluded_from_unread_count BOOLEAN NOT NULL,
    excluded_from_last_message BOOLEAN NOT NULL,
    counted_index BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    nick TEXT NOT NULL DEFAULT '',
    avatar TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (app, conv_key, seq)
);
CREATE UNIQUE INDEX messages_by_id ON messages (app, message_id);

CREATE TABLE changes (
    app BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (app, user_id, position)
);

CREATE TABLE chat_groups (
    app BIGINT NOT NULL,
    group_id TEXT NOT NULL,
    conv_key TEXT NOT NULL,
    group_type TEXT NOT NULL,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    max_member_num BIGINT NOT NULL,
    join_option TEXT NOT NULL,
    introduction TEXT NOT NULL,
    notification TEXT NOT NULL,
    avatar TEXT NOT NULL,
    member_count BIGINT NOT NULL,
    PRIMARY KEY (app, group_id)
);

CREATE TABLE group_members (
    app BIGINT NOT NULL,
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    joined_at_ms BIGINT NOT NULL,
    PRIMARY KEY (app, group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (app, user_id, group_id) INCLUDE (role, joined_at_ms);

CREATE TABLE accounts (
    app BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (app, user_id)
);

CREATE TABLE profiles (
    app BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    fields_json TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    nick TEXT NOT NULL DEFAULT '',
    avatar TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (app, user_id)
);

CREATE TABLE webhook_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app BIGINT NOT NULL,
    command TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until_ms BIGINT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_ms, id);
";

/// The head of each user's change stream. SQLite takes a user's next position as its highest plus
/// one on its single writer; with several writers that would race, so a write takes the position by
/// incrementing this row (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), which locks it until the
/// write commits: positions are dense and become visible in order. See `changes.rs`.
const CHANGE_HEADS_V2: &str = "
CREATE TABLE change_heads (
    app BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (app, user_id)
);
";

/// The cluster-wide session registry (`registry.rs`): a lease per running node, a row per session.
/// `nodes` belongs to the cluster, not to an app, so its key is the node alone; `sessions_by_node`
/// serves the sweep that forgets a dead node's sessions, across apps.
const SESSION_REGISTRY_V3: &str = "
CREATE TABLE nodes (
    node BIGINT PRIMARY KEY,
    lease_until TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    app BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    session BIGINT NOT NULL,
    node BIGINT NOT NULL,
    platform TEXT NOT NULL,
    login_started_ms BIGINT NOT NULL,
    PRIMARY KEY (app, user_id, session)
);
CREATE INDEX sessions_by_node ON sessions (node);
";

/// Every key column compares as bytes (`COLLATE "C"`), whatever the database's default collation:
/// lists ordered or tie-broken by an ID (members by user, groups by ID, conversations by key) come
/// out in the same order as from the SQLite store, which compares text as bytes, and IDs that a
/// locale would call equal or reorder (case, accents) stay distinct and stable. The test harness's
/// databases are `C` already; a production database created with `en_US.UTF-8` is not.
const BYTE_ORDER_KEYS_V4: &str = r#"
ALTER TABLE conversations ALTER COLUMN conv_key TYPE TEXT COLLATE "C";
ALTER TABLE user_conversations ALTER COLUMN user_id TYPE TEXT COLLATE "C",
    ALTER COLUMN conv_key TYPE TEXT COLLATE "C";
ALTER TABLE messages ALTER COLUMN conv_key TYPE TEXT COLLATE "C",
    ALTER COLUMN message_id TYPE TEXT COLLATE "C",
    ALTER COLUMN sender TYPE TEXT COLLATE "C",
    ALTER COLUMN receiver TYPE TEXT COLLATE "C",
    ALTER COLUMN client_msg_id TYPE TEXT COLLATE "C";
ALTER TABLE changes ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE change_heads ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE chat_groups ALTER COLUMN group_id TYPE TEXT COLLATE "C",
    ALTER COLUMN conv_key TYPE TEXT COLLATE "C",
    ALTER COLUMN owner TYPE TEXT COLLATE "C";
ALTER TABLE group_members ALTER COLUMN group_id TYPE TEXT COLLATE "C",
    ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE accounts ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE profiles ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE sessions ALTER COLUMN user_id TYPE TEXT COLLATE "C";
"#;

/// Member profiles in a group, as SQLite's migration 6: `group_members.mute_until_ms` (unix ms; 0
/// never muted) and `group_members.name_card`, read with the membership by the point lookup every
/// group send makes and carried by the by-user index as it carries the role; `messages.name_card`,
/// the sender's name card stamped at send time like `nick` (the append function of migration 6
/// writes it).
const MEMBER_PROFILE_V5: &str = r#"
ALTER TABLE group_members ADD COLUMN mute_until_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN name_card TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN name_card TEXT NOT NULL DEFAULT '';
DROP INDEX group_members_by_user;
CREATE INDEX group_members_by_user ON group_members (app, user_id, group_id)
    INCLUDE (role, joined_at_ms, mute_until_ms, name_card);
"#;

/// A message append as one server-side function, so a send costs one round trip and one statement
/// instead of five (`BEGIN`, advance the conversation, move the read mark, insert, `COMMIT`): the
/// node and PostgreSQL each spent most of a send's CPU on the protocol and statement overhead of the
/// separate steps. Called as a single autocommit statement, it is atomic: any error, raised or not,
/// rolls back everything it did, the sequence it took included. Its steps and their locks are those
/// of `messages.rs` (see the lock order in `lib.rs`): advance the conversation row (its lock orders
/// appends), move the sender's read mark (creating both rows of a new C2C pair), insert the message,
/// and insert the after-send event when asked. Outcomes other than success are errors with their
/// own SQLSTATE: `MYNA1` the group does not exist, `MYNA2` the sender must be a member and is not,
/// and `23505` (unique violation) the message ID is taken, on which the caller looks up the original.
const APPEND_FUNCTION_V6: &str = r#"
CREATE FUNCTION mynah_append_message(
    p_app BIGINT, p_conv_key TEXT, p_is_group BOOLEAN, p_sender_must_be_member BOOLEAN,
    p_message_id TEXT, p_sender TEXT, p_receiver TEXT, p_client_msg_id TEXT, p_random BIGINT,
    p_time_ms BIGINT, p_now_ms BIGINT, p_body_json TEXT, p_cloud_custom_data TEXT, p_priority TEXT,
    p_need_read_receipt BOOLEAN, p_excluded_from_unread_count BOOLEAN, p_excluded_from_last_message BOOLEAN,
    p_nick TEXT, p_avatar TEXT, p_name_card TEXT, p_hook_command TEXT, p_hook_payload TEXT,
    OUT seq BIGINT, OUT counted_index BIGINT, OUT time_ms BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    v_counted BIGINT := CASE WHEN p_excluded_from_unread_count THEN 0 ELSE 1 END;
    v_updated_at BIGINT;
    v_moved BIGINT;
BEGIN
    IF p_is_group THEN
        UPDATE conversations AS c SET
            last_seq = c.last_seq + 1,
            counted_total = c.counted_total + v_counted,
            last_visible_seq = CASE WHEN p_excluded_from_last_message THEN c.last_visible_seq ELSE c.last_seq + 1 END,
            updated_at_ms = GREATEST(c.updated_at_ms, COALESCE(p_time_ms, p_now_ms))
        WHERE c.app = p_app AND c.conv_key = p_conv_key
        RETURNING c.last_seq, c.counted_total, c.updated_at_ms INTO seq, counted_index, v_updated_at;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no group %', p_receiver USING ERRCODE = 'MYNA1';
        END IF;
    ELSE
        INSERT INTO conversations AS c (app, conv_key, last_seq, counted_total, last_visible_seq, updated_at_ms)
        VALUES (p_app, p_conv_key, 1, v_counted, CASE WHEN p_excluded_from_last_message THEN 0 ELSE 1 END,
                COALESCE(p_time_ms, p_now_ms))
        ON CONFLICT (app, conv_key) DO UPDATE SET
            last_seq = c.last_seq + 1,
            counted_total = c.counted_total + v_counted,
            last_visible_seq = CASE WHEN p_excluded_from_last_message THEN c.last_visible_seq ELSE c.last_seq + 1 END,
            updated_at_ms = GREATEST(c.updated_at_ms, COALESCE(p_time_ms, p_now_ms))
        RETURNING c.last_seq, c.counted_total, c.updated_at_ms INTO seq, counted_index, v_updated_at;
    END IF;
    -- A live message is stamped with the conversation's new time: never earlier than the message
    -- before it.
    time_ms := COALESCE(p_time_ms, v_updated_at);

    UPDATE user_conversations AS u SET read_seq = seq, read_counted = counted_index,
        updated_at_ms = GREATEST(u.updated_at_ms, time_ms)
    WHERE u.app = p_app AND u.user_id = p_sender AND u.conv_key = p_conv_key;
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    IF p_is_group THEN
        IF v_moved = 0 AND p_sender_must_be_member THEN
            RAISE EXCEPTION '% is not a member of %', p_sender, p_receiver USING ERRCODE = 'MYNA2';
        END IF;
    ELSIF v_moved = 0 THEN
        -- The pair's first message (or, never expected, a sender row gone missing): both users'
        -- rows. The receiver starts at read 0.
        INSERT INTO user_conversations AS u (app, user_id, conv_key, read_seq, read_counted, updated_at_ms)
        VALUES (p_app, p_sender, p_conv_key, seq, counted_index, time_ms)
        ON CONFLICT (app, user_id, conv_key) DO UPDATE SET read_seq = excluded.read_seq,
            read_counted = excluded.read_counted, updated_at_ms = GREATEST(u.updated_at_ms, excluded.updated_at_ms);
        INSERT INTO user_conversations (app, user_id, conv_key, read_seq, read_counted, updated_at_ms)
        VALUES (p_app, p_receiver, p_conv_key, 0, 0, time_ms)
        ON CONFLICT (app, user_id, conv_key) DO NOTHING;
    END IF;

    -- No ON CONFLICT: a taken ID raises 23505, undoing everything above. A resend racing the
    -- original waits here for it to commit.
    INSERT INTO messages (app, conv_key, seq, message_id, sender, receiver, client_msg_id, random, time_ms,
        body_json, cloud_custom_data, priority, need_read_receipt, excluded_from_unread_count,
        excluded_from_last_message, counted_index, revoked, nick, avatar, name_card)
    VALUES (p_app, p_conv_key, seq, p_message_id, p_sender, p_receiver, p_client_msg_id, p_random, time_ms,
        p_body_json, p_cloud_custom_data, p_priority, p_need_read_receipt, p_excluded_from_unread_count,
        p_excluded_from_last_message, counted_index, FALSE, p_nick, p_avatar, p_name_card);

    IF p_hook_command IS NOT NULL THEN
        INSERT INTO webhook_outbox (app, command, payload, attempts, next_attempt_ms)
        VALUES (p_app, p_hook_command, p_hook_payload, 0, time_ms);
    END IF;
END
$$;
"#;

/// The user's own attributes of a conversation: `pinned` lists it first (SQLite's migration 7).
const CONVERSATION_PINNED_V7: &str = "
ALTER TABLE user_conversations ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE;
";

/// The user's own custom data of a conversation (SQLite's migration 8).
const CONVERSATION_CUSTOM_DATA_V8: &str = "
ALTER TABLE user_conversations ADD COLUMN custom_data TEXT NOT NULL DEFAULT '';
";

/// The user's own marks of a conversation, as bits (SQLite's migration 9; bit 63 makes the stored
/// `BIGINT` negative).
const CONVERSATION_MARKS_V9: &str = "
ALTER TABLE user_conversations ADD COLUMN marks BIGINT NOT NULL DEFAULT 0;
";

/// Brings the database up to the newest schema: all pending migrations in one transaction, under
/// [`MIGRATION_LOCK`]. Returns how many migrations this call applied.
pub async fn migrate(pool: &PgPool) -> Result<usize, MigrationError> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *transaction).await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .execute(&mut *transaction)
    .await?;
    let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        .fetch_one(&mut *transaction)
        .await?;
    let known = MIGRATIONS.len();
    let current = usize::try_from(current).unwrap_or(usize::MAX);
    if current > known {
        return Err(MigrationError::TooNew { found: current, known });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        sqlx::raw_sql(*sql).execute(&mut *transaction).await?;
        let version = i64::try_from(index + 1).expect("few migrations");
        sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    let applied = known - current;
    if applied > 0 {
        tracing::info!(from = current, to = known, "applied postgres migrations");
    }
    Ok(applied)
}

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("the database has schema version {found}, newer than this build knows ({known})")]
    TooNew { found: usize, known: usize },
    #[error("migration failed: {0}")]
    Postgres(#[from] sqlx::Error),
}
