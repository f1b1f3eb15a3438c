//! The dispatch table: `{service}/{command}` to the function that serves it.

mod accounts;
mod group_messages;
mod group_roles;
mod groups;
mod input;
mod openim;
mod profiles;

use mynah_proto::rest::codes;
use mynah_service::Service;

use crate::auth::Admin;
use crate::reply::{CommandResult, RestError};

/// Serves one command.
pub async fn dispatch(
    service: &Service,
    admin: &Admin,
    service_name: &str,
    command: &str,
    body: &[u8],
) -> CommandResult {
    match (service_name, command) {
        ("im_open_login_svc", "kick") => accounts::kick(service, admin, body).await,
        ("openim", "query_online_status") | ("openim", "querystate") => {
            accounts::query_online_status(service, admin, body).await
        }
        ("im_open_login_svc", "account_import") => accounts::account_import(service, admin, body).await,
        ("im_open_login_svc", "multiaccount_import") => accounts::multiaccount_import(service, admin, body).await,
        ("im_open_login_svc", "account_delete") => accounts::account_delete(service, admin, body).await,
        ("im_open_login_svc", "account_check") => accounts::account_check(service, admin, body).await,
        ("openim", "sendmsg") => openim::sendmsg(service, admin, body).await,
        ("openim", "batchsendmsg") => openim::batchsendmsg(service, admin, body).await,
        ("openim", "importmsg") => openim::importmsg(service, admin, body).await,
        ("openim", "admin_getroammsg") => openim::admin_getroammsg(service, admin, body).await,
        ("openim", "admin_msgwithdraw") => openim::admin_msgwithdraw(service, admin, body).await,
        ("openim", "admin_set_msg_read") => openim::admin_set_msg_read(service, admin, body).await,
        ("openim", "get_c2c_unread_msg_num") => openim::get_c2c_unread_msg_num(service, admin, body).await,
        ("openim", "modify_c2c_msg") => openim::modify_c2c_msg(service, admin, body).await,
        ("group_open_http_svc", "create_group") => groups::create_group(service, admin, body).await,
        ("group_open_http_svc", "get_group_info") => groups::get_group_info(service, admin, body).await,
        ("group_open_http_svc", "add_group_member") => groups::add_group_member(service, admin, body).await,
        ("group_open_http_svc", "delete_group_member") => groups::delete_group_member(service, admin, body).await,
        ("group_open_http_svc", "destroy_group") => groups::destroy_group(service, admin, body).await,
        ("group_open_http_svc", "get_joined_group_list") => groups::get_joined_group_list(service, admin, body).await,
        ("group_open_http_svc", "change_group_owner") => group_roles::change_group_owner(service, admin, body).await,
        ("group_open_http_svc", "get_role_in_group") => group_roles::get_role_in_group(service, admin, body).await,
        ("group_open_http_svc", "forbid_send_msg") => group_roles::forbid_send_msg(service, admin, body).await,
        ("group_open_http_svc", "get_group_muted_account") | ("group_open_http_svc", "get_group_shutted_uin") => {
            group_roles::get_group_muted_account(service, admin, body).await
        }
        ("group_open_http_svc", "send_group_msg") => group_messages::send_group_msg(service, admin, body).await,
        ("group_open_http_svc", "send_group_system_notification") => {
            group_messages::send_group_system_notification(service, admin, body).await
        }
        ("group_open_http_svc", "group_msg_recall") => group_messages::group_msg_recall(service, admin, body).await,
        ("group_open_http_svc", "group_msg_get_simple") => {
            group_messages::group_msg_get_simple(service, admin, body).await
        }
        ("profile", "portrait_set") => profiles::portrait_set(service, admin, body).await,
        ("profile", "portrait_get") => profiles::portrait_get(service, admin, body).await,
        _ => Err(RestError::new(codes::UNKNOWN_COMMAND, format!("unknown command v4/{service_name}/{command}"))),
    }
}
