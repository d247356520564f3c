//! What the recorder reads of the page: at construction the browser's capabilities, and for
//! every pattern the facts the reference reads afresh with its event queue's state ([`Facts`]).
//! The shim reads them (`capabilities()` and the event queue's `withFacts` in `pkg/src/queue.js`,
//! which evaluate the JavaScript expression the core documents for each field of
//! [`Environment`]) and passes them as the call's arguments: a call out of the module for them,
//! with a buffer for its answer, would cost more than the reads themselves.

use keycadence_core::Environment;

use crate::browser;

// The bits of `capabilities()`, then of the flags `withFacts` reads, in their order.
const DEVICE_MOTION_EVENT: u32 = 1 << 0;
const MOTION_NEEDS_PERMISSION: u32 = 1 << 1;
const MS_POINTER_TOUCH: u32 = 1 << 2;
const ONTOUCHSTART: u32 = 1 << 3;
const DOCUMENT_TOUCH: u32 = 1 << 4;
const HAS_ORIENTATION: u32 = 1 << 5;
/// `navigator.language` is another than at the recorder's last reading (or this is the first):
/// the string is read again.
const LANGUAGE_CHANGED: u32 = 1 << 6;

/// One reading of `withFacts`, for a pattern: the page's facts and the queue's state.
pub struct Facts {
    flags: u32,
    screen_width: u32,
    screen_height: u32,
    max_touch_points: u32,
    /// How many numbers the queued records hold.
    pub(crate) queued: usize,
    /// The time now, on the queue's clock.
    pub(crate) now: f64,
}

impl Facts {
    /// `withFacts`'s arguments: the flags, `screen.width`, `screen.height`,
    /// `navigator.maxTouchPoints`, `queue.length` (the integers as the call converts them:
    /// `screen` and `navigator` hold non-negative integers there) and `queue.now()`.
    pub fn new(
        flags: u32,
        screen_width: u32,
        screen_height: u32,
        max_touch_points: u32,
        queued: u32,
        now: f64,
    ) -> Facts {
        Facts {
            flags,
            screen_width,
            screen_height,
            max_touch_points,
            queued: queued as usize,
            now,
        }
    }

    fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// The facts the reference reads afresh for every pattern: language, screen, touch
    /// and orientation. (The user agent and platform count as captured at construction.)
    pub(crate) fn set_live(&self, env: &mut Environment) {
        if self.has(LANGUAGE_CHANGED) {
            env.language = browser::language();
        }
        env.screen_width = self.screen_width;
        env.screen_height = self.screen_height;
        env.max_touch_points = self.max_touch_points;
        env.ontouchstart = self.has(ONTOUCHSTART);
        env.document_touch = self.has(DOCUMENT_TOUCH);
        env.has_orientation = self.has(HAS_ORIENTATION);
    }
}

/// What the recorder reads about the browser at construction: the user agent, the platform and
/// the `capabilities()` the shim read (bits 0 to 2 above). (The facts a pattern reads are read
/// for each pattern. The browser markers of `checkEnvironment` stay unset: the package's
/// `checkEnvironment` is plain JavaScript, see `pkg/src/helpers.js`.)
pub(crate) fn at_construction(capabilities: u32) -> Environment {
    Environment {
        user_agent: browser::user_agent().unwrap_or_default(),
        platform: browser::platform().unwrap_or_default(),
        device_motion_event: capabilities & DEVICE_MOTION_EVENT != 0,
        motion_needs_permission: capabilities & MOTION_NEEDS_PERMISSION != 0,
        ms_pointer_touch: capabilities & MS_POINTER_TOUCH != 0,
        ..Environment::default()
    }
}
