//! Input events, as values carrying their own timestamps (integer epoch milliseconds).

/// Milliseconds since the epoch, as `Date.now()` gives them.
pub type Millis = i64;

/// Which keyboard event a [`KeyEvent`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyKind {
    /// `keydown`.
    #[default]
    Down,
    /// `keypress` (carries the character code).
    Press,
    /// `keyup`.
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
    /// Which of the keyboard events this is.
    pub kind: KeyKind,
    /// When the event happened.
    pub time: Millis,
    /// `event.keyCode`; `None` for events without one (Android Firefox `input`).
    pub key_code: Option<u32>,
    /// `event.charCode` (keypress only).
    pub char_code: u32,
    /// `event.shiftKey`.
    pub shift_key: bool,
    /// `event.target.id` (empty for elements without an id).
    pub target: String,
    /// The target element's value and caret, needed by the Android handlers.
    pub field: Option<FieldState>,
}

impl KeyEvent {
    /// A key event of `kind` at `time` with a key code, on the element with id `target`.
    pub fn new(kind: KeyKind, time: Millis, key_code: u32, target: &str) -> Self {
        KeyEvent {
            kind,
            time,
            key_code: Some(key_code),
            target: target.to_owned(),
            ..KeyEvent::default()
        }
    }

    /// Sets `event.charCode` (for a keypress).
    pub fn char_code(mut self, char_code: u32) -> Self {
        self.char_code = char_code;
        self
    }

    /// Sets `event.shiftKey`.
    pub fn shift(mut self, shift_key: bool) -> Self {
        self.shift_key = shift_key;
        self
    }

    /// Sets the target element's value and caret (for the Android handlers).
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
    /// `mousemove`.
    Move,
    /// `mousedown`.
    Down,
    /// `mouseup`.
    Up,
}

/// A document-level mouse event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MouseEvent {
    /// Which of the mouse events this is.
    pub kind: MouseKind,
    /// When the event happened.
    pub time: Millis,
    /// `event.screenX`, CSS pixels from the screen's left edge.
    pub screen_x: f64,
    /// `event.screenY`, CSS pixels from the screen's top edge.
    pub screen_y: f64,
    /// `event.which` (1 = left button).
    pub which: u32,
}

/// A `devicemotion` event: `accelerationIncludingGravity` and, when present, `rotationRate`.
/// Absent (`null`) axes are `None`; JS arithmetic turns them into 0 (`100 * null`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct MotionEvent {
    /// When the event happened.
    pub time: Millis,
    /// `[x, y, z]` of `accelerationIncludingGravity` in m/s²; `None` for an absent axis.
    pub acceleration: [Option<f64>; 3],
    /// `[alpha, beta, gamma]`, or `None` when the event has no `rotationRate`.
    pub rotation: Option<[Option<f64>; 3]>,
}
