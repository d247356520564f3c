//! The HTTP 200 body shared by every Authentication API endpoint: the envelope (`status`,
//! `message`, `message_code`) and whichever of the endpoint fields apply. Absent fields are
//! omitted.

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::Outcome;

/// Business outcomes: codes 1–10, always inside HTTP 200.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeCode {
    Done,
    DuplicatePattern,
    NoPositionEnrolments,
    NoPreviousPatterns,
    PreviouslyVerified,
    NoMatchingQuote,
    NotEnrolledNotEnough,
    EnrolledNotEnough,
}

impl OutcomeCode {
    pub fn code(self) -> u16 {
        match self {
            OutcomeCode::Done => 1,
            OutcomeCode::DuplicatePattern => 2,
            OutcomeCode::NoPositionEnrolments => 3,
            OutcomeCode::NoPreviousPatterns => 4,
            OutcomeCode::PreviouslyVerified => 5,
            OutcomeCode::NoMatchingQuote => 6,
            OutcomeCode::NotEnrolledNotEnough => 9,
            OutcomeCode::EnrolledNotEnough => 10,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            OutcomeCode::Done => "Done",
            OutcomeCode::DuplicatePattern => "Duplicate typing pattern(s).",
            OutcomeCode::NoPositionEnrolments => {
                "No previous patterns enrolled with this typing position."
            }
            OutcomeCode::NoPreviousPatterns => "No previous valid typing patterns found.",
            OutcomeCode::PreviouslyVerified => "Pattern was previously sent for verification.",
            OutcomeCode::NoMatchingQuote => "No matching quote found.",
            OutcomeCode::NotEnrolledNotEnough => {
                "Pattern not enrolled. Not enough patterns for verification."
            }
            OutcomeCode::EnrolledNotEnough => {
                "Pattern(s) enrolled. Not enough patterns for verification."
            }
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub message: &'static str,
    pub message_code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrollment: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_minimum_enrollments: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_score: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_confidence: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_samples: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_samples: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_similarity: Option<i64>,
    /// Which matcher decided (`same_text`, `any_text`, `short_any_text`); not a TypingDNA
    /// field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positions: Option<Vec<u8>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobilecount: Option<u64>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub pattern_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_field: Option<String>,
}

/// Scores are reported as whole numbers on 0–100, like the examples clients were written for.
pub fn whole(value: f64) -> i64 {
    value.round() as i64
}

impl ApiResponse {
    pub fn outcome(code: OutcomeCode) -> Self {
        ApiResponse {
            status: 200,
            message: code.message(),
            message_code: code.code(),
            ..Default::default()
        }
    }

    pub fn with_success(mut self, success: bool) -> Self {
        self.success = Some(u8::from(success));
        self
    }

    pub fn with_custom_field(mut self, custom_field: Option<String>) -> Self {
        self.custom_field = custom_field;
        self
    }
}

impl IntoResponse for ApiResponse {
    fn into_response(self) -> Response {
        let code = self.message_code;
        let mut response = axum::Json(self).into_response();
        response.extensions_mut().insert(Outcome(code));
        response
    }
}
