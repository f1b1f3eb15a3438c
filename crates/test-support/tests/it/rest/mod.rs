//! The REST API (Tencent v4) over real HTTP against a `TestServer`, its effects observed through the
//! Rust SDK: pushes, history, unread counts, kicks and change-stream entries.
//!
//! - [`auth`]: the query string, the administrator's UserSig (from Tencent's own generator when
//!   `MYNAH_OFFICIAL_USERSIG_TOOL` is set), rate limiting, malformed bodies.
//! - [`accounts`]: import, delete, check, kick.
//! - [`messages`]: `sendmsg`, `batchsendmsg`, `importmsg`, `admin_getroammsg`, read marks, unread.
//! - [`revisions`]: recall and edit, for users online and offline.
//! - [`groups`]: groups, members, dismissal, system notices.
//! - [`group_messages`]: group sends, recalls and history.
//! - [`profiles`]: `portrait_set`/`portrait_get` and the SDK's profile operations.
//! - [`sequence_bounds`]: sequences beyond anything stored are "no such message".
//! - [`store_faults`]: a send the store fails is an internal error, never the request's fault.

mod accounts;
mod auth;
mod group_messages;
mod group_roles;
mod groups;
mod messages;
mod profiles;
mod revisions;
mod sequence_bounds;
mod store_faults;

use std::process::Command;
use std::sync::OnceLock;

use mynah_proto::frames::Push;
use mynah_proto::objects::{Change, ChangeEntry};
use mynah_test_support::{APP_ID, APP_KEY, Events, TestServer, user_sig};
use serde_json::{Value, json};

/// The administrator identifier of the test app (the default).
pub const ADMIN: &str = "administrator";

/// An administrator's UserSig: from Tencent's official npm generator when
/// `MYNAH_OFFICIAL_USERSIG_TOOL` names the command `official-usersig/install.sh` made, else (said
/// loudly) from Mynah's own generator.
pub fn admin_user_sig(identifier: &str) -> String {
    match std::env::var("MYNAH_OFFICIAL_USERSIG_TOOL") {
        Ok(tool) if !tool.is_empty() => official_user_sig(&tool, identifier),
        _ => {
            static WARNED: OnceLock<()> = OnceLock::new();
            WARNED.get_or_init(|| {
                eprintln!(
                    "\n*** MYNAH_OFFICIAL_USERSIG_TOOL is not set: the REST tests sign the administrator's UserSig \
                     with Mynah's own generator, NOT Tencent's official one. scripts/test sets it (see \
                     crates/test-support/official-usersig/install.sh). ***\n"
                );
            });
            user_sig(APP_ID, APP_KEY, identifier, 86_400)
        }
    }
}

/// Runs the official generator: `TOOL SDKAPPID KEY IDENTIFIER EXPIRE`.
pub fn official_user_sig(tool: &str, identifier: &str) -> String {
    let output = Command::new(tool)
        .args([APP_ID.to_string().as_str(), APP_KEY, identifier, "86400"])
        .output()
        .unwrap_or_else(|error| panic!("running the official UserSig tool {tool}: {error}"));
    assert!(output.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&output.stderr));
    let sig = String::from_utf8(output.stdout).expect("a UTF-8 UserSig").trim().to_owned();
    assert!(!sig.is_empty(), "{tool} printed no UserSig");
    sig
}

/// A REST caller for one server: the administrator of the test app.
pub struct Rest {
    http: reqwest::Client,
    base: String,
    user_sig: String,
}

impl Rest {
    pub fn new(server: &TestServer) -> Rest {
        Rest { http: reqwest::Client::new(), base: server.http_url(""), user_sig: admin_user_sig(ADMIN) }
    }

    /// Calls `v4/{path}` with the administrator's credentials and returns the whole reply.
    pub async fn call(&self, path: &str, body: Value) -> Value {
        let query =
            format!("sdkappid={APP_ID}&identifier={ADMIN}&usersig={}&random=42&contenttype=json", self.user_sig);
        self.raw(path, &query, body.to_string()).await
    }

    /// Calls and expects success; returns the reply.
    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let reply = self.call(path, body).await;
        assert_eq!(reply["ActionStatus"], "OK", "{path}: {reply}");
        assert_eq!(reply["ErrorCode"], 0, "{path}: {reply}");
        reply
    }

    /// Calls and expects a failure with `code`.
    pub async fn fails(&self, path: &str, body: Value, code: u32) -> Value {
        let reply = self.call(path, body).await;
        assert_eq!(reply["ActionStatus"], "FAIL", "{path}: {reply}");
        assert_eq!(reply["ErrorCode"], code, "{path}: {reply}");
        assert!(reply["ErrorInfo"].as_str().is_some_and(|info| !info.is_empty()), "{path}: {reply}");
        reply
    }

    /// Any query string and body, for the authentication cases.
    pub async fn raw(&self, path: &str, query: &str, body: String) -> Value {
        let url = format!("{}/v4/{path}?{query}", self.base);
        let response = self.http.post(url).body(body).send().await.expect("REST request");
        assert_eq!(response.status(), 200, "every REST answer is HTTP 200");
        response.json().await.expect("a JSON reply")
    }

    /// Imports accounts.
    pub async fn import(&self, users: &[&str]) {
        let reply = self.ok("im_open_login_svc/multiaccount_import", json!({ "Accounts": users })).await;
        assert_eq!(reply["FailAccounts"], json!([]));
    }
}

/// A text `MsgBody`.
pub fn text(text: &str) -> Value {
    json!([{ "MsgType": "TIMTextElem", "MsgContent": { "Text": text } }])
}

/// The next change push whose change `wanted` accepts; other pushes before it are skipped.
pub async fn next_change_where(events: &mut Events, wanted: impl Fn(&Change) -> bool) -> ChangeEntry {
    loop {
        match events.next_push().await {
            Push::Change(entry) if wanted(&entry.change) => return entry,
            _ => continue,
        }
    }
}

/// The current unix time in seconds.
pub fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}
