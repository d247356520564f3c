//! Behaviour of the matcher on patterns built by the recorder from simulated typists.

use super::*;
use crate::pattern::Pattern;
use crate::recorder::{KeyEvent, KeyKind, NoDocument, PatternType, Recorder, TypingPatternOptions};
use crate::Environment;

/// A deterministic generator (xorshift64*), so every run types the same keystrokes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545F4914F6CDD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Roughly normal (sum of uniforms), mean 0, sd 1.
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.next()).sum::<f64>() - 6.0
    }
}

/// A simulated person: a hold time per key and a latency per pair of keys, with
/// keystroke-to-keystroke noise.
struct Typist {
    seed: u64,
    hold_base: f64,
    latency_base: f64,
}

impl Typist {
    fn new(seed: u64) -> Self {
        let mut r = Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1);
        Typist {
            seed,
            hold_base: 70.0 + 60.0 * r.next(),
            latency_base: 120.0 + 150.0 * r.next(),
        }
    }

    /// This typist's own mean for a key (or pair of keys): a stable per-person quirk.
    fn quirk(&self, a: u32, b: u32) -> f64 {
        let mut r = Rng((self.seed << 20) ^ ((a as u64) << 8) ^ b as u64 | 1);
        r.next();
        0.6 + 0.8 * r.next()
    }

    /// Types `text` (lower-case letters and spaces) into a fresh recorder.
    fn recorder(&self, text: &str, env: Environment, noise_seed: u64) -> Recorder {
        let mut noise = Rng(noise_seed.wrapping_mul(0xD1B54A32D192ED03) | 1);
        let start = 1_700_000_000_000;
        let mut rec = Recorder::new(env, start);
        let mut t = start + 800;
        let mut prev = 0u32;
        for c in text.chars() {
            let char_code = c as u32;
            let key_code = if c == ' ' {
                32
            } else {
                c.to_ascii_uppercase() as u32
            };
            let hold = self.hold_base * self.quirk(key_code, 0) * (1.0 + 0.08 * noise.normal());
            let up = t + hold.max(20.0).round() as i64;
            rec.key(&KeyEvent::new(KeyKind::Down, t, key_code, "f"));
            rec.key(&KeyEvent::new(KeyKind::Press, t, key_code, "f").char_code(char_code));
            rec.key(&KeyEvent::new(KeyKind::Up, up, key_code, "f"));
            let latency =
                self.latency_base * self.quirk(prev, key_code) * (1.0 + 0.1 * noise.normal());
            t += latency.max(30.0).round() as i64;
            prev = key_code;
        }
        rec
    }

    fn same_text(&self, text: &str, noise_seed: u64) -> Pattern {
        let mut rec = self.recorder(text, Environment::desktop_chrome(), noise_seed);
        parse(rec.typing_pattern(&TypingPatternOptions::same_text(text), &NoDocument))
    }

    fn extended(&self, text: &str, noise_seed: u64) -> Pattern {
        let mut rec = self.recorder(text, Environment::desktop_chrome(), noise_seed);
        parse(rec.typing_pattern(&TypingPatternOptions::extended(text), &NoDocument))
    }

    fn any_text(&self, text: &str, noise_seed: u64) -> Pattern {
        let mut rec = self.recorder(text, Environment::desktop_chrome(), noise_seed);
        parse(rec.typing_pattern(
            &TypingPatternOptions::any_text().with_length(2000.0),
            &NoDocument,
        ))
    }
}

fn parse(pattern: Option<String>) -> Pattern {
    Pattern::parse(&pattern.expect("the recorder gives a pattern")).expect("it parses")
}

const PHRASE: &str = "secure login phrase for my bank";

const SENTENCES: [&str; 5] = [
    "the quick brown fox jumps over the lazy dog while the band plays a slow song",
    "pack my box with five dozen liquor jugs before the train leaves the old station",
    "we promptly judged antique ivory buckles for the next prize at the county fair",
    "a wizard quickly jinxed the gnomes before they vaporized the sleepy town square",
    "sphinx of black quartz judge my vow and then go home to rest by the warm fire",
];

fn enrol_same_text(typist: &Typist, n: u64) -> Vec<Pattern> {
    (0..n).map(|i| typist.same_text(PHRASE, 100 + i)).collect()
}

#[test]
fn same_text_the_enrolled_typist_scores_higher_than_others() {
    let owner = Typist::new(1);
    let enrolled = enrol_same_text(&owner, 5);
    let mut genuine = Vec::new();
    let mut impostor = Vec::new();
    for i in 0..10 {
        genuine.push(
            compare(
                &enrolled,
                &[owner.same_text(PHRASE, 500 + i)],
                Quality::Medium,
            )
            .unwrap(),
        );
        let other = Typist::new(10 + i);
        impostor.push(
            compare(
                &enrolled,
                &[other.same_text(PHRASE, 900 + i)],
                Quality::Medium,
            )
            .unwrap(),
        );
    }
    let mean = |v: &[MatchOutcome]| v.iter().map(|o| o.score).sum::<f64>() / v.len() as f64;
    assert!(
        mean(&genuine) > mean(&impostor) + 20.0,
        "{} vs {}",
        mean(&genuine),
        mean(&impostor)
    );
    assert!(genuine.iter().filter(|o| o.result).count() >= 8);
    assert!(impostor.iter().filter(|o| o.result).count() <= 2);
    for o in genuine.iter().chain(impostor.iter()) {
        assert!((0.0..=100.0).contains(&o.score) && (0.0..=100.0).contains(&o.confidence));
        assert!((o.net_score - o.score * o.confidence / 100.0).abs() < 1e-9);
        assert_eq!(o.compared_samples, 5);
        assert_eq!(o.device_similarity, 100.0);
    }
}

#[test]
fn any_text_the_enrolled_typist_scores_higher_than_others() {
    let owner = Typist::new(2);
    let enrolled: Vec<Pattern> = SENTENCES[..3]
        .iter()
        .enumerate()
        .map(|(i, s)| owner.any_text(s, i as u64))
        .collect();
    let genuine: Vec<MatchOutcome> = SENTENCES[3..]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            compare(
                &enrolled,
                &[owner.any_text(s, 50 + i as u64)],
                Quality::Medium,
            )
            .unwrap()
        })
        .collect();
    let impostor: Vec<MatchOutcome> = (0..6)
        .map(|i| {
            let other = Typist::new(30 + i);
            compare(
                &enrolled,
                &[other.any_text(SENTENCES[3], 70 + i)],
                Quality::Medium,
            )
            .unwrap()
        })
        .collect();
    let worst_genuine = genuine
        .iter()
        .map(|o| o.score)
        .fold(f64::INFINITY, f64::min);
    let best_impostor = impostor.iter().map(|o| o.score).fold(0.0, f64::max);
    assert!(
        worst_genuine > best_impostor,
        "{worst_genuine} vs {best_impostor}"
    );
    assert!(genuine.iter().all(|o| o.result));
}

#[test]
fn more_enrolments_give_more_confidence_and_dual_pass_uses_both_probes() {
    let owner = Typist::new(3);
    let few = enrol_same_text(&owner, 2);
    let many = enrol_same_text(&owner, 8);
    let probe = owner.same_text(PHRASE, 77);
    let a = compare(&few, std::slice::from_ref(&probe), Quality::Medium).unwrap();
    let b = compare(&many, std::slice::from_ref(&probe), Quality::Medium).unwrap();
    assert!(b.confidence > a.confidence);
    let dual = compare(
        &many,
        &[probe.clone(), owner.same_text(PHRASE, 78)],
        Quality::Medium,
    )
    .unwrap();
    assert!(dual.result);
    let stranger = Typist::new(44).same_text(PHRASE, 79);
    let mixed = compare(&many, &[probe, stranger], Quality::Medium).unwrap();
    assert!(mixed.score < dual.score);
}

#[test]
fn quality_moves_the_threshold_not_the_score() {
    let owner = Typist::new(4);
    let enrolled = enrol_same_text(&owner, 5);
    let probe = [Typist::new(45).same_text(PHRASE, 5)];
    let low = compare(&enrolled, &probe, Quality::Low).unwrap();
    let high = compare(&enrolled, &probe, Quality::High).unwrap();
    assert_eq!(low.score, high.score);
    assert!(
        low.result || !high.result,
        "a stricter quality never accepts more"
    );
    // The documented thresholds (the API's contract), written out rather than taken from the
    // implementation's constants.
    for (quality, threshold) in [
        (Quality::Low, 30.0),
        (Quality::Medium, 50.0),
        (Quality::High, 70.0),
    ] {
        for seed in 6..12 {
            let typist = if seed % 2 == 0 {
                &owner
            } else {
                &Typist::new(45)
            };
            let o = compare(&enrolled, &[typist.same_text(PHRASE, seed)], quality).unwrap();
            assert_eq!(o.result, o.score >= threshold, "{quality:?} {o:?}");
        }
    }
}

#[test]
fn auto_enrol_needs_a_score_of_80() {
    let owner = Typist::new(4);
    let enrolled = enrol_same_text(&owner, 5);
    let outcome = compare(&enrolled, &[owner.same_text(PHRASE, 6)], Quality::Medium).unwrap();
    let scoring = |score: f64| MatchOutcome {
        score,
        result: score >= 50.0,
        ..outcome
    };
    assert!(scoring(80.0).qualifies_for_auto_enrol());
    assert!(scoring(99.5).qualifies_for_auto_enrol());
    assert!(!scoring(79.9).qualifies_for_auto_enrol());
    assert!(!scoring(60.0).qualifies_for_auto_enrol());
    assert!(!scoring(10.0).qualifies_for_auto_enrol());
}

#[test]
fn enrolments_of_other_texts_are_skipped() {
    let owner = Typist::new(5);
    let mut enrolled = enrol_same_text(&owner, 3);
    enrolled.insert(0, owner.same_text("another text entirely", 1));
    enrolled.insert(0, owner.any_text(SENTENCES[0], 1));
    let o = compare(&enrolled, &[owner.same_text(PHRASE, 9)], Quality::Medium).unwrap();
    assert_eq!(o.compared_samples, 3);
}

fn iphone() -> Environment {
    Environment {
        user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1".into(),
        platform: "iPhone".into(),
        language: Some("en-US".into()),
        screen_width: 390,
        screen_height: 844,
        max_touch_points: 5,
        ontouchstart: true,
        has_orientation: true,
        device_motion_event: true,
        ..Environment::default()
    }
}

#[test]
fn incompatible_inputs_are_typed_errors() {
    let owner = Typist::new(6);
    let enrolled = enrol_same_text(&owner, 3);
    let probe = owner.same_text(PHRASE, 1);

    assert_eq!(
        compare(&enrolled, &[], Quality::Medium),
        Err(MatchError::NoProbe)
    );
    assert_eq!(
        compare(&[], std::slice::from_ref(&probe), Quality::Medium),
        Err(MatchError::NoComparableEnrolments)
    );

    let mut phone = owner.recorder(PHRASE, iphone(), 1);
    let mobile = parse(phone.typing_pattern(&TypingPatternOptions::same_text(PHRASE), &NoDocument));
    assert!(mobile.is_mobile());
    assert_eq!(
        compare(&enrolled, &[mobile], Quality::Medium),
        Err(MatchError::MobileDesktopMismatch)
    );

    let other_text = owner.same_text("a different phrase", 1);
    assert!(matches!(
        compare(
            &enrolled,
            std::slice::from_ref(&other_text),
            Quality::Medium
        ),
        Err(MatchError::TextMismatch { .. })
    ));

    let mut rec = owner.recorder(PHRASE, Environment::desktop_chrome(), 1);
    let extended = parse(rec.typing_pattern(&TypingPatternOptions::extended(PHRASE), &NoDocument));
    assert_eq!(
        compare(&enrolled, &[extended], Quality::Medium),
        Err(MatchError::TypeMismatch {
            enrolled: 1,
            probe: 2
        })
    );
    let any = owner.any_text(PHRASE, 1);
    assert_eq!(
        compare(&enrolled, &[any], Quality::Medium),
        Err(MatchError::TypeMismatch {
            enrolled: 1,
            probe: 0
        })
    );

    assert_eq!(
        compare(&enrolled, &[probe.clone(), other_text], Quality::Medium),
        Err(MatchError::MixedPatterns)
    );

    let mouse = Pattern::parse(&rec.mouse_diagram()).expect("mouse pattern parses");
    assert_eq!(
        compare(&enrolled, &[mouse], Quality::Medium),
        Err(MatchError::NotTyping)
    );

    let no_rows = TypingPatternOptions {
        pattern_type: PatternType::SameText,
        length: Some(0.0),
        ..TypingPatternOptions::default()
    };
    let empty = parse(rec.typing_pattern(&no_rows, &NoDocument));
    assert_eq!(
        compare(
            std::slice::from_ref(&empty),
            std::slice::from_ref(&empty),
            Quality::Medium
        ),
        Err(MatchError::NoKeystrokes)
    );
}

#[test]
fn a_new_device_lowers_device_similarity_only() {
    let owner = Typist::new(7);
    let enrolled = enrol_same_text(&owner, 3);
    let mut env = Environment::desktop_chrome();
    env.screen_width = 2560;
    env.screen_height = 1440;
    env.user_agent = env.user_agent.replace("Chrome/120", "Chrome/121");
    let mut rec = owner.recorder(PHRASE, env, 500);
    let probe = parse(rec.typing_pattern(&TypingPatternOptions::same_text(PHRASE), &NoDocument));
    let same_device = compare(&enrolled, &[owner.same_text(PHRASE, 500)], Quality::Medium).unwrap();
    let new_device = compare(&enrolled, &[probe], Quality::Medium).unwrap();
    assert_eq!(same_device.device_similarity, 100.0);
    assert!(new_device.device_similarity < 100.0 && new_device.device_similarity > 50.0);
    assert_eq!(same_device.score, new_device.score);
}

/// Four-word phrases, each typed once, as a Verify-style window generates them.
const PHRASES: [&str; 6] = [
    "orange cloud above hills",
    "silver spoon in soup",
    "twelve horses run north",
    "hidden key under mat",
    "purple socks dry slowly",
    "empty train station bench",
];

#[test]
fn short_any_text_the_enrolled_typist_scores_higher_on_a_new_phrase() {
    let probe_text = PHRASES[5];
    let mut wins = 0;
    let mut trials = 0;
    for user in 0..6u64 {
        let typist = Typist::new(300 + user);
        let enrolled: Vec<Pattern> = PHRASES[..5]
            .iter()
            .enumerate()
            .map(|(i, p)| typist.extended(p, 10 * user + i as u64))
            .collect();
        let genuine = compare(
            &enrolled,
            &[typist.extended(probe_text, 999 + user)],
            Quality::Medium,
        )
        .unwrap();
        assert_eq!(genuine.mode, MatchMode::ShortAnyText);
        assert_eq!(genuine.compared_samples, 5);
        for other in 0..6u64 {
            if other == user {
                continue;
            }
            let probe = Typist::new(300 + other).extended(probe_text, 500 + other);
            let impostor = compare(&enrolled, &[probe], Quality::Medium).unwrap();
            trials += 1;
            wins += usize::from(genuine.score > impostor.score);
        }
    }
    assert!(wins * 10 >= trials * 9, "{wins} of {trials}");
}

#[test]
fn a_type_2_probe_uses_its_own_text_once_it_has_enough_enrolments() {
    let typist = Typist::new(41);
    let mut enrolled: Vec<Pattern> = PHRASES[..3]
        .iter()
        .enumerate()
        .map(|(i, p)| typist.extended(p, i as u64))
        .collect();
    let probe = [typist.extended(PHRASES[4], 77)];
    for n in 0..MIN_SAME_TEXT_ENROLMENTS {
        let outcome = compare(&enrolled, &probe, Quality::Medium).unwrap();
        assert_eq!(
            (outcome.mode, outcome.compared_samples),
            (MatchMode::ShortAnyText, 3 + n)
        );
        enrolled.push(typist.extended(PHRASES[4], 100 + n as u64));
    }
    let outcome = compare(&enrolled, &probe, Quality::Medium).unwrap();
    assert_eq!(
        (outcome.mode, outcome.compared_samples),
        (MatchMode::SameText, MIN_SAME_TEXT_ENROLMENTS)
    );
    // Type 1 has no short any-text mode, and the short mode keeps to the device class.
    let type1 = typist.same_text(PHRASES[0], 5);
    assert!(matches!(
        compare(
            &[type1],
            &[typist.same_text(PHRASES[1], 6)],
            Quality::Medium
        ),
        Err(MatchError::TextMismatch { .. })
    ));
    let on_phone = |text: &str, seed: u64| {
        let mut phone = typist.recorder(text, iphone(), seed);
        parse(phone.typing_pattern(&TypingPatternOptions::extended(text), &NoDocument))
    };
    assert_eq!(
        compare(&enrolled, &[on_phone(PHRASES[1], 8)], Quality::Medium),
        Err(MatchError::MobileDesktopMismatch)
    );
    // Mobile type 2 has no short any-text mode: phrases enrolled on the phone do not match a
    // new phrase typed on it.
    let mobile_enrolled: Vec<Pattern> = (0..3).map(|i| on_phone(PHRASES[i], i as u64)).collect();
    assert!(matches!(
        compare(
            &mobile_enrolled,
            &[on_phone(PHRASES[4], 9)],
            Quality::Medium
        ),
        Err(MatchError::TextMismatch { .. })
    ));
}

#[test]
fn a_short_any_text_probe_without_usable_keys_is_refused() {
    let typist = Typist::new(42);
    let enrolled: Vec<Pattern> = PHRASES[..3]
        .iter()
        .enumerate()
        .map(|(i, p)| typist.extended(p, i as u64))
        .collect();
    // One key: a hold but no flight.
    let one_key = typist.extended("a", 1);
    assert_eq!(
        compare(&enrolled, &[one_key], Quality::Medium),
        Err(MatchError::NoKeystrokes)
    );
}

/// Dual pass (two probes) in each mode: the score of the two probes' average distance, so the
/// same probe twice scores as it does once, and a genuine probe with a stranger's lands
/// between their own scores.
#[test]
fn dual_pass_scores_the_average_of_its_two_probes() {
    let owner = Typist::new(6);
    let stranger = Typist::new(66);
    let same_text = enrol_same_text(&owner, 5);
    let any_text: Vec<Pattern> = SENTENCES[..3]
        .iter()
        .enumerate()
        .map(|(i, s)| owner.any_text(s, i as u64))
        .collect();
    let short_text: Vec<Pattern> = PHRASES[..5]
        .iter()
        .enumerate()
        .map(|(i, p)| owner.extended(p, i as u64))
        .collect();
    let cases = [
        (
            MatchMode::SameText,
            same_text,
            owner.same_text(PHRASE, 600),
            stranger.same_text(PHRASE, 601),
        ),
        (
            MatchMode::AnyText,
            any_text,
            owner.any_text(SENTENCES[3], 602),
            stranger.any_text(SENTENCES[3], 603),
        ),
        (
            MatchMode::ShortAnyText,
            short_text,
            owner.extended(PHRASES[5], 604),
            stranger.extended(PHRASES[5], 605),
        ),
    ];
    for (mode, enrolled, genuine, impostor) in cases {
        let outcome = |probes: &[Pattern]| {
            let o = compare(&enrolled, probes, Quality::Medium).unwrap();
            assert_eq!(o.mode, mode);
            o
        };
        let score = |probes: &[Pattern]| outcome(probes).score;
        let alone = score(std::slice::from_ref(&genuine));
        let other = score(std::slice::from_ref(&impostor));
        assert!(alone > other + 10.0, "{mode:?}: {alone} vs {other}");
        let twice = score(&[genuine.clone(), genuine.clone()]);
        assert!((twice - alone).abs() < 1e-9, "{mode:?}: {twice} vs {alone}");
        // The evidence is the typing compared per probe: the same probe twice is no more.
        let (once, doubled) = (
            outcome(std::slice::from_ref(&genuine)).confidence,
            outcome(&[genuine.clone(), genuine.clone()]).confidence,
        );
        assert_eq!(once, doubled, "{mode:?}");
        assert!(0.0 < once && once <= 100.0, "{mode:?}: {once}");
        let mixed = score(&[genuine, impostor]);
        assert!(
            other < mixed && mixed < alone,
            "{mode:?}: {other} < {mixed} < {alone}"
        );
    }
}

/// `high_confidence`: a decision far from the threshold (15 points or more) that rests on
/// enough evidence (confidence 60 or more).
#[test]
fn high_confidence_needs_evidence_and_distance_from_the_threshold() {
    let owner = Typist::new(7);
    let many = enrol_same_text(&owner, 8);
    let clear = compare(&many, &[owner.same_text(PHRASE, 700)], Quality::Medium).unwrap();
    assert!(clear.confidence >= 60.0 && clear.score >= 65.0, "{clear:?}");
    assert!(clear.high_confidence, "{clear:?}");
    let one = compare(&many[..1], &[owner.same_text(PHRASE, 700)], Quality::Low).unwrap();
    assert!(one.confidence < 60.0, "{one:?}");
    assert!(!one.high_confidence, "little evidence: {one:?}");
    // A probe scoring within 15 points of the medium threshold (50), among strangers.
    let near = (0..200u64)
        .map(|i| {
            let probe = Typist::new(1000 + i).same_text(PHRASE, 800 + i);
            compare(&many, &[probe], Quality::Medium).unwrap()
        })
        .find(|o| (o.score - 50.0).abs() < 15.0)
        .expect("a stranger scores near the threshold");
    assert!(near.confidence >= 60.0, "{near:?}");
    assert!(!near.high_confidence, "near the threshold: {near:?}");
}

/// Confidence describes the evidence (see `confidence` in mod.rs): the enrolment factor
/// n / (n + 2) (1 enrolment at most a third, 3 give 60 %) times a typing factor that nears 1
/// for a phrase as long as [`PHRASE`] (61 compared timings) and is smaller for a short text.
#[test]
fn confidence_grows_with_enrolments_and_typing_and_stays_below_its_factors() {
    let owner = Typist::new(8);
    let confidence = |text: &str, n: u64| {
        let enrolled: Vec<Pattern> = (0..n).map(|i| owner.same_text(text, 100 + i)).collect();
        compare(&enrolled, &[owner.same_text(text, 900)], Quality::Medium)
            .unwrap()
            .confidence
    };
    let (one, three, eight) = (
        confidence(PHRASE, 1),
        confidence(PHRASE, 3),
        confidence(PHRASE, 8),
    );
    assert!(25.0 < one && one < 100.0 / 3.0, "{one}");
    assert!(50.0 < three && three < 60.0, "{three}");
    assert!(70.0 < eight && eight < 80.0, "{eight}");
    let short = confidence("my pin", 3);
    assert!(0.0 < short && short < three - 20.0, "{short} vs {three}");
}
