//! `group_open_http_svc`, ownership, roles and mutes: change the owner, ask members' roles, mute
//! and unmute members, list the muted.

use mynah_proto::codes::ErrorCode;
use mynah_proto::rest_group_roles::*;
use mynah_service::Service;

use super::input::required;
use crate::auth::Admin;
use crate::reply::{CommandResult, RestError, fields, parse};

/// `v4/group_open_http_svc/change_group_owner`.
pub async fn change_group_owner(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: ChangeGroupOwnerRequest = parse(body)?;
    let group_id = required(request.group_id, "GroupId", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let new_owner = required(request.new_owner_account, "NewOwner_Account", ErrorCode::GROUP_INVALID_PARAMETER)?;
    service.admin_change_owner(admin.app, &group_id, &new_owner).await?;
    fields(&serde_json::json!({}))
}

/// `v4/group_open_http_svc/get_role_in_group`: each named user's role, `NotMember` for others.
pub async fn get_role_in_group(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: GetRoleInGroupRequest = parse(body)?;
    let group_id = required(request.group_id, "GroupId", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let roles = service.admin_roles(admin.app, &group_id, request.user_account).await?;
    let user_id_list = roles
        .into_iter()
        .map(|(member_account, role)| UserRole {
            member_account,
            role: role.map_or(NOT_MEMBER, |role| role.as_str()).to_owned(),
        })
        .collect();
    fields(&GetRoleInGroupResponse { user_id_list })
}

/// `v4/group_open_http_svc/forbid_send_msg`: `MuteTime` (or the older `ShutUpTime`) seconds, 0
/// unmutes.
pub async fn forbid_send_msg(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: ForbidSendMsgRequest = parse(body)?;
    let invalid = ErrorCode::GROUP_INVALID_PARAMETER;
    let group_id = required(request.group_id, "GroupId", invalid)?;
    let mute_time = request.mute_time.ok_or_else(|| RestError::new(invalid, "MuteTime is missing"))?;
    let seconds = u32::try_from(mute_time)
        .map_err(|_| RestError::new(invalid, format!("MuteTime {mute_time} is not a uint32")))?;
    service.admin_mute_members(admin.app, &group_id, request.members_account, seconds).await?;
    fields(&serde_json::json!({}))
}

/// `v4/group_open_http_svc/get_group_muted_account` (also `get_group_shutted_uin`).
pub async fn get_group_muted_account(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: GetGroupMutedAccountRequest = parse(body)?;
    let group_id = required(request.group_id, "GroupId", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let muted = service.admin_muted_members(admin.app, &group_id).await?;
    let shutted_uin_list = muted
        .into_iter()
        .map(|(member_account, until_ms)| MutedMember { member_account, shutted_until: until_ms / 1000 })
        .collect();
    fields(&GetGroupMutedAccountResponse { group_id, shutted_uin_list })
}
