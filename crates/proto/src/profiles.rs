//! User profiles: the SDK-facing `Profile` object, the profile operations' bodies, and Tencent's
//! profile tags (`Tag_Profile_IM_*`, `Tag_Profile_Custom_*`), which the REST API uses as field names.
//!
//! One profile is a set of tag → value pairs. The SDK names each standard tag with a camelCase field
//! (`nick` is `Tag_Profile_IM_Nick`); [`STANDARD_TAGS`] is that mapping.

use serde::{Deserialize, Serialize};

/// `Tag_Profile_IM_Nick`: the nickname (string).
pub const TAG_NICK: &str = "Tag_Profile_IM_Nick";
/// `Tag_Profile_IM_Gender`: `Gender_Type_Unknown`, `Gender_Type_Female` or `Gender_Type_Male`.
pub const TAG_GENDER: &str = "Tag_Profile_IM_Gender";
/// `Tag_Profile_IM_BirthDay`: a uint32, recommended `YYYYMMDD`.
pub const TAG_BIRTHDAY: &str = "Tag_Profile_IM_BirthDay";
/// `Tag_Profile_IM_Location`: a string of at most 16 bytes.
pub const TAG_LOCATION: &str = "Tag_Profile_IM_Location";
/// `Tag_Profile_IM_SelfSignature`: the status line (string).
pub const TAG_SELF_SIGNATURE: &str = "Tag_Profile_IM_SelfSignature";
/// `Tag_Profile_IM_AllowType`: `AllowType_Type_NeedConfirm`, `AllowType_Type_AllowAny` or `AllowType_Type_DenyAny`.
pub const TAG_ALLOW_TYPE: &str = "Tag_Profile_IM_AllowType";
/// `Tag_Profile_IM_Language`: a uint32.
pub const TAG_LANGUAGE: &str = "Tag_Profile_IM_Language";
/// `Tag_Profile_IM_Image`: the avatar URL (string).
pub const TAG_IMAGE: &str = "Tag_Profile_IM_Image";
/// `Tag_Profile_IM_MsgSettings`: a uint32 of flags (bit 0: block messages).
pub const TAG_MSG_SETTINGS: &str = "Tag_Profile_IM_MsgSettings";
/// `Tag_Profile_IM_AdminForbidType`: `AdminForbid_Type_None` or `AdminForbid_Type_SendOut`.
pub const TAG_ADMIN_FORBID_TYPE: &str = "Tag_Profile_IM_AdminForbidType";
/// `Tag_Profile_IM_Level`: a uint32.
pub const TAG_LEVEL: &str = "Tag_Profile_IM_Level";
/// `Tag_Profile_IM_Role`: a uint32.
pub const TAG_ROLE: &str = "Tag_Profile_IM_Role";
/// The prefix of app-defined tags: `Tag_Profile_Custom_{name}`.
pub const CUSTOM_TAG_PREFIX: &str = "Tag_Profile_Custom_";

/// What a standard tag holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// A string of at most this many bytes.
    Text(usize),
    /// One of the listed strings.
    Choice(&'static [&'static str]),
    /// A uint32.
    Uint32,
}

/// Gender values (the SDK's `TYPES.GENDER_*`).
pub const GENDERS: &[&str] = &["Gender_Type_Unknown", "Gender_Type_Female", "Gender_Type_Male"];
/// Friend-request verification values (the SDK's `TYPES.ALLOW_TYPE_*`).
pub const ALLOW_TYPES: &[&str] = &["AllowType_Type_NeedConfirm", "AllowType_Type_AllowAny", "AllowType_Type_DenyAny"];
/// Admin-forbid values (the SDK's `TYPES.FORBID_TYPE_*`).
pub const ADMIN_FORBID_TYPES: &[&str] = &["AdminForbid_Type_None", "AdminForbid_Type_SendOut"];

/// The longest string value of a profile field, in bytes (Tencent: 500).
pub const MAX_PROFILE_VALUE_BYTES: usize = 500;

/// Every standard tag: its SDK field name and what it holds.
pub const STANDARD_TAGS: &[(&str, &str, TagKind)] = &[
    (TAG_NICK, "nick", TagKind::Text(MAX_PROFILE_VALUE_BYTES)),
    (TAG_GENDER, "gender", TagKind::Choice(GENDERS)),
    (TAG_BIRTHDAY, "birthday", TagKind::Uint32),
    (TAG_LOCATION, "location", TagKind::Text(16)),
    (TAG_SELF_SIGNATURE, "selfSignature", TagKind::Text(MAX_PROFILE_VALUE_BYTES)),
    (TAG_ALLOW_TYPE, "allowType", TagKind::Choice(ALLOW_TYPES)),
    (TAG_LANGUAGE, "language", TagKind::Uint32),
    (TAG_IMAGE, "avatar", TagKind::Text(MAX_PROFILE_VALUE_BYTES)),
    (TAG_MSG_SETTINGS, "messageSettings", TagKind::Uint32),
    (TAG_ADMIN_FORBID_TYPE, "adminForbidType", TagKind::Choice(ADMIN_FORBID_TYPES)),
    (TAG_LEVEL, "level", TagKind::Uint32),
    (TAG_ROLE, "role", TagKind::Uint32),
];

/// What a standard tag holds, `None` for tags that are not standard.
pub fn standard_tag(tag: &str) -> Option<TagKind> {
    STANDARD_TAGS.iter().find(|(name, _, _)| *name == tag).map(|(_, _, kind)| *kind)
}

/// A profile value: Tencent's profile fields are strings or unsigned integers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProfileValue {
    Integer(u64),
    Text(String),
}

impl ProfileValue {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ProfileValue::Text(text) => Some(text),
            ProfileValue::Integer(_) => None,
        }
    }

    pub fn as_integer(&self) -> Option<u64> {
        match self {
            ProfileValue::Integer(value) => Some(*value),
            ProfileValue::Text(_) => None,
        }
    }
}

/// A user's profile as the SDK sees it. Unset fields have their documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(rename = "userID")]
    pub user_id: String,
    pub nick: String,
    pub gender: String,
    pub birthday: u64,
    pub location: String,
    pub self_signature: String,
    pub allow_type: String,
    pub language: u64,
    pub avatar: String,
    pub message_settings: u64,
    pub admin_forbid_type: String,
    pub level: u64,
    pub role: u64,
    /// When the profile last changed, unix seconds (0 when never set).
    pub last_updated_time: u64,
    /// App-defined fields, `key` being the whole tag (`Tag_Profile_Custom_{name}`).
    pub profile_custom_field: Vec<ProfileCustomField>,
}

/// One app-defined profile field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileCustomField {
    pub key: String,
    pub value: ProfileValue,
}

impl Profile {
    /// The profile of a user from its tag → value pairs (tags that are not known are left out).
    pub fn from_tags<'a>(
        user_id: &str,
        tags: impl IntoIterator<Item = (&'a str, &'a ProfileValue)>,
        last_updated_time: u64,
    ) -> Profile {
        let mut profile = Profile {
            user_id: user_id.to_owned(),
            nick: String::new(),
            gender: GENDERS[0].to_owned(),
            birthday: 0,
            location: String::new(),
            self_signature: String::new(),
            allow_type: ALLOW_TYPES[0].to_owned(),
            language: 0,
            avatar: String::new(),
            message_settings: 0,
            admin_forbid_type: ADMIN_FORBID_TYPES[0].to_owned(),
            level: 0,
            role: 0,
            last_updated_time,
            profile_custom_field: Vec::new(),
        };
        for (tag, value) in tags {
            let text = || value.as_text().unwrap_or_default().to_owned();
            let number = value.as_integer().unwrap_or_default();
            match tag {
                TAG_NICK => profile.nick = text(),
                TAG_GENDER => profile.gender = text(),
                TAG_BIRTHDAY => profile.birthday = number,
                TAG_LOCATION => profile.location = text(),
                TAG_SELF_SIGNATURE => profile.self_signature = text(),
                TAG_ALLOW_TYPE => profile.allow_type = text(),
                TAG_LANGUAGE => profile.language = number,
                TAG_IMAGE => profile.avatar = text(),
                TAG_MSG_SETTINGS => profile.message_settings = number,
                TAG_ADMIN_FORBID_TYPE => profile.admin_forbid_type = text(),
                TAG_LEVEL => profile.level = number,
                TAG_ROLE => profile.role = number,
                custom if custom.starts_with(CUSTOM_TAG_PREFIX) => profile
                    .profile_custom_field
                    .push(ProfileCustomField { key: custom.to_owned(), value: value.clone() }),
                _ => {}
            }
        }
        profile
    }
}

/// `getUserProfile`: the profiles of up to 100 users.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUserProfileRequest {
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUserProfileResult {
    /// The profiles of the users that exist, in the order asked.
    pub profile_list: Vec<Profile>,
}

/// `updateMyProfile`: the fields to change; absent fields keep their values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMyProfileRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_settings: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_forbid_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile_custom_field: Vec<ProfileCustomField>,
}

impl UpdateMyProfileRequest {
    /// The request as tag → value pairs, standard tags first, in a fixed order.
    pub fn into_tags(self) -> Vec<(String, ProfileValue)> {
        let text = |tag: &str, value: Option<String>| value.map(|value| (tag.to_owned(), ProfileValue::Text(value)));
        let number = |tag: &str, value: Option<u64>| value.map(|value| (tag.to_owned(), ProfileValue::Integer(value)));
        let standard = [
            text(TAG_NICK, self.nick),
            text(TAG_GENDER, self.gender),
            number(TAG_BIRTHDAY, self.birthday),
            text(TAG_LOCATION, self.location),
            text(TAG_SELF_SIGNATURE, self.self_signature),
            text(TAG_ALLOW_TYPE, self.allow_type),
            number(TAG_LANGUAGE, self.language),
            text(TAG_IMAGE, self.avatar),
            number(TAG_MSG_SETTINGS, self.message_settings),
            text(TAG_ADMIN_FORBID_TYPE, self.admin_forbid_type),
            number(TAG_LEVEL, self.level),
            number(TAG_ROLE, self.role),
        ];
        standard
            .into_iter()
            .flatten()
            .chain(self.profile_custom_field.into_iter().map(|field| (field.key, field.value)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_has_defaults_and_takes_known_tags() {
        let nick = ProfileValue::Text("Alice".to_owned());
        let level = ProfileValue::Integer(7);
        let custom = ProfileValue::Text("blue".to_owned());
        let unknown = ProfileValue::Integer(1);
        let tags =
            [(TAG_NICK, &nick), (TAG_LEVEL, &level), ("Tag_Profile_Custom_color", &custom), ("Tag_Other", &unknown)];
        let profile = Profile::from_tags("alice", tags, 1_700_000_000);
        assert_eq!(profile.nick, "Alice");
        assert_eq!(profile.level, 7);
        assert_eq!(profile.gender, "Gender_Type_Unknown");
        assert_eq!(profile.allow_type, "AllowType_Type_NeedConfirm");
        assert_eq!(
            profile.profile_custom_field,
            vec![ProfileCustomField { key: "Tag_Profile_Custom_color".into(), value: custom }]
        );
        let encoded = serde_json::to_value(&profile).unwrap();
        assert_eq!(encoded["userID"], "alice");
        assert_eq!(encoded["selfSignature"], "");
        assert_eq!(encoded["profileCustomField"][0]["value"], "blue");
    }

    #[test]
    fn an_update_becomes_tags() {
        let update: UpdateMyProfileRequest = serde_json::from_str(
            r#"{"nick":"Bob","level":3,"profileCustomField":[{"key":"Tag_Profile_Custom_x","value":5}]}"#,
        )
        .unwrap();
        assert_eq!(
            update.into_tags(),
            vec![
                (TAG_NICK.to_owned(), ProfileValue::Text("Bob".into())),
                (TAG_LEVEL.to_owned(), ProfileValue::Integer(3)),
                ("Tag_Profile_Custom_x".to_owned(), ProfileValue::Integer(5)),
            ]
        );
        assert_eq!(standard_tag(TAG_LOCATION), Some(TagKind::Text(16)));
        assert_eq!(standard_tag("Tag_Profile_Custom_x"), None);
    }
}
