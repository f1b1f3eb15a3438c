//! Message revisions: a recall marks the row revoked, an edit rewrites its body; both append a
//! change-stream entry for every participant in the same transaction, so users who are offline
//! learn of it at their next sync.
//!
//! The revision is one `UPDATE … WHERE NOT revoked RETURNING`, which locks the message row: a
//! recall and an edit of one message (or two recalls) run one at a time, and the second sees the
//! first's result, so a recalled message is never edited and a recall is reported once. A group's
//! row is share-locked before it, so the members told are exactly the members when it commits.

use mynah_store::{
    AppId, Appended, ChangeRecord, ConversationKey, MessageAdminStore, MessageEdit, NewMessage, Revision, StoreError,
};
use sqlx::postgres::{PgConnection, PgPool};

use crate::groups::{self, GroupLock};
use mynah_store::backend::PreparedMessage;

use crate::messages;
use crate::rows::{backend, int, message_columns, message_from_row, stored_int, to_json};
use crate::{PostgresStore, changes};

const REVOKE: &str = concat!(
    "UPDATE messages AS m SET revoked = TRUE WHERE m.app = $1 AND m.conv_key = $2 AND m.seq = $3 AND NOT m.revoked \
     RETURNING ",
    message_columns!()
);
const MODIFY: &str = concat!(
    "UPDATE messages AS m SET body_json = COALESCE($4, m.body_json), \
     cloud_custom_data = COALESCE($5, m.cloud_custom_data) \
     WHERE m.app = $1 AND m.conv_key = $2 AND m.seq = $3 AND NOT m.revoked RETURNING ",
    message_columns!()
);

/// What a revision writes.
enum Change {
    Revoke,
    /// The new body as JSON and the new custom data; `None` keeps the current value.
    Modify {
        body_json: Option<String>,
        cloud_custom_data: Option<String>,
    },
}

/// Revokes or edits the message at `seq` and tells its participants, in one transaction.
async fn revise(
    pool: &PgPool,
    app: AppId,
    key: &ConversationKey,
    seq: u64,
    change: Change,
) -> Result<Revision, StoreError> {
    // Sequences are BIGINTs: none is above i64::MAX.
    let Some(stored_seq) = stored_int(seq) else { return Ok(Revision::NotFound) };
    let mut transaction = pool.begin().await.map_err(backend)?;
    if let Some(group_id) = key.group_id()
        && !groups::lock(&mut transaction, app, group_id, GroupLock::Shared).await?
    {
        // A group's messages go with it.
        return Ok(Revision::NotFound);
    }
    let row = match &change {
        Change::Revoke => sqlx::query(REVOKE)
            .bind(int(app))
            .bind(key.as_str())
            .bind(stored_seq)
            .fetch_optional(&mut *transaction)
            .await
            .map_err(backend)?,
        Change::Modify { body_json, cloud_custom_data } => sqlx::query(MODIFY)
            .bind(int(app))
            .bind(key.as_str())
            .bind(stored_seq)
            .bind(body_json.as_deref())
            .bind(cloud_custom_data.as_deref())
            .fetch_optional(&mut *transaction)
            .await
            .map_err(backend)?,
    };
    let Some(row) = row else {
        return refused(&mut transaction, app, key, stored_seq).await;
    };
    let message = message_from_row(&row)?;
    let record = match change {
        Change::Revoke => ChangeRecord::MessageRevoked {
            conversation: key.as_str().to_owned(),
            seq,
            message_id: message.message_id(),
        },
        Change::Modify { .. } => ChangeRecord::MessageModified {
            conversation: key.as_str().to_owned(),
            seq,
            message_id: message.message_id(),
        },
    };
    let told = participants(&mut transaction, app, key).await?.into_iter().map(|user| (user, record.clone()));
    let changes = changes::append_all(&mut transaction, app, told.collect()).await?;
    transaction.commit().await.map_err(backend)?;
    Ok(Revision::Revised { message: Box::new(message), changes })
}

/// Why nothing was revised: the message is recalled already, or there is none at `seq`.
async fn refused(
    transaction: &mut PgConnection,
    app: AppId,
    key: &ConversationKey,
    seq: i64,
) -> Result<Revision, StoreError> {
    let exists = sqlx::query("SELECT 1 AS found FROM messages WHERE app = $1 AND conv_key = $2 AND seq = $3")
        .bind(int(app))
        .bind(key.as_str())
        .bind(seq)
        .fetch_optional(transaction)
        .await
        .map_err(backend)?;
    Ok(if exists.is_some() { Revision::AlreadyRevoked } else { Revision::NotFound })
}

/// Who sees a conversation: both users of a C2C pair (one for a conversation with oneself), every
/// current member of a group.
async fn participants(
    transaction: &mut PgConnection,
    app: AppId,
    key: &ConversationKey,
) -> Result<Vec<String>, StoreError> {
    match (key.c2c_users(), key.group_id()) {
        (Some((first, second)), _) if first == second => Ok(vec![first.to_owned()]),
        (Some((first, second)), _) => Ok(vec![first.to_owned(), second.to_owned()]),
        (None, Some(group_id)) => groups::member_ids(transaction, app, group_id).await,
        (None, None) => Err(StoreError::Backend(format!("conversation key {:?} names nobody", key.as_str()))),
    }
}

#[async_trait::async_trait]
impl MessageAdminStore for PostgresStore {
    async fn append_admin_message(&self, message: NewMessage) -> Result<Appended, StoreError> {
        messages::append(&self.pool, &PreparedMessage::from_administrator(message)?).await
    }

    async fn revoke_message(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        seq: u64,
    ) -> Result<Revision, StoreError> {
        revise(&self.pool, app, conversation, seq, Change::Revoke).await
    }

    async fn modify_message(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        seq: u64,
        edit: MessageEdit,
    ) -> Result<Revision, StoreError> {
        let body_json = edit.body.as_ref().map(to_json).transpose()?;
        let change = Change::Modify { body_json, cloud_custom_data: edit.cloud_custom_data };
        revise(&self.pool, app, conversation, seq, change).await
    }
}
