//! Time as a value. The crate has no clock: every state transition takes `now` from the caller,
//! which keeps the transitions pure and lets tests walk through expiry and lock-outs exactly.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (the unit of `ts` and `limitedUntil` on the Verify wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// Whole seconds since the epoch, as TOTP counts them.
    pub fn from_secs(secs: u64) -> Self {
        UnixMillis(secs.saturating_mul(1000))
    }

    /// Whole seconds since the epoch (rounded down).
    pub fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// `self + duration`, saturating instead of overflowing.
    pub fn plus(self, duration: Duration) -> Self {
        UnixMillis(self.0.saturating_add(duration_millis(duration)))
    }

    /// `self - duration`, saturating at the epoch.
    pub fn minus(self, duration: Duration) -> Self {
        UnixMillis(self.0.saturating_sub(duration_millis(duration)))
    }
}

fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
