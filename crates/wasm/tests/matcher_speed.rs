//! The core matcher in a real browser (headless Chromium), as a benchmark: a type-2 probe of
//! a new 50-key text against 10 enrolled type-2 patterns of other texts, decided in the short
//! any-text mode. Prints the mean time per comparison (build with `--release` for a figure
//! that means something); asserts only what the comparison decides. The shipped module
//! exports no matcher, so none of this reaches it.
#![cfg(target_arch = "wasm32")]

use keycadence_core::matcher::{self, MatchMode, Quality};
use keycadence_core::pattern::Pattern;
use keycadence_core::recorder::{KeyEvent, KeyKind, NoDocument, Recorder, TypingPatternOptions};
use keycadence_core::Environment;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const WORDS: &str = "the quick brown fox jumps over the lazy dog while a band plays a slow \
    song and pack my box with five dozen liquor jugs before the train leaves the old station \
    we promptly judged antique ivory buckles for the next prize";

/// Comparisons timed.
const ROUNDS: u32 = 2000;

/// A type-2 pattern of `text` typed at a steady pace varied by `seed`.
fn extended(text: &str, seed: i64) -> Pattern {
    let start = 1_700_000_000_000;
    let mut recorder = Recorder::new(Environment::desktop_chrome(), start);
    let mut t = start + 400;
    for (i, c) in text.chars().enumerate() {
        let key = c.to_ascii_uppercase() as u32;
        let jitter = (i as i64 * 29 + seed * 13) % 31 - 15;
        recorder.key(&KeyEvent::new(KeyKind::Down, t, key, "f"));
        recorder.key(&KeyEvent::new(KeyKind::Press, t, key, "f").char_code(c as u32));
        recorder.key(&KeyEvent::new(KeyKind::Up, t + 85 + jitter, key, "f"));
        t += 170 + 3 * jitter;
    }
    let options = TypingPatternOptions::extended(text);
    let pattern = recorder.typing_pattern(&options, &NoDocument).unwrap();
    Pattern::parse(&pattern).unwrap()
}

#[wasm_bindgen_test]
fn short_any_text_comparison_speed() {
    let text = |i: usize| &WORDS[15 * i..15 * i + 50];
    let enrolled: Vec<Pattern> = (0..10).map(|i| extended(text(i), i as i64)).collect();
    let probe = [extended(text(10), 10)];
    let performance = web_sys::window().unwrap().performance().unwrap();
    let started = performance.now();
    let mut last = None;
    for _ in 0..ROUNDS {
        last = Some(matcher::compare(&enrolled, &probe, Quality::Medium).unwrap());
    }
    let per_comparison_us = (performance.now() - started) * 1000.0 / f64::from(ROUNDS);
    assert_eq!(last.unwrap().mode, MatchMode::ShortAnyText);
    console_log!(
        "short any-text compare, type 2 of a new text, 50 keys, 10 enrolled: {per_comparison_us:.1} µs per comparison ({ROUNDS} rounds)"
    );
}
