//! Listening to other nodes: one task follows this node's topic interest (subscribing a topic's
//! subject when the inner [`LocalBus`] gains the topic's first session, unsubscribing when it loses
//! the last), and one reader per subscribed subject hands what arrives to the local sessions, in
//! the order NATS delivers it (publish order, per publisher).

use std::collections::HashMap;

use futures_util::StreamExt;
use mynah_bus::{AppId, Bus, Delivery, LocalBus, Topic, TopicInterest};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::subjects::Subjects;
use crate::wire::{Message, push_delivery};

/// How long a subscribe or group load waits for the NATS server to confirm its subscriptions.
const SETTLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What the listening task is asked to do, in order.
pub(crate) enum Command {
    /// The topic gained its first local session (`interested`) or lost its last.
    Interest { app: AppId, kind: Kind, name: Box<str>, interested: bool },
    /// Answer once every earlier command is in place on the NATS server.
    Settle(oneshot::Sender<()>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    Group,
}

impl Kind {
    fn topic(self, name: &str) -> Topic<'_> {
        match self {
            Kind::User => Topic::User(name),
            Kind::Group => Topic::Group(name),
        }
    }
}

/// The inner [`LocalBus`]'s interest listener: queues each change for the listening task. It runs
/// under the bus's shard lock, so it only queues.
pub(crate) struct Forward(pub(crate) mpsc::UnboundedSender<Command>);

impl TopicInterest for Forward {
    fn changed(&self, app: AppId, topic: Topic<'_>, interested: bool) {
        let (kind, name) = match topic {
            Topic::User(user) => (Kind::User, user),
            Topic::Group(group) => (Kind::Group, group),
        };
        // The listening task ends only when the bus is dropped; then nothing listens anyway.
        let _ = self.0.send(Command::Interest { app, kind, name: name.into(), interested });
    }
}

/// A subject's reader; dropping it stops the reader, which drops (unsubscribes) its subscription.
struct Reader(JoinHandle<()>);

impl Reader {
    /// Stops the reader and waits until its subscription is dropped, so the unsubscription is
    /// queued on the connection before anything the listener sends next (a settle round trip).
    async fn stop(mut self) {
        self.0.abort();
        // An aborted task's handle resolves once the task is dropped; its outcome tells nothing.
        let _ = (&mut self.0).await;
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The listening task: runs until the bus is dropped (which aborts it, and so its readers).
pub(crate) async fn run(
    mut commands: mpsc::UnboundedReceiver<Command>,
    client: async_nats::Client,
    subjects: Subjects,
    local: LocalBus,
) {
    let mut readers: HashMap<String, Reader> = HashMap::new();
    while let Some(first) = commands.recv().await {
        // Everything queued is applied first, then one round trip answers every settle among it:
        // a burst of logins costs one round trip, not one each.
        let mut waiting = Vec::new();
        let mut next = Some(first);
        while let Some(command) = next {
            match command {
                Command::Interest { app, kind, name, interested } => {
                    let subject = subjects.topic(app, kind.topic(&name));
                    if interested {
                        if !readers.contains_key(&subject) {
                            listen(&client, &local, &mut readers, subject, app, kind, name).await;
                        }
                    } else if let Some(reader) = readers.remove(&subject) {
                        reader.stop().await;
                    }
                }
                Command::Settle(done) => waiting.push(done),
            }
            next = commands.try_recv().ok();
        }
        if !waiting.is_empty() {
            settle(&client, &subjects).await;
            for done in waiting {
                let _ = done.send(());
            }
        }
    }
}

async fn listen(
    client: &async_nats::Client,
    local: &LocalBus,
    readers: &mut HashMap<String, Reader>,
    subject: String,
    app: AppId,
    kind: Kind,
    name: Box<str>,
) {
    match client.subscribe(subject.clone()).await {
        Ok(subscriber) => {
            let reader = tokio::spawn(read(subscriber, local.clone(), app, kind, name));
            readers.insert(subject, Reader(reader));
        }
        // Only a closed connection refuses; its sessions learn what they miss at sync.
        Err(error) => tracing::warn!(%error, subject, "NATS subscribe failed"),
    }
}

/// Waits until the server has handled everything this connection sent so far: a request nobody
/// answers comes back as "no responders" after it. Bounded, so a NATS outage delays a login by
/// at most `SETTLE_TIMEOUT` (its sessions then learn what they miss at their next sync).
async fn settle(client: &async_nats::Client, subjects: &Subjects) {
    let request = client.request(subjects.settle(), bytes::Bytes::new());
    match tokio::time::timeout(SETTLE_TIMEOUT, request).await {
        Ok(Err(error)) if error.kind() == async_nats::RequestErrorKind::NoResponders => {}
        Ok(Err(error)) => tracing::warn!(%error, "NATS settle round trip failed"),
        Ok(Ok(_)) => tracing::warn!("something answers the NATS settle subject"),
        Err(_) => tracing::warn!("NATS settle round trip timed out"),
    }
}

/// Hands every message of one subject to the local sessions of its topic.
async fn read(mut subscriber: async_nats::Subscriber, local: LocalBus, app: AppId, kind: Kind, name: Box<str>) {
    while let Some(message) = subscriber.next().await {
        let decoded = match Message::decode(&message.payload) {
            Ok(decoded) => decoded,
            Err(error) => {
                tracing::warn!(%error, subject = %message.subject, "undecodable bus message dropped");
                continue;
            }
        };
        let topic = kind.topic(&name);
        match (decoded, kind) {
            (Message::Push { frame, except_session }, _) => match push_delivery(frame, except_session) {
                Ok(delivery) => local.publish(app, topic, delivery).await,
                Err(error) => tracing::warn!(%error, "undecodable push dropped"),
            },
            (Message::Kick { session, reason }, Kind::User) => {
                local.publish(app, topic, Delivery::Kick { session, reason }).await;
            }
            (Message::Join { group, position }, Kind::User) => local.join_group(app, &name, &group, position).await,
            (Message::Leave { group, position }, Kind::User) => {
                local.leave_group(app, &name, &group, position).await;
            }
            (other, Kind::Group) => tracing::warn!(?other, "a user-topic message on a group subject dropped"),
        }
    }
}
