//! Properties over arbitrary input: payloads round-trip, and no input makes the decoders or
//! the code checks panic.

use keycadence_otp::payload::{self, Flow};
use keycadence_otp::{
    CodeBinding, OtpPolicy, OtpRecord, OtpService, PayloadKey, UnixMillis, UserIdentifier,
    VerifyPayload,
};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{Map, Value};

fn key() -> PayloadKey {
    PayloadKey::from_bytes([0x3c; 32])
}

/// Trimmed, non-empty text, as the lenient reader normalises it.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9@.+_é/\"\\\\-][A-Za-z0-9@.+_é/\"\\\\ -]{0,30}[A-Za-z0-9@.+_é/\"\\\\-]|[A-Za-z0-9]"
}

fn fields() -> impl Strategy<Value = VerifyPayload> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of("[a-z]{2}"),
        proptest::option::of(prop_oneof![Just(Flow::Standard), Just(Flow::ShowOtp)]),
        proptest::option::of(any::<u64>().prop_map(UnixMillis)),
    )
        .prop_map(
            |(email, phone_number, country_code, id, language, flow, ts)| VerifyPayload {
                email,
                phone_number,
                country_code,
                id,
                language,
                flow,
                ts,
            },
        )
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn sealed_payloads_open_to_the_same_fields(fields in fields(), seed in any::<u64>()) {
        let sealed = payload::seal(&key(), &fields, &mut StdRng::seed_from_u64(seed));
        prop_assert_eq!(payload::open_with_key(&key(), &sealed).unwrap(), fields);
    }

    #[test]
    fn arbitrary_payload_text_is_refused_without_panicking(text in ".{0,200}") {
        prop_assert!(payload::open_with_key(&key(), &text).is_err());
    }

    #[test]
    fn arbitrary_json_objects_are_read_or_refused_without_panicking(
        entries in prop::collection::vec(
            (prop_oneof![
                Just("email"), Just("phoneNumber"), Just("countryCode"), Just("id"),
                Just("language"), Just("flow"), Just("mode"), Just("ts"), Just("other"),
            ], json_value()),
            0..8,
        )
    ) {
        let object: Map<String, Value> = entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        if let Ok(read) = VerifyPayload::from_object(object) {
            let _ = read.identifiers();
        }
    }

    #[test]
    fn submitted_codes_match_the_issued_code_and_nothing_else(submitted in submitted_code()) {
        let otp = OtpService::new(OtpPolicy::default(), &[1; 32]).unwrap();
        let binding = CodeBinding::new("app", &UserIdentifier::Id("u".into()));
        let now = UnixMillis(1_000_000);
        let issued = otp.issue(&OtpRecord::default(), &binding, now, &mut StdRng::seed_from_u64(5)).unwrap();
        let submitted = submitted.text(issued.code.as_str());
        let v = otp.validate(&issued.next, &binding, &submitted, now);
        let is_the_code = submitted.split_whitespace().collect::<String>() == issued.code.as_str();
        prop_assert_eq!(v.outcome.verify_code().number() == 19, is_the_code, "{:?}", submitted);
    }
}

/// What a user submits for a code: any text, the issued code with spaces typed into it, or
/// the issued code with one digit wrong.
#[derive(Clone, Debug)]
enum Submitted {
    Text(String),
    Code { spaces_at: Vec<usize> },
    OneDigitOff { at: usize, by: u8 },
}

impl Submitted {
    fn text(&self, code: &str) -> String {
        match self {
            Submitted::Text(text) => text.clone(),
            Submitted::Code { spaces_at } => {
                let mut text = code.to_string();
                for &at in spaces_at {
                    text.insert(at.min(text.len()), ' ');
                }
                text
            }
            Submitted::OneDigitOff { at, by } => code
                .chars()
                .enumerate()
                .map(|(i, c)| match c.to_digit(10) {
                    Some(d) if i == at % code.len() => {
                        char::from_digit((d + 1 + u32::from(*by)) % 10, 10).unwrap()
                    }
                    _ => c,
                })
                .collect(),
        }
    }
}

/// A third each: arbitrary text (almost never the code), the code itself, a near miss.
fn submitted_code() -> impl Strategy<Value = Submitted> {
    prop_oneof![
        ".{0,12}".prop_map(Submitted::Text),
        prop::collection::vec(0usize..12, 0..3).prop_map(|spaces_at| Submitted::Code { spaces_at }),
        (0usize..12, 0u8..9).prop_map(|(at, by)| Submitted::OneDigitOff { at, by }),
    ]
}
