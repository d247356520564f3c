//! The typed `TypingPatternOptions` of Rust callers ask for the same patterns as the
//! JavaScript options object they stand for (read by `js_api`, the wasm build's adapter).

use keycadence_core::recorder::js_api::{self, Value};
use keycadence_core::recorder::{
    Document, ElementValue, KeyEvent, KeyKind, PatternType, Recorder, TypingPatternOptions,
};
use keycadence_core::Environment;

const T0: i64 = 1_700_000_000_000;

/// A page whose `email` field holds "ADA@example" (not the case it was typed in, see
/// [`recorder`]) and whose `note` element has no value.
struct Page;

impl Document for Page {
    fn element_value(&self, id: &str) -> ElementValue {
        match id {
            "email" => ElementValue::Text("ADA@example".into()),
            "note" => ElementValue::NoValue,
            _ => ElementValue::Missing,
        }
    }
}

/// A desktop recorder after "Ada@example" typed in `email` and "hello world" in `phrase`.
fn recorder() -> Recorder {
    let mut rec = Recorder::new(Environment::desktop_chrome(), T0);
    let mut t = T0 + 1_000;
    for (field, text) in [("email", "Ada@example"), ("phrase", "hello world")] {
        for c in text.chars() {
            let key = c.to_ascii_uppercase() as u32;
            let shift = c.is_ascii_uppercase() || c == '@';
            rec.key(&KeyEvent::new(KeyKind::Down, t, key, field).shift(shift));
            rec.key(&KeyEvent::new(KeyKind::Press, t + 5, c as u32, field).char_code(c as u32));
            rec.key(&KeyEvent::new(
                KeyKind::Up,
                t + 80 + (c as i64 % 7) * 9,
                key,
                field,
            ));
            t += 140 + (c as i64 % 11) * 13;
        }
    }
    rec
}

/// The JavaScript options object the typed options stand for.
fn as_javascript(options: &TypingPatternOptions) -> Value {
    let mut props = vec![(
        "type".to_owned(),
        Value::Number(match options.pattern_type {
            PatternType::AnyText => 0.0,
            PatternType::SameText => 1.0,
            PatternType::Extended => 2.0,
        }),
    )];
    let mut set = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            props.push((name.to_owned(), value));
        }
    };
    set("text", options.text.as_deref().map(Value::from));
    set("textId", options.text_id.map(|id| Value::Number(id.into())));
    set("length", options.length.map(Value::Number));
    set("targetId", options.target_id.as_deref().map(Value::from));
    set("caseSensitive", options.case_sensitive.map(Value::Bool));
    Value::Object(props)
}

#[test]
fn typed_options_print_what_the_javascript_options_print() {
    let any = TypingPatternOptions::any_text;
    let same = TypingPatternOptions::same_text;
    let extended = TypingPatternOptions::extended;
    let untexted = |pattern_type| TypingPatternOptions {
        pattern_type,
        ..TypingPatternOptions::default()
    };
    let cases = [
        any(),
        any().with_length(0.0),
        any().with_length(7.0),
        any().with_length(7.5),
        any().with_target("email"),
        any().with_target("phrase").with_length(4.0),
        any().with_target(""),
        any().with_target("nowhere"),
        same("hello world"),
        same("HELLO world"),
        same("HELLO world").with_case_sensitive(true),
        same("hello there").with_text_id(42),
        same("zzzz zzzz"),
        extended("hello world"),
        extended("ada@example").with_target("email"),
        extended("ada@example")
            .with_target("email")
            .with_case_sensitive(false),
        // No text: read from the target element (case-sensitive by default, so "ADA" misses
        // the typed "d"), or none.
        untexted(PatternType::SameText).with_target("email"),
        untexted(PatternType::SameText)
            .with_target("email")
            .with_case_sensitive(false),
        untexted(PatternType::Extended).with_target("note"),
        untexted(PatternType::SameText).with_target("nowhere"),
        same("").with_target("nowhere"),
        same("").with_target("email"),
        // No text and no target: the newest `length` rows, or every row.
        untexted(PatternType::SameText).with_length(3.0),
        untexted(PatternType::Extended).with_length(2.5),
        untexted(PatternType::Extended).with_length(99.0),
        untexted(PatternType::SameText),
        same(""),
        same("").with_length(3.0),
    ];
    for options in cases {
        let typed = recorder().typing_pattern(&options, &Page);
        let javascript =
            js_api::typing_pattern_from_value(&mut recorder(), &as_javascript(&options), &Page)
                .expect("an object argument");
        assert_eq!(typed, javascript, "{options:?}");
    }
}

#[test]
fn added_targets_are_read_when_no_text_is_given() {
    let options = TypingPatternOptions {
        pattern_type: PatternType::SameText,
        case_sensitive: Some(false),
        ..TypingPatternOptions::default()
    };
    let with_targets = |options: &TypingPatternOptions| {
        let mut rec = recorder();
        rec.add_target("email");
        rec.add_target("nowhere");
        rec.typing_pattern(options, &Page)
    };
    let typed = with_targets(&options);
    let mut rec = recorder();
    rec.add_target("email");
    rec.add_target("nowhere");
    let javascript = js_api::typing_pattern_from_value(&mut rec, &as_javascript(&options), &Page)
        .expect("an object argument");
    assert_eq!(typed, javascript);
    // The values of the targets that exist, joined, are the text: "ADA@example".
    let pattern = typed.expect("a pattern");
    assert_eq!(pattern.split(',').nth(4), Some("11"), "{pattern}");
}
