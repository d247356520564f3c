//! The Verify 2FA endpoints over HTTP: read the body and the client's address, call the
//! service ([`super::verify`]), answer in the Verify shape ([`VerifyReply`]).

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use keycadence_otp::{ValidateOutcome, VerifyCode};
use serde_json::Value;

use super::reply::{VerifyFailure, VerifyReply};
use super::verify::{self, ResetOutcome, SendOutcome};
use crate::app::AppState;
use crate::call::client_ip;

type VerifyResult = Result<VerifyReply, VerifyFailure>;

/// The client's address, as the per-address flood limits see it (behind trusted proxies, the
/// address they saw).
pub struct ClientAddress(Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientAddress(client_ip(
            &parts.headers,
            peer,
            state.config.trusted_proxy_hops,
        )))
    }
}

/// `POST /otp/send`: code 9 when sent. The answer never carries the code, unless the
/// application echoes codes (sandboxes only).
pub async fn send(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    body: Result<Bytes, BytesRejection>,
) -> VerifyResult {
    // A body that does not arrive in time (or too large) is answered in this family's shape.
    let body = body.map_err(VerifyFailure::BodyUnreadable)?;
    Ok(match verify::send(&state, address, &body).await? {
        SendOutcome::Sent { echoed_code } => {
            let reply = VerifyReply::new(VerifyCode::OtpSent);
            match echoed_code {
                Some(code) => reply.with_otp(code),
                None => reply,
            }
        }
        SendOutcome::Refused(refused) => {
            VerifyReply::new(refused.verify_code()).with_limited_until(refused.limited_until())
        }
    })
}

/// `POST /otp/validate`: codes 19 (match, the code is used up), 10, 11 and 12.
pub async fn validate(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    body: Result<Bytes, BytesRejection>,
) -> VerifyResult {
    // A body that does not arrive in time (or too large) is answered in this family's shape.
    let body = body.map_err(VerifyFailure::BodyUnreadable)?;
    let outcome = verify::validate(&state, address, &body).await?;
    let reply = VerifyReply::new(outcome.verify_code());
    Ok(match outcome {
        ValidateOutcome::TooManyFailures { limited_until }
        | ValidateOutcome::LockedOut { limited_until } => reply.with_limited_until(limited_until),
        ValidateOutcome::Matched | ValidateOutcome::Invalid => reply,
        // An outcome added later is not a match until this handler knows it.
        _ => VerifyReply::new(VerifyCode::ErrorValidatingOtp),
    })
}

/// The reset-profile token: the `Authorization` value, with or without a scheme word.
fn reset_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("basic") || scheme.eq_ignore_ascii_case("bearer") =>
        {
            rest.trim()
        }
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

/// `user_id` from a JSON or form body.
fn reset_user_id(body: &[u8]) -> Option<String> {
    let from_json = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => match map.get("user_id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        _ => form_urlencoded::parse(body)
            .find(|(k, _)| k == "user_id")
            .map(|(_, v)| v.into_owned()),
    };
    from_json
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
}

fn reset_answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// `POST /user/reset-profile`: the token in `Authorization`, `user_id` in the body.
pub async fn reset_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let unauthorized = || {
        reset_answer(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"success": 0, "message": "unauthorized"}),
        )
    };
    let Some(token) = reset_token(&headers) else {
        return unauthorized();
    };
    let user_id = reset_user_id(&body);
    match verify::reset_profile(&state, token, user_id.as_deref()).await {
        Ok(ResetOutcome::UnknownToken) => unauthorized(),
        Ok(ResetOutcome::NoUser) => reset_answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"success": 0, "message": "identifier missing"}),
        ),
        Ok(ResetOutcome::Deleted(deleted)) => reset_answer(
            StatusCode::OK,
            serde_json::json!({"success": 1, "deleted": deleted, "message": "Done"}),
        ),
        Err(err) => {
            tracing::error!(error = %err, "reset-profile failed");
            reset_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"success": 0, "message": "internal server error"}),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_tokens_are_read_with_or_without_a_scheme() {
        let mut headers = HeaderMap::new();
        assert_eq!(reset_token(&headers), None);
        headers.insert(header::AUTHORIZATION, "abc123".parse().unwrap());
        assert_eq!(reset_token(&headers), Some("abc123"));
        headers.insert(header::AUTHORIZATION, "Basic abc123".parse().unwrap());
        assert_eq!(reset_token(&headers), Some("abc123"));
        headers.insert(header::AUTHORIZATION, "bearer  abc123 ".parse().unwrap());
        assert_eq!(reset_token(&headers), Some("abc123"));
    }

    #[test]
    fn reset_user_ids_come_from_json_or_forms() {
        assert_eq!(
            reset_user_id(br#"{"user_id":" a@b.co "}"#).as_deref(),
            Some("a@b.co")
        );
        assert_eq!(
            reset_user_id(b"user_id=%2B40722000000").as_deref(),
            Some("+40722000000")
        );
        assert_eq!(reset_user_id(br#"{"user_id":""}"#), None);
        assert_eq!(reset_user_id(b"{}"), None);
    }
}
