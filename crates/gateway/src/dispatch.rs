//! One request of a logged-in session to the service call that serves it, encoded as its response
//! frame.

use mynah_proto::codes::ErrorCode;
use mynah_proto::frames::Response;
use mynah_proto::requests::{Empty, HeartbeatResult, Request};
use mynah_service::{Service, ServiceError, Session, now_ms};
use serde::Serialize;

/// What the connection does with a served request.
pub enum Outcome {
    /// Send this frame.
    Reply(String),
    /// Send this frame, then close the connection normally (logout).
    ReplyAndClose(String),
}

/// Serves one request of a logged-in session.
pub async fn dispatch(service: Service, session: Session, id: u64, request: Request) -> Outcome {
    let reply = match request {
        Request::Login(_) => encode::<Empty>(
            id,
            Err(ServiceError::new(ErrorCode::REQUEST_MALFORMED, "this connection is already logged in")),
        ),
        Request::Logout(_) => return Outcome::ReplyAndClose(encode(id, Ok(Empty {}))),
        Request::Heartbeat(_) => encode(id, Ok(HeartbeatResult { server_time_ms: now_ms() })),
        Request::SendMessage(body) => encode(id, service.send_message(&session, body).await),
        Request::GetMessageList(body) => encode(id, service.get_message_list(&session, body).await),
        Request::FindMessage(body) => encode(id, service.find_message(&session, body).await),
        Request::SetMessageRead(body) => encode(id, service.set_message_read(&session, body).await),
        Request::PinConversation(body) => encode(id, service.pin_conversation(&session, body).await),
        Request::MarkConversation(body) => encode(id, service.mark_conversation(&session, body).await),
        Request::SetConversationCustomData(body) => {
            encode(id, service.set_conversation_custom_data(&session, body).await)
        }
        Request::GetConversationList(_) => encode(id, service.get_conversation_list(&session).await),
        Request::GetConversation(body) => encode(id, service.get_conversation(&session, body).await),
        Request::GetTotalUnreadMessageCount(_) => encode(id, service.get_total_unread(&session).await),
        Request::Sync(body) => encode(id, service.sync(&session, body).await),
        Request::CreateGroup(body) => encode(id, service.create_group(&session, body).await),
        Request::JoinGroup(body) => encode(id, service.join_group(&session, body).await),
        Request::QuitGroup(body) => encode(id, service.quit_group(&session, body).await.map(|()| Empty {})),
        Request::GetGroupList(_) => encode(id, service.get_group_list(&session).await),
        Request::GetGroupProfile(body) => encode(id, service.get_group_profile(&session, body).await),
        Request::DismissGroup(body) => encode(id, service.dismiss_group(&session, body).await.map(|()| Empty {})),
        Request::GetGroupMemberList(body) => encode(id, service.get_group_member_list(&session, body).await),
        Request::GetGroupMemberProfile(body) => encode(id, service.get_group_member_profile(&session, body).await),
        Request::AddGroupMember(body) => encode(id, service.add_group_member(&session, body).await),
        Request::DeleteGroupMember(body) => encode(id, service.delete_group_member(&session, body).await),
        Request::UpdateGroupProfile(body) => encode(id, service.update_group_profile(&session, body).await),
        Request::SetGroupMemberRole(body) => encode(id, service.set_group_member_role(&session, body).await),
        Request::ChangeGroupOwner(body) => encode(id, service.change_group_owner(&session, body).await),
        Request::SetGroupMemberMuteTime(body) => encode(id, service.set_group_member_mute_time(&session, body).await),
        Request::SetGroupMemberNameCard(body) => encode(id, service.set_group_member_name_card(&session, body).await),
        Request::GetUserProfile(body) => encode(id, service.get_user_profile(&session, body).await),
        Request::UpdateMyProfile(body) => encode(id, service.update_my_profile(&session, body).await),
        other => encode::<Empty>(
            id,
            Err(ServiceError::new(ErrorCode::REQUEST_MALFORMED, format!("operation {} is not served", other.op()))),
        ),
    };
    Outcome::Reply(reply)
}

/// Encodes a result as its response frame.
pub fn encode<T: Serialize>(id: u64, result: Result<T, ServiceError>) -> String {
    let encoded = match result {
        Ok(data) => serde_json::to_string(&Response::ok(id, data)),
        Err(error) => serde_json::to_string(&Response::<()>::error(id, error.code, error.message)),
    };
    // Our own types always serialize; if one ever fails, the client still gets an answer.
    encoded.unwrap_or_else(|error| {
        tracing::error!(%error, "response did not encode");
        format!(r#"{{"id":{id},"code":{},"message":"internal server error"}}"#, ErrorCode::ACCOUNT_INTERNAL.0)
    })
}
