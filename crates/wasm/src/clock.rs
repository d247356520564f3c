//! The recorder's clock: integer milliseconds since the epoch, as the pattern format expects.
//!
//! The reference reads `Date.now()` when its handler runs, so a main thread busy with other work
//! delays the reading and distorts seek and press times. The default clock here takes each
//! event's own timestamp instead (`performance.timeOrigin + event.timeStamp`, which the browser
//! sets when the input arrives), rounded to whole milliseconds like `Math.round`.

use keycadence_core::js;
use keycadence_core::recorder::Millis;
use web_sys::{Event, Performance, Window};

/// Where the recorder's timestamps come from.
#[derive(Clone, Debug)]
pub enum Clock {
    /// `Date.now()` when the handler runs: the reference's clock, for strict parity.
    HandlerTime,
    /// `performance.timeOrigin + event.timeStamp`, rounded; `performance.now()` on the same
    /// origin for readings that are not events (construction, method calls).
    EventTime {
        performance: Performance,
        origin: f64,
    },
}

impl Clock {
    /// The event-time clock when `event_time` is set and `window` has `performance`;
    /// otherwise `Date.now()`.
    pub fn new(window: &Window, event_time: bool) -> Clock {
        match window.performance() {
            Some(performance) if event_time => {
                let mut origin = performance.time_origin();
                // Safari before 15 has high-resolution event timestamps but no `timeOrigin`.
                if !origin.is_finite() || origin <= 0.0 {
                    origin = js_sys::Date::now() - performance.now();
                }
                Clock::EventTime {
                    performance,
                    origin,
                }
            }
            _ => Clock::HandlerTime,
        }
    }

    /// The time now.
    pub fn now(&self) -> Millis {
        match self {
            Clock::HandlerTime => js_sys::Date::now() as Millis,
            Clock::EventTime {
                performance,
                origin,
            } => to_millis(origin + performance.now()),
        }
    }

    /// The time of `event`.
    pub fn event_time(&self, event: &Event) -> Millis {
        match self {
            Clock::HandlerTime => js_sys::Date::now() as Millis,
            Clock::EventTime { origin, .. } => to_millis(origin + event.time_stamp()),
        }
    }

    /// The time a recorder constructed when `Date.now()` read `date_now` and
    /// `performance.now()` read `performance_now` started at.
    pub fn construction_time(&self, date_now: f64, performance_now: f64) -> Millis {
        match self {
            Clock::HandlerTime => date_now as Millis,
            Clock::EventTime { origin, .. } => to_millis(origin + performance_now),
        }
    }
}

/// `Math.round` to integer milliseconds.
fn to_millis(ms: f64) -> Millis {
    js::round(ms) as Millis
}
