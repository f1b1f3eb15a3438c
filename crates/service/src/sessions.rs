//! Administrative session control: ending a user's sessions and reporting who is online.

use mynah_bus::{Delivery, SessionInfo};
use mynah_proto::codes::KickReason;
use mynah_store::AppId;

use crate::Service;

impl Service {
    /// Ends every session of `user` with the REST-kick reason. Returns how many were told.
    pub fn kick_user(&self, app: AppId, user: &str) -> usize {
        let sessions = self.bus().sessions(app, user);
        for session in &sessions {
            self.bus().publish(app, &[user], Delivery::Kick { session: session.session, reason: KickReason::RestApi });
        }
        sessions.len()
    }

    /// The sessions `user` has now, on this node or any other.
    pub fn online_sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo> {
        self.bus().sessions(app, user)
    }
}
