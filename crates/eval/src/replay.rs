//! Replays recorded key strokes through the recorder core, as a browser would deliver them.

use keycadence_core::recorder::{KeyEvent, KeyKind, NoDocument, Recorder, TypingPatternOptions};
use keycadence_core::Environment;

/// One key stroke of a dataset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Stroke {
    /// Keydown time, epoch ms.
    pub down: i64,
    /// Keyup time, epoch ms; `None` when the dataset's release time is unusable (the keyup is
    /// then lost, as if the browser had not delivered it).
    pub up: Option<i64>,
    pub key_code: u32,
    /// The keypress `charCode` for printable keys; `None` for keys without a keypress.
    pub char_code: Option<u32>,
    /// Shift held at keydown and at keyup.
    pub shift_down: bool,
    pub shift_up: bool,
}

/// The element id every replayed event targets.
const TARGET: &str = "inp";

/// The browser events of `strokes`, in delivery order: by time; at equal times keyups first,
/// then keydowns each followed by its keypress; ties kept in stroke order.
pub(crate) fn events(strokes: &[Stroke]) -> Vec<KeyEvent> {
    let mut keyed: Vec<((i64, u8, usize, u8), KeyEvent)> = Vec::with_capacity(strokes.len() * 3);
    for (seq, s) in strokes.iter().enumerate() {
        keyed.push((
            (s.down, 1, seq, 0),
            KeyEvent::new(KeyKind::Down, s.down, s.key_code, TARGET).shift(s.shift_down),
        ));
        if let Some(c) = s.char_code {
            keyed.push((
                (s.down, 1, seq, 1),
                KeyEvent::new(KeyKind::Press, s.down, s.key_code, TARGET)
                    .char_code(c)
                    .shift(s.shift_down),
            ));
        }
        if let Some(up) = s.up {
            keyed.push((
                (up, 0, seq, 0),
                KeyEvent::new(KeyKind::Up, up, s.key_code, TARGET).shift(s.shift_up),
            ));
        }
    }
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, e)| e).collect()
}

/// A fresh desktop-Chrome recorder constructed at `start`, fed `strokes`, asked for a pattern.
pub(crate) fn pattern(
    start: i64,
    strokes: &[Stroke],
    options: &TypingPatternOptions,
) -> Option<String> {
    let mut recorder = Recorder::new(Environment::desktop_chrome(), start);
    for event in events(strokes) {
        recorder.key(&event);
    }
    recorder.typing_pattern(options, &NoDocument)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_keys_are_delivered_in_time_order() {
        let strokes = [
            Stroke {
                down: 10,
                up: Some(30),
                key_code: 65,
                char_code: Some(97),
                shift_down: false,
                shift_up: false,
            },
            Stroke {
                down: 20,
                up: Some(25),
                key_code: 66,
                char_code: None,
                shift_down: false,
                shift_up: false,
            },
        ];
        let order: Vec<(KeyKind, i64)> =
            events(&strokes).iter().map(|e| (e.kind, e.time)).collect();
        assert_eq!(
            order,
            vec![
                (KeyKind::Down, 10),
                (KeyKind::Press, 10),
                (KeyKind::Down, 20),
                (KeyKind::Up, 25),
                (KeyKind::Up, 30)
            ]
        );
    }
}
