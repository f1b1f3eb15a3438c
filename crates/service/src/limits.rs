//! Send-rate limits: Tencent's 40 messages per second per group with priority, and an optional
//! per-user send rate.
//!
//! Group limit: within each one-second window a group admits messages while its count is below
//! the priority's share of the limit (`Lowest` a quarter, `Low` half, `Normal` three quarters, `High`
//! all of it). Under overload, lower priorities are refused first and high-priority messages keep
//! flowing until the whole limit is used. A refused message is, as Tencent documents, reported as
//! sent to the sender but neither stored nor delivered. The counters are per node.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mynah_proto::objects::MessagePriority;
use mynah_store::AppId;

/// Per-group message admission, in one-second windows.
pub struct GroupRateLimiter {
    per_second: u32,
    windows: Mutex<HashMap<(AppId, String), Window>>,
    started: Instant,
}

#[derive(Clone, Copy)]
struct Window {
    second: u64,
    admitted: u32,
}

/// Groups idle this long lose their counters (bounds the map).
const FORGET_AFTER: Duration = Duration::from_secs(10);

impl GroupRateLimiter {
    /// A limiter admitting `per_second` messages per group and second; 0 admits everything.
    pub fn new(per_second: u32) -> GroupRateLimiter {
        GroupRateLimiter { per_second, windows: Mutex::new(HashMap::new()), started: Instant::now() }
    }

    /// Whether a message of `priority` may be sent to the group now; counts it when so.
    pub fn admit(&self, app: AppId, group_id: &str, priority: MessagePriority) -> bool {
        if self.per_second == 0 {
            return true;
        }
        let second = self.started.elapsed().as_secs();
        let share = match priority {
            MessagePriority::High => self.per_second,
            MessagePriority::Normal => (self.per_second * 3 / 4).max(1),
            MessagePriority::Low => (self.per_second / 2).max(1),
            MessagePriority::Lowest => (self.per_second / 4).max(1),
        };
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > 10_000 {
            windows.retain(|_, window| second.saturating_sub(window.second) < FORGET_AFTER.as_secs());
        }
        let window = windows.entry((app, group_id.to_owned())).or_insert(Window { second, admitted: 0 });
        if window.second != second {
            *window = Window { second, admitted: 0 };
        }
        if window.admitted >= share {
            return false;
        }
        window.admitted += 1;
        true
    }
}

/// Per-user send rate (messages per second, 0 = unlimited), as a token bucket per user.
pub struct UserRateLimiter {
    per_second: u32,
    buckets: Mutex<HashMap<(AppId, String), Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl UserRateLimiter {
    pub fn new(per_second: u32) -> UserRateLimiter {
        UserRateLimiter { per_second, buckets: Mutex::new(HashMap::new()) }
    }

    /// Whether `user` may send one more message now; takes a token when so. Bursts of up to one
    /// second's worth are allowed.
    pub fn admit(&self, app: AppId, user: &str) -> bool {
        if self.per_second == 0 {
            return true;
        }
        let rate = f64::from(self.per_second);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > 100_000 {
            buckets.retain(|_, bucket| now.duration_since(bucket.updated) < FORGET_AFTER);
        }
        let bucket = buckets.entry((app, user.to_owned())).or_insert(Bucket { tokens: rate, updated: now });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refill).min(rate);
        bucket.updated = now;
        if bucket.tokens < 1.0 {
            return false;
        }
        bucket.tokens -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_priorities_are_refused_first_and_high_uses_the_whole_limit() {
        let limiter = GroupRateLimiter::new(40);
        let lowest = (0..100).filter(|_| limiter.admit(1, "g", MessagePriority::Lowest)).count();
        let high = (0..100).filter(|_| limiter.admit(1, "g", MessagePriority::High)).count();
        // Unless the test straddles a second, exactly 10 + 30 are admitted.
        assert!((10..=20).contains(&lowest), "lowest {lowest}");
        assert!(lowest + high <= 80 && high >= 30, "high {high}");
        // Other groups and apps have their own windows.
        assert!(limiter.admit(1, "other", MessagePriority::Lowest));
        assert!(limiter.admit(2, "g", MessagePriority::Lowest));
        assert!(GroupRateLimiter::new(0).admit(1, "g", MessagePriority::Lowest));
    }

    #[test]
    fn users_get_a_bucket_of_one_seconds_worth() {
        let limiter = UserRateLimiter::new(5);
        let admitted = (0..20).filter(|_| limiter.admit(1, "alice")).count();
        assert!((5..=6).contains(&admitted), "{admitted}");
        assert!(limiter.admit(1, "bob"));
        assert!(UserRateLimiter::new(0).admit(1, "alice"));
    }
}
