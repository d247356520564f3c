//! The Verify result and error codes and, in this one place, which code answers each error and
//! outcome of this crate. A server builds its reply from a [`VerifyCode`]:
//! `{"success", "status": http_status, "code": number, "message"}` (plus `otp` or
//! `limitedUntil` where the outcome carries one).

use crate::codes::{CodeFieldError, SendRefused, ValidateOutcome};
use crate::payload::{Field, PayloadError};

/// Every result and error code of the Verify protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyCode {
    /// 9: a code was sent.
    OtpSent,
    /// 10: the code is wrong or expired.
    OtpInvalidOrExpired,
    /// 11: that wrong code used the last allowed attempt.
    TooManyFailedAttempts,
    /// 12: the user is locked out after failed attempts.
    MaxOtpAttempts,
    /// 13: too many codes were sent in the window.
    TooManyOtpsSent,
    /// 19: the code matched.
    OtpMatches,
    /// 26: the code could not be delivered.
    ProviderError,
    /// 101: the request is malformed.
    BadRequest,
    /// 104: the request body or payload is invalid.
    InvalidRequestBody,
    /// 105: unknown client id.
    InvalidClientId,
    /// 106: unknown application id.
    InvalidApplicationId,
    /// 107: the server failed.
    InternalServerError,
    /// 108: the payload's timestamp is too old, too far ahead, or missing.
    RequestExpired,
    /// 109: no user identifier.
    MissingUserIdentifier,
    /// 111: bad or missing e-mail address.
    InvalidEmail,
    /// 112: bad or missing phone number.
    InvalidPhone,
    /// 116: checking the code failed.
    ErrorValidatingOtp,
    /// 124: the credentials or the payload are not accepted.
    UnauthorizedRequest,
    /// 126: the operation is not allowed for this application (e.g. RoT is disabled).
    OperationNotAllowed,
    /// 129: no SMS gateway is configured.
    SmsGatewayNotFound,
    /// 132: no e-mail gateway is configured.
    EmailGatewayNotFound,
    /// 135: the application's active-user limit is reached.
    MaxActiveUsers,
}

impl VerifyCode {
    /// The `code` field.
    pub fn number(self) -> u16 {
        match self {
            VerifyCode::OtpSent => 9,
            VerifyCode::OtpInvalidOrExpired => 10,
            VerifyCode::TooManyFailedAttempts => 11,
            VerifyCode::MaxOtpAttempts => 12,
            VerifyCode::TooManyOtpsSent => 13,
            VerifyCode::OtpMatches => 19,
            VerifyCode::ProviderError => 26,
            VerifyCode::BadRequest => 101,
            VerifyCode::InvalidRequestBody => 104,
            VerifyCode::InvalidClientId => 105,
            VerifyCode::InvalidApplicationId => 106,
            VerifyCode::InternalServerError => 107,
            VerifyCode::RequestExpired => 108,
            VerifyCode::MissingUserIdentifier => 109,
            VerifyCode::InvalidEmail => 111,
            VerifyCode::InvalidPhone => 112,
            VerifyCode::ErrorValidatingOtp => 116,
            VerifyCode::UnauthorizedRequest => 124,
            VerifyCode::OperationNotAllowed => 126,
            VerifyCode::SmsGatewayNotFound => 129,
            VerifyCode::EmailGatewayNotFound => 132,
            VerifyCode::MaxActiveUsers => 135,
        }
    }

    /// The HTTP status (and the body's `status`): results travel in 200.
    pub fn http_status(self) -> u16 {
        match self {
            VerifyCode::OtpSent
            | VerifyCode::OtpInvalidOrExpired
            | VerifyCode::TooManyFailedAttempts
            | VerifyCode::MaxOtpAttempts
            | VerifyCode::TooManyOtpsSent
            | VerifyCode::OtpMatches
            | VerifyCode::ProviderError => 200,
            VerifyCode::OperationNotAllowed => 401,
            VerifyCode::InternalServerError | VerifyCode::ErrorValidatingOtp => 500,
            _ => 400,
        }
    }

    /// The `success` field. Codes 13 and 26 answer 0 although the docs show 1: the honest
    /// value, a deliberate deviation from TypingDNA's documentation no known client keys on.
    pub fn success(self) -> bool {
        matches!(self, VerifyCode::OtpSent | VerifyCode::OtpMatches)
    }

    /// The `message` field, as the documentation words it.
    pub fn message(self) -> &'static str {
        match self {
            VerifyCode::OtpSent => "OTP sent",
            VerifyCode::OtpInvalidOrExpired => "OTP given invalid or expired",
            VerifyCode::TooManyFailedAttempts => "Too many failed attempts. Please try later",
            VerifyCode::MaxOtpAttempts => {
                "User reached maximum OTP attempts and cannot do authentication. Try later."
            }
            VerifyCode::TooManyOtpsSent => "Too many OTP attempts sent. Please try later.",
            VerifyCode::OtpMatches => "OTP given matches",
            VerifyCode::ProviderError => "Could not send OTP. Provider error.",
            VerifyCode::BadRequest => "Bad request",
            VerifyCode::InvalidRequestBody => "Invalid request body",
            VerifyCode::InvalidClientId => "Invalid client id",
            VerifyCode::InvalidApplicationId => "Invalid application id",
            VerifyCode::InternalServerError => "Internal server error",
            VerifyCode::RequestExpired => "Request has expired",
            VerifyCode::MissingUserIdentifier => "Missing user identifier",
            VerifyCode::InvalidEmail => "Invalid or missing email address",
            VerifyCode::InvalidPhone => "Invalid or missing phone number",
            VerifyCode::ErrorValidatingOtp => "Error validating OTP",
            VerifyCode::UnauthorizedRequest => "Unauthorized request",
            VerifyCode::OperationNotAllowed => "Operation not allowed",
            VerifyCode::SmsGatewayNotFound => "SMS gateway not found.",
            VerifyCode::EmailGatewayNotFound => "Email gateway not found.",
            VerifyCode::MaxActiveUsers => "Maximum number of active users reached",
        }
    }
}

impl PayloadError {
    /// The code that answers this error.
    pub fn verify_code(&self) -> VerifyCode {
        match self {
            PayloadError::Missing
            | PayloadError::TooLong { .. }
            | PayloadError::NotHex
            | PayloadError::BadLength { .. }
            | PayloadError::UnknownFlow(_)
            | PayloadError::BadTimestamp(_)
            | PayloadError::InvalidId
            | PayloadError::ConflictingFields(_)
            | PayloadError::NotV2
            | PayloadError::NotBase64Url
            | PayloadError::Truncated
            | PayloadError::BadJti => VerifyCode::InvalidRequestBody,
            PayloadError::WrongPurpose { .. }
            | PayloadError::PurposeField
            | PayloadError::LegacyNotAllowed
            | PayloadError::Replayed => VerifyCode::UnauthorizedRequest,
            PayloadError::MissingTimestamp => VerifyCode::RequestExpired,
            PayloadError::FieldType { field, .. } => match field {
                Field::Email => VerifyCode::InvalidEmail,
                Field::PhoneNumber | Field::CountryCode => VerifyCode::InvalidPhone,
                Field::Id | Field::Language | Field::Flow => VerifyCode::InvalidRequestBody,
            },
            PayloadError::UnsupportedVersion(_) => VerifyCode::BadRequest,
            PayloadError::Undecryptable => VerifyCode::UnauthorizedRequest,
            PayloadError::Expired { .. } | PayloadError::FromTheFuture { .. } => {
                VerifyCode::RequestExpired
            }
            PayloadError::MissingIdentifier => VerifyCode::MissingUserIdentifier,
            PayloadError::InvalidEmail { .. } => VerifyCode::InvalidEmail,
            PayloadError::InvalidPhone { .. } => VerifyCode::InvalidPhone,
        }
    }
}

impl CodeFieldError {
    /// The code that answers this error.
    pub fn verify_code(&self) -> VerifyCode {
        VerifyCode::BadRequest
    }
}

impl SendRefused {
    /// Code 13, with `limitedUntil` = [`SendRefused::limited_until`].
    pub fn verify_code(&self) -> VerifyCode {
        VerifyCode::TooManyOtpsSent
    }
}

impl ValidateOutcome {
    /// Codes 19, 10, 11 and 12; 11 and 12 carry `limitedUntil`.
    pub fn verify_code(&self) -> VerifyCode {
        match self {
            ValidateOutcome::Matched => VerifyCode::OtpMatches,
            ValidateOutcome::Invalid => VerifyCode::OtpInvalidOrExpired,
            ValidateOutcome::TooManyFailures { .. } => VerifyCode::TooManyFailedAttempts,
            ValidateOutcome::LockedOut { .. } => VerifyCode::MaxOtpAttempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_section_2_6() {
        let rows = [
            (VerifyCode::OtpSent, 9, 200, true),
            (VerifyCode::OtpInvalidOrExpired, 10, 200, false),
            (VerifyCode::TooManyFailedAttempts, 11, 200, false),
            (VerifyCode::MaxOtpAttempts, 12, 200, false),
            (VerifyCode::TooManyOtpsSent, 13, 200, false),
            (VerifyCode::OtpMatches, 19, 200, true),
            (VerifyCode::ProviderError, 26, 200, false),
            (VerifyCode::BadRequest, 101, 400, false),
            (VerifyCode::InvalidRequestBody, 104, 400, false),
            (VerifyCode::InvalidClientId, 105, 400, false),
            (VerifyCode::InvalidApplicationId, 106, 400, false),
            (VerifyCode::InternalServerError, 107, 500, false),
            (VerifyCode::RequestExpired, 108, 400, false),
            (VerifyCode::MissingUserIdentifier, 109, 400, false),
            (VerifyCode::InvalidEmail, 111, 400, false),
            (VerifyCode::InvalidPhone, 112, 400, false),
            (VerifyCode::ErrorValidatingOtp, 116, 500, false),
            (VerifyCode::UnauthorizedRequest, 124, 400, false),
            (VerifyCode::OperationNotAllowed, 126, 401, false),
            (VerifyCode::SmsGatewayNotFound, 129, 400, false),
            (VerifyCode::EmailGatewayNotFound, 132, 400, false),
            (VerifyCode::MaxActiveUsers, 135, 400, false),
        ];
        for (code, number, status, success) in rows {
            assert_eq!(
                (code.number(), code.http_status(), code.success()),
                (number, status, success),
                "{code:?}"
            );
        }
        assert_eq!(VerifyCode::RequestExpired.message(), "Request has expired");
    }

    #[test]
    fn payload_errors_map_to_their_codes() {
        assert_eq!(PayloadError::Undecryptable.verify_code().number(), 124);
        assert_eq!(PayloadError::NotHex.verify_code().number(), 104);
        assert_eq!(
            PayloadError::Expired {
                age_ms: 1,
                max_age_ms: 0
            }
            .verify_code()
            .number(),
            108
        );
        assert_eq!(PayloadError::MissingIdentifier.verify_code().number(), 109);
        assert_eq!(
            PayloadError::InvalidEmail { reason: "no @" }
                .verify_code()
                .number(),
            111
        );
        assert_eq!(
            PayloadError::FieldType {
                field: Field::CountryCode,
                expected: "a string"
            }
            .verify_code()
            .number(),
            112
        );
        assert_eq!(
            PayloadError::UnsupportedVersion("0.9".into())
                .verify_code()
                .number(),
            101
        );
    }
}
