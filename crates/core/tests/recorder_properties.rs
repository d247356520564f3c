//! Properties of the recorder over random input: no event stream makes it panic, every
//! pattern it prints has the documented shape, and text ids are FNV-1a over UTF-16 units.

use keycadence_core::recorder::js_api::{self, JsTypingPatternOptions, PatternArgument, Value};
use keycadence_core::recorder::{
    KeyEvent, KeyKind, MotionEvent, MouseEvent, MouseKind, NoDocument, Recorder, RecorderOptions,
};
use keycadence_core::{text_id, Environment};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Key(KeyKind, u32, u32, bool, u8),
    Mouse(MouseKind, i16, i16, u32),
    Scroll(i32),
    Motion([i16; 3], Option<[i16; 3]>),
    Start,
    Stop,
    Reset(bool),
    AddTarget(u8),
    RemoveTarget(u8),
    StartMouse,
    Pattern(u8, String, Option<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    let kind = prop_oneof![
        Just(KeyKind::Down),
        Just(KeyKind::Press),
        Just(KeyKind::Up),
        Just(KeyKind::Input)
    ];
    let mouse = prop_oneof![
        Just(MouseKind::Move),
        Just(MouseKind::Down),
        Just(MouseKind::Up)
    ];
    prop_oneof![
        8 => (kind, 0u32..300, 0u32..0x2_0000, any::<bool>(), 0u8..3)
            .prop_map(|(k, code, ch, shift, t)| Op::Key(k, code, ch, shift, t)),
        2 => (mouse, any::<i16>(), any::<i16>(), 0u32..3).prop_map(|(k, x, y, w)| Op::Mouse(k, x, y, w)),
        1 => any::<i32>().prop_map(Op::Scroll),
        2 => (any::<[i16; 3]>(), any::<Option<[i16; 3]>>()).prop_map(|(a, r)| Op::Motion(a, r)),
        1 => Just(Op::Start),
        1 => Just(Op::Stop),
        1 => any::<bool>().prop_map(Op::Reset),
        1 => (0u8..3).prop_map(Op::AddTarget),
        1 => (0u8..3).prop_map(Op::RemoveTarget),
        1 => Just(Op::StartMouse),
        2 => (0u8..4, "[a-zA-Z ßİ😀]{0,20}", proptest::option::of(0u8..3)).prop_map(|(t, s, id)| Op::Pattern(t, s, id)),
    ]
}

const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 13; Mobile; rv:120.0) Gecko/120.0 Firefox/120.0",
];

fn check_shape(pattern: &str, pattern_type: u8) {
    if pattern_type == 0 || pattern_type == 3 {
        assert_eq!(
            pattern.split(',').count(),
            360,
            "type 0 has 360 fields: {pattern}"
        );
    } else {
        let header = pattern.split(['|', '#']).next().unwrap();
        assert_eq!(header.split(',').count(), 41, "diagram header: {pattern}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_event_streams_never_panic(
        ua in 0usize..4,
        fix_quirks in any::<bool>(),
        ops in proptest::collection::vec((0i64..2000, op()), 0..120),
    ) {
        let env = Environment {
            user_agent: USER_AGENTS[ua].into(),
            device_motion_event: true,
            ..Environment::desktop_chrome()
        };
        let mut t = 1_700_000_000_000i64;
        let mut rec = Recorder::with_options(env, t, RecorderOptions { fix_quirks });
        let targets = ["a", "b", ""];
        for (dt, op) in ops {
            t += dt;
            match op {
                Op::Key(kind, code, ch, shift, target) => {
                    let value: String = "xyz".chars().take(target as usize).collect();
                    let event = KeyEvent::new(kind, t, code, targets[target as usize])
                        .char_code(ch)
                        .shift(shift)
                        .field(&value, Some(code % 5));
                    rec.key(&event);
                }
                Op::Mouse(kind, x, y, which) => rec.mouse(&MouseEvent {
                    kind, time: t, screen_x: x.into(), screen_y: y.into(), which,
                }),
                Op::Scroll(top) => rec.scroll(t, top.into()),
                Op::Motion(a, r) => rec.motion(&MotionEvent {
                    time: t,
                    acceleration: a.map(|v| Some(f64::from(v) / 100.0)),
                    rotation: r.map(|r| r.map(|v| Some(f64::from(v) / 10.0))),
                }),
                Op::Start => { rec.start(); }
                Op::Stop => { rec.stop(); }
                Op::Reset(all) => rec.reset(all),
                Op::AddTarget(i) => rec.add_target(targets[i as usize]),
                Op::RemoveTarget(i) => rec.remove_target(targets[i as usize]),
                Op::StartMouse => { rec.start_mouse(); }
                Op::Pattern(pattern_type, text, target) => {
                    // As a page passes them (type 3 is no type: type 0 without a target).
                    let mut options = JsTypingPatternOptions {
                        pattern_type: Value::Number(pattern_type.into()),
                        text: Value::String(text),
                        ..JsTypingPatternOptions::default()
                    };
                    if let Some(i) = target {
                        options.target_id = Value::from(targets[i as usize]);
                    }
                    let options = PatternArgument::Options(options);
                    if let Some(p) = js_api::typing_pattern(&mut rec, &options, &NoDocument).unwrap() {
                        check_shape(&p, pattern_type);
                    }
                    let mouse = rec.mouse_diagram();
                    prop_assert!(mouse.split('|').next().unwrap().split(',').count() == 41);
                }
            }
        }
    }

    #[test]
    fn text_id_is_fnv1a_over_lowercased_utf16_units(text in "\\PC{0,40}") {
        let mut want: u32 = 0x721b_5ad4;
        for unit in text.to_lowercase().encode_utf16() {
            want ^= u32::from(unit);
            want = want.wrapping_mul(16_777_619);
        }
        prop_assert_eq!(text_id::text_id(&text), want);
    }

    #[test]
    fn text_id_ignores_ascii_case(text in "[ -~]{0,40}") {
        prop_assert_eq!(text_id::text_id(&text.to_ascii_uppercase()), text_id::text_id(&text));
    }
}
