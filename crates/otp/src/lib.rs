//! # keycadence-otp
//!
//! The sans-IO domain layer of keycadence's one-time codes: no HTTP, no database, no clock.
//! The server passes time in as [`UnixMillis`], randomness as a `CryptoRng`, loads the
//! records below, calls a pure transition and persists what comes back.
//!
//! | module | job | the server persists |
//! |---|---|---|
//! | [`payload`] | Verify payload: protocol 2.0 ([`payload::v2`]: AES-256-GCM, HKDF key, purpose, single-use `jti`) and the legacy 1.x (AES-256-CBC, hex ct‖IV, PBKDF2/scrypt keys), lenient fields, freshness, identifiers; [`payload::open_for`] accepts what a route allows | the uses of payloads (until they expire) |
//! | [`keys`] | key derivation and the per-application [`KeyCache`] | nothing (in memory) |
//! | [`codes`] | Verify codes: issue, validate, single use, expiry, attempt and send limits | [`OtpRecord`] per (application, user) |
//! | [`totp`] | RFC 4226/6238, configs, secrets, otpauth URI and QR, [`TotpFactor`] | [`TotpFactor`] per factor |
//! | [`challenge`] | pending/approved/expired/denied challenges | [`Challenge`] per challenge |
//! | [`backup`] | ten single-use argon2-hashed backup codes | [`BackupCodeSet`] per user |
//! | [`at_rest`] | AES-256-GCM sealing of secrets with key ids and rotation | [`SealedSecret`] inside the records |
//! | [`verify_code`] | Verify codes and the one mapping from errors and outcomes to codes | |
//! | [`limiter`] | failed-attempt counting and lock-out shared by the above | [`AttemptState`] inside the records |
//!
//! ## `/otp/send` and `/otp/validate`
//!
//! ```
//! use keycadence_otp::{payload, CodeBinding, FreshnessPolicy, KeyCache, KdfVersion, OtpPolicy,
//!     OtpRecord, OtpService, PayloadKey, RequestedVersion, UnixMillis, ValidateOutcome,
//!     VerifyPayload};
//! use rand::rngs::OsRng;
//!
//! // Server start-up: one key cache, one code service (pepper from the configuration).
//! let cache = KeyCache::new(1024);
//! let otp = OtpService::new(OtpPolicy::default(), &[0x5a; 32]).unwrap();
//! let (app_id, secret) = ("app456", "s3cr3t"); // looked up by applicationId (else 106)
//! let now = UnixMillis(1_700_000_000_000);
//!
//! // What the integrator's backend client sends (here made with the same crate).
//! let client_key = PayloadKey::derive(secret, app_id, KdfVersion::V1_1Pbkdf2);
//! let fields = VerifyPayload { email: Some("Alice@example.com".into()), ts: Some(now),
//!     ..Default::default() };
//! let body_payload = payload::seal(&client_key, &fields, &mut OsRng);
//! let body_version = serde_json::json!(1.1);
//!
//! // POST /otp/send
//! let version = RequestedVersion::from_json(Some(&body_version)).unwrap();
//! let opened = payload::open(&cache, app_id, secret, &body_payload, version).unwrap();
//! FreshnessPolicy::BACKEND_CALL.check(opened.payload.ts, now).unwrap(); // else 108
//! let user = opened.payload.identifiers().unwrap().primary();             // else 109/111/112
//! let binding = CodeBinding::new(app_id, &user);
//! let stored = OtpRecord::default(); // load by binding.storage_key(), default when absent
//! let issued = otp.issue(&stored, &binding, now, &mut OsRng).unwrap();    // else 13
//! // ... deliver issued.code.as_str() by e-mail; only on success persist issued.next and
//! // answer code 9 with "otp": issued.code.as_number(). On a provider error answer 26 and
//! // persist nothing.
//! let stored = issued.next;
//!
//! // POST /otp/validate, same payload fields plus "code".
//! let check = otp.validate(&stored, &binding, issued.code.as_str(), now);
//! assert_eq!(check.outcome, ValidateOutcome::Matched);
//! assert_eq!(check.outcome.verify_code().number(), 19);
//! let stored = check.next; // persist; the code is used up:
//! let again = otp.validate(&stored, &binding, issued.code.as_str(), now);
//! assert_eq!(again.outcome.verify_code().number(), 10);
//! ```
//!
//! ## TOTP factor, challenge, backup codes
//!
//! ```
//! use keycadence_otp::{totp, AtRestKey, AttemptPolicy, BackupCodes, BackupHashCost, Challenge,
//!     ChallengeStatus, FactorAccess, FactorLabel, SecretSealer, TotpConfig, TotpFactor,
//!     TotpSecret, TotpOutcome, UnixMillis};
//! use rand::rngs::OsRng;
//!
//! let sealer = SecretSealer::new(&AtRestKey::generate(&mut OsRng)); // key from configuration
//! let limits = AttemptPolicy::default();
//! let label = FactorLabel::new("Acme", "alice@example.com").unwrap();
//! let secret = TotpSecret::generate(&mut OsRng);
//! let created = TotpFactor::create(TotpConfig::default(), &secret, &label, &sealer, "YF01",
//!     &mut OsRng).unwrap();
//! // Show created.secret_base32, created.uri and created.qr_svg once; persist created.factor.
//!
//! let now = UnixMillis::from_secs(1_700_000_000);
//! let code = totp::totp(&secret, now.as_secs(), &TotpConfig::default()); // from the app
//! let check = created.factor.check(&code, &sealer, "YF01", &limits, now).unwrap();
//! assert!(matches!(check.outcome, TotpOutcome::Accepted { newly_verified: true, .. }));
//! let factor = check.next; // verified; persist
//!
//! // A later login: a challenge answered with the next step's code.
//! let later = UnixMillis::from_secs(1_700_000_030);
//! let code = totp::totp(&secret, later.as_secs(), &TotpConfig::default());
//! let access = FactorAccess { factor: &factor, factor_id: "YF01", sealer: &sealer,
//!     policy: &limits };
//! let answer = Challenge::create(access, &code, None, later).unwrap();
//! assert_eq!(answer.challenge.status, ChallengeStatus::Approved);
//!
//! // Backup codes: show new.codes once, persist new.set.
//! let backup = BackupCodes::new(&[0x5a; 32], BackupHashCost { memory_kib: 1024, passes: 1 })
//!     .unwrap();
//! let new = backup.generate(&mut OsRng);
//! let used = backup.redeem(&new.set, &new.codes[0].display(), &limits, later);
//! assert_eq!(used.next.remaining(), 9);
//! ```

#![warn(missing_docs)]

pub mod at_rest;
pub mod backup;
pub mod challenge;
pub mod codes;
pub mod hashing;
pub mod keys;
pub mod limiter;
pub mod payload;
pub mod time;
pub mod totp;
pub mod verify_code;

pub use at_rest::{AtRestError, AtRestKey, AtRestKeyError, SealedSecret, SecretSealer};
pub use backup::{
    BackupCode, BackupCodeSet, BackupCodes, BackupConfigError, BackupHashCost, BackupOutcome,
    NewBackupCodes, Redemption,
};
pub use challenge::{Challenge, ChallengeAnswer, ChallengeError, ChallengeStatus, FactorAccess};
pub use codes::{
    code_from_json, CodeBinding, CodeFieldError, IssuedCode, OneTimeCode, OtpConfigError,
    OtpPolicy, OtpRecord, OtpService, SendRefused, ValidateOutcome, Validation,
};
pub use hashing::{CodeHash, PepperTooShort};
pub use keys::{KdfVersion, KeyCache, PayloadKey};
pub use limiter::{AttemptPolicy, AttemptState};
pub use payload::{
    FreshnessPolicy, OpenedPayload, PayloadError, RequestedVersion, UserIdentifier,
    UserIdentifiers, VerifyPayload,
};
pub use time::UnixMillis;
pub use totp::factor::{FactorCheck, FactorStatus, NewFactor, TotpFactor, TotpOutcome};
pub use totp::uri::{FactorLabel, LabelError};
pub use totp::{Algorithm, SecretError, TotpConfig, TotpConfigError, TotpSecret};
pub use verify_code::VerifyCode;
