//! The browser environment the recorder reads (`navigator`, `screen`, `window`), as the core's
//! [`Environment`]. `js/browser.js` evaluates the JavaScript expression the core documents for
//! each field.

use keycadence_core::Environment;

use crate::browser;
use crate::queue::EventQueue;

// The bits of the flags `browser::environment` returns, in `browser.js`'s order.
const DEVICE_MOTION_EVENT: u32 = 1 << 0;
const MOTION_NEEDS_PERMISSION: u32 = 1 << 1;
const MS_POINTER_TOUCH: u32 = 1 << 2;
const ONTOUCHSTART: u32 = 1 << 3;
const DOCUMENT_TOUCH: u32 = 1 << 4;
const HAS_ORIENTATION: u32 = 1 << 5;

/// What `browser::environment` reads besides the live facts (screen, touch, orientation).
#[derive(Clone, Copy)]
enum Part {
    Live = 0,
    /// The facts read once, at construction (motion sensors, old Windows touch).
    Construction = 1,
}

/// One reading of `browser::environment`.
struct Facts {
    flags: u32,
    screen_width: u32,
    screen_height: u32,
    max_touch_points: u32,
    /// `navigator.language` is another than at the recorder's last reading (or this is the
    /// first): the string is read again.
    language_changed: bool,
}

impl Facts {
    /// Reads the live facts and the `part` named (the bits of the others stay 0) for the
    /// recorder of `queue`.
    fn read(queue: &EventQueue, part: Part) -> Facts {
        let mut facts = [0.0; 5];
        browser::environment(queue, &mut facts, part as u32);
        Facts {
            flags: facts[0] as u32,
            screen_width: count(facts[1]),
            screen_height: count(facts[2]),
            max_touch_points: count(facts[3]),
            language_changed: facts[4] != 0.0,
        }
    }

    fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// The facts the reference reads afresh for every pattern: language, screen, touch
    /// and orientation. (The user agent and platform count as captured at construction.)
    fn set_live(&self, env: &mut Environment) {
        if self.language_changed {
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

/// `Number(x) || 0` for the integer facts (screen size, touch points).
fn count(value: f64) -> u32 {
    if value.is_finite() && value > 0.0 {
        value as u32
    } else {
        0
    }
}

/// Everything the recorder reads about the browser, now. (The browser markers of
/// `checkEnvironment` stay unset: the package's `checkEnvironment` is plain JavaScript, see
/// `pkg/src/helpers.js`.)
pub(crate) fn read(queue: &EventQueue) -> Environment {
    let facts = Facts::read(queue, Part::Construction);
    let mut env = Environment {
        user_agent: browser::user_agent().unwrap_or_default(),
        platform: browser::platform().unwrap_or_default(),
        device_motion_event: facts.has(DEVICE_MOTION_EVENT),
        motion_needs_permission: facts.has(MOTION_NEEDS_PERMISSION),
        ms_pointer_touch: facts.has(MS_POINTER_TOUCH),
        ..Environment::default()
    };
    facts.set_live(&mut env);
    env
}

/// The live part of `env` (language, screen, touch, orientation) read afresh.
pub(crate) fn refresh_live(queue: &EventQueue, env: &mut Environment) {
    Facts::read(queue, Part::Live).set_live(env);
}
