//! Request limits: token buckets for requests per second (per tenant, per IP, per tenant and
//! IP) answering with how long to wait, and a cap on requests in flight per tenant.

use std::collections::HashMap;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::Quota;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

type Keyed<K, C> =
    governor::RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Token buckets by key: each holds at most one second's worth of requests (the burst) and
/// refills at the rate given with the check. The rate is a tenant setting, so there is one
/// governor limiter (a sharded map of GCRA states) per rate in use; no check scans or locks
/// the whole map, and [`RateLimiter::forget_idle`] drops keys whose bucket is full again.
pub struct RateLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    clock: C,
    by_rate: RwLock<HashMap<NonZeroU32, Arc<Keyed<K, C>>>>,
}

impl<K: Hash + Eq + Clone> Default for RateLimiter<K> {
    fn default() -> Self {
        RateLimiter::with_clock(DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> RateLimiter<K, C> {
    pub fn with_clock(clock: C) -> Self {
        RateLimiter {
            clock,
            by_rate: RwLock::default(),
        }
    }

    /// Takes a token for `key`, or says how long until one is available. `per_second == 0`
    /// means unlimited.
    pub fn check(&self, key: &K, per_second: u32) -> Result<(), Duration> {
        let Some(rate) = NonZeroU32::new(per_second) else {
            return Ok(());
        };
        self.limiter(rate)
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn limiter(&self, rate: NonZeroU32) -> Arc<Keyed<K, C>> {
        if let Some(limiter) = self.by_rate.read().expect("rate limiter lock").get(&rate) {
            return limiter.clone();
        }
        self.by_rate
            .write()
            .expect("rate limiter lock")
            .entry(rate)
            .or_insert_with(|| {
                Arc::new(governor::RateLimiter::dashmap_with_clock(
                    Quota::per_second(rate),
                    self.clock.clone(),
                ))
            })
            .clone()
    }

    /// Forgets keys whose bucket has filled up again (they behave as new keys), and the
    /// limiters of rates no key uses any more. Run periodically, so that many distinct keys
    /// (addresses) cost memory only while they are being limited.
    pub fn forget_idle(&self) {
        let limiters: Vec<_> = self
            .by_rate
            .read()
            .expect("rate limiter lock")
            .values()
            .cloned()
            .collect();
        for limiter in &limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        self.by_rate
            .write()
            .expect("rate limiter lock")
            .retain(|_, limiter| !limiter.is_empty());
    }

    /// Keys currently remembered, over all rates.
    pub fn len(&self) -> usize {
        self.by_rate
            .read()
            .expect("rate limiter lock")
            .values()
            .map(|limiter| limiter.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    use governor::clock::FakeRelativeClock;

    #[test]
    fn a_bucket_allows_its_burst_then_says_when_to_come_back() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(clock.clone());
        for _ in 0..2 {
            assert!(limiter.check(&"k", 2).is_ok());
        }
        let wait = limiter.check(&"k", 2).unwrap_err();
        assert!(
            wait > Duration::from_millis(400) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert_eq!(retry_after_secs(wait), 1);
        clock.advance(Duration::from_millis(500));
        assert!(limiter.check(&"k", 2).is_ok());
        assert!(limiter.check(&"other", 2).is_ok(), "keys are independent");
        assert!(limiter.check(&"k", 0).is_ok(), "0 is unlimited");
    }

    #[test]
    fn each_rate_has_its_own_buckets_and_idle_keys_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(clock.clone());
        assert!(limiter.check(&1, 1).is_ok());
        assert!(limiter.check(&1, 1).is_err());
        // The same key under another rate (a changed setting) starts with a full bucket.
        assert!(limiter.check(&1, 5).is_ok());
        for key in 2..1000 {
            assert!(limiter.check(&key, 1).is_ok());
        }
        assert_eq!(limiter.len(), 1000);
        limiter.forget_idle();
        assert_eq!(limiter.len(), 1000, "keys still limited are kept");
        clock.advance(Duration::from_secs(2));
        limiter.forget_idle();
        assert!(limiter.is_empty(), "full buckets are forgotten");
        assert!(limiter.check(&1, 1).is_ok());
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
