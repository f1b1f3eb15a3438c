//! REST bodies of `im_open_login_svc` (accounts) and online status, with Tencent's field names.

use serde::{Deserialize, Serialize};

/// `v4/im_open_login_svc/kick`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KickRequest {
    #[serde(rename = "UserID", alias = "Identifier", default)]
    pub user_id: String,
}

/// `v4/openim/query_online_status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryStateRequest {
    #[serde(rename = "IsNeedDetail", default)]
    pub is_need_detail: u32,
    #[serde(rename = "To_Account", default)]
    pub to_account: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryStateResponse {
    #[serde(rename = "QueryResult")]
    pub query_result: Vec<OnlineStatus>,
    #[serde(rename = "ErrorList")]
    pub error_list: Vec<AccountError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnlineStatus {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    /// `Online`, `PushOnline` or `Offline`.
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "Detail", default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Vec<PlatformStatus>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlatformStatus {
    #[serde(rename = "Platform")]
    pub platform: String,
    #[serde(rename = "Status")]
    pub status: String,
}

/// A per-account failure inside a successful batch answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountError {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: u32,
}

/// Tencent's platform names in online-status details.
pub fn platform_name(platform: crate::requests::Platform) -> &'static str {
    use crate::requests::Platform;
    match platform {
        Platform::Web => "Web",
        Platform::Android => "Android",
        Platform::Ios => "iPhone",
        Platform::Windows => "Windows",
        Platform::Mac => "Mac",
        Platform::Linux => "Linux",
    }
}

/// `v4/im_open_login_svc/account_import`. `UserID` (older clients send `Identifier`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountImportRequest {
    #[serde(rename = "UserID", alias = "Identifier", default)]
    pub user_id: String,
    #[serde(rename = "Nick", default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(rename = "FaceUrl", default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
}

/// `v4/im_open_login_svc/multiaccount_import`: up to 100 accounts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MultiAccountImportRequest {
    #[serde(rename = "Accounts", default)]
    pub accounts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultiAccountImportResponse {
    /// The accounts that could not be imported (invalid userIDs).
    #[serde(rename = "FailAccounts")]
    pub fail_accounts: Vec<String>,
}

/// One account named in `account_delete` / `account_check`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountItem {
    #[serde(rename = "UserID", default)]
    pub user_id: String,
}

/// `v4/im_open_login_svc/account_delete`: up to 100 accounts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountDeleteRequest {
    #[serde(rename = "DeleteItem", default)]
    pub delete_item: Vec<AccountItem>,
}

/// `v4/im_open_login_svc/account_check`: up to 100 accounts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountCheckRequest {
    #[serde(rename = "CheckItem", default)]
    pub check_item: Vec<AccountItem>,
}

/// One account's result in `account_delete` and `account_check`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountResult {
    #[serde(rename = "UserID")]
    pub user_id: String,
    #[serde(rename = "ResultCode")]
    pub result_code: u32,
    #[serde(rename = "ResultInfo")]
    pub result_info: String,
    /// `account_check` only: `Imported` or `NotImported`.
    #[serde(rename = "AccountStatus", default, skip_serializing_if = "Option::is_none")]
    pub account_status: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountResults {
    #[serde(rename = "ResultItem")]
    pub result_item: Vec<AccountResult>,
}
