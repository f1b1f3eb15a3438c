//! Login: UserSig verification, session registration on the bus, and kicking the sessions a new
//! login displaces.

use std::net::IpAddr;

use mynah_bus::{Delivery, Subscription};
use mynah_proto::PROTOCOL_VERSION;
use mynah_proto::codes::{ErrorCode, KickReason};
use mynah_proto::requests::{LoginRequest, LoginResult};
use mynah_store::OutboxEvent;
use mynah_usersig::UserSigError;

use crate::error::{ServiceError, ServiceResult};
use crate::hooks::StateChange;
use crate::{Service, Session, now_ms, validate};

/// What a successful login hands the connection: the session, its subscription, and the result
/// to send the client.
pub struct LoginGrant {
    pub session: Session,
    pub subscription: Subscription,
    pub result: LoginResult,
    /// When the UserSig expires, unix seconds; the session must end then.
    pub expires_at: u64,
}

impl Service {
    /// Verifies a login and registers the session. Sessions of the same user and platform beyond
    /// the app's limit are kicked, oldest first.
    ///
    /// The session is numbered before anything is awaited: numbers give the order in which logins
    /// started, and that order decides which sessions are displaced. A login that took long (its
    /// client may have given up and logged in again on a new connection) must not displace a login
    /// that started after it.
    pub async fn login(&self, request: &LoginRequest, client_ip: Option<IpAddr>) -> ServiceResult<LoginGrant> {
        let session_id = self.next_session_id();
        if request.protocol_version != PROTOCOL_VERSION {
            return Err(ServiceError::new(
                ErrorCode::REQUEST_MALFORMED,
                format!(
                    "protocol version {} is not supported; this server speaks {PROTOCOL_VERSION}",
                    request.protocol_version
                ),
            ));
        }
        let app = self.apps().get(request.sdk_app_id).ok_or_else(|| {
            ServiceError::new(
                ErrorCode::SDKAPPID_NOT_FOUND,
                format!("SDKAppID {} is not configured", request.sdk_app_id),
            )
        })?;
        validate::user_id(&request.user_id, ErrorCode::ACCOUNT_INVALID_PARAMETER)?;
        let now_seconds = now_ms() / 1000;
        let claims =
            mynah_usersig::verify(&request.user_sig, app.sdk_app_id, &request.user_id, &app.secret_key, now_seconds)
                .map_err(usersig_error)?;
        // A user who logged in counts as an imported account (REST `account_check`).
        self.record_account(app.sdk_app_id, &request.user_id).await;

        let session = Session {
            app: app.sdk_app_id,
            user: request.user_id.clone(),
            session_id,
            platform: request.platform,
            client_ip: client_ip.map(|address| address.to_string()).unwrap_or_default(),
        };
        let (subscription, displaced) = self.bus().subscribe(
            session.app,
            &session.user,
            session.session_id,
            session.platform,
            app.max_sessions_per_platform,
        );
        for displaced_session in displaced {
            self.bus().publish(
                session.app,
                &[session.user.as_str()],
                Delivery::Kick { session: displaced_session, reason: KickReason::MultipleAccount },
            );
        }
        let position = self
            .store()
            .changes
            .head_position(session.app, &session.user)
            .await
            .map_err(|error| ServiceError::from_store("login", error, ErrorCode::ACCOUNT_INTERNAL))?;
        metrics::counter!("mynah_logins_total").increment(1);
        self.record_state_change(&session, StateChange::Login).await;
        let result = LoginResult {
            server_time_ms: now_ms(),
            position,
            user_sig_expire_time: claims.expires_at(),
            session_id: session.session_id,
        };
        Ok(LoginGrant { session, subscription, result, expires_at: claims.expires_at() })
    }
}

impl Service {
    /// Tells the service a session ended, and why (for the `State.StateChange` webhook).
    pub async fn session_ended(&self, session: &Session, how: StateChange) {
        self.record_state_change(session, how).await;
    }

    async fn record_state_change(&self, session: &Session, how: StateChange) {
        let Some(command) = self.hooks().state_change_command(session.app) else { return };
        let (action, reason) = how.action_and_reason();
        let event = OutboxEvent::StateChanged {
            user: session.user.clone(),
            action: action.to_owned(),
            reason: reason.to_owned(),
            platform: session.origin().platform,
            at_ms: now_ms(),
        };
        if let Err(error) = self.store().outbox.enqueue(session.app, command, event).await {
            tracing::error!(%error, user = %session.user, "could not record a state change for the webhook");
        }
    }
}

fn usersig_error(error: UserSigError) -> ServiceError {
    ServiceError::new(ErrorCode(error.code()), format!("UserSig rejected: {error}"))
}
