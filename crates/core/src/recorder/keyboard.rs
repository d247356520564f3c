//! The keyboard handlers (desktop, iOS-style mobile, Android) and the two key histories.

use super::events::{KeyEvent, Millis};
use super::motion::MotionState;
use crate::js;

/// Cap of the type-0 history (oldest rows dropped).
pub(crate) const MAX_HISTORY_LENGTH: usize = 2000;

/// A key code as JS holds it: a number, `NaN` (Android, empty field) or `undefined` (an
/// Android Firefox `input` event, which has no `keyCode`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum KeyCode {
    Code(u32),
    NotANumber,
    Undefined,
}

impl KeyCode {
    pub(super) fn code(self) -> Option<u32> {
        match self {
            KeyCode::Code(c) => Some(c),
            _ => None,
        }
    }

    /// Appends the code as `Array.join` prints it.
    pub(super) fn push_to(self, out: &mut String) {
        match self {
            KeyCode::Code(c) => js::push_number(out, c.into()),
            KeyCode::NotANumber => out.push_str("NaN"),
            KeyCode::Undefined => {}
        }
    }
}

/// A row of the type-0 history: one accepted keystroke.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HistoryRow {
    pub key_code: KeyCode,
    pub seek: f64,
    pub press: f64,
    pub prev_key_code: KeyCode,
    /// The target element's id, as an index into [`KeyboardState::target_ids`].
    pub target: TargetIndex,
}

/// A row of the diagram history (keystrokes that produced a character).
#[derive(Clone, Debug)]
pub(crate) struct DiagramRow {
    pub key_code: KeyCode,
    pub seek: f64,
    pub press: f64,
    /// The character code (`NaN` for an Android keystroke on an empty field).
    pub char_code: f64,
    pub target: TargetIndex,
    /// Mobile only: the four `#` trailer strings of the motion summary, joined by
    /// `motion::PART_SEPARATOR`; empty on desktop.
    pub motion: String,
}

/// An index into [`KeyboardState::target_ids`]: rows name their element without a string each.
pub(crate) type TargetIndex = u32;

/// Seek time and key-down instant of a key waiting for its keyup.
#[derive(Clone, Copy, Debug)]
struct PendingKey {
    seek: f64,
    start: Millis,
}

/// The registered target ids and the reference's one-entry lookup cache.
#[derive(Clone, Debug, Default)]
pub(crate) struct Targets {
    pub ids: Vec<String>,
    last_target: String,
    last_target_found: bool,
}

impl Targets {
    /// `isTarget(id)`. Quirk Q1: a cache hit is accepted without looking at `ids`, and
    /// `add`/`remove` leave the cache alone, so a field seen before `addTarget(other)`, or
    /// just removed, keeps being recorded until an event comes from another element.
    fn accepts(&mut self, id: &str) -> bool {
        if id == self.last_target && self.last_target_found {
            return true;
        }
        let found = self.ids.is_empty() || self.ids.iter().any(|t| t == id);
        self.last_target = id.to_owned();
        self.last_target_found = found;
        found
    }

    pub(super) fn add(&mut self, id: &str, fix_quirks: bool) {
        if !self.ids.iter().any(|t| t == id) {
            self.ids.push(id.to_owned());
        }
        if fix_quirks {
            self.last_target_found = false;
        }
    }

    pub(super) fn remove(&mut self, id: &str, fix_quirks: bool) {
        if let Some(i) = self.ids.iter().position(|t| t == id) {
            self.ids.remove(i);
        }
        if fix_quirks {
            self.last_target_found = false;
        }
    }
}

/// A map over a vector of pairs. The keyboard state holds a few keys down, the key codes seen
/// and the fields typed in: a linear scan over so few entries is as fast as hashing, and it
/// keeps `HashMap`'s code and random seeding out of the wasm build.
#[derive(Clone, Debug)]
struct SmallMap<K, V>(Vec<(K, V)>);

impl<K: PartialEq, V> SmallMap<K, V> {
    const fn new() -> Self {
        SmallMap(Vec::new())
    }

    fn position(&self, key: &K) -> Option<usize> {
        self.0.iter().position(|(k, _)| k == key)
    }

    fn insert(&mut self, key: K, value: V) {
        match self.position(&key) {
            Some(i) => self.0[i].1 = value,
            None => self.0.push((key, value)),
        }
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.position(key)?;
        Some(self.0.swap_remove(i).1)
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.position(key).map(|i| &self.0[i].1)
    }

    /// The value of `key`, inserting `default` first if it has none.
    fn value_or_insert(&mut self, key: &K, default: V) -> &mut V
    where
        K: Clone,
    {
        let i = self.position(key).unwrap_or_else(|| {
            self.0.push((key.clone(), default));
            self.0.len() - 1
        });
        &mut self.0[i].1
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

#[derive(Clone, Debug)]
pub(crate) struct KeyboardState {
    /// `recording` and `diagramRecording`, always toggled together.
    pub recording: bool,
    /// The type-0 history: its last [`MAX_HISTORY_LENGTH`] rows (see [`Self::history`]).
    history_rows: Vec<HistoryRow>,
    pub diagram: Vec<DiagramRow>,
    /// The ids of the elements the rows were typed in, each once (cleared with the rows).
    target_ids: Vec<String>,
    pub targets: Targets,
    last_keydown_time: Millis,
    last_keyup_time: Millis,
    last_press_time: Millis,
    prev_key_code: KeyCode,
    /// Keys down for the type-0 history, and for the diagram history (which ignores Shift).
    pending: SmallMap<u32, PendingKey>,
    pending_diagram: SmallMap<u32, PendingKey>,
    /// The last keypress char code seen for each key code. Never cleared (quirk Q2).
    char_of: SmallMap<u32, u32>,
    last_down_key: Option<u32>,
    /// Android: the last known value length (UTF-16 units) of each field, by element id.
    field_lengths: SmallMap<String, usize>,
}

impl KeyboardState {
    pub(super) fn new(now: Millis) -> Self {
        KeyboardState {
            recording: true,
            history_rows: Vec::new(),
            diagram: Vec::new(),
            target_ids: Vec::new(),
            targets: Targets::default(),
            last_keydown_time: now,
            last_keyup_time: now,
            last_press_time: 0,
            prev_key_code: KeyCode::Code(0),
            pending: SmallMap::new(),
            pending_diagram: SmallMap::new(),
            char_of: SmallMap::new(),
            last_down_key: None,
            field_lengths: SmallMap::new(),
        }
    }

    /// `reset()`'s share: clocks, `prevKeyCode`, `charOf` and targets are kept.
    pub(super) fn reset(&mut self) {
        self.history_rows.clear();
        self.diagram.clear();
        self.target_ids.clear();
        self.field_lengths.clear();
    }

    /// The type-0 history, oldest first: the last [`MAX_HISTORY_LENGTH`] accepted keystrokes.
    pub(super) fn history(&self) -> &[HistoryRow] {
        let rows = &self.history_rows;
        &rows[rows.len().saturating_sub(MAX_HISTORY_LENGTH)..]
    }

    /// The index of the element id `id` in [`Self::target_ids`], added if new.
    fn target_index(&mut self, id: &str) -> TargetIndex {
        let index = match self.target_ids.iter().position(|known| known == id) {
            Some(index) => index,
            None => {
                self.target_ids.push(id.to_owned());
                self.target_ids.len() - 1
            }
        };
        index as TargetIndex
    }

    /// The index rows typed in the element `id` carry; `None` when no row has it. (A target
    /// that is not a string, `None` here too, matches no row.)
    pub(super) fn rows_of(&self, id: Option<&str>) -> Option<TargetIndex> {
        let id = id?;
        let index = self.target_ids.iter().position(|known| known == id)?;
        Some(index as TargetIndex)
    }

    fn push_history(&mut self, key_code: KeyCode, seek: f64, press: f64, target: &str) {
        let target = self.target_index(target);
        self.history_rows.push(HistoryRow {
            key_code,
            seek,
            press,
            prev_key_code: self.prev_key_code,
            target,
        });
        // The rows beyond the cap go in batches, so that a keystroke moves no rows.
        if self.history_rows.len() == 2 * MAX_HISTORY_LENGTH {
            self.history_rows.copy_within(MAX_HISTORY_LENGTH.., 0);
            self.history_rows.truncate(MAX_HISTORY_LENGTH);
        }
        self.prev_key_code = key_code;
    }

    /// Adds a row to the diagram history (every keyup handler's second half).
    fn push_diagram(
        &mut self,
        key_code: KeyCode,
        seek: f64,
        press: f64,
        char_code: f64,
        target: &str,
        motion: String,
    ) {
        let target = self.target_index(target);
        self.diagram.push(DiagramRow {
            key_code,
            seek,
            press,
            char_code,
            target,
            motion,
        });
    }

    /// The guards every handler starts with: recording, and the target filter.
    fn accepts(&mut self, event: &KeyEvent) -> bool {
        self.recording && self.targets.accepts(&event.target)
    }

    pub(super) fn desktop_down(&mut self, event: &KeyEvent, fix_quirks: bool) {
        if !self.accepts(event) {
            return;
        }
        let t = event.time;
        // Every accepted keydown moves the seek clock: Shift, arrows, auto-repeats included.
        let seek = (t - self.last_keydown_time) as f64;
        self.last_keydown_time = t;
        let Some(k) = event.key_code else { return };
        let pending = PendingKey { seek, start: t };
        if !event.shift_key {
            self.pending.insert(k, pending);
        }
        self.pending_diagram.insert(k, pending);
        self.last_down_key = Some(k);
        if fix_quirks {
            // Q2 corrected: only a keypress of this keystroke may give it a character.
            self.char_of.remove(&k);
        }
    }

    pub(super) fn press(&mut self, event: &KeyEvent) {
        if !self.accepts(event) {
            return;
        }
        if let Some(k) = self.last_down_key {
            self.char_of.insert(k, event.char_code);
        }
    }

    pub(super) fn desktop_up(&mut self, event: &KeyEvent) {
        if !self.accepts(event) {
            return;
        }
        let t = event.time;
        let Some(k) = event.key_code else { return };
        let pending = self.pending.remove(&k);
        if let (false, Some(p)) = (event.shift_key, pending) {
            self.push_history(
                KeyCode::Code(k),
                p.seek,
                (t - p.start) as f64,
                &event.target,
            );
        }
        let pending = self.pending_diagram.remove(&k);
        if let (Some(&c), Some(p)) = (self.char_of.get(&k).filter(|c| **c != 0), pending) {
            self.push_diagram(
                KeyCode::Code(k),
                p.seek,
                (t - p.start) as f64,
                c.into(),
                &event.target,
                String::new(),
            );
        }
    }

    pub(super) fn mobile_down(&mut self, event: &KeyEvent, fix_quirks: bool) {
        if !self.accepts(event) {
            return;
        }
        self.last_press_time = event.time;
        let Some(k) = event.key_code else { return };
        // Soft keyboards send no Shift, so it is not checked here; the seek clock is keyup-based.
        let pending = PendingKey {
            seek: 0.0,
            start: event.time,
        };
        self.pending.insert(k, pending);
        self.pending_diagram.insert(k, pending);
        self.last_down_key = Some(k);
        if fix_quirks {
            self.char_of.remove(&k);
        }
    }

    /// Press time from the motion summary: keyup minus the estimated key-down instant.
    fn motion_press(t: Millis, estimate: Millis) -> f64 {
        if estimate == 0 {
            0.0
        } else {
            js::round((t - estimate) as f64)
        }
    }

    pub(super) fn mobile_up(&mut self, event: &KeyEvent, motion: &mut MotionState) {
        if !self.accepts(event) {
            return;
        }
        let t = event.time;
        // Mobile seek is keyup-to-keyup.
        let seek = (t - self.last_keyup_time) as f64;
        self.last_keyup_time = t;
        let summary = motion.summarize(self.last_press_time);
        let press = Self::motion_press(t, summary.time);
        let Some(k) = event.key_code else { return };
        if self.pending.remove(&k).is_some() {
            self.push_history(KeyCode::Code(k), seek, press, &event.target);
        }
        let pending = self.pending_diagram.remove(&k);
        if let (Some(&c), Some(_)) = (self.char_of.get(&k).filter(|c| **c != 0), pending) {
            self.push_diagram(
                KeyCode::Code(k),
                seek,
                press,
                c.into(),
                &event.target,
                summary.strings,
            );
        }
    }

    pub(super) fn android_down(&mut self, event: &KeyEvent) {
        if !self.accepts(event) {
            return;
        }
        self.last_press_time = event.time;
        self.field_lengths.value_or_insert(&event.target, 0);
    }

    pub(super) fn android_up(&mut self, event: &KeyEvent, motion: &mut MotionState) {
        if !self.recording {
            return;
        }
        let t = event.time;
        // The Android handler moves its seek clock before the target test.
        let seek = (t - self.last_keyup_time) as f64;
        self.last_keyup_time = t;
        if !self.targets.accepts(&event.target) {
            return;
        }
        let summary = motion.summarize(self.last_press_time);
        let press = Self::motion_press(t, summary.time);
        let mut key_code = event.key_code.map_or(KeyCode::Undefined, KeyCode::Code);
        let mut char_code = 0.0;
        let empty = super::events::FieldState::default();
        let field = event.field.as_ref().unwrap_or(&empty);
        // (A loop, not `collect()`: one iterator instance less in the wasm build.)
        let mut value = Vec::new();
        for unit in field.value.encode_utf16() {
            value.push(unit);
        }
        let last_length = self.field_lengths.value_or_insert(&event.target, 0);
        if value.len() >= *last_length {
            // `value.substr((selectionStart - 1) || 0, 1)`: a null caret counts as 0, and a
            // negative start counts from the end.
            let start = i64::from(field.selection_start.unwrap_or(0)) - 1;
            let start = if start < 0 {
                (value.len() as i64 + start).max(0)
            } else {
                start
            } as usize;
            match value.get(start) {
                Some(&unit) => {
                    key_code = KeyCode::Code(upper_case_unit(unit).into());
                    char_code = unit.into();
                }
                None => {
                    key_code = KeyCode::NotANumber;
                    char_code = f64::NAN;
                }
            }
        }
        *last_length = value.len();
        // Quirk Q13: rows are added unconditionally, deletions included (char code 0).
        self.push_history(key_code, seek, press, &event.target);
        self.push_diagram(
            key_code,
            seek,
            press,
            char_code,
            &event.target,
            summary.strings,
        );
    }
}

/// The first UTF-16 unit of the JS upper-case form of a single code unit
/// (`s.toUpperCase().charCodeAt(0)`).
fn upper_case_unit(unit: u16) -> u16 {
    match char::from_u32(unit.into()) {
        Some(c) => js::to_upper_utf16(c.encode_utf8(&mut [0; 4]))
            .first()
            .copied()
            .unwrap_or(unit),
        // A lone surrogate has no case.
        None => unit,
    }
}

#[cfg(test)]
mod tests {
    use super::{upper_case_unit, KeyboardState, MAX_HISTORY_LENGTH};
    use crate::recorder::events::{KeyEvent, KeyKind};

    #[test]
    fn the_history_keeps_the_last_keystrokes_across_batch_drops() {
        for typed in [1, 1999, 2000, 2001, 3999, 4000, 4001, 6500] {
            let mut keyboard = KeyboardState::new(0);
            for i in 0..typed {
                // Keystroke i is held i ms, which tells the rows apart.
                let down = 10_000 * i;
                keyboard.desktop_down(&KeyEvent::new(KeyKind::Down, down, 65, "f"), false);
                keyboard.desktop_up(&KeyEvent::new(KeyKind::Up, down + i, 65, "f"));
            }
            let presses: Vec<i64> = keyboard.history().iter().map(|r| r.press as i64).collect();
            let first = typed - typed.min(MAX_HISTORY_LENGTH as i64);
            assert_eq!(presses, (first..typed).collect::<Vec<_>>(), "{typed} typed");
        }
    }

    #[test]
    fn upper_case_unit_is_the_first_unit_of_the_js_upper_case() {
        assert_eq!(upper_case_unit(u16::from(b'a')), u16::from(b'A'));
        assert_eq!(upper_case_unit(u16::from(b'7')), u16::from(b'7'));
        // "ß".toUpperCase() is "SS".
        assert_eq!(upper_case_unit(0xdf), u16::from(b'S'));
        // "ŉ".toUpperCase() is "ʼN".
        assert_eq!(upper_case_unit(0x149), 0x2bc);
        assert_eq!(upper_case_unit(0x3c3), 0x3a3);
        // A lone surrogate is its own upper case.
        assert_eq!(upper_case_unit(0xd800), 0xd800);
    }
}
