//! DOM events into the core's event values, reading the same properties the reference reads.
//! Properties are read by reflection, so an event lacking one (an `input` event has no
//! `keyCode`, a synthetic `Event` has none of them) reads as `undefined` as it would in the
//! reference, instead of throwing.

use keycadence_core::recorder::{
    FieldState, KeyEvent, KeyKind, Millis, MotionEvent, MouseEvent, MouseKind,
};
use wasm_bindgen::JsValue;
use web_sys::Event;

use crate::js_value::property;

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

/// A non-negative integer property (`keyCode`, `charCode`, `which`); `None` when absent.
fn code(object: &JsValue, name: &'static str) -> Option<u32> {
    property(object, name)
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| n as u32)
}

/// A number property, `None` when absent or `null`.
fn number(object: &JsValue, name: &'static str) -> Option<f64> {
    property(object, name).as_f64()
}

/// A keyboard (or `input`) event. `with_field` reads the target's value and caret, which only
/// the Android handlers use.
pub fn key(kind: KeyKind, event: &Event, time: Millis, with_field: bool) -> KeyEvent {
    let event: &JsValue = event.as_ref();
    let target = property(event, "target");
    let field = if with_field {
        property(&target, "value")
            .as_string()
            .map(|value| FieldState {
                value,
                selection_start: code(&target, "selectionStart"),
            })
    } else {
        None
    };
    KeyEvent {
        kind,
        time,
        key_code: code(event, "keyCode"),
        char_code: code(event, "charCode").unwrap_or(0),
        shift_key: property(event, "shiftKey").is_truthy(),
        // `event.target.id`: the empty string for elements without an id.
        target: property(&target, "id").as_string().unwrap_or_default(),
        field,
    }
}

pub fn mouse(kind: MouseKind, event: &Event, time: Millis) -> MouseEvent {
    let event: &JsValue = event.as_ref();
    MouseEvent {
        kind,
        time,
        screen_x: number(event, "screenX").unwrap_or(0.0),
        screen_y: number(event, "screenY").unwrap_or(0.0),
        which: code(event, "which").unwrap_or(0),
    }
}

/// `document.body.scrollTop` at a `scroll` event.
pub fn scroll_top(document: &web_sys::Document) -> f64 {
    number(&property(document, "body"), "scrollTop").unwrap_or(0.0)
}

/// A `devicemotion` event; `None` for one without acceleration data, which Chromium fires once
/// on devices without motion sensors. (The reference's handler throws a `TypeError` reading
/// `null.x` there, after half-updating its buffers; skipping the event keeps them consistent.)
pub fn motion(event: &Event, time: Millis) -> Option<MotionEvent> {
    let event: &JsValue = event.as_ref();
    let acceleration = property(event, "accelerationIncludingGravity");
    if acceleration.is_null() || acceleration.is_undefined() {
        return None;
    }
    let rotation = property(event, "rotationRate");
    let axes = |object: &JsValue, names: [&'static str; 3]| names.map(|name| number(object, name));
    Some(MotionEvent {
        time,
        acceleration: axes(&acceleration, ["x", "y", "z"]),
        rotation: (!rotation.is_null() && !rotation.is_undefined())
            .then(|| axes(&rotation, ["alpha", "beta", "gamma"])),
    })
}
