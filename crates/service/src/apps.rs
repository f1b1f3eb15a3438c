//! The apps (tenants) a server serves: each has an SDKAppID, a secret key for UserSigs, an admin
//! identifier, and its session rules.

use std::collections::HashMap;
use std::sync::Arc;

use mynah_store::AppId;
use mynah_usersig::SecretKey;

/// One app's configuration.
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub sdk_app_id: AppId,
    pub secret_key: SecretKey,
    /// The identifier with administrator rights (REST API). Default `administrator`.
    pub admin_identifier: String,
    /// How many sessions one user may have on one platform; a login over the limit kicks the
    /// oldest. Default 1 (Tencent's default for web instances).
    pub max_sessions_per_platform: usize,
}

impl AppConfig {
    pub fn new(sdk_app_id: AppId, secret_key: SecretKey) -> AppConfig {
        AppConfig { sdk_app_id, secret_key, admin_identifier: "administrator".to_owned(), max_sessions_per_platform: 1 }
    }
}

/// The apps, looked up by SDKAppID. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Apps {
    by_id: Arc<HashMap<AppId, AppConfig>>,
}

impl Apps {
    pub fn new(apps: impl IntoIterator<Item = AppConfig>) -> Apps {
        Apps { by_id: Arc::new(apps.into_iter().map(|app| (app.sdk_app_id, app)).collect()) }
    }

    pub fn get(&self, sdk_app_id: AppId) -> Option<&AppConfig> {
        self.by_id.get(&sdk_app_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &AppConfig> {
        self.by_id.values()
    }
}
