//! Profiles: reading and setting users' profile fields, from the SDK (`getUserProfile`,
//! `updateMyProfile`) and from the REST API (`portrait_get`, `portrait_set`). Every change reaches
//! the owner's sessions as a `profileUpdated` change.

use mynah_proto::codes::ErrorCode;
use mynah_proto::profiles::{
    CUSTOM_TAG_PREFIX, GetUserProfileRequest, GetUserProfileResult, MAX_PROFILE_VALUE_BYTES, Profile, ProfileValue,
    TagKind, UpdateMyProfileRequest, standard_tag,
};
use mynah_store::{AppId, ProfileRecord, SenderProfile, StoreError};

use crate::error::{ServiceError, ServiceResult};
use crate::{Service, Session, now_ms};

/// The most accounts one profile read takes (Tencent: 100).
pub const MAX_PROFILE_ACCOUNTS: usize = 100;
/// The longest name of an app-defined tag after `Tag_Profile_Custom_` (Tencent: 8).
pub const MAX_CUSTOM_TAG_NAME: usize = 8;

impl Service {
    /// `getUserProfile`: the profiles of the users that exist, in the order asked.
    pub async fn get_user_profile(
        &self,
        session: &Session,
        request: GetUserProfileRequest,
    ) -> ServiceResult<GetUserProfileResult> {
        // The SDK documents "at most 100; the rest are dropped", not an error.
        let mut users = request.user_id_list;
        users.truncate(MAX_PROFILE_ACCOUNTS);
        let records = self.profile_records(session.app, users).await?;
        Ok(GetUserProfileResult { profile_list: records.iter().map(profile).collect() })
    }

    /// `updateMyProfile`: changes the session's user's profile; the user's other sessions learn it.
    pub async fn update_my_profile(
        &self,
        session: &Session,
        request: UpdateMyProfileRequest,
    ) -> ServiceResult<Profile> {
        let fields = request.into_tags();
        if fields.is_empty() {
            return Err(ServiceError::new(ErrorCode::PROFILE_INVALID_PARAMETER, "nothing to update"));
        }
        for (tag, value) in &fields {
            check_field(tag, value)?;
        }
        // The user logged in, so its account exists; recording it again is harmless and covers an
        // account deleted while the session was open.
        self.record_account(session.app, &session.user).await;
        let record = self.set_profile_fields(session.app, &session.user, fields).await?;
        Ok(profile(&record))
    }

    /// The profiles of the users that have an account, in the order given (at most 100 users).
    pub async fn profile_records(&self, app: AppId, users: Vec<String>) -> ServiceResult<Vec<ProfileRecord>> {
        if users.len() > MAX_PROFILE_ACCOUNTS {
            return Err(ServiceError::new(
                ErrorCode::PROFILE_INVALID_PARAMETER,
                format!("{} accounts asked, over {MAX_PROFILE_ACCOUNTS}", users.len()),
            ));
        }
        self.store()
            .profiles
            .get_profiles(app, users)
            .await
            .map_err(|error| ServiceError::from_store("get profiles", error, ErrorCode::PROFILE_INTERNAL))
    }

    /// The nick and avatar a message from `user` is stamped with (empty without a profile). One
    /// point read, on every send; a store failure is logged under `operation` and answered with
    /// `internal_code`, the sending family's code for a server fault.
    pub(crate) async fn sender_profile(
        &self,
        app: AppId,
        user: &str,
        (operation, internal_code): (&str, ErrorCode),
    ) -> ServiceResult<SenderProfile> {
        self.store()
            .profiles
            .sender_profile(app, user)
            .await
            .map_err(|error| ServiceError::from_store(operation, error, internal_code))
    }

    /// Sets checked profile fields of an existing account and tells the owner's sessions.
    /// 40003 when the account does not exist.
    pub async fn set_profile_fields(
        &self,
        app: AppId,
        user: &str,
        fields: Vec<(String, ProfileValue)>,
    ) -> ServiceResult<ProfileRecord> {
        let set =
            self.store().profiles.set_profile(app, user, fields, now_ms()).await.map_err(|error| match error {
                StoreError::NotFound(_) => {
                    ServiceError::new(ErrorCode::PROFILE_ACCOUNT_NOT_FOUND, format!("account {user} does not exist"))
                }
                other => ServiceError::from_store("set profile", other, ErrorCode::PROFILE_INTERNAL),
            })?;
        self.publish_changes(app, std::slice::from_ref(&set.change)).await;
        Ok(set.profile)
    }
}

/// The profile of a user who never set one: just the userID.
pub fn default_profile(user: &str) -> Profile {
    Profile::from_tags(user, std::iter::empty(), 0)
}

/// A stored profile as the SDK sees it.
pub fn profile(record: &ProfileRecord) -> Profile {
    let tags = record.fields.iter().map(|(tag, value)| (tag.as_str(), value));
    Profile::from_tags(&record.user, tags, record.updated_at_ms / 1000)
}

/// Checks one profile field: a known tag, a value of its type, within its length.
/// 40009 unknown tag, 40605 wrong type or value, 40601 too long.
pub fn check_field(tag: &str, value: &ProfileValue) -> ServiceResult<()> {
    let kind = match standard_tag(tag) {
        Some(kind) => kind,
        None if is_custom_tag(tag) => {
            return match value {
                ProfileValue::Text(text) => check_length(tag, text, MAX_PROFILE_VALUE_BYTES),
                ProfileValue::Integer(_) => Ok(()),
            };
        }
        None => return Err(ServiceError::new(ErrorCode::PROFILE_UNKNOWN_TAG, format!("unknown profile tag {tag:?}"))),
    };
    let bad_value = || ServiceError::new(ErrorCode::PROFILE_BAD_VALUE, format!("{tag} does not take {value:?}"));
    match (kind, value) {
        (TagKind::Text(max), ProfileValue::Text(text)) => check_length(tag, text, max),
        (TagKind::Choice(choices), ProfileValue::Text(text)) if choices.contains(&text.as_str()) => Ok(()),
        (TagKind::Uint32, ProfileValue::Integer(number)) if u32::try_from(*number).is_ok() => Ok(()),
        _ => Err(bad_value()),
    }
}

/// `Tag_Profile_Custom_{name}` with a name of 1 to 8 letters, digits or underscores.
fn is_custom_tag(tag: &str) -> bool {
    tag.strip_prefix(CUSTOM_TAG_PREFIX).is_some_and(|name| {
        !name.is_empty()
            && name.len() <= MAX_CUSTOM_TAG_NAME
            && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    })
}

fn check_length(tag: &str, text: &str, max: usize) -> ServiceResult<()> {
    if text.len() > max {
        return Err(ServiceError::new(
            ErrorCode::PROFILE_VALUE_TOO_LONG,
            format!("{tag} is {} bytes, over {max}", text.len()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use mynah_proto::profiles::{TAG_BIRTHDAY, TAG_GENDER, TAG_LOCATION, TAG_NICK};

    use super::*;

    fn code(tag: &str, value: ProfileValue) -> u32 {
        check_field(tag, &value).err().map_or(0, |error| error.code.0)
    }

    #[test]
    fn fields_are_checked_against_their_tags() {
        let text = |value: &str| ProfileValue::Text(value.to_owned());
        assert_eq!(code(TAG_NICK, text("Alice")), 0);
        assert_eq!(code(TAG_NICK, text(&"x".repeat(501))), 40601);
        assert_eq!(code(TAG_LOCATION, text(&"x".repeat(17))), 40601);
        assert_eq!(code(TAG_NICK, ProfileValue::Integer(1)), 40605);
        assert_eq!(code(TAG_GENDER, text("Gender_Type_Male")), 0);
        assert_eq!(code(TAG_GENDER, text("male")), 40605);
        assert_eq!(code(TAG_BIRTHDAY, ProfileValue::Integer(20000101)), 0);
        assert_eq!(code(TAG_BIRTHDAY, ProfileValue::Integer(1 << 33)), 40605);
        assert_eq!(code("Tag_Profile_IM_Nope", text("x")), 40009);
        assert_eq!(code("Tag_Profile_Custom_color", text("blue")), 0);
        assert_eq!(code("Tag_Profile_Custom_color", ProfileValue::Integer(5)), 0);
        assert_eq!(code("Tag_Profile_Custom_toolongname", text("x")), 40009);
        assert_eq!(code("Tag_Profile_Custom_", text("x")), 40009);
        assert_eq!(code("Tag_Profile_Custom_a", text(&"x".repeat(501))), 40601);
    }
}
