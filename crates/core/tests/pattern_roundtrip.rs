//! The pattern parser against real recorder output: every pattern of the golden vectors, and
//! patterns the recorder builds from random event streams, parse and print back byte for
//! byte; generated typed patterns survive print → parse; random and mutated input never
//! panics.

use keycadence_core::pattern::*;
use keycadence_core::recorder::{
    KeyEvent, KeyKind, MotionEvent, MouseEvent, MouseKind, NoDocument, Recorder,
    TypingPatternOptions,
};
use keycadence_core::Environment;
use proptest::prelude::*;
use serde_json::Value as Json;
use std::path::PathBuf;

// ---------------------------------------------------------------------------------------------
// Golden vectors

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// `(file, op index, call arguments, expected pattern)` for every pattern-returning call.
fn golden_patterns() -> Vec<(String, usize, Json, String)> {
    let dir = golden_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("readable golden directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut patterns = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let vector: Json =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable vector"))
                .expect("valid JSON");
        for (index, op) in vector["ops"].as_array().expect("ops").iter().enumerate() {
            let method = op["method"].as_str().unwrap_or("");
            if op["op"] != "call" || !matches!(method, "getTypingPattern" | "getMouseDiagram") {
                continue;
            }
            if let Some(expect) = op["expect"].as_str() {
                patterns.push((name.clone(), index, op["args"].clone(), expect.to_owned()));
            }
        }
    }
    patterns
}

/// The kind the call's options ask for (anything but type 1/2 gives type 0; the
/// header of `{type:1, extended:true}` says type 2).
fn requested_kind(args: &Json, mouse: bool) -> PatternKind {
    if mouse {
        return PatternKind::Mouse;
    }
    let options = &args[0];
    match options["type"].as_f64() {
        Some(1.0) if options["extended"] == Json::Bool(true) => PatternKind::Extended,
        Some(1.0) => PatternKind::SameText,
        Some(2.0) => PatternKind::Extended,
        _ => PatternKind::AnyText,
    }
}

#[test]
fn every_golden_pattern_parses_and_prints_back() {
    let patterns = golden_patterns();
    let mut kinds_seen = Vec::new();
    let mut mobile_seen = false;
    for (file, index, args, expect) in &patterns {
        let pattern =
            Pattern::parse(expect).unwrap_or_else(|e| panic!("{file} op {index}: {e}\n{expect}"));
        assert_eq!(&pattern.to_string(), expect, "{file} op {index}");
        let mouse = expect.contains(",9,0,0,") && !expect.contains('#');
        assert_eq!(
            pattern.kind(),
            requested_kind(args, mouse),
            "{file} op {index}"
        );
        let mobile_vector = ["v10", "v11", "v12"].iter().any(|v| file.starts_with(v));
        assert_eq!(pattern.is_mobile(), mobile_vector, "{file} op {index}");
        if let Pattern::Diagram(d) = &pattern {
            // Mobile diagrams always carry the motion trailer, desktop ones never.
            assert_eq!(d.motion.is_some(), mobile_vector, "{file} op {index}");
            if let Some(text) = args[0]["text"].as_str() {
                assert_eq!(
                    d.header.str_length,
                    text.encode_utf16().count() as f64,
                    "{file} op {index}"
                );
            }
        }
        assert!(
            pattern.device_signature().is_some(),
            "3.2 patterns are signed"
        );
        kinds_seen.push(pattern.kind());
        mobile_seen |= pattern.is_mobile();
    }
    for kind in [
        PatternKind::AnyText,
        PatternKind::SameText,
        PatternKind::Extended,
        PatternKind::Mouse,
    ] {
        assert!(kinds_seen.contains(&kind), "no golden {kind:?} pattern");
    }
    assert!(mobile_seen);
    eprintln!("{} golden patterns round-tripped", patterns.len());

    // The same patterns joined the way the Authentication API sends several at once.
    let joined: Vec<&str> = patterns.iter().map(|p| p.3.as_str()).collect();
    let list = Pattern::parse_list(&joined.join(";")).expect("joined golden patterns parse");
    let printed: Vec<String> = list.iter().map(Pattern::to_string).collect();
    assert_eq!(printed, joined);
}

/// The expected pattern of op `index` of `file`.
fn golden(file: &str, index: usize) -> Pattern {
    let patterns = golden_patterns();
    let (_, _, _, expect) = patterns
        .iter()
        .find(|(f, i, _, _)| f.starts_with(file) && *i == index)
        .unwrap_or_else(|| panic!("{file} has no pattern at op {index}"));
    Pattern::parse(expect).expect("golden pattern parses")
}

fn golden_op_index(file: &str, nth: usize) -> usize {
    golden_patterns()
        .iter()
        .filter(|(f, ..)| f.starts_with(file))
        .nth(nth)
        .map(|p| p.1)
        .expect("pattern present")
}

#[test]
fn golden_values_land_in_named_fields() {
    // v01, type 0 of "hello world" (the reference's worked example).
    let Pattern::AnyText(p) = golden("v01", golden_op_index("v01", 2)) else {
        panic!("v01 third pattern is type 0")
    };
    let g = p.globals;
    assert_eq!(
        (
            g.hist_rev,
            g.cpm,
            g.char_mean_time,
            g.press_ratio,
            g.seek_to_press_ratio
        ),
        (11, 214.0, 280.0, 0.3679, 1.7181)
    );
    assert_eq!(
        (g.press_sd_to_press_ratio, g.seek_sd_to_press_ratio),
        (0.3495, 0.301)
    );
    assert_eq!(
        (g.press_mean, g.seek_mean, g.press_sd, g.seek_sd),
        (103.0, 177.0, 36.0, 31.0)
    );
    // D, E, H, L×3, O×2, R, W, Space.
    let revs: Vec<(u16, u32)> = KEY_CODES
        .iter()
        .zip(p.keys.iter())
        .filter(|(_, k)| k.rev > 0)
        .map(|(&code, k)| (code, k.rev))
        .collect();
    assert_eq!(
        revs,
        [
            (68, 1),
            (69, 1),
            (72, 1),
            (76, 3),
            (79, 2),
            (82, 1),
            (87, 1),
            (32, 1)
        ]
    );
    let signature = p.device_signature.expect("3.2 signature");
    assert_eq!(signature.system_language(), 902248182.0); // fnv("en-US")
    assert_eq!(signature.browser_version(), 120.0);
    assert_eq!(signature.signature(), 2619031885.0);

    // v01, type 1: the reference recorder's type-1 example.
    let Pattern::Diagram(d) = golden("v01", golden_op_index("v01", 0)) else {
        panic!("diagram")
    };
    assert_eq!(d.header.text_id, 939726232);
    assert_eq!(d.rows.timings()[..3], [(2228, 55), (206, 158), (304, 84)]);

    // v09: all timings equal → the ratio is Infinity.
    let Pattern::AnyText(p) = golden("v09", golden_op_index("v09", 0)) else {
        panic!("type 0")
    };
    assert_eq!(p.globals.seek_to_press_ratio, f64::INFINITY);

    // v14: special keys `6,111,37,2,96,11,5,84,24,2,108,13,3,315,133` (the reference's example).
    let p = golden("v14", golden_op_index("v14", 0));
    let sk = p.special_keys();
    assert_eq!(
        (sk.backspace.count, sk.backspace.mean, sk.backspace.sd),
        (6, 111, 37)
    );
    assert_eq!(
        (sk.clicks.count, sk.clicks.mean, sk.clicks.sd),
        (2, 108, 13)
    );
    assert_eq!((sk.stops.count, sk.stops.mean, sk.stops.sd), (3, 315, 133));

    // v12 (Android), type 2 without text: the deletion row `0,222,139,229`, motion zeros.
    let Pattern::Diagram(d) = golden("v12", golden_op_index("v12", 2)) else {
        panic!("diagram")
    };
    let DiagramRows::Extended(rows) = &d.rows else {
        panic!("extended rows")
    };
    assert_eq!(
        rows[8],
        ExtendedRow {
            char_code: Code::Value(0),
            seek: 222,
            press: 139,
            key_code: Code::Value(229),
            substituted: false
        }
    );
    let motion = d.motion.expect("mobile trailer");
    assert_eq!(motion.samples.len(), rows.len());
    assert_eq!(motion.samples[0].fixed, vec![MotionValue::Number(0.0); 8]);

    // v11 (iPhone with motion), type 2 with a missing last character: its motion entries
    // are empty.
    let Pattern::Diagram(d) = golden("v11", golden_op_index("v11", 2)) else {
        panic!("diagram")
    };
    let DiagramRows::Extended(rows) = &d.rows else {
        panic!("extended rows")
    };
    assert!(rows.last().unwrap().substituted);
    let samples = d.motion.expect("trailer").samples;
    assert_eq!(samples.len(), rows.len());
    assert_eq!(samples.last(), Some(&MotionSample::default()));
    assert_eq!(samples[0].fixed.len(), 8);

    // v18: every mouse row type.
    let Pattern::Mouse(m) = golden("v18", golden_op_index("v18", 0)) else {
        panic!("mouse")
    };
    assert_eq!(
        m.rows,
        [
            MouseRow::Move(Gesture {
                duration: 128.0,
                distance: 104.0,
                speed: 81.0,
                angle: 248.0,
                path_ratio: 88.0
            }),
            MouseRow::Move(Gesture {
                duration: 68.0,
                distance: 67.0,
                speed: 99.0,
                angle: 33.0,
                path_ratio: 75.0
            }),
            MouseRow::Stop { duration: 257.0 },
            MouseRow::Click { duration: 110.0 },
            MouseRow::Drag(Gesture {
                duration: 60.0,
                distance: 61.0,
                speed: 102.0,
                angle: 351.0,
                path_ratio: 66.0
            }),
            MouseRow::Scroll {
                duration: 90.0,
                distance: 120.0,
                speed: 133.0
            },
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Generated typed patterns

/// A double other than NaN, biased towards the values the recorder prints.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0i64..400_000).prop_map(|n| n as f64 / 10_000.0),
        (-5000i64..5000).prop_map(|n| n as f64),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        any::<f64>().prop_filter("not NaN", |v| !v.is_nan()),
    ]
}

fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![number(), Just(f64::NAN)]
}

fn version() -> impl Strategy<Value = f64> {
    prop_oneof![Just(3.2), Just(3.1), Just(2.15), number()]
}

fn summary() -> impl Strategy<Value = TimingSummary> {
    (any::<u32>(), any::<i64>(), any::<i64>()).prop_map(|(count, mean, sd)| TimingSummary {
        count,
        mean,
        sd,
    })
}

fn special_keys() -> impl Strategy<Value = SpecialKeys> {
    [summary(), summary(), summary(), summary(), summary()].prop_map(
        |[backspace, enter, space, clicks, stops]| SpecialKeys {
            backspace,
            enter,
            space,
            clicks,
            stops,
        },
    )
}

fn device_signature() -> impl Strategy<Value = DeviceSignature> {
    proptest::collection::vec(any_number(), 20)
        .prop_map(|v| DeviceSignature(v.try_into().expect("20 values")))
}

fn key_stats() -> impl Strategy<Value = KeyStats> {
    (
        any::<u32>(),
        [number(), number(), number(), number(), number(), number()],
    )
        .prop_map(
            |(rev, [seek_mean, press_mean, post_mean, seek_sd, press_sd, post_sd])| KeyStats {
                rev,
                seek_mean,
                press_mean,
                post_mean,
                seek_sd,
                press_sd,
                post_sd,
            },
        )
}

fn any_text() -> impl Strategy<Value = AnyTextPattern> {
    (
        (any::<u32>(), proptest::collection::vec(number(), 10)),
        proptest::collection::vec(key_stats(), 44),
        (any::<bool>(), version(), any::<i64>()),
        special_keys(),
        proptest::option::of(device_signature()),
    )
        .prop_map(
            |((hist_rev, g), keys, (mobile, version, flags), special_keys, device_signature)| {
                AnyTextPattern {
                    globals: GlobalStats {
                        hist_rev,
                        cpm: g[0],
                        char_mean_time: g[1],
                        press_ratio: g[2],
                        seek_to_press_ratio: g[3],
                        press_sd_to_press_ratio: g[4],
                        seek_sd_to_press_ratio: g[5],
                        press_mean: g[6],
                        seek_mean: g[7],
                        press_sd: g[8],
                        seek_sd: g[9],
                    },
                    keys: Box::new(keys.try_into().expect("44 keys")),
                    mobile,
                    version,
                    flags,
                    special_keys,
                    device_signature,
                }
            },
        )
}

fn code(undefined_allowed: bool) -> impl Strategy<Value = Code> {
    prop_oneof![
        8 => any::<u32>().prop_map(Code::Value),
        1 => Just(Code::NaN),
        1 => Just(if undefined_allowed { Code::Undefined } else { Code::NaN }),
    ]
}

fn same_text_rows() -> impl Strategy<Value = Vec<SameTextRow>> {
    proptest::collection::vec(
        (any::<i64>(), any::<i64>(), any::<bool>()).prop_map(|(seek, press, substituted)| {
            SameTextRow {
                seek,
                press,
                substituted,
            }
        }),
        0..20,
    )
}

fn extended_rows(min: usize) -> impl Strategy<Value = Vec<ExtendedRow>> {
    proptest::collection::vec(
        (
            code(false),
            any::<i64>(),
            any::<i64>(),
            code(true),
            any::<bool>(),
        )
            .prop_map(
                |(char_code, seek, press, key_code, substituted)| ExtendedRow {
                    char_code,
                    seek,
                    press,
                    key_code,
                    substituted,
                },
            ),
        min..20,
    )
}

fn motion_value() -> impl Strategy<Value = MotionValue> {
    prop_oneof![
        6 => number().prop_map(MotionValue::Number),
        1 => Just(MotionValue::NaN),
        1 => Just(MotionValue::Undefined),
    ]
}

/// An entry as the recorder can print it: a lone undefined value prints as an empty entry,
/// so it is generated as one.
fn motion_entry() -> impl Strategy<Value = Vec<MotionValue>> {
    proptest::collection::vec(motion_value(), 0..9).prop_map(|v| {
        if v == [MotionValue::Undefined] {
            Vec::new()
        } else {
            v
        }
    })
}

fn motion_trailer() -> impl Strategy<Value = MotionTrailer> {
    proptest::collection::vec(
        (
            motion_entry(),
            motion_entry(),
            motion_entry(),
            motion_entry(),
        )
            .prop_map(
                |(fixed, z_acceleration, x_rotation, y_rotation)| MotionSample {
                    fixed,
                    z_acceleration,
                    x_rotation,
                    y_rotation,
                },
            ),
        0..6,
    )
    .prop_map(|samples| {
        // One all-empty sample prints as `##//`, which reads back as no sample.
        if samples.len() == 1 && samples[0] == MotionSample::default() {
            MotionTrailer::default()
        } else {
            MotionTrailer { samples }
        }
    })
}

fn diagram() -> impl Strategy<Value = DiagramPattern> {
    let rows = prop_oneof![
        same_text_rows().prop_map(|r| (DiagramType::SameText, DiagramRows::SameText(r))),
        extended_rows(0).prop_map(|r| (DiagramType::Extended, DiagramRows::Extended(r))),
        // The `{type:1, extended:1}` quirk; without rows it reads back as type-1 rows.
        extended_rows(1).prop_map(|r| (DiagramType::SameText, DiagramRows::Extended(r))),
    ];
    (
        (
            any::<bool>(),
            version(),
            any::<i64>(),
            number(),
            any::<i64>(),
        ),
        special_keys(),
        proptest::option::of(device_signature()),
        rows,
        proptest::option::of(motion_trailer()),
    )
        .prop_map(
            |(
                (mobile, version, flags, str_length, text_id),
                special_keys,
                device_signature,
                (diagram_type, rows),
                motion,
            )| DiagramPattern {
                header: DiagramHeader {
                    mobile,
                    version,
                    flags,
                    diagram_type,
                    str_length,
                    text_id,
                    special_keys,
                    device_signature,
                },
                rows,
                // Only mobile recorders write the trailer.
                motion: motion.filter(|_| mobile),
            },
        )
}

fn gesture() -> impl Strategy<Value = Gesture> {
    [number(), number(), number(), number(), number()].prop_map(
        |[duration, distance, speed, angle, path_ratio]| Gesture {
            duration,
            distance,
            speed,
            angle,
            path_ratio,
        },
    )
}

fn mouse() -> impl Strategy<Value = MousePattern> {
    let row = prop_oneof![
        gesture().prop_map(MouseRow::Move),
        gesture().prop_map(MouseRow::Drag),
        [number(), number(), number()].prop_map(|[duration, distance, speed]| MouseRow::Scroll {
            duration,
            distance,
            speed
        }),
        number().prop_map(|duration| MouseRow::Stop { duration }),
        number().prop_map(|duration| MouseRow::Click { duration }),
    ];
    (
        (any::<bool>(), version(), any::<i64>()),
        special_keys(),
        device_signature(),
        proptest::collection::vec(row, 0..12),
    )
        .prop_map(
            |((mobile, version, flags), special_keys, device_signature, rows)| MousePattern {
                header: MouseHeader {
                    mobile,
                    version,
                    flags,
                    special_keys,
                    device_signature,
                },
                rows,
            },
        )
}

fn pattern() -> impl Strategy<Value = Pattern> {
    prop_oneof![
        any_text().prop_map(Pattern::AnyText),
        diagram().prop_map(Pattern::Diagram),
        mouse().prop_map(Pattern::Mouse),
    ]
}

/// Characters patterns are made of, to reach deep into the parser with random text.
const ALPHABET: &[char] = &[
    '0', '1', '2', '9', ',', ',', ',', '|', '|', '#', '/', '.', '-', ';', 'N', 'a', 'I', 'e', '+',
    ' ', 'é',
];

fn pattern_char() -> impl Strategy<Value = char> {
    proptest::sample::select(ALPHABET)
}

/// One edit of a pattern string.
#[derive(Clone, Debug)]
enum Mutation {
    Insert(usize, char),
    Delete(usize, usize),
    Replace(usize, char),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), pattern_char()).prop_map(|(at, c)| Mutation::Insert(at, c)),
        (any::<usize>(), 1usize..30).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), pattern_char()).prop_map(|(at, c)| Mutation::Replace(at, c)),
        (any::<usize>(), 1usize..60).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies a mutation at char positions (so the result stays valid UTF-8).
fn mutate(s: &str, m: &Mutation) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let len = chars.len();
    let at = |i: usize| if len == 0 { 0 } else { i % len };
    match *m {
        Mutation::Insert(i, c) => chars.insert(at(i), c),
        Mutation::Delete(i, n) => {
            let start = at(i);
            chars.drain(start..(start + n).min(len));
        }
        Mutation::Replace(i, c) => {
            if len > 0 {
                chars[at(i)] = c;
            }
        }
        Mutation::Duplicate(i, n) => {
            let start = at(i);
            let piece: Vec<char> = chars[start..(start + n).min(len)].to_vec();
            chars.splice(start..start, piece);
        }
        Mutation::Truncate(i) => chars.truncate(at(i)),
    }
    chars.into_iter().collect()
}

/// Whatever the input, parsing returns, and what it accepts prints back unchanged.
fn check_any_input(s: &str) {
    if let Ok(p) = Pattern::parse(s) {
        assert_eq!(p.to_string(), s);
    }
    if let Ok(list) = Pattern::parse_list(s) {
        let printed: Vec<String> = list.iter().map(Pattern::to_string).collect();
        assert_eq!(printed.join(";"), s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn typed_patterns_print_and_parse_back(p in pattern()) {
        let printed = p.to_string();
        let parsed = Pattern::parse(&printed).map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        prop_assert_eq!(&parsed, &p);
        prop_assert_eq!(parsed.to_string(), printed);
    }

    #[test]
    fn lists_of_typed_patterns_parse_back(ps in proptest::collection::vec(pattern(), 1..4)) {
        let joined = ps.iter().map(Pattern::to_string).collect::<Vec<_>>().join(";");
        prop_assert_eq!(Pattern::parse_list(&joined).unwrap(), ps);
    }

    #[test]
    fn random_strings_never_panic(s in any::<String>()) {
        check_any_input(&s);
    }

    #[test]
    fn random_pattern_alphabet_strings_never_panic(
        chars in proptest::collection::vec(pattern_char(), 0..600)
    ) {
        check_any_input(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn mutated_patterns_never_panic(
        p in pattern(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let mut s = p.to_string();
        for m in &mutations {
            s = mutate(&s, m);
        }
        check_any_input(&s);
    }
}

#[test]
fn mutated_golden_patterns_never_panic() {
    let patterns = golden_patterns();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2000));
    let strategy = (
        proptest::sample::select(patterns.into_iter().map(|p| p.3).collect::<Vec<_>>()),
        proptest::collection::vec(mutation(), 1..4),
    );
    runner
        .run(&strategy, |(pattern, mutations)| {
            let mut s = pattern;
            for m in &mutations {
                s = mutate(&s, m);
            }
            check_any_input(&s);
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Patterns built by the recorder from random event streams

const T0: i64 = 1_700_000_000_000;

#[derive(Clone, Copy, Debug)]
enum Platform {
    Desktop,
    IPhone,
    AndroidChrome,
    AndroidFirefox,
}

fn environment(platform: Platform) -> Environment {
    let mobile = |user_agent: &str, platform: &str| Environment {
        user_agent: user_agent.into(),
        platform: platform.into(),
        language: Some("en-GB".into()),
        screen_width: 390,
        screen_height: 844,
        max_touch_points: 5,
        ontouchstart: true,
        has_orientation: true,
        device_motion_event: true,
        ..Environment::default()
    };
    match platform {
        Platform::Desktop => Environment::desktop_chrome(),
        Platform::IPhone => mobile(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "iPhone",
        ),
        Platform::AndroidChrome => mobile(
            "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
            "Linux armv8l",
        ),
        Platform::AndroidFirefox => mobile(
            "Mozilla/5.0 (Android 13; Mobile; rv:120.0) Gecko/120.0 Firefox/120.0",
            "Linux armv8l",
        ),
    }
}

/// One step of a random session.
#[derive(Clone, Debug)]
enum Step {
    /// A keystroke: keydown (`seek` ms after the previous step), keypress, keyup `press` ms
    /// later. On Android the field's value and caret after the key are given too.
    Key {
        key_code: u32,
        char_code: u32,
        shift: bool,
        seek: i64,
        press: i64,
        field: (String, Option<u32>),
    },
    Motion {
        after: i64,
        acceleration: [Option<f64>; 3],
        rotation: Option<[Option<f64>; 3]>,
    },
    Mouse {
        after: i64,
        kind: u8,
        x: f64,
        y: f64,
    },
    Scroll {
        after: i64,
        top: f64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let key_code = prop_oneof![
        65u32..=90,
        Just(32),
        Just(8),
        Just(13),
        Just(16),
        Just(188),
        48u32..=57
    ];
    let axis = proptest::option::weighted(0.9, -20.0f64..20.0);
    prop_oneof![
        6 => (
            key_code,
            prop_oneof![Just(0u32), 32u32..127],
            proptest::bool::weighted(0.15),
            0i64..2500,
            0i64..400,
            ("[a-c ,]{0,6}", proptest::option::of(0u32..8)),
        )
            .prop_map(|(key_code, char_code, shift, seek, press, field)| Step::Key {
                key_code,
                char_code,
                shift,
                seek,
                press,
                field,
            }),
        2 => (
            0i64..60,
            [axis.clone(), axis.clone(), axis.clone()],
            proptest::option::weighted(0.8, [axis.clone(), axis.clone(), axis]),
        )
            .prop_map(|(after, acceleration, rotation)| Step::Motion {
                after,
                acceleration,
                rotation,
            }),
        2 => (0i64..700, 0u8..3, 0.0f64..1000.0, 0.0f64..800.0)
            .prop_map(|(after, kind, x, y)| Step::Mouse { after, kind, x: x.round(), y: y.round() }),
        1 => (0i64..900, 0.0f64..3000.0).prop_map(|(after, top)| Step::Scroll { after, top }),
    ]
}

fn run_session(platform: Platform, steps: &[Step], start_mouse: bool) -> Recorder {
    let mut rec = Recorder::new(environment(platform), T0);
    if start_mouse {
        rec.start_mouse();
    }
    let mut now = T0;
    let target = "inp";
    for step in steps {
        match step {
            Step::Key {
                key_code,
                char_code,
                shift,
                seek,
                press,
                field,
            } => {
                now += seek;
                rec.advance(now);
                let (value, caret) = field;
                let android =
                    matches!(platform, Platform::AndroidChrome | Platform::AndroidFirefox);
                let code = if android { 229 } else { *key_code };
                rec.key(&KeyEvent::new(KeyKind::Down, now, code, target).shift(*shift));
                if !android {
                    rec.key(
                        &KeyEvent::new(KeyKind::Press, now, code, target)
                            .char_code(*char_code)
                            .shift(*shift),
                    );
                }
                now += press;
                rec.advance(now);
                let up = match platform {
                    Platform::AndroidFirefox => KeyEvent {
                        key_code: None,
                        ..KeyEvent::new(KeyKind::Input, now, 0, target)
                    },
                    _ => KeyEvent::new(KeyKind::Up, now, code, target).shift(*shift),
                };
                rec.key(&up.field(value, *caret));
            }
            Step::Motion {
                after,
                acceleration,
                rotation,
            } => {
                now += after;
                rec.advance(now);
                rec.motion(&MotionEvent {
                    time: now,
                    acceleration: *acceleration,
                    rotation: *rotation,
                });
            }
            Step::Mouse { after, kind, x, y } => {
                now += after;
                rec.advance(now);
                let kind = [MouseKind::Move, MouseKind::Down, MouseKind::Up][usize::from(*kind)];
                rec.mouse(&MouseEvent {
                    kind,
                    time: now,
                    screen_x: *x,
                    screen_y: *y,
                    which: 1,
                });
            }
            Step::Scroll { after, top } => {
                now += after;
                rec.advance(now);
                rec.scroll(now, *top);
            }
        }
    }
    rec.advance(now + 2000);
    rec
}

/// The text typed in a session (printable char codes of the keystrokes).
fn typed_text(steps: &[Step]) -> String {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Key { char_code, .. } if *char_code >= 32 => char::from_u32(*char_code),
            _ => None,
        })
        .collect()
}

fn check_recorder_pattern(
    built: Option<String>,
    kind: PatternKind,
    mobile: bool,
) -> Result<(), TestCaseError> {
    let Some(built) = built else { return Ok(()) };
    let parsed =
        Pattern::parse(&built).map_err(|e| TestCaseError::fail(format!("{e}\n{built}")))?;
    prop_assert_eq!(parsed.to_string(), built);
    prop_assert_eq!(parsed.kind(), kind);
    prop_assert_eq!(parsed.is_mobile(), mobile);
    prop_assert!(parsed.device_signature().is_some());
    if let Pattern::Diagram(d) = &parsed {
        prop_assert_eq!(d.motion.is_some(), mobile);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn recorder_patterns_parse_and_print_back(
        platform in prop_oneof![
            Just(Platform::Desktop),
            Just(Platform::IPhone),
            Just(Platform::AndroidChrome),
            Just(Platform::AndroidFirefox),
        ],
        steps in proptest::collection::vec(step(), 0..60),
        start_mouse in any::<bool>(),
        other_text in "[a-zA-Z0-9 ,.]{0,20}",
    ) {
        let mut rec = run_session(platform, &steps, start_mouse);
        let mobile = rec.is_mobile();
        let typed = typed_text(&steps);
        check_recorder_pattern(rec.typing_pattern(&TypingPatternOptions::any_text(), &NoDocument), PatternKind::AnyText, mobile)?;
        for text in [typed.as_str(), other_text.as_str(), ""] {
            check_recorder_pattern(rec.typing_pattern(&TypingPatternOptions::same_text(text), &NoDocument), PatternKind::SameText, mobile)?;
            check_recorder_pattern(rec.typing_pattern(&TypingPatternOptions::extended(text), &NoDocument), PatternKind::Extended, mobile)?;
        }
        check_recorder_pattern(Some(rec.mouse_diagram()), PatternKind::Mouse, mobile)?;
    }
}
