//! Input events, as values carrying their own timestamps (integer epoch milliseconds).

/// Milliseconds since the epoch, as `Date.now()` gives them.
pub type Millis = i64;

/// Which keyboard event a [`KeyEvent`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyKind {
    #[default]
    Down,
    Press,
    Up,
    /// The `input` event, listened to instead of `keyup` on Android Firefox.
    Input,
}

/// The state of the element an event targets, as the Android handlers read it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FieldState {
    /// `element.value`.
    pub value: String,
    /// `element.selectionStart`; `None` when the element has none (it is `null` in JS).
    pub selection_start: Option<u32>,
}

/// A keyboard event as the document-level listeners see it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct KeyEvent {
    pub kind: KeyKind,
    pub time: Millis,
    /// `event.keyCode`; `None` for events without one (Android Firefox `input`).
    pub key_code: Option<u32>,
    /// `event.charCode` (keypress only).
    pub char_code: u32,
    pub shift_key: bool,
    /// `event.target.id` (empty for elements without an id).
    pub target: String,
    /// The target element's value and caret, needed by the Android handlers.
    pub field: Option<FieldState>,
}

impl KeyEvent {
    pub fn new(kind: KeyKind, time: Millis, key_code: u32, target: &str) -> Self {
        KeyEvent {
            kind,
            time,
            key_code: Some(key_code),
            target: target.to_owned(),
            ..KeyEvent::default()
        }
    }

    pub fn char_code(mut self, char_code: u32) -> Self {
        self.char_code = char_code;
        self
    }

    pub fn shift(mut self, shift_key: bool) -> Self {
        self.shift_key = shift_key;
        self
    }

    pub fn field(mut self, value: &str, selection_start: Option<u32>) -> Self {
        self.field = Some(FieldState {
            value: value.to_owned(),
            selection_start,
        });
        self
    }
}

/// Which mouse event a [`MouseEvent`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MouseKind {
    Move,
    Down,
    Up,
}

/// A document-level mouse event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MouseEvent {
    pub kind: MouseKind,
    pub time: Millis,
    pub screen_x: f64,
    pub screen_y: f64,
    /// `event.which` (1 = left button).
    pub which: u32,
}

/// A `devicemotion` event: `accelerationIncludingGravity` and, when present, `rotationRate`.
/// Absent (`null`) axes are `None`; JS arithmetic turns them into 0 (`100 * null`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct MotionEvent {
    pub time: Millis,
    pub acceleration: [Option<f64>; 3],
    /// `[alpha, beta, gamma]`, or `None` when the event has no `rotationRate`.
    pub rotation: Option<[Option<f64>; 3]>,
}
