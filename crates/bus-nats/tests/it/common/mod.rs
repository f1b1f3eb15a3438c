//! What the tests share: the throwaway `nats-server` (`mynah-nats-harness`), a node on it, and
//! marked pushes with a way to collect them.

use std::time::Duration;

use mynah_bus::{Delivery, SharedPush, Subscription};
use mynah_bus_nats::NatsBus;
pub use mynah_nats_harness::NatsServer;
use mynah_proto::codes::KickReason;
use mynah_proto::frames::Push;
use mynah_proto::requests::Kicked;

/// The bus of one node on `server`.
pub async fn node(server: &NatsServer) -> NatsBus {
    NatsBus::connect(&server.url).await.expect("connects to the test nats-server")
}

pub const APP: u64 = 1;
/// Long enough for a message to cross a loopback NATS server many times over.
pub const SETTLE: Duration = Duration::from_millis(400);

/// A push told apart by its `except_session`, which names no real session.
pub fn marked(marker: u64) -> Delivery {
    let push = SharedPush::new(Push::Kicked(Kicked { reason: KickReason::RestApi }));
    Delivery::Push { push, except_session: Some(1_000_000 + marker) }
}

/// The markers of the pushes (and the sessions of the kicks) that arrived: whatever comes within
/// `SETTLE`, and then more for as long as deliveries keep coming (a loaded machine is slower).
pub async fn received(subscription: &mut Subscription) -> Vec<String> {
    let mut seen = Vec::new();
    tokio::time::sleep(SETTLE).await;
    loop {
        let before = seen.len();
        while let Some(delivery) = subscription.receiver.try_recv() {
            seen.push(match delivery {
                Delivery::Push { except_session, .. } => {
                    format!("push {}", except_session.unwrap_or(0) - 1_000_000)
                }
                Delivery::Kick { session, .. } => format!("kick {session}"),
            });
        }
        if seen.len() == before {
            return seen;
        }
        tokio::time::sleep(SETTLE / 3).await;
    }
}
