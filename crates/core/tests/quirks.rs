//! The three upstream bugs (Q1-Q3): reproduced by default, corrected with `fix_quirks`.

use keycadence_core::recorder::{
    KeyEvent, KeyKind, NoDocument, Recorder, RecorderOptions, TypingPatternOptions,
};
use keycadence_core::Environment;

const T0: i64 = 1_700_000_000_000;

fn recorder(fix_quirks: bool) -> Recorder {
    Recorder::with_options(
        Environment::desktop_chrome(),
        T0,
        RecorderOptions { fix_quirks },
    )
}

/// Types `text` (lower-case letters) into `target` from time `t`: keys `speed` x 140, 150 or
/// 160 ms apart, held `speed` x 80, 90 or 100 ms (so means are 150 and 90 times `speed`).
/// Returns the time after the last key.
fn type_at(rec: &mut Recorder, target: &str, text: &str, mut t: i64, speed: i64) -> i64 {
    for (i, c) in text.chars().enumerate() {
        let key = c.to_ascii_uppercase() as u32;
        let step = (i % 3) as i64 * 10;
        rec.key(&KeyEvent::new(KeyKind::Down, t, key, target));
        rec.key(&KeyEvent::new(KeyKind::Press, t, c as u32, target).char_code(c as u32));
        rec.key(&KeyEvent::new(
            KeyKind::Up,
            t + speed * (80 + step),
            key,
            target,
        ));
        t += speed * (140 + step);
    }
    t
}

fn type_text(rec: &mut Recorder, target: &str, text: &str, t: i64) -> i64 {
    type_at(rec, target, text, t, 1)
}

fn rows(pattern: &str) -> usize {
    pattern.split('|').count() - 1
}

fn type2(rec: &mut Recorder) -> String {
    rec.typing_pattern(&TypingPatternOptions::extended(""), &NoDocument)
        .expect("no text: never null")
}

#[test]
fn q1_a_field_typed_in_before_add_target_keeps_recording_unless_fixed() {
    for fix in [false, true] {
        let mut rec = recorder(fix);
        let t = type_text(&mut rec, "other", "ab", T0 + 1000);
        rec.add_target("email");
        type_text(&mut rec, "other", "cd", t);
        let recorded = rows(&type2(&mut rec));
        if fix {
            assert_eq!(recorded, 2, "only the keys typed before addTarget");
        } else {
            assert_eq!(recorded, 4, "the cached target keeps recording (Q1)");
        }
    }
}

#[test]
fn q1_a_removed_target_stops_recording_when_fixed() {
    for fix in [false, true] {
        let mut rec = recorder(fix);
        rec.add_target("email");
        rec.add_target("name");
        let t = type_text(&mut rec, "email", "ab", T0 + 1000);
        rec.remove_target("email");
        type_text(&mut rec, "email", "cd", t);
        assert_eq!(rows(&type2(&mut rec)), if fix { 2 } else { 4 });
    }
}

#[test]
fn q2_ctrl_letter_is_recorded_as_the_letter_unless_fixed() {
    for fix in [false, true] {
        let mut rec = recorder(fix);
        let t = type_text(&mut rec, "inp", "a", T0 + 1000);
        // Ctrl+A: keydown/keyup of 65 with no keypress.
        rec.key(&KeyEvent::new(KeyKind::Down, t, 17, "inp"));
        rec.key(&KeyEvent::new(KeyKind::Down, t + 100, 65, "inp"));
        rec.key(&KeyEvent::new(KeyKind::Up, t + 180, 65, "inp"));
        rec.key(&KeyEvent::new(KeyKind::Up, t + 220, 17, "inp"));
        let pattern = type2(&mut rec);
        let chars: Vec<&str> = pattern
            .split('|')
            .skip(1)
            .map(|r| r.split(',').next().unwrap())
            .collect();
        if fix {
            assert_eq!(chars, ["97"], "Ctrl+A typed no character");
        } else {
            assert_eq!(chars, ["97", "97"], "Ctrl+A recorded as 'a' (Q2)");
        }
    }
}

#[test]
fn q3_missing_key_substitutes_survive_reset_unless_fixed() {
    for fix in [false, true] {
        let mut rec = recorder(fix);
        // 15 characters; the text asks for a 16th ("q") that was never typed.
        let t = type_text(&mut rec, "inp", "abcdefghijklmno", T0 + 1000);
        let text = "abcdefghijklmnoq";
        let first = rec
            .typing_pattern(&TypingPatternOptions::same_text(text), &NoDocument)
            .unwrap();
        rec.reset(false);
        // Retype the same number of keys, twice as slowly.
        type_at(&mut rec, "inp", "abcdefghijklmno", t + 2000, 2);
        let second = rec
            .typing_pattern(&TypingPatternOptions::same_text(text), &NoDocument)
            .unwrap();
        // The substituted row: seek, press, and the marker 1.
        let substitute = |p: &str| -> Vec<i64> {
            let row = p.rsplit('|').next().unwrap();
            row.split(',').map(|f| f.parse().unwrap()).collect()
        };
        let (before, after) = (substitute(&first), substitute(&second));
        assert_eq!(before[1..], [90, 1]);
        assert!(
            (148..=151).contains(&before[0]),
            "mean seek ~150: {before:?}"
        );
        if fix {
            assert_eq!(after[1], 2 * before[1], "fresh substitutes: twice as slow");
            assert!(
                (after[0] - 2 * before[0]).abs() <= 1,
                "{after:?} vs {before:?}"
            );
        } else {
            assert_eq!(after, before, "stale substitutes (Q3)");
        }
    }
}
