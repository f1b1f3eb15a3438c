//! The bound on requests whose credentials fail: a token bucket per source address, charged only
//! when authentication fails and checked before the next verification.
//!
//! The app's own budget is charged only after the UserSig verifies, so a caller who merely knows an
//! SDKAppID cannot spend it. This bucket is what bounds such a caller instead: once its address has
//! failed `per_minute` times in a burst, its requests are refused with 60007 before any UserSig work
//! until the bucket refills (one token every `60 / per_minute` seconds). Requests that authenticate
//! never touch it. A legitimate backend behind the same address (a shared proxy) is refused too
//! while the bucket is empty; that is the price of not verifying what a flood sends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Addresses tracked at most; beyond it, full (idle) buckets are dropped first.
const MAX_TRACKED_ADDRESSES: usize = 10_000;

/// Failed-authentication buckets per source address.
pub struct FailedAuthLimiter {
    capacity: f64,
    refill_per_second: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl FailedAuthLimiter {
    /// Allows `per_minute` failures in a burst per address, refilled evenly over a minute.
    pub fn new(per_minute: u32) -> FailedAuthLimiter {
        let capacity = f64::from(per_minute.max(1));
        FailedAuthLimiter { capacity, refill_per_second: capacity / 60.0, buckets: Mutex::new(HashMap::new()) }
    }

    /// Whether `address` may try to authenticate now (its bucket is not empty).
    pub fn allows(&self, address: IpAddr) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match buckets.get_mut(&address) {
            Some(bucket) => self.refill(bucket, now).tokens >= 1.0,
            None => true,
        }
    }

    /// Charges one failed authentication to `address`.
    pub fn charge(&self, address: IpAddr) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_TRACKED_ADDRESSES && !buckets.contains_key(&address) {
            // Buckets that refilled completely carry no state worth keeping.
            buckets.retain(|_, bucket| self.refill(bucket, now).tokens < self.capacity);
            if buckets.len() >= MAX_TRACKED_ADDRESSES {
                return;
            }
        }
        let bucket = buckets.entry(address).or_insert(Bucket { tokens: self.capacity, updated: now });
        let bucket = self.refill(bucket, now);
        bucket.tokens = (bucket.tokens - 1.0).max(0.0);
    }

    fn refill<'a>(&self, bucket: &'a mut Bucket, now: Instant) -> &'a mut Bucket {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.refill_per_second).min(self.capacity);
        bucket.updated = now;
        bucket
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::FailedAuthLimiter;

    #[test]
    fn an_address_is_refused_after_its_burst_of_failures_and_others_are_not() {
        let limiter = FailedAuthLimiter::new(3);
        let flooder = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let other = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        for _ in 0..3 {
            assert!(limiter.allows(flooder));
            limiter.charge(flooder);
        }
        assert!(!limiter.allows(flooder), "three failures in a burst empty the bucket");
        assert!(limiter.allows(other), "each address has its own bucket");
    }
}
