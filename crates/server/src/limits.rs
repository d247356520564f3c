//! Request limits (§1.12): token buckets for requests per second (per tenant, per IP, per
//! tenant and IP) answering with how long to wait, and a cap on requests in flight per tenant.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Buckets idle this long are full again and can be forgotten.
const IDLE_FORGET: Duration = Duration::from_secs(60);
const PRUNE_ABOVE: usize = 10_000;

struct TokenBucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets by key: each holds at most one second's worth of requests (the burst) and
/// refills at `per_second`.
pub struct RateLimiter<K> {
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

impl<K: Hash + Eq + Clone> Default for RateLimiter<K> {
    fn default() -> Self {
        RateLimiter {
            buckets: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// Takes a token for `key`, or says how long until one is available. `per_second == 0`
    /// means unlimited.
    pub fn check(&self, key: &K, per_second: u32, now: Instant) -> Result<(), Duration> {
        if per_second == 0 {
            return Ok(());
        }
        let rate = f64::from(per_second);
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| now.saturating_duration_since(b.last) < IDLE_FORGET);
        }
        let bucket = buckets.entry(key.clone()).or_insert(TokenBucket {
            tokens: rate,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

/// `Retry-After` is whole seconds: round up, never 0.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The tenant already has as many requests in flight as it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtCapacity;

/// Per-tenant cap on requests in flight. A changed limit takes effect for new requests.
#[derive(Default)]
pub struct ConcurrencyLimiter {
    semaphores: Mutex<HashMap<i64, (u32, Arc<Semaphore>)>>,
}

impl ConcurrencyLimiter {
    /// A permit to hold while the request runs, `None` when the tenant is at its limit.
    /// `limit == 0` means unlimited (no permit needed).
    pub fn try_acquire(
        &self,
        tenant_id: i64,
        limit: u32,
    ) -> Result<Option<OwnedSemaphorePermit>, AtCapacity> {
        if limit == 0 {
            return Ok(None);
        }
        let semaphore = {
            let mut map = self.semaphores.lock().expect("concurrency limiter lock");
            let entry = map
                .entry(tenant_id)
                .or_insert_with(|| (limit, Arc::new(Semaphore::new(limit as usize))));
            if entry.0 != limit {
                *entry = (limit, Arc::new(Semaphore::new(limit as usize)));
            }
            entry.1.clone()
        };
        semaphore
            .try_acquire_owned()
            .map(Some)
            .map_err(|_| AtCapacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_says_when_to_come_back() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..2 {
            assert!(limiter.check(&"k", 2, t0).is_ok());
        }
        let wait = limiter.check(&"k", 2, t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(400) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert_eq!(retry_after_secs(wait), 1);
        assert!(limiter
            .check(&"k", 2, t0 + Duration::from_millis(500))
            .is_ok());
        assert!(
            limiter.check(&"other", 2, t0).is_ok(),
            "keys are independent"
        );
        assert!(limiter.check(&"k", 0, t0).is_ok(), "0 is unlimited");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn concurrency_permits_run_out_and_come_back() {
        let limiter = ConcurrencyLimiter::default();
        let p1 = limiter.try_acquire(1, 1).unwrap();
        assert!(p1.is_some());
        assert!(limiter.try_acquire(1, 1).is_err());
        drop(p1);
        assert!(limiter.try_acquire(1, 1).unwrap().is_some());
        assert!(limiter.try_acquire(2, 0).unwrap().is_none());
    }
}
