//! `getTypingPattern({type: 1 or 2, length})` without a text: the last `length` rows of the
//! same-text history (the text alignment of type 1/2), with JS number semantics for odd lengths;
//! and type 0's NaN length.

use keycadence_core::recorder::js_api::{self, JsTypingPatternOptions, PatternArgument, Value};
use keycadence_core::recorder::{KeyEvent, KeyKind, NoDocument, Recorder, RecorderOptions};
use keycadence_core::Environment;

const T0: i64 = 1_700_000_000_000;

/// A desktop recorder after five keys, so the same-text history has five rows.
fn recorder_with_five_rows() -> Recorder {
    let mut rec = Recorder::with_options(
        Environment::desktop_chrome(),
        T0,
        RecorderOptions::default(),
    );
    let mut t = T0 + 1_000;
    for c in "hello".chars() {
        let key = c.to_ascii_uppercase() as u32;
        rec.key(&KeyEvent::new(KeyKind::Down, t, key, "field"));
        rec.key(&KeyEvent::new(KeyKind::Press, t, c as u32, "field").char_code(c as u32));
        rec.key(&KeyEvent::new(KeyKind::Up, t + 90, key, "field"));
        t += 150;
    }
    rec
}

/// (strLength header field, number of rows) of a type 1 pattern with `length` and no text.
fn window(length: f64) -> (String, usize) {
    let options = PatternArgument::Options(JsTypingPatternOptions {
        pattern_type: Value::Number(1.0),
        length: Value::Number(length),
        ..JsTypingPatternOptions::default()
    });
    let pattern = js_api::typing_pattern(&mut recorder_with_five_rows(), &options, &NoDocument)
        .expect("an object argument")
        .expect("no text: never null");
    let str_length = pattern.split(',').nth(4).expect("a header").to_owned();
    (str_length, pattern.split('|').count() - 1)
}

#[test]
fn a_length_keeps_the_newest_rows() {
    assert_eq!(window(2.0), ("2".to_owned(), 2));
    assert_eq!(window(5.0), ("5".to_owned(), 5));
    // A length over the history gives it all, and strLength is the row count.
    assert_eq!(window(9.0), ("5".to_owned(), 5));
    assert_eq!(window(f64::INFINITY), ("5".to_owned(), 5));
}

#[test]
fn zero_negative_and_nan_lengths_keep_no_rows() {
    assert_eq!(window(0.0), ("0".to_owned(), 0));
    assert_eq!(window(-3.0), ("-3".to_owned(), 0));
    // `NaN < 5` is false, so strLength stays the row count, but `Math.max(0, 5 - NaN)` is NaN
    // and a loop starting at NaN prints nothing.
    assert_eq!(window(f64::NAN), ("5".to_owned(), 0));
}

/// Type 0 with a NaN length: the keystroke count it prints, first and after the header's kind
/// (-1), is NaN printed as 0, as the reference's `apu` prints it.
#[test]
fn type_0_prints_a_nan_length_as_0() {
    let options = PatternArgument::Options(JsTypingPatternOptions {
        pattern_type: Value::Number(0.0),
        length: Value::Number(f64::NAN),
        ..JsTypingPatternOptions::default()
    });
    let pattern = js_api::typing_pattern(&mut recorder_with_five_rows(), &options, &NoDocument)
        .expect("an object argument")
        .expect("type 0: never null");
    let fields: Vec<&str> = pattern.split(',').collect();
    assert_eq!(fields[0], "0");
    let kind = fields
        .windows(3)
        .position(|w| w == ["3.2", "0", "-1"])
        .expect("the header");
    assert_eq!(fields[kind + 3], "0");
}
