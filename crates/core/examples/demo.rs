//! A person types "hello world" twice; the recorder core turns the keystrokes into typing
//! patterns. Shows what the core does without a browser: events with timestamps in, patterns
//! out.
//!
//! `cargo run -q -p keycadence-core --example demo`

use keycadence_core::pattern::Pattern;
use keycadence_core::recorder::{
    pattern_info, KeyEvent, KeyKind, NoDocument, Recorder, TypingPatternOptions,
};
use keycadence_core::{text_id, Environment};

const TEXT: &str = "hello world";

/// Key-down to key-down times and hold times of a fairly regular typist (ms), per character.
const FLIGHT: [i64; 11] = [0, 180, 210, 160, 175, 190, 220, 150, 185, 170, 200];
const HOLD: [i64; 11] = [95, 80, 88, 84, 101, 76, 90, 87, 92, 83, 98];

fn main() {
    let t0 = 1_700_000_000_000;
    let mut recorder = Recorder::new(Environment::desktop_chrome(), t0);
    let mut t = t0 + 1500;
    for round in 0..2 {
        for (i, c) in TEXT.chars().enumerate() {
            t += FLIGHT[i] + round * 7;
            let key_code = c.to_ascii_uppercase() as u32;
            recorder.key(&KeyEvent::new(KeyKind::Down, t, key_code, "password"));
            recorder
                .key(&KeyEvent::new(KeyKind::Press, t, c as u32, "password").char_code(c as u32));
            recorder.key(&KeyEvent::new(
                KeyKind::Up,
                t + HOLD[i],
                key_code,
                "password",
            ));
        }
        t += 900;
    }

    let same_text = recorder
        .typing_pattern(&TypingPatternOptions::same_text(TEXT), &NoDocument)
        .expect("every character was typed");
    let extended = recorder
        .typing_pattern(&TypingPatternOptions::extended(TEXT), &NoDocument)
        .expect("every character was typed");
    let any_text = recorder.any_text_pattern();

    println!("text:                {TEXT:?}");
    println!("text id (FNV-1a):    {}", text_id::text_id(TEXT));
    println!("type 1 (same text):  {same_text}");
    println!("type 2 (extended):   {extended}");
    println!("type 0 (any text):   {any_text}");
    println!(
        "type 0 quality:      {:.3} (above 0.3 acceptable, above 0.7 good)",
        pattern_info::quality(&any_text)
    );
    // The parser is the inverse of the builders: each pattern reads back as typed values and
    // prints back byte for byte.
    for pattern in [&same_text, &extended, &any_text] {
        let parsed = Pattern::parse(pattern).expect("the recorder's output parses");
        assert_eq!(parsed.to_string(), *pattern);
        println!(
            "parsed back:         {:?}, text id {:?}, mobile {}",
            parsed.kind(),
            parsed.text_id(),
            parsed.is_mobile()
        );
    }
}
