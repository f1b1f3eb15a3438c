//! `group_open_http_svc`, groups and members: create, read, add and remove members, dismiss, and
//! the groups of a user.

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::{GroupType, JoinOption, MemberRole};
use mynah_proto::requests::{self, InitialMember};
use mynah_proto::rest_groups::*;
use mynah_service::Service;
use mynah_service::admin_groups::{MAX_GROUP_INFO, MemberAddition};
use mynah_store::{GroupRecord, MemberRecord};

use super::input::required;
use crate::auth::Admin;
use crate::reply::{CommandResult, RestError, fields, parse};

/// `v4/group_open_http_svc/create_group`. Without `Owner_Account` the administrator owns the group.
pub async fn create_group(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: CreateGroupRequest = parse(body)?;
    let invalid = |message: String| RestError::new(ErrorCode::GROUP_INVALID_PARAMETER, message);
    let type_name = required(request.group_type, "Type", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let group_type =
        GroupType::parse(&type_name).ok_or_else(|| invalid(format!("unknown group Type {type_name:?}")))?;
    let name = required(request.name, "Name", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let join_option = match request.apply_join_option {
        Some(option) => {
            Some(JoinOption::parse(&option).ok_or_else(|| invalid(format!("unknown ApplyJoinOption {option:?}")))?)
        }
        None => None,
    };
    let mut member_list = Vec::with_capacity(request.member_list.len());
    for member in request.member_list {
        let role = match member.role.as_deref() {
            None | Some("") | Some("Member") => None,
            Some("Admin") => Some(MemberRole::Admin),
            Some(other) => return Err(invalid(format!("unknown Role {other:?}"))),
        };
        member_list.push(InitialMember { user_id: member.member_account, role });
    }
    let owner = request.owner_account.filter(|owner| !owner.is_empty()).unwrap_or_else(|| admin.identifier.clone());
    let create = requests::CreateGroupRequest {
        group_type,
        name,
        group_id: request.group_id.filter(|group_id| !group_id.is_empty()),
        member_list,
        introduction: request.introduction,
        notification: request.notification,
        avatar: request.face_url,
        join_option,
        max_member_num: request.max_member_count,
    };
    let group = service.admin_create_group(admin.app, &owner, create).await?;
    fields(&CreateGroupResponse { group_id: group.group_id })
}

/// `v4/group_open_http_svc/get_group_info`: profiles and members of up to 50 groups; a group that
/// cannot be read carries its own error code.
pub async fn get_group_info(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: GetGroupInfoRequest = parse(body)?;
    if request.group_id_list.is_empty() || request.group_id_list.len() > MAX_GROUP_INFO {
        return Err(RestError::new(
            ErrorCode::GROUP_INVALID_PARAMETER,
            format!("GroupIdList must name 1 to {MAX_GROUP_INFO} groups"),
        ));
    }
    let mut group_info = Vec::with_capacity(request.group_id_list.len());
    for group_id in request.group_id_list {
        let info = match service.admin_group_info(admin.app, &group_id).await {
            Ok((group, members)) => GroupInfo {
                member_list: Some(members.iter().map(|member| member_info(member, true)).collect()),
                ..base_info(&group, admin.app)
            },
            Err(error) => GroupInfo {
                group_id,
                error_code: Some(error.code.0),
                error_info: Some(error.message),
                ..GroupInfo::default()
            },
        };
        group_info.push(info);
    }
    fields(&GetGroupInfoResponse { group_info })
}

/// `v4/group_open_http_svc/add_group_member`: each account's outcome (0 failed, 1 added, 2 already in).
pub async fn add_group_member(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: AddGroupMemberRequest = parse(body)?;
    let group_id = required(request.group_id, "GroupId", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let users = request.member_list.into_iter().map(|member| member.member_account).collect();
    let outcomes = service.admin_add_members(admin.app, &group_id, users).await?;
    let member_list = outcomes
        .into_iter()
        .map(|(member_account, outcome)| {
            let result = match outcome {
                MemberAddition::Failed => 0,
                MemberAddition::Added => 1,
                MemberAddition::AlreadyMember => 2,
            };
            MemberResult { member_account, result }
        })
        .collect();
    fields(&AddGroupMemberResponse { member_list })
}

/// `v4/group_open_http_svc/delete_group_member`: removed members get a system notice with `Reason`.
pub async fn delete_group_member(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: DeleteGroupMemberRequest = parse(body)?;
    let group_id = required(request.group_id, "GroupId", ErrorCode::GROUP_INVALID_PARAMETER)?;
    service.admin_remove_members(admin.app, &group_id, request.member_to_del_account, &request.reason).await?;
    fields(&serde_json::json!({}))
}

/// `v4/group_open_http_svc/destroy_group`.
pub async fn destroy_group(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: DestroyGroupRequest = parse(body)?;
    let group_id = required(request.group_id, "GroupId", ErrorCode::GROUP_INVALID_PARAMETER)?;
    service.admin_dismiss_group(admin.app, &group_id).await?;
    fields(&serde_json::json!({}))
}

/// `v4/group_open_http_svc/get_joined_group_list`: the groups of one account, paged, with the
/// fields its `ResponseFilter` asks for.
pub async fn get_joined_group_list(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: GetJoinedGroupListRequest = parse(body)?;
    let user = required(request.member_account, "Member_Account", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let wanted_type = match request.group_type.filter(|name| !name.is_empty()) {
        Some(name) => Some(GroupType::parse(&name).ok_or_else(|| {
            RestError::new(ErrorCode::GROUP_INVALID_PARAMETER, format!("unknown GroupType {name:?}"))
        })?),
        None => None,
    };
    let mut groups = service.admin_joined_groups(admin.app, &user).await?;
    groups.retain(|(group, _)| wanted_type.is_none_or(|wanted| group.group_type == wanted));
    let total_count = groups.len() as u32;
    let offset = request.offset.unwrap_or(0) as usize;
    let limit = request.limit.filter(|limit| *limit > 0).map_or(usize::MAX, |limit| limit as usize);
    let filter = request.response_filter.unwrap_or_default();
    let group_id_list = groups
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(group, member)| filtered_info(group, member, &filter, admin.app))
        .collect();
    fields(&GetJoinedGroupListResponse { total_count, group_id_list })
}

/// A group's base fields as `get_group_info` reports them.
fn base_info(group: &GroupRecord, app: u64) -> GroupInfo {
    GroupInfo {
        group_id: group.group_id.clone(),
        error_code: Some(0),
        error_info: Some(String::new()),
        group_type: Some(group.group_type.as_str().to_owned()),
        name: Some(group.name.clone()),
        app_id: Some(app),
        introduction: Some(group.introduction.clone()),
        notification: Some(group.notification.clone()),
        face_url: Some(group.avatar.clone()),
        owner_account: Some(group.owner.clone()),
        create_time: Some(group.created_at_ms / 1000),
        next_msg_seq: Some(group.last_seq + 1),
        member_num: Some(group.member_count),
        max_member_num: Some(group.max_member_num),
        apply_join_option: Some(group.join_option.as_str().to_owned()),
        shut_up_all_member: Some("Off".to_owned()),
        member_list: None,
        self_info: None,
    }
}

/// Only the base fields `filter` names (`GroupId` always), and the membership when asked.
fn filtered_info(group: &GroupRecord, member: &MemberRecord, filter: &ResponseFilter, app: u64) -> GroupInfo {
    let full = base_info(group, app);
    let wants = |field: &str| filter.group_base_info_filter.iter().any(|name| name == field);
    GroupInfo {
        group_id: full.group_id,
        error_code: None,
        error_info: None,
        group_type: full.group_type.filter(|_| wants("Type")),
        name: full.name.filter(|_| wants("Name")),
        app_id: full.app_id.filter(|_| wants("Appid")),
        introduction: full.introduction.filter(|_| wants("Introduction")),
        notification: full.notification.filter(|_| wants("Notification")),
        face_url: full.face_url.filter(|_| wants("FaceUrl")),
        owner_account: full.owner_account.filter(|_| wants("Owner_Account")),
        create_time: full.create_time.filter(|_| wants("CreateTime")),
        next_msg_seq: full.next_msg_seq.filter(|_| wants("NextMsgSeq")),
        member_num: full.member_num.filter(|_| wants("MemberNum")),
        max_member_num: full.max_member_num.filter(|_| wants("MaxMemberNum")),
        apply_join_option: full.apply_join_option.filter(|_| wants("ApplyJoinOption")),
        shut_up_all_member: full.shut_up_all_member.filter(|_| wants("ShutUpAllMember")),
        member_list: None,
        self_info: (!filter.self_info_filter.is_empty()).then(|| member_info(member, false)),
    }
}

fn member_info(member: &MemberRecord, with_account: bool) -> MemberInfo {
    MemberInfo {
        member_account: with_account.then(|| member.user.clone()),
        role: member.role.as_str().to_owned(),
        join_time: member.joined_at_ms / 1000,
        msg_flag: "AcceptAndNotify".to_owned(),
    }
}
