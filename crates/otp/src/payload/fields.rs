//! The JSON inside a payload and its lenient reading: `null` is absent,
//! `flow` or its older name `mode` in any letter case, `ts` as epoch-ms number, as PHP's
//! `microtime()` string `"fraction seconds"`, or missing; bytes that are not UTF-8 are read as
//! Latin-1 (the Java client encrypts with the JVM's default charset).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Field, PayloadError};
use crate::time::UnixMillis;

/// Which Verify flow the window runs: hand the code to the page, or show it for copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// The window hands the OTP straight to the page.
    Standard,
    /// The window shows the OTP and the user copies it.
    ShowOtp,
}

/// The fields of a decrypted payload, normalised. Empty strings and `null` are absent;
/// `language` is lower case; `ts` is epoch milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyPayload {
    /// The user's e-mail address, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The user's phone number as sent: international (`+` or `00`), or national with
    /// `country_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Country calling code for a national `phone_number`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// The free identifier of applications with RoT disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Language of the message sent, lower-cased (e.g. `en`, `pt-br`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// How the Verify window delivers the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<Flow>,
    /// When the payload was made, epoch ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<UnixMillis>,
}

/// The keys as clients write them; every one may be missing or `null`. Unknown keys are
/// ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFields {
    #[serde(default)]
    email: Value,
    #[serde(default, alias = "phone_number")]
    phone_number: Value,
    #[serde(default, alias = "country_code")]
    country_code: Value,
    #[serde(default)]
    id: Value,
    #[serde(default)]
    language: Value,
    #[serde(default)]
    flow: Value,
    #[serde(default)]
    mode: Value,
    #[serde(default)]
    ts: Value,
}

impl VerifyPayload {
    /// The compact JSON a Node client would encrypt for these fields (key order email,
    /// phoneNumber, countryCode, id, language, flow, ts; absent fields left out).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain strings and numbers always serialise")
    }

    /// Reads the fields of a decrypted JSON object.
    pub fn from_object(object: Map<String, Value>) -> Result<VerifyPayload, PayloadError> {
        // Every field is an optional Value, so the one way this fails is a key given under
        // both of its spellings (`phoneNumber` and `phone_number`).
        let raw = RawFields::deserialize(Value::Object(object))
            .map_err(|err| PayloadError::ConflictingFields(err.to_string()))?;
        let flow_value = if raw.flow.is_null() {
            raw.mode
        } else {
            raw.flow
        };
        Ok(VerifyPayload {
            email: text(Field::Email, raw.email, false)?,
            phone_number: text(Field::PhoneNumber, raw.phone_number, true)?,
            country_code: text(Field::CountryCode, raw.country_code, true)?,
            id: text(Field::Id, raw.id, true)?,
            language: text(Field::Language, raw.language, false)?.map(|l| l.to_lowercase()),
            flow: text(Field::Flow, flow_value, false)?
                .map(|f| parse_flow(&f))
                .transpose()?,
            ts: timestamp(raw.ts)?,
        })
    }
}

/// Parses plaintext bytes as a JSON object; `None` when they are not one (which, for a
/// payload without a MAC, is how a wrong key shows itself).
pub(crate) fn parse_object(plaintext: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(&decode_text(plaintext)) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

/// UTF-8 when valid, otherwise Latin-1 (every byte is the code point of the same value).
fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// A string field, trimmed; `null` and empty are absent. Numbers are accepted where a client
/// may plausibly send digits as a number (phone number, country code, id).
fn text(field: Field, value: Value, numbers_allowed: bool) -> Result<Option<String>, PayloadError> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(s) => s,
        Value::Number(n) if numbers_allowed => n.to_string(),
        _ => {
            return Err(PayloadError::FieldType {
                field,
                expected: if numbers_allowed {
                    "a string or a number"
                } else {
                    "a string"
                },
            })
        }
    };
    let trimmed = text.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

fn parse_flow(flow: &str) -> Result<Flow, PayloadError> {
    match flow.to_ascii_lowercase().replace('-', "_").as_str() {
        "standard" => Ok(Flow::Standard),
        "show_otp" | "showotp" => Ok(Flow::ShowOtp),
        _ => Err(PayloadError::UnknownFlow(flow.to_owned())),
    }
}

fn timestamp(value: Value) -> Result<Option<UnixMillis>, PayloadError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => millis_from_number(&n.to_string()).map(Some),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else if let Some((fraction, seconds)) = s.split_once(char::is_whitespace) {
                microtime(fraction, seconds.trim()).map(Some)
            } else {
                millis_from_number(s).map(Some)
            }
        }
        other => Err(PayloadError::BadTimestamp(other.to_string())),
    }
}

/// Epoch milliseconds written as a JSON number or a numeric string, fractions dropped.
fn millis_from_number(text: &str) -> Result<UnixMillis, PayloadError> {
    let bad = || PayloadError::BadTimestamp(text.to_owned());
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(UnixMillis(ms));
    }
    let ms: f64 = text.parse().map_err(|_| bad())?;
    if !ms.is_finite() || ms < 0.0 || ms >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(UnixMillis(ms.floor() as u64))
}

/// PHP `microtime()`: `"0.25139300 1620379408"`, the fraction of a second then whole seconds.
fn microtime(fraction: &str, seconds: &str) -> Result<UnixMillis, PayloadError> {
    let bad = || PayloadError::BadTimestamp(format!("{fraction} {seconds}"));
    let seconds: u64 = seconds.parse().map_err(|_| bad())?;
    let fraction: f64 = fraction.parse().map_err(|_| bad())?;
    if !(0.0..1.0).contains(&fraction) {
        return Err(bad());
    }
    let millis = seconds
        .checked_mul(1000)
        .and_then(|ms| ms.checked_add((fraction * 1000.0).floor() as u64))
        .ok_or_else(bad)?;
    Ok(UnixMillis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<VerifyPayload, PayloadError> {
        VerifyPayload::from_object(parse_object(json.as_bytes()).expect("a JSON object"))
    }

    #[test]
    fn node_client_payload_reads_back() {
        let p = read(
            r#"{"email":"alice@example.com","phoneNumber":"+40 722 000 000","countryCode":"40",
                "language":"EN","flow":"standard","ts":1700000000000}"#,
        )
        .unwrap();
        assert_eq!(p.email.as_deref(), Some("alice@example.com"));
        assert_eq!(p.phone_number.as_deref(), Some("+40 722 000 000"));
        assert_eq!(p.country_code.as_deref(), Some("40"));
        assert_eq!(p.language.as_deref(), Some("en"));
        assert_eq!(p.flow, Some(Flow::Standard));
        assert_eq!(p.ts, Some(UnixMillis(1_700_000_000_000)));
    }

    #[test]
    fn php_payload_with_mode_and_microtime_reads_back() {
        let p = read(
            r#"{"email":"bob\/x@example.com","mode":"SHOW_OTP","ts":"0.25139300 1620379408"}"#,
        )
        .unwrap();
        assert_eq!(p.email.as_deref(), Some("bob/x@example.com"));
        assert_eq!(p.flow, Some(Flow::ShowOtp));
        assert_eq!(p.ts, Some(UnixMillis(1_620_379_408_251)));
    }

    #[test]
    fn csharp_payload_with_nulls_and_no_ts_reads_back() {
        let p = read(
            r#"{"email":null,"phoneNumber":"+15551234567","language":"EN","flow":"STANDARD"}"#,
        )
        .unwrap();
        assert_eq!(p.email, None);
        assert_eq!(p.phone_number.as_deref(), Some("+15551234567"));
        assert_eq!(p.ts, None);
    }

    #[test]
    fn flow_wins_over_mode_and_numbers_are_accepted_for_digit_fields() {
        let p = read(r#"{"flow":"standard","mode":"show_otp","phoneNumber":15551234567,"countryCode":1,"ts":"1700000000000"}"#)
            .unwrap();
        assert_eq!(p.flow, Some(Flow::Standard));
        assert_eq!(p.phone_number.as_deref(), Some("15551234567"));
        assert_eq!(p.country_code.as_deref(), Some("1"));
        assert_eq!(p.ts, Some(UnixMillis(1_700_000_000_000)));
    }

    #[test]
    fn latin1_plaintext_is_read_when_not_utf8() {
        let mut bytes = br#"{"email":"jos"#.to_vec();
        bytes.push(0xE9); // 'é' in Latin-1, invalid alone in UTF-8
        bytes.extend_from_slice(br#"@example.com"}"#);
        let p = VerifyPayload::from_object(parse_object(&bytes).unwrap()).unwrap();
        assert_eq!(p.email.as_deref(), Some("josé@example.com"));
    }

    #[test]
    fn wrong_types_and_unknown_values_are_specific_errors() {
        assert_eq!(
            read(r#"{"email":42}"#),
            Err(PayloadError::FieldType {
                field: Field::Email,
                expected: "a string"
            })
        );
        assert_eq!(
            read(r#"{"flow":"fast"}"#),
            Err(PayloadError::UnknownFlow("fast".into()))
        );
        assert_eq!(
            read(r#"{"ts":true}"#),
            Err(PayloadError::BadTimestamp("true".into()))
        );
        assert_eq!(
            read(r#"{"ts":-5}"#),
            Err(PayloadError::BadTimestamp("-5".into()))
        );
        assert_eq!(
            read(r#"{"ts":"soon"}"#),
            Err(PayloadError::BadTimestamp("soon".into()))
        );
        assert_eq!(
            read(r#"{"ts":"1.5 1620379408"}"#),
            Err(PayloadError::BadTimestamp("1.5 1620379408".into()))
        );
    }

    #[test]
    fn a_field_under_both_spellings_is_an_error_not_a_panic() {
        assert!(matches!(
            read(r#"{"phoneNumber":"+15551234567","phone_number":"+15551234568"}"#),
            Err(PayloadError::ConflictingFields(_))
        ));
        assert!(matches!(
            read(r#"{"countryCode":"1","country_code":"1"}"#),
            Err(PayloadError::ConflictingFields(_))
        ));
    }

    #[test]
    fn microtime_beyond_the_millisecond_range_is_an_error() {
        let max_seconds = u64::MAX / 1000;
        assert!(matches!(
            read(&format!(r#"{{"ts":"0.999 {max_seconds}"}}"#)),
            Err(PayloadError::BadTimestamp(_))
        ));
        assert!(matches!(
            read(&format!(r#"{{"ts":"0.1 {}"}}"#, max_seconds + 1)),
            Err(PayloadError::BadTimestamp(_))
        ));
    }

    #[test]
    fn non_objects_are_not_payloads() {
        assert!(parse_object(b"[1,2]").is_none());
        assert!(parse_object(b"\"text\"").is_none());
        assert!(parse_object(b"{\"email\":").is_none());
    }

    #[test]
    fn serialisation_matches_the_node_client_byte_for_byte() {
        let p = VerifyPayload {
            email: Some("alice@example.com".into()),
            ts: Some(UnixMillis(1_700_000_000_000)),
            ..Default::default()
        };
        assert_eq!(
            p.to_json(),
            r#"{"email":"alice@example.com","ts":1700000000000}"#
        );
        let full = VerifyPayload {
            language: Some("en".into()),
            flow: Some(Flow::ShowOtp),
            ..p
        };
        assert_eq!(read(&full.to_json()).unwrap(), full);
    }
}
