//! The one place where a failure becomes the documented wire error of the Authentication API:
//! `message_code`, HTTP status, the error `name` and the message clients see.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Every error the Authentication API can answer with. Business outcomes (codes 1–10) are not
/// errors: they travel inside HTTP 200 bodies built by the handlers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorCode {
    #[error("syntax error in the request")]
    Syntax,
    #[error("apiKey/apiSecret combination is invalid")]
    BadCredentials,
    #[error("unknown apiKey")]
    UnknownApiKey,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("invalid user id")]
    InvalidUserId,
    #[error("invalid typing pattern")]
    InvalidPattern,
    #[error("concurrent request limit reached")]
    ConcurrencyLimit,
    #[error("not found")]
    NotFound,
    #[error("mobile and desktop patterns cannot be matched")]
    MobileDesktopMismatch,
    #[error("patterns of different text or length")]
    TextMismatch,
    #[error("request too large")]
    RequestTooLarge,
    #[error("per-IP request limit reached")]
    IpLimit,
    #[error("patterns of different types")]
    TypeMismatch,
    #[error("server in maintenance")]
    Maintenance,
    #[error("mobile pattern without motion data")]
    MobileWithoutMotion,
    #[error("matching not possible")]
    MatchUnavailable,
    #[error("internal error")]
    Internal,
    #[error("service unavailable")]
    Unavailable,
    #[error("new user id already used")]
    UserIdTaken,
    #[error("user limit reached")]
    UserLimit,
    #[error("throughput limit reached")]
    Throughput,
    #[error("operation not enabled for this key")]
    NotSupported,
    #[error("patterns of different device, type or text in one call")]
    IncompatiblePatterns,
    #[error("too many patterns in one verification")]
    TooManyPatterns,
    #[error("verification limit for this user reached")]
    VerificationLimit,
}

impl ErrorCode {
    /// Every error code, for the OpenAPI consistency test and the documentation.
    pub const ALL: [ErrorCode; 25] = [
        ErrorCode::Syntax,
        ErrorCode::BadCredentials,
        ErrorCode::UnknownApiKey,
        ErrorCode::MethodNotAllowed,
        ErrorCode::InvalidUserId,
        ErrorCode::InvalidPattern,
        ErrorCode::ConcurrencyLimit,
        ErrorCode::NotFound,
        ErrorCode::MobileDesktopMismatch,
        ErrorCode::TextMismatch,
        ErrorCode::RequestTooLarge,
        ErrorCode::IpLimit,
        ErrorCode::TypeMismatch,
        ErrorCode::Maintenance,
        ErrorCode::MobileWithoutMotion,
        ErrorCode::MatchUnavailable,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
        ErrorCode::UserIdTaken,
        ErrorCode::UserLimit,
        ErrorCode::Throughput,
        ErrorCode::NotSupported,
        ErrorCode::IncompatiblePatterns,
        ErrorCode::TooManyPatterns,
        ErrorCode::VerificationLimit,
    ];

    /// The answer TypingDNA's clients receive for this error.
    pub fn wire(self) -> WireError {
        use ErrorCode::*;
        match self {
            Syntax => WireError::new(31, 400, "Bad request", "Invalid parameter in request body: Syntax error."),
            BadCredentials => WireError::new(32, 401, "Not authenticated", "apiKey/apiSecret combination is invalid."),
            UnknownApiKey => WireError::new(33, 403, "Invalid apiKey", "You provided an invalid apiKey."),
            MethodNotAllowed => WireError::new(
                34,
                405,
                "Method not allowed",
                "The method received in the request is known but not supported by the target resource.",
            ),
            InvalidUserId => WireError::new(
                35,
                444,
                "Invalid user id",
                "Invalid parameter user id (should be between 6 and 256 characters long and a hash or id instead of an email or phone number)",
            ),
            InvalidPattern => WireError::new(
                36,
                445,
                "Invalid typing pattern",
                "One or more submitted typing patterns are invalid.",
            ),
            ConcurrencyLimit => WireError::new(
                37,
                429,
                "Too many concurrent requests",
                "You have reached your concurrent plan limit.",
            ),
            NotFound => WireError::new(
                38,
                404,
                "Not found",
                "The requested resource could not be found. This error can be due to a temporary or permanent condition.",
            ),
            MobileDesktopMismatch => WireError::new(
                40,
                448,
                "Mixed typing patterns",
                "Matching mobile and desktop typing patterns against each other is not supported.",
            ),
            TextMismatch => WireError::new(
                41,
                449,
                "Different textid or length",
                "You are trying to match diagrams that have different length or text id.",
            ),
            RequestTooLarge => WireError::new(
                42,
                447,
                "Maximum request size exceeded",
                "You have exceeded the maximum accepted request size. Please verify your post parameters.",
            ),
            IpLimit => WireError::new(
                43,
                452,
                "Too many requests from this IP",
                "You have exceeded the maximum accepted request number for this IP address.",
            ),
            TypeMismatch => WireError::new(
                44,
                450,
                "Different pattern types",
                "You are trying to match different types of patterns.",
            ),
            Maintenance => WireError::new(45, 451, "Server maintenance", "Server is inactive for maintenance."),
            MobileWithoutMotion => WireError::new(
                46,
                453,
                "Mobile pattern without motion data",
                "The typing pattern comes from a mobile device but has no motion data, which may lead to poor results.",
            ),
            MatchUnavailable => WireError::new(
                47,
                454,
                "Match server unavailable",
                "Matching not possible at the moment.",
            ),
            Internal => WireError::new(
                48,
                500,
                "Internal server error",
                "The server encountered an internal error or misconfiguration and was unable to complete your request.",
            ),
            Unavailable => WireError::new(
                49,
                503,
                "Service unavailable",
                "The server is currently unable to handle the request due to a temporary condition. Please try again later.",
            ),
            UserIdTaken => WireError::new(
                50,
                455,
                "User id already exists",
                "New user id cannot be set since it's already used",
            ),
            UserLimit => WireError::new(
                51,
                461,
                "Maximum number of users reached",
                "The maximum number of users has been reached on the current subscription.",
            ),
            Throughput => WireError::new(
                52,
                429,
                "Too many requests",
                "You have reached your account request throughput limitation.",
            ),
            NotSupported => WireError::new(
                53,
                456,
                "Operation not supported",
                "Operation not supported on current subscription.",
            ),
            IncompatiblePatterns => WireError::new(
                55,
                458,
                "Incompatible typing patterns",
                "Incompatible typing patterns submitted. Only patterns for the same Device/Type/Text are supported in the same call.",
            ),
            TooManyPatterns => WireError::new(
                56,
                459,
                "Too many typing patterns",
                "Too many typing patterns submitted for verification.",
            ),
            VerificationLimit => WireError::new(
                57,
                462,
                "Maximum number of verifications reached",
                "The maximum number of verifications for the current user has been reached on the current subscription.",
            ),
        }
    }

    pub fn message_code(self) -> u16 {
        self.wire().message_code
    }

    pub fn http_status(self) -> u16 {
        self.wire().status
    }
}

/// An error as documented: its `message_code`, HTTP status, `name` and `message`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireError {
    pub message_code: u16,
    pub status: u16,
    pub name: &'static str,
    pub message: &'static str,
}

impl WireError {
    const fn new(
        message_code: u16,
        status: u16,
        name: &'static str,
        message: &'static str,
    ) -> Self {
        WireError {
            message_code,
            status,
            name,
            message,
        }
    }
}

/// An error on its way to the client: the code, the `custom_field` to echo (absent when the
/// request failed authentication or syntax) and, for limits, how long to wait.
#[derive(Debug, thiserror::Error)]
#[error("{code}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub custom_field: Option<String>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            custom_field: None,
            retry_after_secs: None,
        }
    }

    pub fn retry_after(code: ErrorCode, secs: u64) -> Self {
        ApiError {
            code,
            custom_field: None,
            retry_after_secs: Some(secs),
        }
    }

    pub fn with_custom_field(mut self, custom_field: Option<String>) -> Self {
        self.custom_field = custom_field;
        self
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::new(code)
    }
}

impl From<sqlx::Error> for ErrorCode {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        database_error_code(&err)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::new(ErrorCode::from(err))
    }
}

/// The answer to a request the database failed: 49 (a retry may succeed) while it cannot be
/// reached or is restarting, 48 for anything else.
pub fn database_error_code(err: &sqlx::Error) -> ErrorCode {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            ErrorCode::Unavailable
        }
        sqlx::Error::Database(db) if is_connection_lost(db.code().as_deref()) => {
            ErrorCode::Unavailable
        }
        _ => ErrorCode::Internal,
    }
}

/// PostgreSQL's SQLSTATEs for a connection that is gone or refused for now: class 08
/// (connection exception) and the server shutting down or starting up (57P01 to 57P03, what a
/// restart answers queries in flight). A retry on a new connection may succeed.
fn is_connection_lost(sqlstate: Option<&str>) -> bool {
    sqlstate
        .is_some_and(|code| code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03"))
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    name: &'a str,
    message: &'a str,
    message_code: u16,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let wire = self.code.wire();
        let body = ErrorBody {
            name: wire.name,
            message: wire.message,
            message_code: wire.message_code,
            status: wire.status,
            custom_field: self.custom_field.as_deref(),
        };
        let status = StatusCode::from_u16(wire.status)
            .expect("every documented status is a valid HTTP status");
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(Outcome(wire.message_code));
        response
    }
}

/// The message_code of a finished request, left on the response for metrics and logs.
#[derive(Clone, Copy, Debug)]
pub struct Outcome(pub u16);
