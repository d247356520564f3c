//! Every refusal of the window, and its one mapping: the documented Verify code (the table in
//! `keycadence_otp::verify_code`), the HTTP status, and the window's message from the string table.
//! The page the window reports to receives `{success: 0, error: <message>, code}`.

use axum::http::StatusCode;
use keycadence_otp::{PayloadError, VerifyCode};
use keycadence_signin::SignInError;

use super::strings::{fill, Strings};
use crate::signin::error::SignInFailure;

#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error("clientId, applicationId or payload is missing")]
    MissingFields,
    #[error("no active application with this applicationId")]
    UnknownApplication,
    #[error("the application belongs to another clientId")]
    ClientMismatch,
    #[error("the page's origin is missing")]
    OriginMissing,
    #[error("the page's origin {origin} is not the application's domain {domain}")]
    OriginNotRegistered { origin: String, domain: String },
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error("sign-ins (typing) are not enabled for the application")]
    NotEnabled,
    #[error("the show_otp flow is for pop-up windows only")]
    ShowOtpInIframe,
    #[error("the server serves no recorder script (--recorder-script)")]
    RecorderMissing,
    #[error("too many codes were issued to the user")]
    TooManyCodes,
    #[error(transparent)]
    SignIn(#[from] SignInFailure),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for WindowError {
    fn from(err: sqlx::Error) -> Self {
        WindowError::Internal(format!("database: {err}"))
    }
}

impl From<serde_json::Error> for WindowError {
    fn from(err: serde_json::Error) -> Self {
        WindowError::Internal(format!("stored state unreadable: {err}"))
    }
}

impl From<tokio::task::JoinError> for WindowError {
    fn from(err: tokio::task::JoinError) -> Self {
        WindowError::Internal(format!("worker thread: {err}"))
    }
}

impl From<crate::otp::apps::AppError> for WindowError {
    fn from(err: crate::otp::apps::AppError) -> Self {
        WindowError::Internal(format!("application: {err}"))
    }
}

impl From<SignInError> for WindowError {
    fn from(err: SignInError) -> Self {
        WindowError::SignIn(SignInFailure::State(err))
    }
}

impl WindowError {
    /// The documented Verify code.
    pub fn verify_code(&self) -> VerifyCode {
        use SignInFailure as F;
        match self {
            WindowError::MissingFields => VerifyCode::InvalidRequestBody,
            WindowError::UnknownApplication => VerifyCode::InvalidApplicationId,
            WindowError::ClientMismatch => VerifyCode::InvalidClientId,
            WindowError::OriginMissing | WindowError::OriginNotRegistered { .. } => {
                VerifyCode::UnauthorizedRequest
            }
            WindowError::Payload(err) => err.verify_code(),
            WindowError::NotEnabled | WindowError::ShowOtpInIframe => {
                VerifyCode::OperationNotAllowed
            }
            WindowError::RecorderMissing | WindowError::Internal(_) => {
                VerifyCode::InternalServerError
            }
            WindowError::TooManyCodes => VerifyCode::TooManyOtpsSent,
            WindowError::SignIn(failure) => match failure {
                F::State(SignInError::NoSecondFactor) | F::ApplicationUnavailable => {
                    VerifyCode::OperationNotAllowed
                }
                F::State(SignInError::AttemptsExhausted | SignInError::Failed) => {
                    VerifyCode::TooManyFailedAttempts
                }
                F::State(SignInError::Expired | SignInError::AlreadyComplete) => {
                    VerifyCode::RequestExpired
                }
                F::NotFound | F::TokenInvalid | F::OriginNotAllowed => {
                    VerifyCode::UnauthorizedRequest
                }
                F::SendLimited => VerifyCode::TooManyOtpsSent,
                F::DeliveryFailed(_) => VerifyCode::ProviderError,
                F::NoGateway => VerifyCode::EmailGatewayNotFound,
                F::Internal(_) | F::Contended | F::State(SignInError::PreparationMismatch) => {
                    VerifyCode::InternalServerError
                }
                _ => VerifyCode::InvalidRequestBody,
            },
        }
    }

    /// The HTTP status of the window's answer.
    pub fn status(&self) -> StatusCode {
        match self {
            WindowError::TooManyCodes => StatusCode::TOO_MANY_REQUESTS,
            WindowError::SignIn(failure) if failure.wire().1.is_client_error() => failure.wire().1,
            _ => StatusCode::from_u16(self.verify_code().http_status())
                .unwrap_or(StatusCode::BAD_REQUEST),
        }
    }

    /// The window can go on after this refusal (the user typed the wrong text, say): the page
    /// is not told, the window shows the message and lets the user try again.
    pub fn recoverable(&self) -> bool {
        use SignInFailure as F;
        matches!(
            self,
            WindowError::SignIn(
                F::State(
                    SignInError::WrongText
                        | SignInError::TextAlreadyUsed
                        | SignInError::PatternReplayed
                        | SignInError::NotPrepared
                        | SignInError::CodeExpired
                ) | F::PatternInvalid
                    | F::DeviceMismatch
                    | F::BadParameter(_)
                    | F::Contended
            )
        )
    }

    /// The message for the user (and the page's `error`): never an internal detail.
    pub fn message(&self, s: &Strings) -> String {
        use SignInFailure as F;
        let text = match self {
            WindowError::MissingFields => s.err_missing_fields,
            WindowError::UnknownApplication => s.err_application,
            WindowError::ClientMismatch => s.err_client,
            WindowError::OriginMissing => s.err_origin_missing,
            WindowError::OriginNotRegistered { origin, domain } => {
                return fill(s.err_origin, &[("origin", origin), ("domain", domain)])
            }
            WindowError::Payload(err) => match err {
                PayloadError::Undecryptable
                | PayloadError::WrongPurpose { .. }
                | PayloadError::PurposeField
                | PayloadError::LegacyNotAllowed => s.err_payload,
                PayloadError::Expired { .. }
                | PayloadError::FromTheFuture { .. }
                | PayloadError::MissingTimestamp => s.err_expired,
                PayloadError::Replayed => s.err_replayed,
                PayloadError::MissingIdentifier
                | PayloadError::InvalidEmail { .. }
                | PayloadError::InvalidPhone { .. }
                | PayloadError::InvalidId => s.err_identifier,
                _ => s.err_payload_body,
            },
            WindowError::NotEnabled => s.err_not_enabled,
            WindowError::ShowOtpInIframe => s.err_show_otp_iframe,
            WindowError::RecorderMissing => s.err_recorder,
            WindowError::TooManyCodes => s.err_too_many_codes,
            WindowError::Internal(_) => s.err_internal,
            WindowError::SignIn(failure) => match failure {
                F::State(SignInError::NoSecondFactor) => s.err_no_factor,
                F::ApplicationUnavailable => s.err_not_enabled,
                F::State(SignInError::AttemptsExhausted | SignInError::Failed) => s.err_attempts,
                F::State(SignInError::Expired | SignInError::AlreadyComplete) => {
                    s.err_session_ended
                }
                F::State(SignInError::CodeExpired) => s.err_session_ended,
                F::NotFound | F::TokenInvalid | F::OriginNotAllowed => s.err_session,
                F::SendLimited => s.err_too_many_codes,
                F::DeliveryFailed(_) | F::NoGateway => s.err_delivery,
                F::State(
                    SignInError::WrongText
                    | SignInError::TextAlreadyUsed
                    | SignInError::PatternReplayed
                    | SignInError::NotPrepared,
                )
                | F::PatternInvalid
                | F::DeviceMismatch
                | F::BadParameter(_) => s.err_wrong_text,
                _ => s.err_internal,
            },
        };
        text.to_string()
    }

    /// Logs what the message leaves out.
    pub fn log(&self) {
        match self {
            WindowError::Internal(detail) => {
                tracing::error!(error = %detail, "Verify window failed")
            }
            WindowError::SignIn(SignInFailure::Internal(detail)) => {
                tracing::error!(error = %detail, "Verify window failed")
            }
            WindowError::SignIn(SignInFailure::DeliveryFailed(err)) => {
                tracing::warn!(error = %err, "Verify window: code delivery failed")
            }
            _ => {}
        }
    }

    /// The JSON the window's script receives (and forwards as the page's `error`).
    pub fn json(&self, s: &Strings) -> serde_json::Value {
        self.log();
        serde_json::json!({
            "success": 0,
            "code": self.verify_code().number(),
            "error": self.message(s),
            "recoverable": self.recoverable(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify_window::strings::EN;

    #[test]
    fn documented_codes_and_no_internal_detail() {
        let internal = WindowError::Internal("database: secret".into());
        assert_eq!(internal.verify_code().number(), 107);
        assert!(!internal.message(&EN).contains("secret"));
        assert_eq!(
            WindowError::Payload(PayloadError::Replayed)
                .verify_code()
                .number(),
            124
        );
        assert_eq!(
            WindowError::Payload(PayloadError::Expired {
                age_ms: 9,
                max_age_ms: 1
            })
            .verify_code()
            .number(),
            108
        );
        let origin = WindowError::OriginNotRegistered {
            origin: "https://evil.example".into(),
            domain: "shop.example.com".into(),
        };
        assert_eq!(origin.verify_code().number(), 124);
        assert!(origin.message(&EN).contains("https://evil.example"));
        assert!(WindowError::from(SignInError::WrongText).recoverable());
        assert!(!WindowError::from(SignInError::AttemptsExhausted).recoverable());
    }
}
