//! Matcher speed: one probe against 10 enrolled patterns, through `matcher::compare` on parsed
//! patterns (what the server calls), and through the prepared-model fast path; for type 2 of
//! a new text, the short any-text mode.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keycadence_core::matcher::{
    self, Quality, SameTextModel, SameTextSample, ShortTextModel, ShortTextSample,
};
use keycadence_core::pattern::Pattern;
use keycadence_core::recorder::{KeyEvent, KeyKind, NoDocument, Recorder, TypingPatternOptions};
use keycadence_core::Environment;

/// 30 characters.
const PHRASE: &str = "my voice is my passport verify";
const LONG: &str = "the quick brown fox jumps over the lazy dog while a band plays a slow \
    song and pack my box with five dozen liquor jugs before the train leaves the old station \
    we promptly judged antique ivory buckles for the next prize";

/// Types `text` with timings varied by `seed`, returns the recorder.
fn typed(text: &str, seed: i64) -> Recorder {
    let start = 1_700_000_000_000;
    let mut rec = Recorder::new(Environment::desktop_chrome(), start);
    let mut t = start + 500;
    for (i, c) in text.chars().enumerate() {
        let key = if c == ' ' {
            32
        } else {
            c.to_ascii_uppercase() as u32
        };
        let wobble = ((i as i64 * 37 + seed * 11) % 23) - 11;
        rec.key(&KeyEvent::new(KeyKind::Down, t, key, "f"));
        rec.key(&KeyEvent::new(KeyKind::Press, t, key, "f").char_code(c as u32));
        rec.key(&KeyEvent::new(KeyKind::Up, t + 90 + wobble, key, "f"));
        t += 160 + 2 * wobble;
    }
    rec
}

fn pattern(text: &str, seed: i64, options: &TypingPatternOptions) -> Pattern {
    let s = typed(text, seed)
        .typing_pattern(options, &NoDocument)
        .expect("pattern");
    Pattern::parse(&s).expect("parses")
}

fn bench(c: &mut Criterion) {
    let same = TypingPatternOptions::same_text(PHRASE);
    let enrolled: Vec<Pattern> = (0..10).map(|i| pattern(PHRASE, i, &same)).collect();
    let probe = [pattern(PHRASE, 99, &same)];
    c.bench_function("compare type 1, 30 chars, 10 enrolled", |b| {
        b.iter(|| matcher::compare(black_box(&enrolled), black_box(&probe), Quality::Medium))
    });

    let samples: Vec<SameTextSample> = enrolled
        .iter()
        .map(|p| match p {
            Pattern::Diagram(d) => matcher::same_text_sample(d),
            _ => unreachable!("type 1"),
        })
        .collect();
    let refs: Vec<&SameTextSample> = samples.iter().collect();
    let model = SameTextModel::new(&refs, &matcher::fitted::SAME_TEXT);
    let probe_sample = match &probe[0] {
        Pattern::Diagram(d) => matcher::same_text_sample(d),
        _ => unreachable!("type 1"),
    };
    c.bench_function("prepared model, type 1, 30 chars, 10 enrolled", |b| {
        b.iter(|| model.distance(black_box(&probe_sample)))
    });

    let any = TypingPatternOptions::any_text().with_length(2000.0);
    let enrolled0: Vec<Pattern> = (0..10).map(|i| pattern(LONG, i, &any)).collect();
    let probe0 = [pattern(LONG, 99, &any)];
    c.bench_function("compare type 0, 10 enrolled", |b| {
        b.iter(|| matcher::compare(black_box(&enrolled0), black_box(&probe0), Quality::Medium))
    });

    // Short any text: 10 type-2 patterns of different 50-character texts, and a probe of
    // an 11th text (the short any-text mode decides).
    let text = |i: usize| &LONG[15 * i..15 * i + 50];
    let extended = |i: usize| pattern(text(i), i as i64, &TypingPatternOptions::extended(text(i)));
    let enrolled2: Vec<Pattern> = (0..10).map(extended).collect();
    let probe2 = [extended(10)];
    assert_eq!(
        matcher::compare(&enrolled2, &probe2, Quality::Medium)
            .expect("compares")
            .mode,
        matcher::MatchMode::ShortAnyText
    );
    c.bench_function("compare type 2 of a new text, 50 keys, 10 enrolled", |b| {
        b.iter(|| matcher::compare(black_box(&enrolled2), black_box(&probe2), Quality::Medium))
    });

    let short = |p: &Pattern| match p {
        Pattern::Diagram(d) => ShortTextSample::from_pattern(d).expect("usable"),
        _ => unreachable!("type 2"),
    };
    let samples2: Vec<ShortTextSample> = enrolled2.iter().map(short).collect();
    let refs2: Vec<&ShortTextSample> = samples2.iter().collect();
    let params = matcher::Matcher::default().short_text;
    let model2 = ShortTextModel::new(&refs2, &params);
    let probe_sample2 = short(&probe2[0]);
    c.bench_function(
        "prepared model, type 2 of a new text, 50 keys, 10 enrolled",
        |b| b.iter(|| model2.log_likelihood_ratio(black_box(&probe_sample2))),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
