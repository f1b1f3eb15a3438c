//! Accounts and profiles: who exists in an app, and each account's profile (a tag → value map
//! stored as one JSON object per account, with the two tags a message is stamped with also in
//! their own columns).

use std::collections::{BTreeMap, HashMap, HashSet};

use async_trait::async_trait;
use mynah_proto::profiles::{ProfileValue, TAG_IMAGE, TAG_NICK};
use mynah_store::{
    AccountStore, AppId, ChangeRecord, ProfileRecord, ProfileSet, ProfileStore, SenderProfile, StoreError,
};
use sqlx::postgres::PgRow;

use crate::PostgresStore;
use crate::changes;
use crate::rows::{backend, int, text, to_json, unsigned};

/// The users of `users` that are in `found`, in the order given, each once.
fn in_given_order(users: &[String], found: &HashSet<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    users.iter().filter(|user| found.contains(*user) && seen.insert(user.as_str())).cloned().collect()
}

/// The first column of every row, as a set.
fn user_ids(rows: &[PgRow]) -> Result<HashSet<String>, StoreError> {
    rows.iter().map(|row| text(row, "user_id")).collect()
}

/// Decodes a profile row (`fields_json` and `updated_at_ms`, both null when never set).
fn profile_from_row(row: &PgRow) -> Result<ProfileRecord, StoreError> {
    let user = text(row, "user_id")?;
    let fields_json: Option<String> = sqlx::Row::try_get(row, "fields_json").map_err(backend)?;
    let Some(fields_json) = fields_json else {
        return Ok(ProfileRecord { user, ..ProfileRecord::default() });
    };
    let fields: BTreeMap<String, ProfileValue> = serde_json::from_str(&fields_json)
        .map_err(|error| StoreError::Backend(format!("profile of {user} is not valid JSON: {error}")))?;
    Ok(ProfileRecord { user, fields, updated_at_ms: unsigned(row, "updated_at_ms")? })
}

#[async_trait]
impl AccountStore for PostgresStore {
    async fn import_accounts(&self, app: AppId, users: Vec<String>, at_ms: u64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "INSERT INTO accounts (app, user_id, created_at_ms) \
             SELECT $1, user_id, $3 FROM unnest($2::TEXT[]) AS given(user_id) \
             ON CONFLICT (app, user_id) DO NOTHING RETURNING user_id",
        )
        .bind(int(app))
        .bind(dedup(&users))
        .bind(int(at_ms))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(in_given_order(&users, &user_ids(&rows)?))
    }

    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<String>, StoreError> {
        let mut transaction = self.pool.begin().await.map_err(backend)?;
        let rows = sqlx::query("DELETE FROM accounts WHERE app = $1 AND user_id = ANY($2) RETURNING user_id")
            .bind(int(app))
            .bind(&users)
            .fetch_all(&mut *transaction)
            .await
            .map_err(backend)?;
        let deleted = user_ids(&rows)?;
        let deleted_list: Vec<&String> = deleted.iter().collect();
        sqlx::query("DELETE FROM profiles WHERE app = $1 AND user_id = ANY($2)")
            .bind(int(app))
            .bind(deleted_list)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        transaction.commit().await.map_err(backend)?;
        Ok(in_given_order(&users, &deleted))
    }

    async fn existing_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT user_id FROM accounts WHERE app = $1 AND user_id = ANY($2)")
            .bind(int(app))
            .bind(&users)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let found = user_ids(&rows)?;
        // Listed twice, found twice: the order given, duplicates kept, like a lookup per user.
        Ok(users.into_iter().filter(|user| found.contains(user)).collect())
    }
}

/// The users, each once, in the order given (an `INSERT` may not touch a row twice).
fn dedup(users: &[String]) -> Vec<&str> {
    let mut seen = HashSet::new();
    users.iter().map(String::as_str).filter(|user| seen.insert(*user)).collect()
}

#[async_trait]
impl ProfileStore for PostgresStore {
    async fn set_profile(
        &self,
        app: AppId,
        user: &str,
        fields: Vec<(String, ProfileValue)>,
        at_ms: u64,
    ) -> Result<ProfileSet, StoreError> {
        let mut transaction = self.pool.begin().await.map_err(backend)?;
        // The account row's lock serializes merges of one profile: two nodes setting different
        // fields at once both keep theirs.
        let row = sqlx::query(
            "SELECT a.user_id, p.fields_json, p.updated_at_ms FROM accounts a \
             LEFT JOIN profiles p ON p.app = a.app AND p.user_id = a.user_id \
             WHERE a.app = $1 AND a.user_id = $2 FOR UPDATE OF a",
        )
        .bind(int(app))
        .bind(user)
        .fetch_optional(&mut *transaction)
        .await
        .map_err(backend)?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("account {user}")));
        };
        let mut record = profile_from_row(&row)?;
        record.fields.extend(fields);
        record.updated_at_ms = at_ms;
        let fields_json = to_json(&record.fields)?;
        // Both only ever hold text (the service checks every write); anything else stamps as empty.
        let text_of = |tag: &str| record.fields.get(tag).and_then(ProfileValue::as_text).unwrap_or_default();
        sqlx::query(
            "INSERT INTO profiles (app, user_id, fields_json, updated_at_ms, nick, avatar) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (app, user_id) DO UPDATE SET fields_json = excluded.fields_json, \
             updated_at_ms = excluded.updated_at_ms, nick = excluded.nick, avatar = excluded.avatar",
        )
        .bind(int(app))
        .bind(user)
        .bind(fields_json)
        .bind(int(at_ms))
        .bind(text_of(TAG_NICK))
        .bind(text_of(TAG_IMAGE))
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
        let change =
            changes::append(&mut transaction, app, user, &ChangeRecord::ProfileUpdated { user: user.to_owned() })
                .await?;
        transaction.commit().await.map_err(backend)?;
        Ok(ProfileSet { profile: record, change })
    }

    async fn get_profiles(&self, app: AppId, users: Vec<String>) -> Result<Vec<ProfileRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.user_id, p.fields_json, p.updated_at_ms FROM accounts a \
             LEFT JOIN profiles p ON p.app = a.app AND p.user_id = a.user_id \
             WHERE a.app = $1 AND a.user_id = ANY($2)",
        )
        .bind(int(app))
        .bind(&users)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut found: HashMap<String, ProfileRecord> = HashMap::new();
        for row in &rows {
            let record = profile_from_row(row)?;
            found.insert(record.user.clone(), record);
        }
        Ok(users.iter().filter_map(|user| found.get(user).cloned()).collect())
    }

    async fn sender_profile(&self, app: AppId, user: &str) -> Result<SenderProfile, StoreError> {
        let row = sqlx::query("SELECT nick, avatar FROM profiles WHERE app = $1 AND user_id = $2")
            .bind(int(app))
            .bind(user)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map_or(Ok(SenderProfile::default()), |row| {
            Ok(SenderProfile { nick: text(&row, "nick")?, avatar: text(&row, "avatar")? })
        })
    }
}
