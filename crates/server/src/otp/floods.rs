//! Flood limits of the Verify endpoints, beside the per-user limits of keycadence-otp: codes
//! sent per application and per client address each minute, an SMS budget per application
//! each hour (SMS pumping: an attacker who makes a site send texts to premium numbers), and
//! validations per client address each minute. Counted in this process with governor's
//! keyed GCRA limiters (atomic, sharded, expiring); several servers each count their own.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::settings::FloodSettings;

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flood {
    SendsPerApplication,
    SendsPerAddress,
    SmsPerApplication,
    ValidationsPerAddress,
}

/// A refusal: which limit, and how long until the next request can pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flooded {
    pub limit: Flood,
    pub retry_after: Duration,
}

struct Limit<K: std::hash::Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    kind: Flood,
}

impl<K: std::hash::Hash + Eq + Clone> Limit<K> {
    /// `None` for a count of 0 (unlimited).
    fn new(count: u32, per: fn(NonZeroU32) -> Quota, kind: Flood) -> Option<Limit<K>> {
        NonZeroU32::new(count).map(|n| Limit {
            limiter: RateLimiter::dashmap(per(n)),
            kind,
        })
    }

    fn check(&self, key: &K) -> Result<(), Flooded> {
        self.limiter.check_key(key).map_err(|not_until| Flooded {
            limit: self.kind,
            retry_after: not_until.wait_time_from(DefaultClock::default().now()),
        })
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limit: &Option<Limit<K>>,
    key: &K,
) -> Result<(), Flooded> {
    limit.as_ref().map_or(Ok(()), |limit| limit.check(key))
}

/// The flood limiters of one server.
pub struct FloodLimits {
    sends_per_app: Option<Limit<i64>>,
    sends_per_address: Option<Limit<IpAddr>>,
    sms_per_app: Option<Limit<i64>>,
    validations_per_address: Option<Limit<IpAddr>>,
}

impl FloodLimits {
    pub fn new(settings: &FloodSettings) -> FloodLimits {
        FloodLimits {
            sends_per_app: Limit::new(
                settings.sends_per_app_per_minute,
                Quota::per_minute,
                Flood::SendsPerApplication,
            ),
            sends_per_address: Limit::new(
                settings.sends_per_ip_per_minute,
                Quota::per_minute,
                Flood::SendsPerAddress,
            ),
            sms_per_app: Limit::new(
                settings.sms_per_app_per_hour,
                Quota::per_hour,
                Flood::SmsPerApplication,
            ),
            validations_per_address: Limit::new(
                settings.validations_per_ip_per_minute,
                Quota::per_minute,
                Flood::ValidationsPerAddress,
            ),
        }
    }

    /// Before a send's payload is opened: the client address's budget (an unknown address,
    /// which only a misconfigured proxy chain gives, is not limited here).
    pub fn send_from(&self, address: Option<IpAddr>) -> Result<(), Flooded> {
        address.map_or(Ok(()), |ip| check(&self.sends_per_address, &ip))
    }

    /// After the payload authenticated: the application's budget, and its SMS budget when the
    /// code goes by SMS. Checked only for authentic requests, so nobody without a payload can
    /// use up an application's budget.
    pub fn send_for(&self, app_ref: i64, by_sms: bool) -> Result<(), Flooded> {
        check(&self.sends_per_app, &app_ref)?;
        if by_sms {
            check(&self.sms_per_app, &app_ref)?;
        }
        Ok(())
    }

    /// Before a validation's payload is opened.
    pub fn validation_from(&self, address: Option<IpAddr>) -> Result<(), Flooded> {
        address.map_or(Ok(()), |ip| check(&self.validations_per_address, &ip))
    }

    /// Forgets the state of keys whose limits are back to full (run from the upkeep task).
    pub fn forget_idle(&self) {
        for limit in [&self.sends_per_app, &self.sms_per_app]
            .into_iter()
            .flatten()
        {
            limit.limiter.retain_recent();
        }
        for limit in [&self.sends_per_address, &self.validations_per_address]
            .into_iter()
            .flatten()
        {
            limit.limiter.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(sends_app: u32, sends_ip: u32, sms: u32, validations: u32) -> FloodSettings {
        FloodSettings {
            sends_per_app_per_minute: sends_app,
            sends_per_ip_per_minute: sends_ip,
            sms_per_app_per_hour: sms,
            validations_per_ip_per_minute: validations,
        }
    }

    #[test]
    fn each_budget_runs_out_on_its_own_key() {
        let limits = FloodLimits::new(&settings(3, 2, 1, 2));
        let (a, b) = (
            Some("10.0.0.1".parse().unwrap()),
            Some("10.0.0.2".parse().unwrap()),
        );
        assert!(limits.send_from(a).is_ok() && limits.send_from(a).is_ok());
        let refused = limits.send_from(a).unwrap_err();
        assert_eq!(refused.limit, Flood::SendsPerAddress);
        assert!(refused.retry_after > Duration::ZERO);
        assert!(
            limits.send_from(b).is_ok(),
            "another address has its own budget"
        );

        assert!(limits.send_for(1, true).is_ok());
        assert_eq!(
            limits.send_for(1, true).unwrap_err().limit,
            Flood::SmsPerApplication
        );
        assert!(
            limits.send_for(1, false).is_ok(),
            "e-mail is not in the SMS budget"
        );
        assert_eq!(
            limits.send_for(1, false).unwrap_err().limit,
            Flood::SendsPerApplication
        );
        assert!(limits.send_for(2, true).is_ok());

        assert!(limits.validation_from(a).is_ok() && limits.validation_from(a).is_ok());
        assert_eq!(
            limits.validation_from(a).unwrap_err().limit,
            Flood::ValidationsPerAddress
        );
    }

    #[test]
    fn zero_is_unlimited() {
        let limits = FloodLimits::new(&settings(0, 0, 0, 0));
        let a = Some("10.0.0.1".parse().unwrap());
        for _ in 0..1000 {
            assert!(limits.send_from(a).is_ok());
            assert!(limits.send_for(1, true).is_ok());
            assert!(limits.validation_from(a).is_ok());
        }
        limits.forget_idle();
    }
}
