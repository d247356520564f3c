//! The wall clock the server's services read. Production reads the system's; a test moves
//! its server's clock forward ([`Clock::advance`]) to reach an expiry without waiting. The
//! services take the time from the clock in the application state once per operation and pass
//! it on as a value (to the stores and the sans-IO cores); no store reads a clock. The command
//! line, which has no application state, passes the system time ([`now_millis`]).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use keycadence_otp::UnixMillis;

/// Milliseconds since the Unix epoch by the system clock.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The system clock, moved by an offset that only tests set. Clones share the offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_millis: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        now_millis().saturating_add(self.offset_millis.load(Ordering::Relaxed))
    }

    /// The time as the sans-IO cores take it.
    pub fn now(&self) -> UnixMillis {
        UnixMillis(u64::try_from(self.now_millis()).unwrap_or(0))
    }

    /// Moves this clock (and its clones) forward by `by`: for tests.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_millis.fetch_add(by, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advanced_clock_and_its_clones_read_later() {
        let clock = Clock::system();
        let clone = clock.clone();
        let before = clock.now_millis();
        clock.advance(Duration::from_secs(3600));
        assert!(clone.now_millis() >= before + 3_600_000);
        assert!(Clock::system().now_millis() < before + 3_600_000);
    }
}
