//! Pattern building cost: type 0 from a full 2000-row history, type 1 and type 2 for a
//! 30-character text (issue 2 target: at most 50 microseconds each).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keycadence_core::recorder::{KeyEvent, KeyKind, NoDocument, Recorder, TypingPatternOptions};
use keycadence_core::Environment;

const TEXT: &str = "the quick brown fox jumps over";

/// A recorder that has seen `keys` keystrokes of `text` repeated, with varied timings.
fn recorder_with(keys: usize, text: &str) -> Recorder {
    let mut t = 1_700_000_000_000i64;
    let mut rec = Recorder::new(Environment::desktop_chrome(), t);
    let mut state = 12345u32;
    for c in text.chars().cycle().take(keys) {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let jitter = i64::from(state >> 24);
        let key = c.to_ascii_uppercase() as u32;
        t += 80 + jitter;
        rec.key(&KeyEvent::new(KeyKind::Down, t, key, "inp"));
        rec.key(&KeyEvent::new(KeyKind::Press, t, c as u32, "inp").char_code(c as u32));
        rec.key(&KeyEvent::new(KeyKind::Up, t + 60 + jitter / 2, key, "inp"));
    }
    rec
}

fn patterns(c: &mut Criterion) {
    let full = recorder_with(2000, TEXT);
    c.bench_function("type 0, 2000-row history (default window 160)", |b| {
        b.iter(|| black_box(&full).any_text_pattern())
    });
    let whole_window = TypingPatternOptions::any_text().with_length(2000.0);
    let mut full_window = recorder_with(2000, TEXT);
    c.bench_function("type 0, 2000-row history, window 2000", |b| {
        b.iter(|| full_window.typing_pattern(black_box(&whole_window), &NoDocument))
    });
    let mut typed = recorder_with(TEXT.len(), TEXT);
    let same_text = TypingPatternOptions::same_text(TEXT);
    c.bench_function("type 1, 30-character text", |b| {
        b.iter(|| typed.typing_pattern(black_box(&same_text), &NoDocument))
    });
    let extended = TypingPatternOptions::extended(TEXT);
    c.bench_function("type 2, 30-character text", |b| {
        b.iter(|| typed.typing_pattern(black_box(&extended), &NoDocument))
    });
    c.bench_function(
        "mouse diagram, empty (header: special keys over 2000 rows and device signature)",
        |b| b.iter(|| black_box(&full).mouse_diagram()),
    );
    c.bench_function("1000 keystrokes recorded (keydown, keypress, keyup)", |b| {
        b.iter(|| recorder_with(1000, TEXT))
    });
}

criterion_group!(benches, patterns);
criterion_main!(benches);
