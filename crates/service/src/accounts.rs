//! Accounts: who exists in an app. The REST API imports, deletes and checks accounts; a user who
//! logs in through an SDK is recorded at its first login (one read per login, a write only the
//! first time). The app's administrator always exists.

use mynah_proto::codes::ErrorCode;
use mynah_proto::profiles::{ProfileValue, TAG_IMAGE, TAG_NICK};
use mynah_store::AppId;

use crate::error::{ServiceError, ServiceResult};
use crate::profiles::check_field;
use crate::{Service, now_ms, validate};

/// The most accounts one import, delete or check takes (Tencent: 100).
pub const MAX_ACCOUNTS_PER_CALL: usize = 100;

impl Service {
    /// `account_import`: records one account, with its nickname and avatar when given.
    pub async fn import_account(
        &self,
        app: AppId,
        user: &str,
        nick: Option<String>,
        face_url: Option<String>,
    ) -> ServiceResult<()> {
        validate::user_id(user, ErrorCode::ACCOUNT_INVALID_PARAMETER)?;
        let fields: Vec<(String, ProfileValue)> = [(TAG_NICK, nick), (TAG_IMAGE, face_url)]
            .into_iter()
            .filter_map(|(tag, value)| value.map(|value| (tag.to_owned(), ProfileValue::Text(value))))
            .collect();
        for (tag, value) in &fields {
            check_field(tag, value)?;
        }
        self.import_accounts(app, vec![user.to_owned()]).await?;
        if !fields.is_empty() {
            self.set_profile_fields(app, user, fields).await?;
        }
        Ok(())
    }

    /// `multiaccount_import`: records accounts; returns the userIDs that are not valid (not imported).
    pub async fn import_accounts(&self, app: AppId, users: Vec<String>) -> ServiceResult<Vec<String>> {
        check_batch(users.len())?;
        let (valid, invalid): (Vec<String>, Vec<String>) =
            users.into_iter().partition(|user| validate::user_id(user, ErrorCode::ACCOUNT_INVALID_PARAMETER).is_ok());
        if !valid.is_empty() {
            self.store()
                .accounts
                .import_accounts(app, valid, now_ms())
                .await
                .map_err(|error| ServiceError::from_store("import accounts", error, ErrorCode::ACCOUNT_INTERNAL))?;
        }
        Ok(invalid)
    }

    /// `account_delete`: deletes accounts and their profiles and ends their sessions (as the REST
    /// `kick` does); returns the users that existed. Messages and memberships stay, as with Tencent.
    pub async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> ServiceResult<Vec<String>> {
        check_batch(users.len())?;
        let deleted = self
            .store()
            .accounts
            .delete_accounts(app, users)
            .await
            .map_err(|error| ServiceError::from_store("delete accounts", error, ErrorCode::ACCOUNT_INTERNAL))?;
        // A deleted account must not keep chatting on a session opened before the delete.
        for user in &deleted {
            self.kick_user(app, user).await;
        }
        Ok(deleted)
    }

    /// The users among `users` that exist, in the order given; the administrator always does.
    pub async fn existing_accounts(&self, app: AppId, users: Vec<String>) -> ServiceResult<Vec<String>> {
        let admin = self.apps().get(app).map(|config| config.admin_identifier.clone());
        let stored = self
            .store()
            .accounts
            .existing_accounts(app, users.clone())
            .await
            .map_err(|error| ServiceError::from_store("check accounts", error, ErrorCode::ACCOUNT_INTERNAL))?;
        Ok(users.into_iter().filter(|user| Some(user) == admin.as_ref() || stored.contains(user)).collect())
    }

    /// Whether one account exists.
    pub async fn account_exists(&self, app: AppId, user: &str) -> ServiceResult<bool> {
        Ok(!self.existing_accounts(app, vec![user.to_owned()]).await?.is_empty())
    }

    /// Records the account of a user who logged in, unless it exists. A failure is logged and
    /// does not fail the login: the account is recorded at a later login.
    pub(crate) async fn record_account(&self, app: AppId, user: &str) {
        match self.store().accounts.existing_accounts(app, vec![user.to_owned()]).await {
            Ok(found) if !found.is_empty() => {}
            Ok(_) => {
                if let Err(error) = self.store().accounts.import_accounts(app, vec![user.to_owned()], now_ms()).await {
                    tracing::warn!(%error, user, "could not record the account of a login");
                }
            }
            Err(error) => tracing::warn!(%error, user, "could not look up the account of a login"),
        }
    }
}

fn check_batch(count: usize) -> ServiceResult<()> {
    if count == 0 || count > MAX_ACCOUNTS_PER_CALL {
        return Err(ServiceError::new(
            ErrorCode::ACCOUNT_INVALID_PARAMETER,
            format!("{count} accounts given; 1 to {MAX_ACCOUNTS_PER_CALL} per call"),
        ));
    }
    Ok(())
}
