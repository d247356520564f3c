//! The TOTP family's answers in Twilio's shape: the views of services, factors and
//! challenges, and the one mapping of a [`TotpError`] to its status, Twilio code and body.

use std::time::{Duration, UNIX_EPOCH};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keycadence_otp::ChallengeError;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::backup::{IssuedCodes, Redemption};
use super::challenges::ChallengeRecord;
use super::factors::{CreatedFactor, Factor};
use super::services::Service;
use super::TotpError;
use crate::error::{ApiError, Outcome};

pub(super) type TotpResult = Result<Response, TotpError>;

pub(super) fn created(body: Value) -> TotpResult {
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub(super) fn ok(body: Value) -> TotpResult {
    Ok(axum::Json(body).into_response())
}

pub(super) fn no_content() -> TotpResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// ISO 8601 / RFC 3339 in UTC, whole seconds, as Twilio writes dates.
pub(super) fn rfc3339(millis: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(millis)).to_string()
}

fn stored_time(millis: i64) -> String {
    rfc3339(u64::try_from(millis).unwrap_or(0))
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

pub(super) fn service(tenant_id: i64, service: &Service) -> Value {
    let sid = &service.stored.sid;
    json!({
        "sid": sid,
        "account_sid": account_sid(tenant_id),
        "friendly_name": service.stored.friendly_name,
        "totp": {
            "issuer": service.totp.issuer,
            "time_step": service.totp.time_step,
            "code_length": service.totp.code_length,
            "skew": service.totp.skew,
            "allow_weak_codes": service.totp.allow_weak_codes,
        },
        "date_created": stored_time(service.stored.created_at),
        "date_updated": stored_time(service.stored.updated_at),
        "url": format!("/v2/Services/{sid}"),
    })
}

pub(super) fn factor(tenant_id: i64, service: &Service, factor: &Factor) -> Value {
    let (service_sid, identity, sid) = (
        &service.stored.sid,
        &factor.stored.identity,
        &factor.stored.sid,
    );
    json!({
        "sid": sid,
        "account_sid": account_sid(tenant_id),
        "service_sid": service_sid,
        "entity_sid": entity_sid(service_sid, identity),
        "identity": identity,
        "status": factor.state.status,
        "factor_type": "totp",
        "friendly_name": factor.stored.friendly_name,
        "config": factor.state.config,
        "date_created": stored_time(factor.stored.created_at),
        "date_updated": stored_time(factor.stored.updated_at),
        "metadata": null,
        "url": service.entity_url(identity, &format!("Factors/{sid}")),
    })
}

/// A new factor: its view with the binding (secret, URI, QR code) shown this once.
pub(super) fn created_factor(tenant_id: i64, service: &Service, created: &CreatedFactor) -> Value {
    let mut body = factor(tenant_id, service, &created.factor);
    body["binding"] = json!({
        "secret": created.binding.secret_base32,
        "uri": created.binding.uri,
        "qr_svg": created.binding.qr_svg,
    });
    body
}

pub(super) fn factor_list(
    tenant_id: i64,
    service: &Service,
    identity: &str,
    list: &[Factor],
) -> Value {
    let factors: Vec<Value> = list.iter().map(|f| factor(tenant_id, service, f)).collect();
    let url = service.entity_url(identity, "Factors");
    json!({
        "factors": factors,
        "meta": {
            "key": "factors",
            "page": 0,
            "page_size": factors.len(),
            "url": url,
            "first_page_url": url,
            "next_page_url": null,
            "previous_page_url": null,
        },
    })
}

pub(super) fn challenge(tenant_id: i64, service: &Service, record: &ChallengeRecord) -> Value {
    let (service_sid, identity) = (&service.stored.sid, &record.factor.stored.identity);
    let (sid, challenge) = (&record.sid, &record.challenge);
    json!({
        "sid": sid,
        "account_sid": account_sid(tenant_id),
        "service_sid": service_sid,
        "entity_sid": entity_sid(service_sid, identity),
        "identity": identity,
        "factor_sid": record.factor.stored.sid,
        "status": challenge.status,
        "responded_reason": "none",
        "factor_type": "totp",
        "details": null,
        "hidden_details": null,
        "date_created": rfc3339(challenge.created_at.0),
        "date_updated": rfc3339(record.updated_at.0),
        "date_responded": challenge.responded_at.map(|t| rfc3339(t.0)),
        "expiration_date": rfc3339(challenge.expires_at.0),
        "url": service.entity_url(identity, &format!("Challenges/{sid}")),
    })
}

pub(super) fn issued_codes(service: &Service, identity: &str, issued: &IssuedCodes) -> Value {
    json!({
        "service_sid": service.stored.sid,
        "identity": identity,
        "codes": issued.codes,
        "remaining": issued.remaining,
    })
}

pub(super) fn remaining_codes(service: &Service, identity: &str, remaining: usize) -> Value {
    json!({
        "service_sid": service.stored.sid,
        "identity": identity,
        "remaining": remaining,
    })
}

pub(super) fn redemption(service: &Service, identity: &str, redemption: &Redemption) -> Value {
    json!({
        "service_sid": service.stored.sid,
        "identity": identity,
        "valid": redemption.valid,
        "remaining": redemption.remaining,
    })
}

/// HTTP status and Twilio-style error code of an error.
fn status_and_code(error: &TotpError) -> (StatusCode, u16) {
    match error {
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
        TotpError::LockedOut { .. } => (StatusCode::TOO_MANY_REQUESTS, 60202),
        TotpError::Contended => (StatusCode::CONFLICT, 20409),
        TotpError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 20500),
    }
}

impl IntoResponse for TotpError {
    fn into_response(self) -> Response {
        let (status, code) = status_and_code(&self);
        if status.is_server_error() {
            tracing::error!(error = %self, "TOTP request failed");
        }
        let mut body = json!({
            "code": code,
            "message": self.to_string(),
            "status": status.as_u16(),
        });
        let mut response_headers = Vec::new();
        if let TotpError::LockedOut { until, at } = &self {
            body["limited_until"] = Value::String(rfc3339(until.0));
            let wait = until.0.saturating_sub(at.0).div_ceil(1000).max(1);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_utc_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000_999), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn entity_sids_are_stable_per_service_and_identity() {
        assert_eq!(
            entity_sid("VA1", "user-0001"),
            entity_sid("VA1", "user-0001")
        );
        assert_ne!(
            entity_sid("VA1", "user-0001"),
            entity_sid("VA2", "user-0001")
        );
    }
}
