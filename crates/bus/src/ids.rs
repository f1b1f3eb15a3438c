//! Session ids unique across nodes: a random node prefix chosen when the process starts, and a
//! counter. Two nodes pick the same prefix with probability about 1 in 2 million per pair; the id
//! stays below 2^53 so JavaScript reads it exactly.

use std::sync::atomic::{AtomicU64, Ordering};

use rand::Rng;

use crate::SessionId;

/// Bits of the per-process counter; the node prefix takes the 21 bits above them.
const COUNTER_BITS: u32 = 32;
/// Bits of the node prefix.
const NODE_BITS: u32 = 21;

/// Makes session ids for one process.
pub struct SessionIds {
    prefix: u64,
    next: AtomicU64,
}

impl Default for SessionIds {
    fn default() -> SessionIds {
        // A prefix of 0 is never picked, so no session id is 0 (the id of administrative actors).
        let node = rand::rng().random_range(1..(1u64 << NODE_BITS));
        SessionIds::with_node(node)
    }
}

impl SessionIds {
    /// Ids with a fixed node prefix (tests; a deployment that assigns node numbers).
    pub fn with_node(node: u64) -> SessionIds {
        SessionIds { prefix: (node & ((1 << NODE_BITS) - 1)) << COUNTER_BITS, next: AtomicU64::new(1) }
    }

    /// The next id. Within a process ids increase with each call (until the counter wraps after
    /// 4 billion logins).
    pub fn next(&self) -> SessionId {
        let counter = self.next.fetch_add(1, Ordering::Relaxed) & ((1 << COUNTER_BITS) - 1);
        self.prefix | counter
    }
}

/// The node prefix of a session id: which process made it (the node a cluster-wide registry records
/// the session under).
pub fn node_of(session: SessionId) -> u64 {
    session >> COUNTER_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_the_node_prefix_stay_below_2_pow_53_and_increase() {
        let ids = SessionIds::with_node((1 << NODE_BITS) - 1);
        let first = ids.next();
        let second = ids.next();
        assert!(second > first);
        assert!(second < 1 << 53);
        assert_ne!(SessionIds::with_node(1).next(), SessionIds::with_node(2).next());
        assert_ne!(SessionIds::default().next(), 0);
        assert_eq!(node_of(SessionIds::with_node(77).next()), 77);
    }
}
