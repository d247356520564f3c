//! DOM events into the core's event values, reading the same properties the reference reads
//! (in `js/browser.js`). An event lacking one (an `input` event has no `keyCode`, a synthetic
//! `Event` has none of them) reads as absent, as `undefined` would in the reference.

use keycadence_core::recorder::{
    FieldState, KeyEvent, KeyKind, Millis, MotionEvent, MouseEvent, MouseKind,
};
use wasm_bindgen::JsValue;
use web_sys::Event;

use crate::browser;

/// Which listener an event arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listened {
    Key(KeyKind),
    Mouse(MouseKind),
    Scroll,
    Motion,
}

impl Listened {
    /// The DOM event type.
    pub fn event_type(self) -> &'static str {
        match self {
            Listened::Key(KeyKind::Down) => "keydown",
            Listened::Key(KeyKind::Press) => "keypress",
            Listened::Key(KeyKind::Up) => "keyup",
            Listened::Key(KeyKind::Input) => "input",
            Listened::Mouse(MouseKind::Move) => "mousemove",
            Listened::Mouse(MouseKind::Down) => "mousedown",
            Listened::Mouse(MouseKind::Up) => "mouseup",
            Listened::Scroll => "scroll",
            Listened::Motion => "devicemotion",
        }
    }
}

/// A non-negative integer (`keyCode`, `charCode`, `which`, `selectionStart`); `None` when
/// absent (NaN).
fn code(value: f64) -> Option<u32> {
    (value.is_finite() && value >= 0.0).then_some(value as u32)
}

/// A number; `None` when absent (NaN).
fn number(value: f64) -> Option<f64> {
    (!value.is_nan()).then_some(value)
}

/// A keyboard (or `input`) event. `with_field` reads the target's value and caret, which only
/// the Android handlers use.
pub fn key(kind: KeyKind, event: &Event, time: Millis, with_field: bool) -> KeyEvent {
    let event: &JsValue = event.as_ref();
    let mut numbers = [0.0; 4];
    browser::key_event(event, with_field, &mut numbers);
    let field = if with_field {
        browser::target_value(event)
            .as_string()
            .map(|value| FieldState {
                value,
                selection_start: code(numbers[3]),
            })
    } else {
        None
    };
    KeyEvent {
        kind,
        time,
        key_code: code(numbers[0]),
        char_code: code(numbers[1]).unwrap_or(0),
        shift_key: numbers[2] != 0.0,
        // `event.target.id`: the empty string for elements without an id.
        target: browser::target_id(event).as_string().unwrap_or_default(),
        field,
    }
}

pub fn mouse(kind: MouseKind, event: &Event, time: Millis) -> MouseEvent {
    let mut numbers = [0.0; 3];
    browser::mouse_event(event, &mut numbers);
    MouseEvent {
        kind,
        time,
        screen_x: number(numbers[0]).unwrap_or(0.0),
        screen_y: number(numbers[1]).unwrap_or(0.0),
        which: code(numbers[2]).unwrap_or(0),
    }
}

/// `document.body.scrollTop` at a `scroll` event.
pub fn scroll_top(document: &web_sys::Document) -> f64 {
    number(browser::scroll_top(document)).unwrap_or(0.0)
}

/// A `devicemotion` event; `None` for one without acceleration data, which Chromium fires once
/// on devices without motion sensors. (The reference's handler throws a `TypeError` reading
/// `null.x` there, after half-updating its buffers; skipping the event keeps them consistent.)
pub fn motion(event: &Event, time: Millis) -> Option<MotionEvent> {
    let mut numbers = [0.0; 6];
    let read = browser::motion_event(event, &mut numbers);
    let [x, y, z, alpha, beta, gamma] = numbers.map(number);
    (read >= 3).then_some(MotionEvent {
        time,
        acceleration: [x, y, z],
        rotation: (read >= 6).then_some([alpha, beta, gamma]),
    })
}
