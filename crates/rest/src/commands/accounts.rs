//! `im_open_login_svc` and online status: import, delete and check accounts, kick, query state.

use mynah_proto::codes::ErrorCode;
use mynah_proto::rest::codes;
use mynah_proto::rest_accounts::{
    AccountCheckRequest, AccountDeleteRequest, AccountImportRequest, AccountResult, AccountResults, KickRequest,
    MultiAccountImportRequest, MultiAccountImportResponse, OnlineStatus, PlatformStatus, QueryStateRequest,
    QueryStateResponse, platform_name,
};
use mynah_service::Service;
use mynah_service::accounts::MAX_ACCOUNTS_PER_CALL;

use crate::auth::Admin;
use crate::reply::{CommandResult, RestError, fields, parse};

/// The most accounts one `query_online_status` takes (Tencent: 500).
const MAX_QUERY_STATE: usize = 500;

/// `v4/im_open_login_svc/kick`: ends every session of the account.
pub async fn kick(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: KickRequest = parse(body)?;
    if request.user_id.is_empty() {
        return Err(RestError::new(codes::BAD_PARAMETER, "UserID is missing"));
    }
    service.kick_user(admin.app, &request.user_id).await;
    fields(&serde_json::json!({}))
}

/// `v4/openim/query_online_status`: each account's sessions.
pub async fn query_online_status(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: QueryStateRequest = parse(body)?;
    if request.to_account.len() > MAX_QUERY_STATE {
        return Err(RestError::new(
            codes::BAD_PARAMETER,
            format!("To_Account has more than {MAX_QUERY_STATE} accounts"),
        ));
    }
    let mut query_result = Vec::with_capacity(request.to_account.len());
    for user in &request.to_account {
        let sessions = service.online_sessions(admin.app, user).await;
        query_result.push({
            let status = if sessions.is_empty() { "Offline" } else { "Online" };
            let detail = (request.is_need_detail == 1).then(|| {
                sessions
                    .iter()
                    .map(|session| PlatformStatus {
                        platform: platform_name(session.platform).to_owned(),
                        status: "Online".to_owned(),
                    })
                    .collect()
            });
            OnlineStatus { to_account: user.clone(), status: status.to_owned(), detail }
        });
    }
    fields(&QueryStateResponse { query_result, error_list: Vec::new() })
}

/// `v4/im_open_login_svc/account_import`: one account, with its nickname and avatar.
pub async fn account_import(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: AccountImportRequest = parse(body)?;
    if request.user_id.is_empty() {
        return Err(RestError::new(ErrorCode::ACCOUNT_INVALID_PARAMETER, "UserID is missing"));
    }
    service.import_account(admin.app, &request.user_id, request.nick, request.face_url).await?;
    fields(&serde_json::json!({}))
}

/// `v4/im_open_login_svc/multiaccount_import`: up to 100 accounts; invalid userIDs are reported.
pub async fn multiaccount_import(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: MultiAccountImportRequest = parse(body)?;
    let fail_accounts = service.import_accounts(admin.app, request.accounts).await?;
    fields(&MultiAccountImportResponse { fail_accounts })
}

/// `v4/im_open_login_svc/account_delete`: up to 100 accounts, each with its own result.
pub async fn account_delete(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: AccountDeleteRequest = parse(body)?;
    let users: Vec<String> = request.delete_item.into_iter().map(|item| item.user_id).collect();
    let deleted = service.delete_accounts(admin.app, users.clone()).await?;
    let result_item = users
        .into_iter()
        .map(|user_id| {
            let (result_code, result_info) = if deleted.contains(&user_id) {
                (0, String::new())
            } else {
                (ErrorCode::ACCOUNT_NOT_IMPORTED.0, format!("account {user_id} does not exist"))
            };
            AccountResult { user_id, result_code, result_info, account_status: None }
        })
        .collect();
    fields(&AccountResults { result_item })
}

/// `v4/im_open_login_svc/account_check`: `Imported` or `NotImported` per account (a user who
/// logged in through an SDK is imported).
pub async fn account_check(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: AccountCheckRequest = parse(body)?;
    let users: Vec<String> = request.check_item.into_iter().map(|item| item.user_id).collect();
    if users.is_empty() || users.len() > MAX_ACCOUNTS_PER_CALL {
        return Err(RestError::new(
            ErrorCode::ACCOUNT_INVALID_PARAMETER,
            format!("CheckItem must name 1 to {MAX_ACCOUNTS_PER_CALL} accounts"),
        ));
    }
    let existing = service.existing_accounts(admin.app, users.clone()).await?;
    let result_item = users
        .into_iter()
        .map(|user_id| {
            let status = if existing.contains(&user_id) { "Imported" } else { "NotImported" };
            AccountResult {
                user_id,
                result_code: 0,
                result_info: String::new(),
                account_status: Some(status.to_owned()),
            }
        })
        .collect();
    fields(&AccountResults { result_item })
}
