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

mod backup;
mod challenges;
mod factors;
mod services;

pub use backup::{create_backup_codes, fetch_backup_codes, redeem_backup_code};
pub use challenges::{create_challenge, fetch_challenge, update_challenge};
pub use factors::{create_factor, delete_factor, fetch_factor, list_factors, update_factor};
pub use services::{create_service, fetch_service};

use std::str::FromStr;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keycadence_otp::{AttemptPolicy, ChallengeError, TotpConfig, UnixMillis};
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::call::ApiCall;
use crate::clock::now_millis;
use crate::error::{ApiError, Outcome};

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
    #[error("too many failed attempts: locked until {}", rfc3339(.0.0))]
    LockedOut(UnixMillis),
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

    /// HTTP status and Twilio-style error code.
    fn wire(&self) -> (StatusCode, u16) {
        match self {
            TotpError::Refused(refused) => {
                let status = StatusCode::from_u16(refused.code.http_status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                // Twilio answers a failed login with 20003 ("Authenticate") and other HTTP
                // errors with 20000 + the status.
                let code = match status {
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => 20003,
                    _ => 20000 + status.as_u16(),
                };
                (status, code)
            }
            TotpError::MissingParameter(_) | TotpError::InvalidParameter { .. } => {
                (StatusCode::BAD_REQUEST, 60200)
            }
            TotpError::NotFound(_) => (StatusCode::NOT_FOUND, 20404),
            TotpError::Challenge(ChallengeError::AtRest(_)) => {
                (StatusCode::INTERNAL_SERVER_ERROR, 20500)
            }
            TotpError::Challenge(_) => (StatusCode::BAD_REQUEST, 60200),
            TotpError::LockedOut(_) => (StatusCode::TOO_MANY_REQUESTS, 60202),
            TotpError::Contended => (StatusCode::CONFLICT, 20409),
            TotpError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 20500),
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

impl IntoResponse for TotpError {
    fn into_response(self) -> Response {
        let (status, code) = self.wire();
        if status.is_server_error() {
            tracing::error!(error = %self, "TOTP request failed");
        }
        let mut body = serde_json::json!({
            "code": code,
            "message": self.to_string(),
            "status": status.as_u16(),
        });
        let mut response_headers = Vec::new();
        if let TotpError::LockedOut(until) = &self {
            body["limited_until"] = Value::String(rfc3339(until.0));
            // Relative to the system clock: an answer is made without the application state.
            let now = u64::try_from(now_millis()).unwrap_or(0);
            let wait = until.0.saturating_sub(now).div_ceil(1000).max(1);
            response_headers.push((header::RETRY_AFTER, HeaderValue::from(wait)));
        }
        if let TotpError::Refused(ApiError {
            retry_after_secs: Some(wait),
            ..
        }) = &self
        {
            response_headers.push((header::RETRY_AFTER, HeaderValue::from(*wait)));
        }
        let mut response = (status, axum::Json(body)).into_response();
        for (name, value) in response_headers {
            response.headers_mut().insert(name, value);
        }
        response.extensions_mut().insert(Outcome(code));
        response
    }
}

/// An authenticated call on a TOTP route: the Authentication API's [`ApiCall`], whose
/// refusals are answered in Twilio's shape like every other TOTP error.
pub struct TotpCall(pub ApiCall);

impl FromRequest<AppState> for TotpCall {
    type Rejection = TotpError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        ApiCall::from_request(req, state)
            .await
            .map(TotpCall)
            .map_err(TotpError::Refused)
    }
}

pub type TotpResult = Result<Response, TotpError>;

fn created(body: Value) -> TotpResult {
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

fn ok(body: Value) -> TotpResult {
    Ok(axum::Json(body).into_response())
}

/// ISO 8601 / RFC 3339 in UTC, whole seconds, as Twilio writes dates.
pub fn rfc3339(millis: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(millis)).to_string()
}

fn stored_time(millis: i64) -> String {
    rfc3339(u64::try_from(millis).unwrap_or(0))
}

/// A new resource id: a two-letter prefix and 32 hex digits, as Twilio's SIDs.
fn new_sid(prefix: &str) -> String {
    let mut raw = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    format!("{prefix}{}", hex::encode(raw))
}

/// A stable SID derived from a name (for the account and entity, which have no rows).
fn derived_sid(prefix: &str, name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    format!("{prefix}{}", hex::encode(&digest[..16]))
}

fn account_sid(tenant_id: i64) -> String {
    derived_sid("AC", &format!("keycadence-tenant/{tenant_id}"))
}

fn entity_sid(service_sid: &str, identity: &str) -> String {
    derived_sid("YE", &format!("{service_sid}/{identity}"))
}

/// A trimmed, non-empty parameter.
fn param<'a>(call: &'a ApiCall, name: &'static str) -> Option<&'a str> {
    call.params.get(&[name])
}

fn required<'a>(call: &'a ApiCall, name: &'static str) -> Result<&'a str, TotpError> {
    param(call, name).ok_or(TotpError::MissingParameter(name))
}

fn number<T: FromStr>(call: &ApiCall, name: &'static str) -> Result<Option<T>, TotpError>
where
    T::Err: std::fmt::Display,
{
    param(call, name)
        .map(|text| text.parse().map_err(|e| TotpError::invalid(name, e)))
        .transpose()
}

/// Twilio's entity identity: 8-64 characters, letters, digits and dashes (not personal data).
fn check_identity(identity: &str) -> Result<(), TotpError> {
    let ok = (8..=64).contains(&identity.len())
        && identity
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(TotpError::invalid(
            "Identity",
            "8-64 characters of letters, digits and dashes",
        ))
    }
}

/// A submitted TOTP code: 3-8 characters (Twilio's `AuthPayload` range for TOTP).
fn auth_payload(call: &ApiCall) -> Result<&str, TotpError> {
    let code = required(call, "AuthPayload")?;
    if !(3..=8).contains(&code.chars().count()) {
        return Err(TotpError::invalid(
            "AuthPayload",
            "a TOTP code has 3-8 digits",
        ));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_utc_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000_999), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn sids_have_a_prefix_and_32_hex_digits() {
        let sid = new_sid("YF");
        assert_eq!(sid.len(), 34);
        assert!(sid.starts_with("YF") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(new_sid("YF"), sid);
        assert_eq!(
            entity_sid("VA1", "user-0001"),
            entity_sid("VA1", "user-0001")
        );
        assert_ne!(
            entity_sid("VA1", "user-0001"),
            entity_sid("VA2", "user-0001")
        );
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

    #[test]
    fn identities_follow_twilio() {
        assert!(check_identity("ff483d1f-f591-898a").is_ok());
        for bad in [
            "short",
            "has space 123",
            &"x".repeat(65),
            "alice@example.com",
        ] {
            assert!(check_identity(bad).is_err(), "{bad}");
        }
    }
}
