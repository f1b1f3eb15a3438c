//! Login: UserSig verification, the session's subscription (its user topic and the topics of its
//! groups) and registration, and the multi-device policy: which older sessions a login displaces.

use std::net::IpAddr;

use mynah_bus::{Delivery, SessionId, SessionInfo, Subscription, Topic};
use mynah_proto::PROTOCOL_VERSION;
use mynah_proto::codes::{ErrorCode, KickReason};
use mynah_proto::requests::{LoginRequest, LoginResult, Platform};
use mynah_store::OutboxEvent;
use mynah_usersig::UserSigError;

use crate::error::{ServiceError, ServiceResult};
use crate::hooks::StateChange;
use crate::{Service, Session, now_ms, validate};

/// What a successful login hands the connection: the session, its subscription, and the result
/// to send the client. Once the result is written, the connection calls
/// [`Service::displace_older_sessions`].
pub struct LoginGrant {
    pub session: Session,
    /// Also holds the session's registration: dropping it ends both.
    pub subscription: Subscription,
    pub result: LoginResult,
    /// When the UserSig expires, unix seconds; the session must end then.
    pub expires_at: u64,
}

impl Service {
    /// Verifies a login, subscribes the session to its user topic and its groups' topics, and
    /// registers it. Displaces nobody: a login can still fail here or while its result is written,
    /// and a failed login must leave the user's other devices alone.
    ///
    /// The session is numbered and its start time taken before anything is awaited: they give the
    /// order in which logins started, and that order decides which sessions are displaced. A login
    /// that took long (its client may have given up and logged in again on a new connection) must
    /// not displace a login that started after it.
    pub async fn login(&self, request: &LoginRequest, client_ip: Option<IpAddr>) -> ServiceResult<LoginGrant> {
        let session_id = self.next_session_id();
        let login_started_ms = now_ms();
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
        // Subscribe before reading the position: a change appended after the read is pushed, one
        // before it is found by the client's sync. Then the groups, read after the position, so a
        // membership change the bus hears of later wins over the list (see `Bus::load_groups`).
        let mut subscription = self.bus().subscribe(session.app, &session.user, session.session_id).await;
        let internal = |error| ServiceError::from_store("login", error, ErrorCode::ACCOUNT_INTERNAL);
        let position = self.store().changes.head_position(session.app, &session.user).await.map_err(internal)?;
        let group_ids = self.store().groups.group_ids_of_user(session.app, &session.user).await.map_err(internal)?;
        self.bus().load_groups(session.app, &session.user, session.session_id, &group_ids, position).await;
        let registration = self
            .registry()
            .register(
                session.app,
                &session.user,
                SessionInfo { session: session.session_id, platform: session.platform, login_started_ms },
            )
            .await;
        subscription.attach(Box::new(registration));
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

    /// The multi-device policy, applied once a login has succeeded and its result was written:
    /// sessions of the user on the same platform beyond the app's limit are kicked, oldest login
    /// first (this may be the new session itself, when an older login finished late). Kicks travel
    /// on the user topic, so they reach the displaced session on whichever node holds it.
    pub async fn displace_older_sessions(&self, session: &Session) {
        let Some(app) = self.apps().get(session.app) else { return };
        let sessions = self.registry().sessions(session.app, &session.user).await;
        for displaced in displaced_sessions(&sessions, session.platform, app.max_sessions_per_platform) {
            self.bus()
                .publish(
                    session.app,
                    Topic::User(&session.user),
                    Delivery::Kick { session: displaced, reason: KickReason::MultipleAccount },
                )
                .await;
        }
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

/// The sessions on `platform` beyond `limit` (at least 1), oldest login first: by login start,
/// not by registration, so a login that finished late (its client may have given up on it) displaces
/// itself rather than a login that started after it.
fn displaced_sessions(sessions: &[SessionInfo], platform: Platform, limit: usize) -> Vec<SessionId> {
    let mut same_platform: Vec<&SessionInfo> = sessions.iter().filter(|info| info.platform == platform).collect();
    same_platform.sort_by_key(|info| info.login_order());
    let excess = same_platform.len().saturating_sub(limit.max(1));
    same_platform[..excess].iter().map(|info| info.session).collect()
}

fn usersig_error(error: UserSigError) -> ServiceError {
    ServiceError::new(ErrorCode(error.code()), format!("UserSig rejected: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(session: SessionId, platform: Platform, login_started_ms: u64) -> SessionInfo {
        SessionInfo { session, platform, login_started_ms }
    }

    #[test]
    fn the_oldest_logins_of_the_platform_over_the_limit_are_displaced() {
        let sessions = [
            info(3, Platform::Web, 300),
            info(1, Platform::Web, 100),
            info(2, Platform::Web, 200),
            info(4, Platform::Ios, 50),
        ];
        assert_eq!(displaced_sessions(&sessions, Platform::Web, 2), vec![1]);
        assert_eq!(displaced_sessions(&sessions, Platform::Web, 1), vec![1, 2]);
        assert!(displaced_sessions(&sessions, Platform::Ios, 1).is_empty());
        // A limit of 0 means 1: a login always keeps a session.
        assert_eq!(displaced_sessions(&sessions, Platform::Web, 0), vec![1, 2]);
    }

    #[test]
    fn a_login_that_finishes_late_displaces_itself_not_a_newer_one() {
        // Session 7's login started first but finished after session 8's.
        let sessions = [info(8, Platform::Web, 2_000), info(7, Platform::Web, 1_000)];
        assert_eq!(displaced_sessions(&sessions, Platform::Web, 1), vec![7]);
    }
}
