//! `NatsBus`: the bus port for several nodes that share one NATS server.
//!
//! # Layout
//!
//! - [`NatsBus`]: the [`Bus`] of one node. Its sessions live in a [`LocalBus`] inside; the node
//!   listens on NATS only to the subjects of the topics its sessions are in.
//! - [`subjects`]: the NATS subject of each topic, scoped by app.
//! - [`wire`]: what travels on a subject (a push, a kick, a membership change).
//! - `listen`: the task that subscribes and unsubscribes subjects as local interest comes and
//!   goes, and the readers that hand what other nodes publish to the local sessions.
//!
//! A publish delivers to this node's sessions at once and sends one NATS message to the topic's
//! subject; the connection is opened with `no_echo`, so a node never gets its own messages back
//! and nothing is delivered twice. NATS is a notification path only, never the record of truth.
//!
//! Its [`SessionRegistry`] is per node (that of the inner [`LocalBus`]); a cluster uses the
//! cluster-wide `PgRegistry` of `mynah-store-postgres` instead (`mynah serve` does).

mod listen;
pub mod subjects;
pub mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use mynah_bus::{
    AppId, Bus, Delivery, LocalBus, Registration, SessionId, SessionInfo, SessionRegistry, Subscription, Topic,
};
use tokio::sync::{mpsc, oneshot};

use crate::listen::{Command, Forward};
use crate::subjects::Subjects;
use crate::wire::Message;

/// How long a publish may wait for room in the NATS client's queue.
const PUBLISH_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(100);

/// Why a [`NatsBus`] could not start.
#[derive(Debug, thiserror::Error)]
pub enum NatsBusError {
    #[error("cannot connect to NATS: {0}")]
    Connect(#[from] async_nats::ConnectError),
}

/// The bus of one node of a cluster. Cheap to clone; the last clone dropped stops its listening.
#[derive(Clone)]
pub struct NatsBus {
    shared: Arc<Shared>,
}

struct Shared {
    local: LocalBus,
    client: async_nats::Client,
    subjects: Subjects,
    commands: mpsc::UnboundedSender<Command>,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The listener owns the readers; aborting it drops their subscriptions.
        self.listener.abort();
    }
}

impl NatsBus {
    /// Connects to the NATS server at `url` (for instance `nats://127.0.0.1:4222`) with subjects
    /// under `mynah.`.
    pub async fn connect(url: &str) -> Result<NatsBus, NatsBusError> {
        NatsBus::connect_with_prefix(url, "mynah").await
    }

    /// Connects with subjects under `{prefix}.`: deployments sharing a NATS server use different
    /// prefixes.
    pub async fn connect_with_prefix(url: &str, prefix: &str) -> Result<NatsBus, NatsBusError> {
        // `no_echo`: this node delivers its own publishes locally, so the server must not send
        // them back to it.
        let client = async_nats::ConnectOptions::new().no_echo().connect(url).await?;
        let subjects = Subjects::new(prefix);
        let (commands, receiver) = mpsc::unbounded_channel();
        let local = LocalBus::with_interest(Arc::new(Forward(commands.clone())));
        let listener = tokio::spawn(listen::run(receiver, client.clone(), subjects.clone(), local.clone()));
        Ok(NatsBus { shared: Arc::new(Shared { local, client, subjects, commands, listener }) })
    }

    /// Waits until every subscription change asked for so far is in place on the NATS server, so
    /// what other nodes publish from now on reaches this node's sessions.
    pub async fn settled(&self) {
        let (done, wait) = oneshot::channel();
        if self.shared.commands.send(Command::Settle(done)).is_ok() {
            // The listener only ends when the bus is dropped; either way there is nothing to wait for.
            let _ = wait.await;
        }
    }

    /// Sends a message to other nodes. Never waits long on NATS: while the connection is down the
    /// message is dropped (the client's command queue would fill and stall every publisher), and a
    /// publish stuck behind a full queue gives up after `PUBLISH_TIMEOUT`. Other nodes' sessions
    /// find what they missed at their next sync.
    async fn send(&self, app: AppId, topic: Topic<'_>, message: &Message<'_>) {
        let client = &self.shared.client;
        if client.connection_state() != async_nats::connection::State::Connected {
            tracing::debug!("NATS is disconnected: a bus message stays on this node");
            return;
        }
        let subject = self.shared.subjects.topic(app, topic);
        match tokio::time::timeout(PUBLISH_TIMEOUT, client.publish(subject, message.encode())).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "NATS publish failed"),
            Err(_) => tracing::warn!("NATS publish timed out"),
        }
    }
}

#[async_trait]
impl Bus for NatsBus {
    async fn subscribe(&self, app: AppId, user: &str, session: SessionId) -> Subscription {
        let subscription = self.shared.local.subscribe(app, user, session).await;
        // The login reads the change-stream head after this returns: what other nodes publish
        // to the user from then on must reach the session.
        self.settled().await;
        subscription
    }

    async fn load_groups(&self, app: AppId, user: &str, session: SessionId, groups: &[String], as_of: u64) {
        self.shared.local.load_groups(app, user, session, groups, as_of).await;
        self.settled().await;
    }

    async fn join_group(&self, app: AppId, user: &str, group: &str, position: u64) {
        self.shared.local.join_group(app, user, group, position).await;
        self.send(app, Topic::User(user), &Message::Join { group: group.into(), position }).await;
    }

    async fn leave_group(&self, app: AppId, user: &str, group: &str, position: u64) {
        self.shared.local.leave_group(app, user, group, position).await;
        self.send(app, Topic::User(user), &Message::Leave { group: group.into(), position }).await;
    }

    async fn publish(&self, app: AppId, topic: Topic<'_>, delivery: Delivery) {
        let message = Message::from_delivery(&delivery);
        self.shared.local.publish(app, topic, delivery).await;
        self.send(app, topic, &message).await;
    }
}

/// This node's sessions only: a cluster uses `mynah_store_postgres::PgRegistry`, which sees every node's.
#[async_trait]
impl SessionRegistry for NatsBus {
    async fn register(&self, app: AppId, user: &str, session: SessionInfo) -> Registration {
        self.shared.local.register(app, user, session).await
    }

    async fn sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo> {
        self.shared.local.sessions(app, user).await
    }

    async fn is_online(&self, app: AppId, user: &str) -> bool {
        self.shared.local.is_online(app, user).await
    }
}
