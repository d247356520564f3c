//! Failed-attempt limiting with lock-out, shared by Verify codes, TOTP factors and backup
//! codes. Failures count up until `max_failures`, which locks the subject until
//! `now + lockout`; a success or the end of a lock-out starts the count again.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::time::UnixMillis;

/// How many wrong guesses are allowed before a lock-out, and for how long it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptPolicy {
    /// Failures that trigger a lock-out (at least 1).
    pub max_failures: u32,
    /// How long a lock-out lasts.
    pub lockout: Duration,
}

impl Default for AttemptPolicy {
    /// Five failures lock for fifteen minutes: at most 480 guesses a day, so a 6-digit code
    /// falls to guessing with a probability of about 0.05 % a day.
    fn default() -> Self {
        AttemptPolicy {
            max_failures: 5,
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

/// The persisted failure count and lock of one subject (a user of an application, a TOTP
/// factor, a set of backup codes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptState {
    /// Failures counted since the last success or lock-out.
    pub failures: u32,
    /// While `now` is before this, every attempt is refused unchecked (`limitedUntil`).
    pub limited_until: Option<UnixMillis>,
}

/// What a failure did to the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureEffect {
    /// More guesses remain.
    Counted {
        /// Failures still allowed before a lock-out.
        remaining: u32,
    },
    /// This failure used the last guess: locked until the given time.
    LockedOut {
        /// When the lock-out ends.
        until: UnixMillis,
    },
}

impl AttemptState {
    /// The end of a lock-out in force at `now`, if any.
    pub fn locked_until(&self, now: UnixMillis) -> Option<UnixMillis> {
        self.limited_until.filter(|&until| now < until)
    }

    /// The state as it stands at `now`: a lock-out that has ended is cleared with its count.
    pub fn at(self, now: UnixMillis) -> AttemptState {
        match self.limited_until {
            Some(until) if now >= until => AttemptState::default(),
            _ => self,
        }
    }

    /// Counts one failure at `now` (the caller has checked that no lock is in force).
    pub fn fail(self, policy: &AttemptPolicy, now: UnixMillis) -> (AttemptState, FailureEffect) {
        let failures = self.at(now).failures.saturating_add(1);
        if failures >= policy.max_failures.max(1) {
            let until = now.plus(policy.lockout);
            (
                AttemptState {
                    failures,
                    limited_until: Some(until),
                },
                FailureEffect::LockedOut { until },
            )
        } else {
            (
                AttemptState {
                    failures,
                    limited_until: None,
                },
                FailureEffect::Counted {
                    remaining: policy.max_failures - failures,
                },
            )
        }
    }

    /// A success clears the count.
    pub fn succeed(self) -> AttemptState {
        AttemptState::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_allowed_failure_locks_and_the_lock_ends_on_time() {
        let policy = AttemptPolicy {
            max_failures: 3,
            lockout: Duration::from_secs(60),
        };
        let t0 = UnixMillis(1_000_000);
        let (s, e) = AttemptState::default().fail(&policy, t0);
        assert_eq!(e, FailureEffect::Counted { remaining: 2 });
        let (s, e) = s.fail(&policy, t0);
        assert_eq!(e, FailureEffect::Counted { remaining: 1 });
        let (s, e) = s.fail(&policy, t0);
        let until = t0.plus(Duration::from_secs(60));
        assert_eq!(e, FailureEffect::LockedOut { until });
        assert_eq!(s.locked_until(t0), Some(until));
        assert_eq!(s.locked_until(until), None);
        // After the lock the count starts again.
        let (_, e) = s.fail(&policy, until);
        assert_eq!(e, FailureEffect::Counted { remaining: 2 });
    }

    #[test]
    fn success_clears_failures() {
        let policy = AttemptPolicy::default();
        let (s, _) = AttemptState::default().fail(&policy, UnixMillis(0));
        assert_eq!(s.failures, 1);
        assert_eq!(s.succeed(), AttemptState::default());
    }
}
