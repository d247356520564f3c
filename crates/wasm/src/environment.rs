//! What the recorder reads of the page: at construction the browser's capabilities, and for
//! every pattern the facts the reference reads afresh with its event queue's state ([`Facts`]).
//! The shim reads them (`capabilities()` and the event queue's `writeFacts` in `pkg/src/queue.js`,
//! which evaluate the JavaScript expression the core documents for each field of
//! [`Environment`]) and hands them over with the call (as an argument, and in the pattern's call
//! frame, [`crate::frame`]): a call out of the module for them would cost more than the reads
//! themselves.

use keycadence_core::Environment;

use crate::browser;
use crate::frame;

// The bits of `capabilities()`, then of the flags `writeFacts` reads, in their order.
const DEVICE_MOTION_EVENT: u32 = 1 << 0;
const MOTION_NEEDS_PERMISSION: u32 = 1 << 1;
const MS_POINTER_TOUCH: u32 = 1 << 2;
const ONTOUCHSTART: u32 = 1 << 3;
const DOCUMENT_TOUCH: u32 = 1 << 4;
const HAS_ORIENTATION: u32 = 1 << 5;
/// `navigator.language` is another than at the recorder's last reading (or this is the first):
/// the string is read again.
const LANGUAGE_CHANGED: u32 = 1 << 6;

/// One reading of `writeFacts`, for a pattern: the page's facts, the queue's state, and the
/// call's argument described.
#[derive(Clone)]
pub struct Facts {
    flags: u32,
    screen_width: u32,
    screen_height: u32,
    max_touch_points: u32,
    /// How many numbers the queued records hold.
    pub(crate) queued: usize,
    /// The time now, on the queue's clock.
    pub(crate) now: f64,
    /// `getMouseDiagram()` rather than `getTypingPattern(options)`.
    pub(crate) mouse: bool,
    /// The argument of `getTypingPattern` and its options, as `describe` (`pkg/src/queue.js`)
    /// writes them: see [`crate::js_value`].
    pub(crate) argument: [f64; 16],
}

impl Facts {
    /// The numbers `writeFacts` wrote: the flags, `screen.width`, `screen.height`,
    /// `navigator.maxTouchPoints`, `queue.length` (non-negative integers there: `as` keeps
    /// them), `queue.now()`, `mouse` (1 or 0), then the argument's description.
    pub fn from_frame(numbers: &[f64; frame::LENGTH]) -> Facts {
        let mut argument = [0.0; 16];
        argument.copy_from_slice(&numbers[frame::ARGUMENT..]);
        Facts {
            flags: numbers[0] as u32,
            screen_width: numbers[1] as u32,
            screen_height: numbers[2] as u32,
            max_touch_points: numbers[3] as u32,
            queued: numbers[4] as usize,
            now: numbers[5],
            mouse: numbers[6] != 0.0,
            argument,
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
