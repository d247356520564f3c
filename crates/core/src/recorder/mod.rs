//! The recorder: a sans-IO state machine equivalent to the TypingDNA JavaScript recorder v3.2.
//!
//! Events come in as values with their own timestamps ([`KeyEvent`], [`MouseEvent`],
//! [`MotionEvent`]); pattern strings come out ([`Recorder::typing_pattern`]). The browser facts
//! the reference reads (user agent, screen, ...) come in as an [`Environment`], and element
//! values through a [`Document`]. Gesture time-outs are time-driven: every event first fires the
//! time-outs due at its timestamp, and shells may call [`Recorder::advance`].
//!
//! Listener registration is the shell's job; quirk Q16 (listeners cannot be re-added after
//! `removeEventListeners()`) belongs there too.
//!
//! ## Quirks
//!
//! The reference recorder's oddities that the pattern stream keeps (comments name them Q1 to
//! Q16). Q1 to Q3 are bugs that [`RecorderOptions::fix_quirks`] corrects.
//!
//! * Q1: the target check caches its last answer, and `addTarget`/`removeTarget` leave the
//!   cache alone, so a field seen before `addTarget(other)`, or just removed, keeps being
//!   recorded until an event comes from another element.
//! * Q2: the last keypress char code of each key is never cleared, so Ctrl+letter (no
//!   keypress) is recorded as the letter.
//! * Q3: substitutes for missing characters are cached with only the candidate-row count as
//!   key, so `reset()` and new typing of the same length reuse stale ones.
//! * Q4: the outlier filter's bounds are strict, so a list of equal values (SD 0) is emptied.
//! * Q5: the outlier filter's centre is `sorted[ceil(n/2)]` and its lower bound is 0 below 20
//!   values, so zeros are dropped.
//! * Q6: the `caseSensitive` default is decided before the text may be read from an element.
//! * Q7: the touch field is `maxTouchPoints + 1` (a 10-point touch laptop gives 11).
//! * Q8: the reference's doc comments say otherwise than its code: `stop()` keeps the
//!   histories, and type 0's `length` still applies with a `targetId`.
//! * Q9: a mouse gesture's path length omits its last segment.
//! * Q10: motion rotation differences omit the last gap, and positions are sorted as decimal
//!   strings (JavaScript's default sort).
//! * Q11: `kpGetAll` assigns undeclared globals and throws in strict mode (a crash, not
//!   reproduced).
//! * Q12: with `{type: 1, extended}` the header says extended only for `true`, while the rows
//!   follow truthiness.
//! * Q13: the Android handlers add a row for every input, deletions included (char code 0),
//!   and Android Firefox's `input` event has no keyCode (an empty field).
//! * Q14: `getPressType` reads a flag that is never set: a mobile pattern's press type is 2
//!   once press times came from motion data, else 0.
//! * Q15: key codes are not normalised, so Firefox's `;` `=` `-` (59, 61, 173) are not among
//!   type 0's 44 keys.
//! * Q16: listeners cannot be re-added after `removeEventListeners()`.

mod any_text;
mod diagram;
mod document;
mod events;
pub mod js_api;
mod keyboard;
mod motion;
mod mouse;
mod options;
pub mod pattern_info;
mod special_keys;
mod value;

pub use document::{Document, ElementValue, NoDocument};
pub use events::{FieldState, KeyEvent, KeyKind, Millis, MotionEvent, MouseEvent, MouseKind};
pub use options::{PatternType, TypingPatternOptions};

use crate::device;
use crate::env::Environment;
use keyboard::KeyboardState;
use motion::MotionState;
use mouse::MouseState;
use std::cell::RefCell;

/// The recorder version printed in every pattern.
pub const VERSION: f64 = 3.2;
/// The recorder-family flag (0 = JavaScript recorder).
pub const FLAGS: f64 = 0.0;

/// Behaviour switches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecorderOptions {
    /// Correct the three upstream bugs instead of reproducing them:
    /// Q1 (the target cache outlives `addTarget`/`removeTarget`), Q2 (Ctrl+letter recorded as
    /// the letter through a stale keypress code) and Q3 (missing-key substitutes cached across
    /// `reset()`). Off by default: the pattern stream is a compatibility contract.
    pub fix_quirks: bool,
}

/// Which set of keyboard handlers the reference installs for this user agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handlers {
    /// Desktop browsers: keydown, keypress and keyup.
    Desktop,
    /// iOS and other non-Android mobile browsers.
    Mobile,
    /// Android Chrome: keyCode 229, characters read from the field.
    Android,
    /// Android Firefox: like Android, but `input` replaces `keyup`.
    AndroidFirefox,
}

/// The recorder state machine.
#[derive(Clone, Debug)]
pub struct Recorder {
    options: RecorderOptions,
    env: Environment,
    /// What the device signature takes from the user agent and platform captured at
    /// construction.
    device: device::CapturedDevice,
    mobile: bool,
    handlers: Handlers,
    keyboard: KeyboardState,
    mouse: MouseState,
    motion: MotionState,
    /// Substitutes for missing characters, cached with the candidate-row count (quirk Q3).
    missing_cache: Option<MissingSubstitute>,
    /// The device signature as last printed, with the 19 fields it was printed from: it stays
    /// the same from pattern to pattern until the screen, language or touch facts change, and
    /// printing and hashing it is a good part of a short pattern's time.
    printed_signature: RefCell<(Option<[f64; 19]>, String)>,
}

#[derive(Clone, Copy, Debug)]
struct MissingSubstitute {
    seek: f64,
    press: f64,
    diagram_rows: usize,
}

impl Recorder {
    /// A recorder constructed at `now` in `env`, recording immediately, reproducing the
    /// reference byte for byte.
    pub fn new(env: Environment, now: Millis) -> Self {
        Self::with_options(env, now, RecorderOptions::default())
    }

    /// A recorder like [`Recorder::new`] with non-default options (e.g. the quirk fixes).
    pub fn with_options(env: Environment, now: Millis, options: RecorderOptions) -> Self {
        let mobile = device::is_mobile(&env.user_agent);
        // `ua.toLowerCase().indexOf(name) > -1`: only ASCII letters can lower-case into these
        // ASCII names (a non-ASCII letter that maps to one, such as U+0130, brings a combining
        // mark along), so an ASCII case-insensitive search finds the same.
        let has = |name: &str| {
            env.user_agent
                .as_bytes()
                .windows(name.len())
                .any(|window| window.eq_ignore_ascii_case(name.as_bytes()))
        };
        let handlers = if !mobile {
            Handlers::Desktop
        } else if has("android") {
            if has("firefox") {
                Handlers::AndroidFirefox
            } else {
                Handlers::Android
            }
        } else {
            Handlers::Mobile
        };
        Recorder {
            options,
            device: device::CapturedDevice::detect(&env.user_agent, &env.platform, mobile),
            env,
            mobile,
            handlers,
            keyboard: KeyboardState::new(now),
            mouse: MouseState::new(now),
            motion: MotionState::default(),
            missing_cache: None,
            printed_signature: RefCell::default(),
        }
    }

    /// The handler set in use (decided once, at construction).
    pub fn handlers(&self) -> Handlers {
        self.handlers
    }

    /// The environment; shells update the live parts (screen, language, orientation) before
    /// asking for a pattern. The user agent and platform used for the device signature are the
    /// ones captured at construction.
    pub fn environment_mut(&mut self) -> &mut Environment {
        &mut self.env
    }

    /// The environment the recorder reads when it builds a pattern.
    pub fn environment(&self) -> &Environment {
        &self.env
    }

    /// `isMobile()`.
    pub fn is_mobile(&self) -> bool {
        self.mobile
    }

    /// Fires the gesture time-outs due at `now`.
    pub fn advance(&mut self, now: Millis) {
        self.mouse.advance(now);
    }

    /// When the next gesture time-out is due, if any.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.mouse.next_deadline()
    }

    /// A keyboard event (`keydown`, `keypress`, `keyup` or `input` on the document).
    pub fn key(&mut self, event: &KeyEvent) {
        self.advance(event.time);
        let fix = self.options.fix_quirks;
        match (self.handlers, event.kind) {
            (Handlers::Desktop, KeyKind::Down) => self.keyboard.desktop_down(event, fix),
            (Handlers::Desktop | Handlers::Mobile, KeyKind::Press) => self.keyboard.press(event),
            (Handlers::Desktop, KeyKind::Up) => self.keyboard.desktop_up(event),
            (Handlers::Mobile, KeyKind::Down) => self.keyboard.mobile_down(event, fix),
            (Handlers::Mobile, KeyKind::Up) => self.keyboard.mobile_up(event, &mut self.motion),
            (Handlers::Android | Handlers::AndroidFirefox, KeyKind::Down) => {
                self.keyboard.android_down(event)
            }
            (Handlers::Android, KeyKind::Up) | (Handlers::AndroidFirefox, KeyKind::Input) => {
                self.keyboard.android_up(event, &mut self.motion)
            }
            // No listener for this event on this platform.
            _ => {}
        }
    }

    /// A mouse event (desktop only: the reference installs no mouse listeners on mobile).
    pub fn mouse(&mut self, event: &MouseEvent) {
        self.advance(event.time);
        if self.handlers == Handlers::Desktop {
            self.mouse.event(event);
        }
    }

    /// A `scroll` event on the document (desktop only).
    pub fn scroll(&mut self, now: Millis, scroll_top: f64) {
        self.advance(now);
        if self.handlers == Handlers::Desktop {
            self.mouse.scroll(now, scroll_top);
        }
    }

    /// A `devicemotion` event (listened to on mobile when `DeviceMotionEvent` exists).
    pub fn motion(&mut self, event: &MotionEvent) {
        self.advance(event.time);
        if self.mobile && self.env.device_motion_event {
            self.motion.sample(event);
        }
    }

    /// `start()`: returns `true`.
    pub fn start(&mut self) -> bool {
        self.keyboard.recording = true;
        true
    }

    /// `stop()`: returns `false`. The histories are kept (quirk Q8: the reference's doc comment
    /// says `stop()` clears them; it does not, and neither does this).
    pub fn stop(&mut self) -> bool {
        self.keyboard.recording = false;
        false
    }

    /// `reset(all)`: clears both key histories, the click and stop times and the Android field
    /// memory; with `all` also the mouse gesture rows.
    pub fn reset(&mut self, all: bool) {
        self.keyboard.reset();
        self.mouse.click_times.clear();
        self.mouse.stop_times.clear();
        if all {
            self.mouse.history.clear();
        }
        if self.options.fix_quirks {
            // Q3 corrected: substitutes from before the reset must not be reused.
            self.missing_cache = None;
        }
    }

    /// `TypingDNA.resetMouse(all)`.
    pub fn reset_mouse(&mut self, all: bool) {
        self.mouse.reset(all);
    }

    /// `startMouse()`: gesture rows and click/stop statistics on; returns `true`.
    pub fn start_mouse(&mut self) -> bool {
        self.mouse.recording = true;
        self.mouse.move_recording = true;
        true
    }

    /// `stopMouse()`: both off; returns `false`.
    pub fn stop_mouse(&mut self) -> bool {
        self.mouse.recording = false;
        self.mouse.move_recording = false;
        false
    }

    /// `addTarget(id)`.
    pub fn add_target(&mut self, id: &str) {
        self.keyboard.targets.add(id, self.options.fix_quirks);
    }

    /// `removeTarget(id)`.
    pub fn remove_target(&mut self, id: &str) {
        self.keyboard.targets.remove(id, self.options.fix_quirks);
    }

    /// The device signature as it would be printed now (20 numbers).
    pub fn device_signature(&self) -> [f64; 20] {
        self.device
            .signature(&self.env, self.mobile, self.motion.press_calculated)
    }

    /// `checkEnvironment()`.
    pub fn check_environment(&self) -> device::EnvironmentCheck {
        device::check_environment(&self.env, self.mobile)
    }

    /// `getMouseDiagram()`: the "type 9" mouse pattern.
    pub fn mouse_diagram(&self) -> String {
        let mut out = String::with_capacity(256);
        self.push_common_header(&mut out, 9.0);
        out.push_str(",0,0,");
        self.push_special_keys_and_signature(&mut out);
        out.push('|');
        for (i, row) in self.mouse.history.iter().enumerate() {
            if i > 0 {
                out.push('|');
            }
            push_numbers(&mut out, row);
        }
        out
    }

    /// `mobile,3.2,0,<kind>` as every diagram-style header starts.
    fn push_common_header(&self, out: &mut String, kind: f64) {
        out.push(if self.mobile { '1' } else { '0' });
        // `String(VERSION)` as a literal: the browser build prints non-integers by a call into
        // the browser.
        out.push_str(",3.2,");
        push_numbers(out, &[FLAGS, kind]);
    }

    /// The 15 special-key numbers, a comma, and the 20 device-signature numbers.
    fn push_special_keys_and_signature(&self, out: &mut String) {
        let special = special_keys::special_keys(
            self.keyboard.history().iter(),
            &self.mouse.click_times,
            &self.mouse.stop_times,
        );
        push_numbers(out, &special);
        out.push(',');
        let fields =
            self.device
                .signature_fields(&self.env, self.mobile, self.motion.press_calculated);
        let mut printed = self.printed_signature.borrow_mut();
        // (A NaN field never compares equal: such a signature is printed afresh each time.)
        if printed.0 != Some(fields) {
            printed.1.clear();
            push_numbers(&mut printed.1, &device::signature_with_hash(&fields));
            printed.0 = Some(fields);
        }
        out.push_str(&printed.1);
    }
}

/// Appends numbers joined by `,`, printed as JS `String(number)`.
pub(crate) fn push_numbers(out: &mut String, values: &[f64]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::js::push_number(out, *v);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_version_printed_as_a_literal_is_the_version() {
        assert_eq!(crate::js::number_to_string(super::VERSION), "3.2");
    }
}
