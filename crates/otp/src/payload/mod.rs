//! The Verify 2FA payload: the encrypted JSON that travels from the integrator's
//! backend through the browser and back. A body is authentic iff its payload decrypts with
//! the application's key; there is no other authentication on `/otp/send` and
//! `/otp/validate`.
//!
//! Server side: [`open`] (decrypt with the cached key of the stated or guessed version), then
//! [`FreshnessPolicy::check`] (code 108) and [`VerifyPayload::identifiers`] (109/111/112).
//! Client side and tests: [`seal`].

mod cipher;
mod fields;
mod identifier;
pub mod v2;

use std::fmt;
use std::time::Duration;

use rand::{CryptoRng, RngCore};
use serde_json::Value;
use sha2::Digest;

pub use cipher::{encrypt, encrypt_with_iv, Envelope, MAX_PAYLOAD_HEX};
pub use fields::{Flow, VerifyPayload};
pub use identifier::{UserIdentifier, UserIdentifiers};
pub use v2::Purpose;

use crate::keys::{KdfVersion, KeyCache, PayloadKey};
use crate::time::UnixMillis;

/// A payload field, for errors that say which one is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `email`.
    Email,
    /// `phoneNumber`.
    PhoneNumber,
    /// `countryCode`.
    CountryCode,
    /// `id`.
    Id,
    /// `language`.
    Language,
    /// `flow`.
    Flow,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Email => "email",
            Field::PhoneNumber => "phoneNumber",
            Field::CountryCode => "countryCode",
            Field::Id => "id",
            Field::Language => "language",
            Field::Flow => "flow",
        })
    }
}

/// Everything that can be wrong with a payload or the `version` beside it. Each maps to one
/// Verify error code in [`crate::verify_code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// No payload, or an empty one.
    #[error("the payload is missing or empty")]
    Missing,
    /// The payload text is longer than accepted.
    #[error("the payload is {len} characters long; at most {max} are accepted")]
    TooLong {
        /// Characters received.
        len: usize,
        /// The most accepted.
        max: usize,
    },
    /// A 1.x payload that is not hexadecimal.
    #[error("the payload is not hexadecimal")]
    NotHex,
    /// A 1.x payload that is not whole AES blocks of ciphertext plus an IV.
    #[error(
        "the payload has {hex_len} hex characters; it must be whole 16-byte blocks, \
         at least one of ciphertext followed by the 16-byte IV"
    )]
    BadLength {
        /// Hex characters received.
        hex_len: usize,
    },
    /// The `version` beside the payload is not one of the known endpoint versions.
    #[error("unsupported endpoint version {0}; expected 1.0 (scrypt) or 1.1 and later (PBKDF2)")]
    UnsupportedVersion(String),
    /// No key of the application decrypts the payload to a JSON object.
    #[error(
        "the payload does not decrypt to a JSON object with this application's key \
         (wrong secret or application, or altered in transit)"
    )]
    Undecryptable,
    /// A field has the wrong JSON type or an unusable value.
    #[error("field `{field}` must be {expected}")]
    FieldType {
        /// The field at fault.
        field: Field,
        /// What it must be.
        expected: &'static str,
    },
    /// `flow` is neither `standard` nor `show_otp`.
    #[error("unknown flow {0:?}; expected standard or show_otp")]
    UnknownFlow(String),
    /// `ts` is neither epoch milliseconds nor a PHP microtime string.
    #[error(
        "unreadable ts {0}; expected epoch milliseconds or PHP microtime \"fraction seconds\""
    )]
    BadTimestamp(String),
    /// The payload is older than the route allows.
    #[error("the payload expired: it is {age_ms} ms old and at most {max_age_ms} ms are allowed")]
    Expired {
        /// Its age, ms.
        age_ms: u64,
        /// The most allowed, ms.
        max_age_ms: u64,
    },
    /// `ts` lies further in the future than the allowed clock skew.
    #[error("the payload's ts is {ahead_ms} ms in the future, beyond the allowed clock skew of {max_skew_ms} ms")]
    FromTheFuture {
        /// How far ahead, ms.
        ahead_ms: u64,
        /// The most tolerated, ms.
        max_skew_ms: u64,
    },
    /// None of `email`, `phoneNumber` or `id` is present.
    #[error("no user identifier: email, phoneNumber or id is required")]
    MissingIdentifier,
    /// The e-mail address does not parse.
    #[error("invalid e-mail address: {reason}")]
    InvalidEmail {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The phone number does not make an E.164 number.
    #[error("invalid phone number: {reason}")]
    InvalidPhone {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The id is longer than 256 characters or holds control characters.
    #[error("invalid id: at most 256 characters and no control characters")]
    InvalidId,
    /// One field is given under both of its spellings (the text names it).
    #[error("the payload names one field under both of its spellings: {0}")]
    ConflictingFields(String),
    /// Not a protocol 2.0 payload (no `v2.` prefix) where only 2.0 is accepted.
    #[error("not a protocol 2.0 payload (they start with \"v2.\")")]
    NotV2,
    /// A 2.0 payload whose body is not base64url.
    #[error("the protocol 2.0 payload is not base64url")]
    NotBase64Url,
    /// A 2.0 payload too short to hold a nonce and a tag.
    #[error("the protocol 2.0 payload is too short to hold a nonce and a tag")]
    Truncated,
    /// A payload sealed for the other purpose.
    #[error("a {found} payload was sent where only {expected} payloads are accepted")]
    WrongPurpose {
        /// The purpose the route accepts.
        expected: Purpose,
        /// The purpose the payload was sealed for.
        found: Purpose,
    },
    /// The `purpose` field inside a 2.0 payload is missing or disagrees with how it was sealed.
    #[error("the payload's `purpose` field is missing or does not match how it was sealed")]
    PurposeField,
    /// The 2.0 payload's `jti` is missing or malformed.
    #[error("the payload's `jti` is missing or not 16-64 characters of A-Z a-z 0-9 - _")]
    BadJti,
    /// No `ts`, where the route requires one.
    #[error("the payload has no `ts`; this application requires one")]
    MissingTimestamp,
    /// A 1.x payload sent to an application that does not allow them.
    #[error(
        "protocol 1.x payloads are not accepted by this application (they are not \
         authenticated); use protocol 2.0, or allow legacy payloads for the application"
    )]
    LegacyNotAllowed,
    /// The payload was already used once.
    #[error("this payload was already used; make a new one for each request")]
    Replayed,
}

/// The `version` a request states beside its payload, which picks the key derivation: a number
/// (`1.1` from Node, PHP and C#), a string (`"1.1"` from Java), or absent (every data-attribute
/// payload and every request of a version 1.0 client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestedVersion {
    /// Try PBKDF2, then scrypt.
    Unstated,
    /// The endpoint version the request states; only its derivation is tried.
    Stated(KdfVersion),
}

impl RequestedVersion {
    /// Reads the request body's `version` value (`None` or `null` when absent). `1.0`/`1` is
    /// scrypt, `1.1` and anything later is PBKDF2; earlier or non-numeric versions are an
    /// error. Compared as decimal text, so `1.1` never suffers float rounding.
    pub fn from_json(version: Option<&Value>) -> Result<RequestedVersion, PayloadError> {
        let text = match version {
            None | Some(Value::Null) => return Ok(RequestedVersion::Unstated),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(RequestedVersion::Unstated),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(other) => return Err(PayloadError::UnsupportedVersion(other.to_string())),
        };
        let unsupported = || PayloadError::UnsupportedVersion(text.clone());
        let (major, minor) = text.split_once('.').unwrap_or((&text, "0"));
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(major) || !all_digits(minor) {
            return Err(unsupported());
        }
        let major: u64 = major.parse().map_err(|_| unsupported())?;
        let minor_is_zero = minor.bytes().all(|b| b == b'0');
        match (major, minor_is_zero) {
            (0, _) => Err(unsupported()),
            (1, true) => Ok(RequestedVersion::Stated(KdfVersion::V1_0Scrypt)),
            _ => Ok(RequestedVersion::Stated(KdfVersion::V1_1Pbkdf2)),
        }
    }
}

/// A decrypted payload and the key derivation that opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedPayload {
    /// The decrypted fields.
    pub payload: VerifyPayload,
    /// The key derivation that opened it.
    pub version: KdfVersion,
}

/// Decrypts a payload of `application_id` with keys from `cache`: derive the key, decrypt, read
/// the fields.
///
/// A stated version is tried alone; an unstated one tries PBKDF2, then scrypt. A key is taken
/// as right when the padding is valid and the plaintext is a JSON object. Field errors of the
/// decrypted object are reported as such (they mean the key was right).
pub fn open(
    cache: &KeyCache,
    application_id: &str,
    client_secret: &str,
    payload: &str,
    version: RequestedVersion,
) -> Result<OpenedPayload, PayloadError> {
    let envelope = Envelope::parse(payload)?;
    let candidates: &[KdfVersion] = match &version {
        RequestedVersion::Stated(v) => std::slice::from_ref(v),
        RequestedVersion::Unstated => &KdfVersion::TRIAL_ORDER,
    };
    for &kdf in candidates {
        let key = cache.key(client_secret, application_id, kdf);
        if let Some(object) = envelope
            .decrypt(&key)
            .as_deref()
            .and_then(fields::parse_object)
        {
            return Ok(OpenedPayload {
                payload: VerifyPayload::from_object(object)?,
                version: kdf,
            });
        }
    }
    Err(PayloadError::Undecryptable)
}

/// Decrypts a payload with a known key.
pub fn open_with_key(key: &PayloadKey, payload: &str) -> Result<VerifyPayload, PayloadError> {
    let plaintext = Envelope::parse(payload)?
        .decrypt(key)
        .ok_or(PayloadError::Undecryptable)?;
    let object = fields::parse_object(&plaintext).ok_or(PayloadError::Undecryptable)?;
    VerifyPayload::from_object(object)
}

/// How a route accepts payloads: for which purpose, whether protocol 1.x is allowed, and how
/// old a payload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptPolicy {
    /// The purpose the route serves.
    pub purpose: Purpose,
    /// Protocol 1.0 and 1.1 payloads: unauthenticated, so off unless an application asks.
    pub legacy: bool,
    /// How old a payload may be.
    pub freshness: FreshnessPolicy,
}

/// The protocol a payload was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Protocol 2.0 (AES-256-GCM, purpose-bound, single-use).
    V2,
    /// Protocol 1.0 or 1.1 (AES-256-CBC), with the key derivation that opened it.
    Legacy(KdfVersion),
}

/// A payload accepted by [`open_for`]: its fields, and what makes its use single.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedPayload {
    /// The decrypted fields.
    pub payload: VerifyPayload,
    /// The protocol it was made with.
    pub protocol: Protocol,
    /// Stored by the server until [`AcceptedPayload::usable_until`]; a second use of the
    /// same token is refused ([`PayloadError::Replayed`]). The `jti` of a 2.0 payload, a
    /// SHA-256 of the text of a 1.x one.
    pub replay_token: String,
    /// After this the payload is refused as expired anyway, so its use need not be kept.
    pub usable_until: UnixMillis,
}

/// Opens a request's payload under `policy`: a 2.0 payload of the route's purpose, or, only
/// where the application allows it, a 1.x payload; either must carry a fresh `ts`.
pub fn open_for(
    cache: &KeyCache,
    application_id: &str,
    client_secret: &str,
    text: &str,
    version: RequestedVersion,
    policy: &AcceptPolicy,
    now: UnixMillis,
) -> Result<AcceptedPayload, PayloadError> {
    let (payload, protocol, replay_token) = if text.trim_start().starts_with(v2::V2_PREFIX) {
        let key = v2::derive_key(client_secret, application_id);
        let opened = v2::open(&key, application_id, policy.purpose, text)?;
        (opened.payload, Protocol::V2, format!("jti:{}", opened.jti))
    } else {
        if !policy.legacy {
            return Err(PayloadError::LegacyNotAllowed);
        }
        let opened = open(cache, application_id, client_secret, text, version)?;
        let digest = sha2::Sha256::digest(text.trim().to_ascii_lowercase().as_bytes());
        (
            opened.payload,
            Protocol::Legacy(opened.version),
            format!("sha256:{}", hex::encode(digest)),
        )
    };
    let ts = payload.ts.ok_or(PayloadError::MissingTimestamp)?;
    policy.freshness.check(Some(ts), now)?;
    Ok(AcceptedPayload {
        payload,
        protocol,
        replay_token,
        usable_until: ts.plus(policy.freshness.max_age),
    })
}

/// Encrypts a payload as the official clients do (fresh IV, lower-case hex).
pub fn seal(
    key: &PayloadKey,
    payload: &VerifyPayload,
    rng: &mut (impl RngCore + CryptoRng),
) -> String {
    encrypt(key, payload.to_json().as_bytes(), rng)
}

/// How old a payload may be, by its `ts`. The age limit is unpublished, so it is a setting;
/// a `ts` ahead of the server's clock is tolerated up to `max_clock_skew`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessPolicy {
    /// Oldest a payload's `ts` may be.
    pub max_age: Duration,
    /// How far `ts` may lie ahead of the server's clock.
    pub max_clock_skew: Duration,
}

impl FreshnessPolicy {
    /// Payloads rendered into a page's data attributes: 30 minutes.
    pub const DATA_ATTRIBUTES: FreshnessPolicy = FreshnessPolicy {
        max_age: Duration::from_secs(30 * 60),
        max_clock_skew: Duration::from_secs(2 * 60),
    };
    /// Payloads of backend calls (`sendOTP`, `validateOTP`): 5 minutes.
    pub const BACKEND_CALL: FreshnessPolicy = FreshnessPolicy {
        max_age: Duration::from_secs(5 * 60),
        max_clock_skew: Duration::from_secs(2 * 60),
    };

    /// Refuses a payload whose `ts` is older than `max_age` ([`PayloadError::Expired`], code
    /// 108) or further ahead than the skew. A payload without `ts` passes: the Java and C#
    /// clients never send one.
    pub fn check(&self, ts: Option<UnixMillis>, now: UnixMillis) -> Result<(), PayloadError> {
        let Some(ts) = ts else { return Ok(()) };
        let max_age_ms = millis(self.max_age);
        let max_skew_ms = millis(self.max_clock_skew);
        if ts <= now {
            let age_ms = now.0 - ts.0;
            if age_ms > max_age_ms {
                return Err(PayloadError::Expired { age_ms, max_age_ms });
            }
        } else {
            let ahead_ms = ts.0 - now.0;
            if ahead_ms > max_skew_ms {
                return Err(PayloadError::FromTheFuture {
                    ahead_ms,
                    max_skew_ms,
                });
            }
        }
        Ok(())
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_is_read_from_numbers_strings_and_absence() {
        let stated = |v| Ok(RequestedVersion::Stated(v));
        assert_eq!(
            RequestedVersion::from_json(None),
            Ok(RequestedVersion::Unstated)
        );
        assert_eq!(
            RequestedVersion::from_json(Some(&Value::Null)),
            Ok(RequestedVersion::Unstated)
        );
        assert_eq!(
            RequestedVersion::from_json(Some(&json!(1.1))),
            stated(KdfVersion::V1_1Pbkdf2)
        );
        assert_eq!(
            RequestedVersion::from_json(Some(&json!("1.1"))),
            stated(KdfVersion::V1_1Pbkdf2)
        );
        assert_eq!(
            RequestedVersion::from_json(Some(&json!(1.2))),
            stated(KdfVersion::V1_1Pbkdf2)
        );
        assert_eq!(
            RequestedVersion::from_json(Some(&json!(2))),
            stated(KdfVersion::V1_1Pbkdf2)
        );
        assert_eq!(
            RequestedVersion::from_json(Some(&json!(1.0))),
            stated(KdfVersion::V1_0Scrypt)
        );
        assert_eq!(
            RequestedVersion::from_json(Some(&json!(1))),
            stated(KdfVersion::V1_0Scrypt)
        );
        assert_eq!(
            RequestedVersion::from_json(Some(&json!("1.0"))),
            stated(KdfVersion::V1_0Scrypt)
        );
        for bad in [
            json!(0.9),
            json!("v1.1"),
            json!(true),
            json!(-1),
            json!("1.1.1"),
        ] {
            assert!(
                matches!(
                    RequestedVersion::from_json(Some(&bad)),
                    Err(PayloadError::UnsupportedVersion(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn freshness_refuses_old_and_far_future_payloads_only() {
        let policy = FreshnessPolicy::BACKEND_CALL;
        let now = UnixMillis(1_700_000_000_000);
        assert_eq!(policy.check(None, now), Ok(()));
        assert_eq!(
            policy.check(Some(now.minus(Duration::from_secs(300))), now),
            Ok(())
        );
        assert_eq!(
            policy.check(Some(now.minus(Duration::from_millis(300_001))), now),
            Err(PayloadError::Expired {
                age_ms: 300_001,
                max_age_ms: 300_000
            })
        );
        assert_eq!(
            policy.check(Some(now.plus(Duration::from_secs(60))), now),
            Ok(())
        );
        assert!(matches!(
            policy.check(Some(now.plus(Duration::from_secs(600))), now),
            Err(PayloadError::FromTheFuture { .. })
        ));
    }
}
