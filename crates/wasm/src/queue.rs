//! The event queue the package's listeners write into (`pkg/src/queue.js`, an `EventQueue`):
//! records of plain numbers, each event's own timestamp included, consumed here in a batch when
//! the recorder is asked for something. Its layout is documented in `queue.js`.

use keycadence_core::js::string_from_js;
use keycadence_core::recorder::{
    FieldState, Handlers, KeyEvent, KeyKind, Millis, MotionEvent, MouseEvent, MouseKind, Recorder,
};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A `queue.js` `EventQueue`, handed in by the shim.
    pub type EventQueue;

    /// Listens to the events of the bit mask (bits in the order of the record kinds below) and
    /// no others; `with_field` records the target's value and caret with key events.
    #[wasm_bindgen(method)]
    pub fn listen(this: &EventQueue, events: u32, with_field: bool);
    /// The time now, on the queue's clock (integer milliseconds since the epoch).
    #[wasm_bindgen(method)]
    pub fn now(this: &EventQueue) -> f64;
    /// When the recorder was constructed, on the queue's clock.
    #[wasm_bindgen(method, getter, js_name = createdAt)]
    pub fn created_at(this: &EventQueue) -> f64;
    /// How many numbers the queued records hold.
    #[wasm_bindgen(method, getter)]
    fn length(this: &EventQueue) -> usize;
    /// Copies the queued records into `out`; returns how many strings they refer to.
    #[wasm_bindgen(method, js_name = copyTo)]
    fn copy_to(this: &EventQueue, out: &mut [f64]) -> u32;
    #[wasm_bindgen(method)]
    fn string(this: &EventQueue, index: u32) -> JsValue;
    #[wasm_bindgen(method)]
    fn clear(this: &EventQueue);
    /// Sets the argument of the method call under way (the shim sets it itself; Rust callers of
    /// [`crate::Recorder`] through this).
    #[wasm_bindgen(method, setter)]
    pub(crate) fn set_argument(this: &EventQueue, argument: &JsValue);
    /// Describes the argument of the method call under way, then for an array its items from 0
    /// on, into `out` from `start` on: `[kind, number or string length]` each, see
    /// [`crate::js_value`].
    #[wasm_bindgen(method)]
    pub(crate) fn describe(this: &EventQueue, out: &mut [f64], start: u32);
    /// The UTF-16 code units of the string `describe` described: the argument for an index of
    /// -1, else its item `index`.
    #[wasm_bindgen(method)]
    pub(crate) fn units(this: &EventQueue, index: i32, out: &mut [u16]);
    /// Hands the shim the module's memory and the address of the pattern's call frame in it
    /// (see [`crate::frame`]).
    #[wasm_bindgen(method, js_name = setFrame)]
    pub(crate) fn set_frame(this: &EventQueue, memory: &JsValue, address: u32);
}

/// Numbers per record: `[kind, time, six numbers of the event]`.
const STRIDE: usize = 8;

// The record kinds, which are also the bits of `listen`'s mask.
const KEY_DOWN: u32 = 0;
const KEY_PRESS: u32 = 1;
const KEY_UP: u32 = 2;
const INPUT: u32 = 3;
const MOUSE_MOVE: u32 = 4;
const MOUSE_DOWN: u32 = 5;
const MOUSE_UP: u32 = 6;
const SCROLL: u32 = 7;
const MOTION: u32 = 8;
const MOTION_WITH_ROTATION: u32 = 9;

const fn events(kinds: &[u32]) -> u32 {
    let mut mask = 0;
    let mut i = 0;
    while i < kinds.len() {
        mask |= 1 << kinds[i];
        i += 1;
    }
    mask
}

/// The events the reference listens to for a handler set (keyboard, mouse and motion events): on
/// `document`, and `devicemotion` on `window` for mobile handlers when the browser has
/// `DeviceMotionEvent`.
pub(crate) fn listened(handlers: Handlers, device_motion_event: bool) -> u32 {
    let document = match handlers {
        Handlers::Desktop => {
            return events(&[
                KEY_UP, KEY_DOWN, KEY_PRESS, MOUSE_MOVE, MOUSE_DOWN, MOUSE_UP, SCROLL,
            ])
        }
        Handlers::AndroidFirefox => events(&[INPUT, KEY_DOWN]),
        Handlers::Android => events(&[KEY_UP, KEY_DOWN]),
        Handlers::Mobile => events(&[KEY_UP, KEY_DOWN, KEY_PRESS]),
    };
    if device_motion_event {
        document | events(&[MOTION])
    } else {
        document
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

/// The string a record refers to by `index` (NaN or -1 for none).
fn string(strings: &[String], index: f64) -> Option<&str> {
    strings.get(code(index)? as usize).map(String::as_str)
}

/// Feeds the queued events to `recorder`, oldest first, and empties the queue.
pub(crate) fn consume(queue: &EventQueue, recorder: &mut Recorder) {
    consume_queued(queue, queue.length(), recorder);
}

/// [`consume`], the queue's length (`length` numbers) read by the caller.
pub(crate) fn consume_queued(queue: &EventQueue, length: usize, recorder: &mut Recorder) {
    if length == 0 {
        return;
    }
    let mut records = vec![0.0; length];
    let string_count = queue.copy_to(&mut records);
    // (A loop, not `map().collect()`: one iterator instance less in the module.)
    let mut strings = Vec::new();
    for i in 0..string_count {
        strings.push(string_from_js(&queue.string(i)).unwrap_or_default());
    }
    // One key event, refilled for each record: its target id is copied into the same buffer.
    let mut key = KeyEvent::default();
    for record in records.chunks_exact(STRIDE) {
        let [kind, time, a, b, c, d, e, f] = *record else {
            continue;
        };
        let time = time as Millis;
        let mouse = |kind| MouseEvent {
            kind,
            time,
            screen_x: number(a).unwrap_or(0.0),
            screen_y: number(b).unwrap_or(0.0),
            which: code(c).unwrap_or(0),
        };
        match kind as u32 {
            kind @ KEY_DOWN..=INPUT => {
                key.kind = match kind {
                    KEY_DOWN => KeyKind::Down,
                    KEY_PRESS => KeyKind::Press,
                    KEY_UP => KeyKind::Up,
                    _ => KeyKind::Input,
                };
                key.time = time;
                key.key_code = code(a);
                key.char_code = code(b).unwrap_or(0);
                key.shift_key = c != 0.0;
                // `event.target.id`: the empty string for elements without an id.
                key.target.clear();
                key.target.push_str(string(&strings, d).unwrap_or_default());
                key.field = string(&strings, e).map(|value| FieldState {
                    value: value.to_owned(),
                    selection_start: code(f),
                });
                recorder.key(&key);
            }
            MOUSE_MOVE => recorder.mouse(&mouse(MouseKind::Move)),
            MOUSE_DOWN => recorder.mouse(&mouse(MouseKind::Down)),
            MOUSE_UP => recorder.mouse(&mouse(MouseKind::Up)),
            SCROLL => recorder.scroll(time, number(a).unwrap_or(0.0)),
            kind @ (MOTION | MOTION_WITH_ROTATION) => recorder.motion(&MotionEvent {
                time,
                acceleration: [a, b, c].map(number),
                rotation: (kind == MOTION_WITH_ROTATION).then_some([d, e, f].map(number)),
            }),
            _ => {}
        }
    }
    queue.clear();
}
