//! Administrative session control: ending a user's sessions and reporting who is online.

use mynah_bus::{Delivery, SessionInfo, Topic};
use mynah_proto::codes::KickReason;
use mynah_store::AppId;

use crate::Service;

impl Service {
    /// Ends every session of `user` with the REST-kick reason. Returns how many were told.
    pub async fn kick_user(&self, app: AppId, user: &str) -> usize {
        let sessions = self.registry().sessions(app, user).await;
        for session in &sessions {
            let kick = Delivery::Kick { session: session.session, reason: KickReason::RestApi };
            self.bus().publish(app, Topic::User(user), kick).await;
        }
        sessions.len()
    }

    /// The sessions `user` has now, on this node or any other, oldest login first.
    pub async fn online_sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo> {
        self.registry().sessions(app, user).await
    }
}
