//! Verify one-time codes: issued by `/otp/send` (or handed to the Verify
//! window), checked by `/otp/validate`. One live code per (application, user); stored only as
//! a keyed hash ([`crate::hashing`]); single use; expiring; guesses limited per user with a
//! lock-out reported as `limitedUntil`; sends limited per user and window.
//!
//! Every operation is a pure transition: it reads an [`OtpRecord`] and returns the next one,
//! which the server persists. For `/otp/send`, persist the record only after delivery
//! succeeded: a provider error (code 26) then consumes neither a send nor the old code.

use std::fmt;
use std::time::Duration;

use rand::{CryptoRng, Rng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hashing::{CodeHash, CodeHasher, PepperTooShort};
use crate::limiter::{AttemptPolicy, AttemptState, FailureEffect};
use crate::payload::UserIdentifier;
use crate::time::UnixMillis;

const HASH_DOMAIN: &str = "keycadence-otp/verify-code/v1";
/// Code lengths offered. Codes never start with 0 (the wire may carry them as JSON numbers),
/// and at most nine digits keep them exact in every client's number type.
pub const CODE_LENGTHS: std::ops::RangeInclusive<u8> = 4..=9;

/// Settings of Verify codes (per application or server-wide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    /// Digits per code, within [`CODE_LENGTHS`].
    pub code_length: u8,
    /// How long a code stays valid after it is issued.
    pub lifetime: Duration,
    /// Wrong codes allowed per user before a lock-out.
    pub attempts: AttemptPolicy,
    /// Codes that may be sent to one user per `send_window`.
    pub max_sends: u32,
    /// The window `max_sends` counts over.
    pub send_window: Duration,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        OtpPolicy {
            code_length: 6,
            lifetime: Duration::from_secs(10 * 60),
            attempts: AttemptPolicy::default(),
            max_sends: 5,
            send_window: Duration::from_secs(60 * 60),
        }
    }
}

/// A setting outside its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OtpConfigError {
    /// The code length is outside [`CODE_LENGTHS`].
    #[error("code length {0} is outside 4-9 digits")]
    CodeLength(u8),
    /// The code lifetime is zero.
    #[error("the code lifetime must be positive")]
    ZeroLifetime,
    /// No failed attempt allowed, or a zero lock-out.
    #[error(
        "at least one failed attempt must be allowed before a lock-out, lasting a positive time"
    )]
    NoAttempts,
    /// No send allowed, or a zero send window.
    #[error("at least one send per positive window must be allowed")]
    NoSends,
    /// The pepper is shorter than the minimum.
    #[error(transparent)]
    Pepper(#[from] PepperTooShort),
}

/// The user a code belongs to: codes of one application never open another's users.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeBinding {
    application_id: String,
    user_key: String,
}

impl CodeBinding {
    /// The binding of codes for `user` of application `application_id`.
    pub fn new(application_id: &str, user: &UserIdentifier) -> CodeBinding {
        CodeBinding {
            application_id: application_id.to_owned(),
            user_key: user.key(),
        }
    }

    /// The text the server can key its record by (application id and user key).
    pub fn storage_key(&self) -> (&str, &str) {
        (&self.application_id, &self.user_key)
    }
}

/// What the server persists per (application, user).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpRecord {
    /// The live code, if one was issued and is not yet used, voided or known to be expired.
    pub code: Option<LiveCode>,
    /// Wrong codes counted towards a lock-out.
    pub attempts: AttemptState,
    /// Codes sent in the current send window.
    pub sends: SendWindow,
}

/// The code waiting to be validated, as stored: its hash, never the digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveCode {
    /// Peppered hash of the code, bound to its user.
    pub hash: CodeHash,
    /// When the code stops being accepted.
    pub expires_at: UnixMillis,
}

/// Sends counted in the current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendWindow {
    /// When the current window began (`None`: nothing sent yet).
    pub started_at: Option<UnixMillis>,
    /// Codes sent since then.
    pub count: u32,
}

/// A freshly generated code. Its `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    /// The digits, to deliver.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as the number the wire's `otp` field carries (exact: no leading zero).
    pub fn as_number(&self) -> u64 {
        self.0
            .parse()
            .expect("generated codes are 4-9 decimal digits")
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OneTimeCode({} digits)", self.0.len())
    }
}

/// The result of [`OtpService::issue`]: deliver `code`, then persist `next`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    /// The code to deliver (never persisted).
    pub code: OneTimeCode,
    /// The record to persist.
    pub next: OtpRecord,
}

/// Why no code was issued (Verify code 13, with `limitedUntil`). Nothing changes: keep the
/// stored record as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendRefused {
    /// Too many codes sent in the current window.
    #[error("too many codes sent in this window; more may be sent from {limited_until:?}")]
    TooManySends {
        /// When the window ends.
        limited_until: UnixMillis,
    },
    /// The user is locked out after failed attempts.
    #[error("the user is locked out after failed attempts until {limited_until:?}")]
    LockedOut {
        /// When the lock-out ends.
        limited_until: UnixMillis,
    },
}

impl SendRefused {
    /// When a code may be sent again.
    pub fn limited_until(&self) -> UnixMillis {
        match *self {
            SendRefused::TooManySends { limited_until }
            | SendRefused::LockedOut { limited_until } => limited_until,
        }
    }
}

/// The answer to a submitted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidateOutcome {
    /// Code 19: the code matched and is now used up.
    Matched,
    /// Code 10: wrong, expired, malformed, or no code was issued.
    Invalid,
    /// Code 11: this wrong code used the last allowed attempt; locked until `limited_until`.
    TooManyFailures {
        /// When the lock-out ends.
        limited_until: UnixMillis,
    },
    /// Code 12: the user is locked out; the code was not even checked.
    LockedOut {
        /// When the lock-out ends.
        limited_until: UnixMillis,
    },
}

/// The result of [`OtpService::validate`]: answer with `outcome`, then persist `next` (it
/// changes on every outcome except [`ValidateOutcome::LockedOut`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// What to answer.
    pub outcome: ValidateOutcome,
    /// The record to persist.
    pub next: OtpRecord,
}

/// A submitted `code` that is neither a string nor a non-negative integer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the code must be a string or a non-negative integer, not {0}")]
pub struct CodeFieldError(pub String);

/// Reads the request's `code`, which clients send as a string or a JSON number.
pub fn code_from_json(value: &Value) -> Result<String, CodeFieldError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        other => Err(CodeFieldError(other.to_string())),
    }
}

/// Issues and checks Verify codes under one policy and pepper.
#[derive(Debug, Clone)]
pub struct OtpService {
    policy: OtpPolicy,
    hasher: CodeHasher,
}

impl OtpService {
    /// A service with `policy`, checked against its ranges, and `pepper` for the code hashes.
    pub fn new(policy: OtpPolicy, pepper: &[u8]) -> Result<OtpService, OtpConfigError> {
        if !CODE_LENGTHS.contains(&policy.code_length) {
            return Err(OtpConfigError::CodeLength(policy.code_length));
        }
        if policy.lifetime.is_zero() {
            return Err(OtpConfigError::ZeroLifetime);
        }
        if policy.attempts.max_failures == 0 || policy.attempts.lockout.is_zero() {
            return Err(OtpConfigError::NoAttempts);
        }
        if policy.max_sends == 0 || policy.send_window.is_zero() {
            return Err(OtpConfigError::NoSends);
        }
        Ok(OtpService {
            policy,
            hasher: CodeHasher::new(pepper)?,
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> &OtpPolicy {
        &self.policy
    }

    /// Generates a new code for `user`, replacing any live one. Refused while the user is
    /// locked out or has used up the sends of the current window. Failures so far are kept:
    /// asking for a new code does not buy new guesses.
    pub fn issue(
        &self,
        record: &OtpRecord,
        user: &CodeBinding,
        now: UnixMillis,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<IssuedCode, SendRefused> {
        let attempts = record.attempts.at(now);
        if let Some(limited_until) = attempts.locked_until(now) {
            return Err(SendRefused::LockedOut { limited_until });
        }
        let window = match record.sends.started_at {
            Some(start) if now < start.plus(self.policy.send_window) => record.sends,
            _ => SendWindow {
                started_at: Some(now),
                count: 0,
            },
        };
        if window.count >= self.policy.max_sends {
            let start = window.started_at.expect("a counted window has a start");
            return Err(SendRefused::TooManySends {
                limited_until: start.plus(self.policy.send_window),
            });
        }
        let code = generate_code(self.policy.code_length, rng);
        let next = OtpRecord {
            code: Some(LiveCode {
                hash: self.hash(user, code.as_str()),
                expires_at: now.plus(self.policy.lifetime),
            }),
            attempts,
            sends: SendWindow {
                count: window.count + 1,
                ..window
            },
        };
        Ok(IssuedCode { code, next })
    }

    /// Checks a submitted code. A match uses the code up and clears the failure count, but
    /// not the send window: otherwise whoever can validate could send without limit; a wrong or expired code counts as a failure; a malformed one (not
    /// exactly `code_length` digits once spaces are removed) is refused without counting,
    /// as it cannot be a guess at a real code.
    pub fn validate(
        &self,
        record: &OtpRecord,
        user: &CodeBinding,
        submitted: &str,
        now: UnixMillis,
    ) -> Validation {
        let attempts = record.attempts.at(now);
        if let Some(limited_until) = attempts.locked_until(now) {
            return Validation {
                outcome: ValidateOutcome::LockedOut { limited_until },
                next: record.clone(),
            };
        }
        let live = record.code.filter(|code| now < code.expires_at);
        let Some(submitted) = normalise_submitted(submitted, self.policy.code_length) else {
            return Validation {
                outcome: ValidateOutcome::Invalid,
                next: OtpRecord {
                    code: live,
                    attempts,
                    sends: record.sends,
                },
            };
        };
        if let Some(code) = live {
            if code.hash.matches(&self.hash(user, &submitted)) {
                return Validation {
                    outcome: ValidateOutcome::Matched,
                    next: OtpRecord {
                        code: None,
                        attempts: attempts.succeed(),
                        sends: record.sends,
                    },
                };
            }
        }
        let (attempts, effect) = attempts.fail(&self.policy.attempts, now);
        let (outcome, code) = match effect {
            FailureEffect::Counted { .. } => (ValidateOutcome::Invalid, live),
            // A lock-out voids the live code: after it, a new one must be requested.
            FailureEffect::LockedOut { until } => (
                ValidateOutcome::TooManyFailures {
                    limited_until: until,
                },
                None,
            ),
        };
        Validation {
            outcome,
            next: OtpRecord {
                code,
                attempts,
                sends: record.sends,
            },
        }
    }

    fn hash(&self, user: &CodeBinding, code: &str) -> CodeHash {
        self.hasher.hash(
            HASH_DOMAIN,
            &[
                user.application_id.as_bytes(),
                user.user_key.as_bytes(),
                code.as_bytes(),
            ],
        )
    }
}

/// A code of `length` digits, uniform over 10^(length-1) .. 10^length (no leading zero).
fn generate_code(length: u8, rng: &mut (impl RngCore + CryptoRng)) -> OneTimeCode {
    let low = 10u64.pow(u32::from(length) - 1);
    OneTimeCode(rng.gen_range(low..low * 10).to_string())
}

/// The digits of a submitted code with whitespace removed, if it has the expected length.
fn normalise_submitted(submitted: &str, length: u8) -> Option<String> {
    let digits: String = submitted.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == usize::from(length) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn codes_have_the_configured_length_and_never_a_leading_zero() {
        let mut rng = StdRng::seed_from_u64(1);
        for length in CODE_LENGTHS {
            for _ in 0..200 {
                let code = generate_code(length, &mut rng);
                assert_eq!(code.as_str().len(), usize::from(length));
                assert!(!code.as_str().starts_with('0'));
                assert_eq!(code.as_number().to_string(), code.as_str());
            }
        }
    }

    #[test]
    fn every_digit_position_is_close_to_uniform() {
        // 60 000 six-digit codes: each of the 10 digits in positions 2-6 expects 6 000
        // occurrences (first position: 1-9, 6 667 each). A biased generator (e.g. modulo
        // of a small range) would be off by far more than the 4 % tolerance.
        let mut rng = StdRng::seed_from_u64(7);
        let mut counts = [[0u32; 10]; 6];
        for _ in 0..60_000 {
            for (pos, b) in generate_code(6, &mut rng).as_str().bytes().enumerate() {
                counts[pos][usize::from(b - b'0')] += 1;
            }
        }
        assert_eq!(counts[0][0], 0);
        for &c in &counts[0][1..] {
            assert!((6_400..=6_934).contains(&c), "first digit count {c}");
        }
        for (pos, position_counts) in counts.iter().enumerate().skip(1) {
            for &c in position_counts {
                assert!((5_760..=6_240).contains(&c), "position {pos} count {c}");
            }
        }
    }

    #[test]
    fn submitted_codes_are_read_from_strings_and_numbers() {
        assert_eq!(
            code_from_json(&serde_json::json!("270015")).unwrap(),
            "270015"
        );
        assert_eq!(
            code_from_json(&serde_json::json!(270015)).unwrap(),
            "270015"
        );
        assert!(code_from_json(&serde_json::json!(-1)).is_err());
        assert!(code_from_json(&serde_json::json!(2.5)).is_err());
        assert!(code_from_json(&serde_json::Value::Null).is_err());
        assert_eq!(
            normalise_submitted(" 270 015 ", 6).as_deref(),
            Some("270015")
        );
        assert_eq!(normalise_submitted("27001", 6), None);
        assert_eq!(normalise_submitted("27001x", 6), None);
    }

    #[test]
    fn out_of_range_policies_are_refused() {
        let pepper = [9u8; 32];
        let with = |f: fn(&mut OtpPolicy)| {
            let mut p = OtpPolicy::default();
            f(&mut p);
            OtpService::new(p, &pepper).map(|_| ())
        };
        assert_eq!(
            with(|p| p.code_length = 3),
            Err(OtpConfigError::CodeLength(3))
        );
        assert_eq!(
            with(|p| p.code_length = 10),
            Err(OtpConfigError::CodeLength(10))
        );
        assert_eq!(
            with(|p| p.lifetime = Duration::ZERO),
            Err(OtpConfigError::ZeroLifetime)
        );
        assert_eq!(
            with(|p| p.attempts.max_failures = 0),
            Err(OtpConfigError::NoAttempts)
        );
        assert_eq!(with(|p| p.max_sends = 0), Err(OtpConfigError::NoSends));
        assert_eq!(
            OtpService::new(OtpPolicy::default(), &[1; 8]).map(|_| ()),
            Err(OtpConfigError::Pepper(PepperTooShort { len: 8 }))
        );
    }
}
