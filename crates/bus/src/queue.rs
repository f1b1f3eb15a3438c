//! A session's delivery queue: bounded, single producer (the bus) and single consumer (the
//! session's connection task), and allocating nothing while it is empty.
//!
//! Most sessions are idle most of the time, so what an empty queue costs is paid by every
//! connection: a tokio `mpsc::channel` allocates its first block of slots (~1.2 KB) eagerly, this
//! queue is a mutex around a `VecDeque` (which allocates on the first push) and a `Notify`.
//!
//! The consumer is woken only when the queue goes from empty to not empty. While deliveries are
//! waiting (a connection holding them to write several in one syscall) further sends wake nobody,
//! and the consumer takes everything waiting in one lock with [`QueueReceiver::take_all`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::{Delivery, SESSION_QUEUE_CAPACITY};

/// Creates a queue that holds at most [`SESSION_QUEUE_CAPACITY`] deliveries.
pub fn session_queue() -> (QueueSender, QueueReceiver) {
    let shared = Arc::new(Shared { state: Mutex::new(State::default()), ready: Notify::new() });
    (QueueSender { shared: shared.clone() }, QueueReceiver { shared })
}

/// Why a delivery was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// The queue holds [`SESSION_QUEUE_CAPACITY`] deliveries: the consumer is too slow.
    Full,
    /// The receiver is gone.
    Closed,
}

/// The bus's end. Dropping it closes the queue: the receiver gets what is waiting, then `None`.
pub struct QueueSender {
    shared: Arc<Shared>,
}

impl QueueSender {
    /// Queues a delivery without waiting.
    pub fn try_send(&self, delivery: Delivery) -> Result<(), SendError> {
        let mut state = self.shared.lock();
        if state.closed {
            return Err(SendError::Closed);
        }
        if state.deliveries.len() >= SESSION_QUEUE_CAPACITY {
            return Err(SendError::Full);
        }
        state.deliveries.push_back(delivery);
        let was_empty = state.deliveries.len() == 1;
        drop(state);
        if was_empty {
            self.shared.ready.notify_one();
        }
        Ok(())
    }
}

impl QueueSender {
    /// Closes the queue: the receiver gets what is waiting, then `None`; later sends fail. The bus
    /// closes the queue of a session too slow to keep up, whichever topic found it full.
    pub fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_one();
    }
}

impl Drop for QueueSender {
    fn drop(&mut self) {
        self.close();
    }
}

/// The session's end. Dropping it closes the queue and drops what is waiting.
pub struct QueueReceiver {
    shared: Arc<Shared>,
}

/// What [`QueueReceiver::take_all`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    /// The queue is open (it may have been empty).
    Open,
    /// The sender is gone and nothing more will come (anything that was waiting was taken).
    Closed,
}

impl QueueReceiver {
    /// Waits until a delivery is waiting or the queue is closed. Cancel-safe: it takes nothing.
    pub async fn ready(&self) {
        loop {
            {
                let state = self.shared.lock();
                if state.closed || !state.deliveries.is_empty() {
                    return;
                }
            }
            // A send between the check and this wait leaves a permit (`notify_one`), so it is not
            // missed; a permit left by an earlier send only costs one more check.
            self.shared.ready.notified().await;
        }
    }

    /// Moves every waiting delivery to the end of `into`.
    pub fn take_all(&self, into: &mut VecDeque<Delivery>) -> Taken {
        let mut state = self.shared.lock();
        if into.is_empty() {
            // Swapping keeps both buffers' capacity in use: no allocation in steady state.
            std::mem::swap(&mut state.deliveries, into);
        } else {
            into.extend(state.deliveries.drain(..));
        }
        if state.closed { Taken::Closed } else { Taken::Open }
    }

    /// Takes the oldest delivery, waiting for one. `None` once the queue is closed and empty.
    pub async fn recv(&mut self) -> Option<Delivery> {
        loop {
            self.ready().await;
            let mut state = self.shared.lock();
            if let Some(delivery) = state.deliveries.pop_front() {
                return Some(delivery);
            }
            if state.closed {
                return None;
            }
        }
    }

    /// Takes the oldest delivery if there is one.
    pub fn try_recv(&mut self) -> Option<Delivery> {
        self.shared.lock().deliveries.pop_front()
    }
}

impl Drop for QueueReceiver {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closed = true;
        state.deliveries = VecDeque::new();
    }
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when the queue goes from empty to not empty, and when it closes.
    ready: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a queue and a flag: a panic elsewhere cannot leave it inconsistent.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
struct State {
    deliveries: VecDeque<Delivery>,
    closed: bool,
}

#[cfg(test)]
mod tests {
    use mynah_proto::codes::KickReason;

    use super::*;

    fn kick(session: u64) -> Delivery {
        Delivery::Kick { session, reason: KickReason::RestApi }
    }

    #[tokio::test]
    async fn delivers_in_order_then_reports_the_close() {
        let (sender, mut receiver) = session_queue();
        sender.try_send(kick(1)).unwrap();
        sender.try_send(kick(2)).unwrap();
        receiver.ready().await;
        let mut taken = VecDeque::new();
        assert_eq!(receiver.take_all(&mut taken), Taken::Open);
        let sessions: Vec<u64> = taken
            .iter()
            .map(|delivery| if let Delivery::Kick { session, .. } = delivery { *session } else { 0 })
            .collect();
        assert_eq!(sessions, vec![1, 2]);
        sender.try_send(kick(3)).unwrap();
        drop(sender);
        assert!(matches!(receiver.recv().await, Some(Delivery::Kick { session: 3, .. })));
        assert!(receiver.recv().await.is_none());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_and_a_dropped_receiver_closes_it() {
        let (sender, receiver) = session_queue();
        for session in 0..SESSION_QUEUE_CAPACITY as u64 {
            sender.try_send(kick(session)).unwrap();
        }
        assert_eq!(sender.try_send(kick(0)), Err(SendError::Full));
        drop(receiver);
        assert_eq!(sender.try_send(kick(0)), Err(SendError::Closed));
    }

    #[tokio::test]
    async fn a_send_wakes_a_waiting_receiver() {
        let (sender, receiver) = session_queue();
        let waiting = tokio::spawn(async move {
            receiver.ready().await;
            receiver
        });
        tokio::task::yield_now().await;
        sender.try_send(kick(7)).unwrap();
        let mut receiver = waiting.await.unwrap();
        assert!(receiver.try_recv().is_some());
    }
}
