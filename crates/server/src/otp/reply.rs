//! Answers of the Verify endpoints: `{"success", "status", "code", "message"}` plus `otp` or
//! `limitedUntil`, and the one place where a failure becomes its Verify code (the table in
//! `keycadence_otp::verify_code`).

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keycadence_otp::{CodeFieldError, PayloadError, UnixMillis, VerifyCode};
use serde::Serialize;

use super::apps::AppError;
use super::delivery::DeliveryError;
use super::floods::{Flood, Flooded};
use crate::error::Outcome;
use crate::limits::retry_after_secs;

/// A Verify result (HTTP 200) or error, ready to send.
#[derive(Debug)]
pub struct VerifyReply {
    code: VerifyCode,
    otp: Option<u64>,
    limited_until: Option<UnixMillis>,
    retry_after: Option<Duration>,
}

impl VerifyReply {
    pub fn new(code: VerifyCode) -> VerifyReply {
        VerifyReply {
            code,
            otp: None,
            limited_until: None,
            retry_after: None,
        }
    }

    pub fn with_otp(mut self, otp: u64) -> VerifyReply {
        self.otp = Some(otp);
        self
    }

    pub fn with_limited_until(mut self, until: UnixMillis) -> VerifyReply {
        self.limited_until = Some(until);
        self
    }

    /// A flood limit's refusal at `at`: `limitedUntil` in the body and `Retry-After` in the
    /// headers.
    fn flooded(code: VerifyCode, wait: Duration, at: UnixMillis) -> VerifyReply {
        let until = at.plus(wait);
        VerifyReply {
            retry_after: Some(wait),
            ..VerifyReply::new(code).with_limited_until(until)
        }
    }
}

#[derive(Serialize)]
struct Body {
    success: u8,
    status: u16,
    code: u16,
    message: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    otp: Option<u64>,
    #[serde(rename = "limitedUntil", skip_serializing_if = "Option::is_none")]
    limited_until: Option<u64>,
}

impl IntoResponse for VerifyReply {
    fn into_response(self) -> Response {
        let status = self.code.http_status();
        let body = Body {
            success: u8::from(self.code.success()),
            status,
            code: self.code.number(),
            message: self.code.message(),
            otp: self.otp,
            limited_until: self.limited_until.map(|t| t.0),
        };
        let status = StatusCode::from_u16(status).expect("Verify statuses are valid HTTP statuses");
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs(wait)),
            );
        }
        response
            .extensions_mut()
            .insert(Outcome(self.code.number()));
        response
    }
}

/// Why a Verify request did not get its normal answer. Each maps to one Verify code.
#[derive(Debug, thiserror::Error)]
pub enum VerifyFailure {
    #[error("the body is not a JSON object")]
    BodyNotJson,
    #[error("the body could not be read: {0}")]
    BodyUnreadable(axum::extract::rejection::BytesRejection),
    #[error("`{0}` is missing or not a string")]
    MissingField(&'static str),
    #[error("no active application with this applicationId")]
    UnknownApplication,
    #[error("the application belongs to another clientId")]
    ClientMismatch,
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error("`code` is missing")]
    MissingCode,
    #[error(transparent)]
    CodeField(#[from] CodeFieldError),
    #[error("the application has its root of trust disabled")]
    RotDisabled,
    #[error("the payload names only an id: there is no e-mail address or phone number to send to")]
    NoDeliveryAddress,
    #[error("the application has no e-mail gateway")]
    NoEmailGateway,
    #[error("the application has no SMS gateway")]
    NoSmsGateway,
    #[error("delivery failed: {0}")]
    Delivery(#[from] DeliveryError),
    #[error("other server instances kept changing the user's code state")]
    Contended,
    #[error("stored state is unreadable: {0}")]
    StoredState(#[from] serde_json::Error),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("a worker thread failed: {0}")]
    Worker(#[from] tokio::task::JoinError),
    /// A flood limit refused the request at `at` (the service clock's time).
    #[error("flood limit {:?} reached; retry in {:?}", .flooded.limit, .flooded.retry_after)]
    Flooded { flooded: Flooded, at: UnixMillis },
}

impl VerifyFailure {
    pub fn verify_code(&self) -> VerifyCode {
        match self {
            VerifyFailure::BodyNotJson | VerifyFailure::BodyUnreadable(_) => {
                VerifyCode::InvalidRequestBody
            }
            VerifyFailure::MissingField("clientId") => VerifyCode::InvalidClientId,
            VerifyFailure::MissingField("applicationId") | VerifyFailure::UnknownApplication => {
                VerifyCode::InvalidApplicationId
            }
            VerifyFailure::MissingField(_) => VerifyCode::InvalidRequestBody,
            VerifyFailure::ClientMismatch => VerifyCode::InvalidClientId,
            VerifyFailure::Payload(err) => err.verify_code(),
            VerifyFailure::MissingCode => VerifyCode::BadRequest,
            VerifyFailure::CodeField(err) => err.verify_code(),
            VerifyFailure::RotDisabled => VerifyCode::OperationNotAllowed,
            VerifyFailure::NoDeliveryAddress => VerifyCode::MissingUserIdentifier,
            VerifyFailure::NoEmailGateway => VerifyCode::EmailGatewayNotFound,
            VerifyFailure::NoSmsGateway => VerifyCode::SmsGatewayNotFound,
            VerifyFailure::Delivery(_) => VerifyCode::ProviderError,
            VerifyFailure::Flooded { flooded, .. } => match flooded.limit {
                Flood::ValidationsPerAddress => VerifyCode::TooManyFailedAttempts,
                Flood::SendsPerApplication | Flood::SendsPerAddress | Flood::SmsPerApplication => {
                    VerifyCode::TooManyOtpsSent
                }
            },
            VerifyFailure::Contended
            | VerifyFailure::StoredState(_)
            | VerifyFailure::App(_)
            | VerifyFailure::Db(_)
            | VerifyFailure::Worker(_) => VerifyCode::InternalServerError,
        }
    }
}

impl IntoResponse for VerifyFailure {
    fn into_response(self) -> Response {
        let code = self.verify_code();
        match code {
            VerifyCode::InternalServerError => {
                tracing::error!(error = %self, "Verify request failed")
            }
            VerifyCode::ProviderError => tracing::warn!(error = %self, "code delivery failed"),
            _ => tracing::debug!(error = %self, code = code.number(), "Verify request refused"),
        }
        match self {
            VerifyFailure::Flooded { flooded, at } => {
                VerifyReply::flooded(code, flooded.retry_after, at)
            }
            _ => VerifyReply::new(code),
        }
        .into_response()
    }
}
