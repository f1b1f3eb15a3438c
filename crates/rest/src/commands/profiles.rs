//! `profile`: set and read accounts' profile fields (`Tag_Profile_IM_*`, `Tag_Profile_Custom_*`).

use mynah_proto::codes::ErrorCode;
use mynah_proto::profiles::ProfileValue;
use mynah_proto::rest_profiles::*;
use mynah_service::Service;
use mynah_service::profiles::check_field;
use serde_json::Value;

use super::input::required;
use crate::auth::Admin;
use crate::reply::{CommandResult, RestError, fields, parse};

/// `v4/profile/portrait_set`: sets fields of an existing account; its sessions learn it.
pub async fn portrait_set(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: PortraitSetRequest = parse(body)?;
    let user = required(request.from_account, "From_Account", ErrorCode::PROFILE_INVALID_PARAMETER)?;
    if request.profile_item.is_empty() {
        return Err(RestError::new(ErrorCode::PROFILE_INVALID_PARAMETER, "ProfileItem is empty"));
    }
    let mut updates = Vec::with_capacity(request.profile_item.len());
    for item in request.profile_item {
        let value = profile_value(&item.tag, item.value)?;
        check_field(&item.tag, &value)?;
        updates.push((item.tag, value));
    }
    service.set_profile_fields(admin.app, &user, updates).await?;
    fields(&serde_json::json!({}))
}

/// `v4/profile/portrait_get`: the asked tags of up to 100 accounts (every stored tag when
/// `TagList` is empty).
pub async fn portrait_get(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: PortraitGetRequest = parse(body)?;
    if request.to_account.is_empty() {
        return Err(RestError::new(ErrorCode::PROFILE_INVALID_PARAMETER, "To_Account is empty"));
    }
    let records = service.profile_records(admin.app, request.to_account.clone()).await?;
    let mut user_profile_item = Vec::with_capacity(request.to_account.len());
    let mut fail_account = Vec::new();
    for user in request.to_account {
        let Some(record) = records.iter().find(|record| record.user == user) else {
            fail_account.push(user.clone());
            user_profile_item.push(UserProfileItem {
                to_account: user.clone(),
                profile_item: Vec::new(),
                result_code: ErrorCode::PROFILE_ACCOUNT_NOT_FOUND.0,
                result_info: format!("account {user} does not exist"),
            });
            continue;
        };
        let profile_item = record
            .fields
            .iter()
            .filter(|(tag, _)| request.tag_list.is_empty() || request.tag_list.contains(tag))
            .map(|(tag, value)| ProfileItem {
                tag: tag.clone(),
                value: serde_json::to_value(value).unwrap_or(Value::Null),
            })
            .collect();
        user_profile_item.push(UserProfileItem {
            to_account: user,
            profile_item,
            result_code: 0,
            result_info: String::new(),
        });
    }
    fields(&PortraitGetResponse { user_profile_item, fail_account })
}

/// A JSON value as a profile value: a string or an unsigned integer, 40605 otherwise.
fn profile_value(tag: &str, value: Value) -> Result<ProfileValue, RestError> {
    match value {
        Value::String(text) => Ok(ProfileValue::Text(text)),
        Value::Number(number) if number.as_u64().is_some() => {
            Ok(ProfileValue::Integer(number.as_u64().unwrap_or_default()))
        }
        other => Err(RestError::new(
            ErrorCode::PROFILE_BAD_VALUE,
            format!("{tag} takes a string or an unsigned integer, not {other}"),
        )),
    }
}
