//! Parsing cost of recorder output: a type-0 pattern (360 fields) and a type-1 pattern for a
//! 30-character text, both built by the recorder from simulated typing; printing them back too.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keycadence_core::pattern::Pattern;
use keycadence_core::recorder::{KeyEvent, KeyKind, NoDocument, Recorder, TypingPatternOptions};
use keycadence_core::Environment;

const TEXT: &str = "the quick brown fox jumps over";

/// A recorder that has seen `keys` keystrokes of `TEXT` repeated, with varied timings.
fn typed(keys: usize) -> Recorder {
    let mut t = 1_700_000_000_000i64;
    let mut rec = Recorder::new(Environment::desktop_chrome(), t);
    let mut state = 2024u32;
    for c in TEXT.chars().cycle().take(keys) {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let jitter = i64::from(state >> 24);
        let key = c.to_ascii_uppercase() as u32;
        t += 70 + jitter;
        rec.key(&KeyEvent::new(KeyKind::Down, t, key, "inp"));
        rec.key(&KeyEvent::new(KeyKind::Press, t, key, "inp").char_code(c as u32));
        rec.key(&KeyEvent::new(KeyKind::Up, t + 50 + jitter / 2, key, "inp"));
    }
    rec
}

fn parse(c: &mut Criterion) {
    let mut rec = typed(200);
    let type0 = rec
        .typing_pattern(&TypingPatternOptions::any_text(), &NoDocument)
        .expect("type 0 is never null");
    let mut rec = typed(TEXT.len());
    let type1 = rec
        .typing_pattern(&TypingPatternOptions::same_text(TEXT), &NoDocument)
        .expect("every character was typed");

    c.bench_function("parse type 0 (360 fields)", |b| {
        b.iter(|| Pattern::parse(black_box(&type0)).unwrap())
    });
    c.bench_function("parse type 1, 30-character text", |b| {
        b.iter(|| Pattern::parse(black_box(&type1)).unwrap())
    });
    let parsed0 = Pattern::parse(&type0).unwrap();
    c.bench_function("print type 0", |b| {
        b.iter(|| black_box(&parsed0).to_string())
    });
    let parsed1 = Pattern::parse(&type1).unwrap();
    c.bench_function("print type 1, 30-character text", |b| {
        b.iter(|| black_box(&parsed1).to_string())
    });
}

criterion_group!(benches, parse);
criterion_main!(benches);
