//! Every refusal of the sign-in routes, and its one mapping to the wire: HTTP status and a
//! JSON body `{"errors": [{"code", "message"}]}` (Clerk's error shape). The codes are listed
//! in /openapi.json (`SignInError`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keycadence_signin::SignInError;

use crate::otp::delivery::DeliveryError;

#[derive(Debug, thiserror::Error)]
pub enum SignInFailure {
    /// The state machine refused.
    #[error(transparent)]
    State(#[from] SignInError),
    #[error("no such sign-in")]
    NotFound,
    #[error("the token is missing or is not this sign-in's")]
    TokenInvalid,
    #[error("this page's origin is not the application's registered domain")]
    OriginNotAllowed,
    #[error("missing or invalid parameter {0}")]
    BadParameter(&'static str),
    #[error("unknown strategy; use typing, email_code, phone_code, totp or backup_code")]
    UnknownStrategy,
    #[error("the pattern is not a type 2 typing pattern of the prepared text")]
    PatternInvalid,
    #[error("the pattern was typed on another device class than the sign-in's")]
    DeviceMismatch,
    #[error("the application does not exist, is revoked, or does not have sign-ins enabled for this API key's tenant")]
    ApplicationUnavailable,
    #[error("the TOTP service does not exist for this tenant")]
    UnknownTotpService,
    #[error("the application has no gateway to deliver this code")]
    NoGateway,
    #[error("too many codes were sent; try again later")]
    SendLimited,
    #[error("the code could not be delivered")]
    DeliveryFailed(#[from] DeliveryError),
    #[error("concurrent requests changed this sign-in; retry")]
    Contended,
    #[error("internal error")]
    Internal(String),
}

impl SignInFailure {
    /// The wire code and HTTP status.
    pub fn wire(&self) -> (&'static str, StatusCode) {
        use SignInError as E;
        match self {
            SignInFailure::State(e) => match e {
                E::NoSecondFactor => ("no_second_factor", StatusCode::UNPROCESSABLE_ENTITY),
                E::Expired => ("sign_in_expired", StatusCode::GONE),
                E::AlreadyComplete => ("sign_in_complete", StatusCode::CONFLICT),
                E::Failed => ("sign_in_failed", StatusCode::CONFLICT),
                E::StrategyNotAvailable => {
                    ("strategy_not_available", StatusCode::UNPROCESSABLE_ENTITY)
                }
                E::AttemptsExhausted => ("attempts_exhausted", StatusCode::TOO_MANY_REQUESTS),
                E::NotPrepared => ("not_prepared", StatusCode::CONFLICT),
                E::WrongText => ("wrong_text", StatusCode::UNPROCESSABLE_ENTITY),
                E::TextAlreadyUsed => ("text_already_used", StatusCode::CONFLICT),
                E::PatternReplayed => ("pattern_replayed", StatusCode::CONFLICT),
                E::EnrolmentTextsIssued => ("enrolment_texts_issued", StatusCode::CONFLICT),
                E::CodeExpired => ("code_expired", StatusCode::GONE),
                // Failed attempts are answered with the sign-in (200), not as refusals; these
                // two only appear inside `second_factor_verification.error`.
                E::TypingNotMatched => ("typing_not_matched", StatusCode::OK),
                E::CodeIncorrect => ("code_incorrect", StatusCode::OK),
                E::PreparationMismatch => ("internal_error", StatusCode::INTERNAL_SERVER_ERROR),
            },
            SignInFailure::NotFound => ("sign_in_not_found", StatusCode::NOT_FOUND),
            SignInFailure::TokenInvalid => ("token_invalid", StatusCode::UNAUTHORIZED),
            SignInFailure::OriginNotAllowed => ("origin_not_allowed", StatusCode::FORBIDDEN),
            SignInFailure::BadParameter(_) => ("parameter_invalid", StatusCode::BAD_REQUEST),
            SignInFailure::UnknownStrategy => ("strategy_unknown", StatusCode::BAD_REQUEST),
            SignInFailure::PatternInvalid => ("pattern_invalid", StatusCode::BAD_REQUEST),
            SignInFailure::DeviceMismatch => ("device_mismatch", StatusCode::BAD_REQUEST),
            SignInFailure::ApplicationUnavailable => {
                ("application_unavailable", StatusCode::FORBIDDEN)
            }
            SignInFailure::UnknownTotpService => {
                ("totp_service_not_found", StatusCode::UNPROCESSABLE_ENTITY)
            }
            SignInFailure::NoGateway => ("no_gateway", StatusCode::UNPROCESSABLE_ENTITY),
            SignInFailure::SendLimited => ("send_limited", StatusCode::TOO_MANY_REQUESTS),
            SignInFailure::DeliveryFailed(_) => ("delivery_failed", StatusCode::BAD_GATEWAY),
            SignInFailure::Contended => ("contended", StatusCode::CONFLICT),
            SignInFailure::Internal(_) => ("internal_error", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// The message shown to callers: never the detail of an internal or delivery error.
    fn public_message(&self) -> String {
        match self {
            SignInFailure::Internal(_) | SignInFailure::State(SignInError::PreparationMismatch) => {
                "internal error".to_string()
            }
            SignInFailure::DeliveryFailed(_) => "the code could not be delivered".to_string(),
            other => other.to_string(),
        }
    }
}

/// The `{code, message}` of a state-machine error inside `second_factor_verification`.
pub fn error_object(error: SignInError) -> serde_json::Value {
    let failure = SignInFailure::State(error);
    serde_json::json!({"code": failure.wire().0, "message": failure.public_message()})
}

impl From<sqlx::Error> for SignInFailure {
    fn from(err: sqlx::Error) -> Self {
        SignInFailure::Internal(format!("database: {err}"))
    }
}

impl From<serde_json::Error> for SignInFailure {
    fn from(err: serde_json::Error) -> Self {
        SignInFailure::Internal(format!("stored sign-in unreadable: {err}"))
    }
}

impl From<tokio::task::JoinError> for SignInFailure {
    fn from(err: tokio::task::JoinError) -> Self {
        SignInFailure::Internal(format!("worker thread: {err}"))
    }
}

impl IntoResponse for SignInFailure {
    fn into_response(self) -> Response {
        let (code, status) = self.wire();
        match &self {
            SignInFailure::Internal(detail) => {
                tracing::error!(error = %detail, "sign-in request failed")
            }
            SignInFailure::DeliveryFailed(err) => {
                tracing::warn!(error = %err, "sign-in code delivery failed")
            }
            _ => {}
        }
        let body = serde_json::json!({
            "errors": [{"code": code, "message": self.public_message()}],
            "status": status.as_u16(),
        });
        (status, axum::Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_the_wire() {
        let failure = SignInFailure::Internal("database: secret detail".into());
        assert_eq!(failure.public_message(), "internal error");
        assert_eq!(failure.wire().1, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn verification_errors_carry_a_code_and_message() {
        let object = error_object(SignInError::TypingNotMatched);
        assert_eq!(object["code"], "typing_not_matched");
        assert!(object["message"]
            .as_str()
            .unwrap()
            .contains("did not match"));
    }
}
