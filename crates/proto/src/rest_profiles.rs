//! REST bodies of `profile`: `portrait_set` and `portrait_get`, with Tencent's field names. The
//! tags themselves are in [`crate::profiles`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One `{Tag, Value}` pair. `Value` stays raw JSON so a value of the wrong type is 40605, not a
/// JSON error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileItem {
    #[serde(rename = "Tag", default)]
    pub tag: String,
    #[serde(rename = "Value", default)]
    pub value: Value,
}

/// `v4/profile/portrait_set`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PortraitSetRequest {
    #[serde(rename = "From_Account", default)]
    pub from_account: Option<String>,
    #[serde(rename = "ProfileItem", default)]
    pub profile_item: Vec<ProfileItem>,
}

/// `v4/profile/portrait_get`: up to 100 accounts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PortraitGetRequest {
    #[serde(rename = "To_Account", default)]
    pub to_account: Vec<String>,
    /// The tags to return; every stored tag when empty (Mynah; Tencent requires the list).
    #[serde(rename = "TagList", default)]
    pub tag_list: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortraitGetResponse {
    #[serde(rename = "UserProfileItem")]
    pub user_profile_item: Vec<UserProfileItem>,
    /// The accounts that do not exist.
    #[serde(rename = "Fail_Account")]
    pub fail_account: Vec<String>,
}

/// One account's profile in `portrait_get`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserProfileItem {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "ProfileItem")]
    pub profile_item: Vec<ProfileItem>,
    /// 0, or 40003 when the account does not exist.
    #[serde(rename = "ResultCode")]
    pub result_code: u32,
    #[serde(rename = "ResultInfo")]
    pub result_info: String,
}
