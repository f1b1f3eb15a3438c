//! The development app: when no app is configured, `mynah serve` makes one and keeps it in the
//! data directory, so a restart keeps the same SDKAppID and key.

use std::fs;
use std::io;
use std::path::Path;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::config::AppEntry;

const FILE_NAME: &str = "dev-app.json";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredDevApp {
    #[serde(rename = "sdkAppID")]
    sdk_app_id: u64,
    secret_key: String,
}

/// Loads the development app from `data`, creating it on first use. Returns it and whether it was
/// just created.
pub fn load_or_create(data: &Path) -> io::Result<(AppEntry, bool)> {
    let path = data.join(FILE_NAME);
    if let Ok(text) = fs::read_to_string(&path) {
        let stored: StoredDevApp =
            serde_json::from_str(&text).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        return Ok((dev_entry(stored), false));
    }
    let mut random = rand::rng();
    let stored = StoredDevApp {
        sdk_app_id: 1_400_000_000 + random.random_range(0..100_000_000),
        secret_key: (0..32).map(|_| format!("{:02x}", random.random::<u8>())).collect(),
    };
    fs::write(&path, serde_json::to_vec_pretty(&stored).map_err(io::Error::other)?)?;
    Ok((dev_entry(stored), true))
}

fn dev_entry(stored: StoredDevApp) -> AppEntry {
    AppEntry {
        sdk_app_id: stored.sdk_app_id,
        secret_key: stored.secret_key,
        admin_identifier: "administrator".to_owned(),
        max_sessions_per_platform: None,
        webhook: None,
    }
}
