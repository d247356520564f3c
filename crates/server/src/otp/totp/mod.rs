//! TOTP over HTTP, shaped like Twilio Verify's v2 API (its routes, fields and ranges): services
//! hold a tenant's issuer and factor defaults; an entity (`identity`) has factors and challenges;
//! plus Clerk's backup codes. Authentication is the Authentication API's HTTP Basic
//! `apiKey:apiSecret`; a tenant sees only its own services. Bodies are form-encoded (or JSON) with
//! Twilio's parameter names; answers are Twilio-shaped JSON.
//!
//! | route | does |
//! |---|---|
//! | `POST /v2/Services` | create a service (`FriendlyName`, `Totp.Issuer`, `Totp.TimeStep`, `Totp.CodeLength`, `Totp.Skew`) |
//! | `GET /v2/Services/{VA}` | fetch it |
//! | `POST …/Entities/{identity}/Factors` | create a factor: secret, otpauth URI and QR SVG returned once |
//! | `GET …/Factors`, `GET …/Factors/{YF}` | list, fetch |
//! | `POST …/Factors/{YF}` | `AuthPayload`: the first good code verifies the factor |
//! | `DELETE …/Factors/{YF}` | delete it and its challenges |
//! | `POST …/Challenges` | `FactorSid`, `AuthPayload`, `ExpirationDate`: approved or pending |
//! | `GET …/Challenges/{YC}` | fetch (pending turns expired at its expiry) |
//! | `POST …/Challenges/{YC}` | retry a pending one with `AuthPayload`, or `Status=denied` |
//! | `POST …/BackupCodes` | ten new single-use codes, shown once (replacing older ones) |
//! | `GET …/BackupCodes` | how many remain |
//! | `POST …/BackupCodes/Redeem` | `Code`: `valid` true once per code |
//!
//! Layers: `http` parses a request and calls a use case of [`services`], [`factors`],
//! [`challenges`] or [`backup`], which return domain values or a [`TotpError`]; `wire` turns
//! those into Twilio-shaped JSON and the error into its status and Twilio code, in one place.

pub mod backup;
pub mod challenges;
pub mod factors;
mod http;
pub mod services;
mod wire;

pub use http::{
    create_backup_codes, create_challenge, create_factor, create_service, delete_factor,
    fetch_backup_codes, fetch_challenge, fetch_factor, fetch_service, list_factors,
    redeem_backup_code, update_challenge, update_factor, TotpCall,
};
use wire::rfc3339;

use keycadence_otp::{AttemptPolicy, ChallengeError, TotpConfig, UnixMillis};
use rand::RngCore;

use crate::error::ApiError;

/// Wrong codes per backup-code set before a lock-out, and its length.
fn backup_code_policy() -> AttemptPolicy {
    AttemptPolicy::default()
}

/// The codes every authenticator app makes (six digits) accepted in a window of three steps
/// (skew 1): a guess is right with a chance of 3 in a million.
const STRONG_DIGITS: u8 = 6;
const STRONG_SKEW: u8 = 1;

/// Wrong codes per factor before a lock-out, and its length. The default number of failures
/// is for six digits and skew 1; a factor whose codes are easier to guess (fewer digits, a
/// wider window) gets proportionally fewer, so that a guesser's chance before each lock-out
/// stays the same (at least one failure; never more than the default).
fn attempt_policy(config: &TotpConfig) -> AttemptPolicy {
    let default = AttemptPolicy::default();
    let window = |skew: u8| 2 * u64::from(skew) + 1;
    let space = |digits: u8| 10u64.pow(u32::from(digits));
    let allowed = u64::from(default.max_failures) * window(STRONG_SKEW) * space(config.digits())
        / (window(config.skew()) * space(STRONG_DIGITS));
    AttemptPolicy {
        max_failures: u32::try_from(allowed.clamp(1, u64::from(default.max_failures))).unwrap_or(1),
        ..default
    }
}

/// Codes easier to guess than six digits with skew 1 only where the service allows them
/// (`Totp.AllowWeakCodes`): `parameter` names the setting refused.
fn check_strength(
    config: &TotpConfig,
    weak_allowed: bool,
    parameter: &'static str,
) -> Result<(), TotpError> {
    if weak_allowed || (config.digits() >= STRONG_DIGITS && config.skew() <= STRONG_SKEW) {
        return Ok(());
    }
    Err(TotpError::invalid(
        parameter,
        format!(
            "codes of fewer than {STRONG_DIGITS} digits or a skew above {STRONG_SKEW} are easy \
             to guess; the service must allow them with Totp.AllowWeakCodes=true"
        ),
    ))
}

/// Why a TOTP request fails: the family's one error, answered by `wire`.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    #[error("missing required parameter {0}")]
    MissingParameter(&'static str),
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error("the requested resource {0} was not found")]
    NotFound(String),
    #[error("{0}")]
    Challenge(ChallengeError),
    /// Locked out until `until`, as decided at `at` (the service clock's time).
    #[error("too many failed attempts: locked until {}", rfc3339(.until.0))]
    LockedOut { until: UnixMillis, at: UnixMillis },
    #[error("concurrent requests kept changing the same record")]
    Contended,
    #[error("internal error: {0}")]
    Internal(String),
    /// The request was refused before it reached TOTP: authentication, a rate or size limit.
    #[error("{}", .0.code.wire().message)]
    Refused(ApiError),
}

impl TotpError {
    fn invalid(name: &'static str, reason: impl ToString) -> TotpError {
        TotpError::InvalidParameter {
            name,
            reason: reason.to_string(),
        }
    }
}

impl From<sqlx::Error> for TotpError {
    fn from(err: sqlx::Error) -> Self {
        TotpError::Internal(format!("database: {err}"))
    }
}

impl From<serde_json::Error> for TotpError {
    fn from(err: serde_json::Error) -> Self {
        TotpError::Internal(format!("stored state is unreadable: {err}"))
    }
}

impl From<keycadence_otp::AtRestError> for TotpError {
    fn from(err: keycadence_otp::AtRestError) -> Self {
        TotpError::Internal(format!("a TOTP secret does not open: {err}"))
    }
}

impl From<tokio::task::JoinError> for TotpError {
    fn from(err: tokio::task::JoinError) -> Self {
        TotpError::Internal(format!("worker thread: {err}"))
    }
}

/// A time read from the clock as the stores keep it: one reading serves a whole operation, so
/// a swap stamps its row with the time its decision was made at.
fn stored_time(at: UnixMillis) -> i64 {
    i64::try_from(at.0).unwrap_or(i64::MAX)
}

/// A new resource id: a two-letter prefix and 32 hex digits, as Twilio's SIDs.
fn new_sid(prefix: &str) -> String {
    let mut raw = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    format!("{prefix}{}", hex::encode(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_have_a_prefix_and_32_hex_digits() {
        let sid = new_sid("YF");
        assert_eq!(sid.len(), 34);
        assert!(sid.starts_with("YF") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(new_sid("YF"), sid);
    }

    #[test]
    fn fewer_digits_or_a_wider_window_allow_fewer_failures() {
        let failures = |digits, skew| {
            let config = TotpConfig::new(keycadence_otp::Algorithm::Sha1, digits, 30, skew);
            attempt_policy(&config.unwrap()).max_failures
        };
        assert_eq!(failures(6, 1), AttemptPolicy::default().max_failures);
        assert_eq!(failures(8, 0), 5, "never more than the default");
        assert_eq!(failures(6, 2), 3);
        assert_eq!(failures(5, 1), 1);
        assert_eq!(failures(3, 2), 1, "at least one");
    }

    #[test]
    fn weak_codes_need_the_services_consent() {
        let config = |digits, skew| {
            TotpConfig::new(keycadence_otp::Algorithm::Sha1, digits, 30, skew).unwrap()
        };
        assert!(check_strength(&config(6, 1), false, "Config").is_ok());
        assert!(check_strength(&config(8, 0), false, "Config").is_ok());
        assert!(check_strength(&config(5, 1), false, "Config").is_err());
        assert!(check_strength(&config(6, 2), false, "Config").is_err());
        assert!(check_strength(&config(4, 2), true, "Config").is_ok());
    }
}
