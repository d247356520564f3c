//! The HTTP 200 body shared by every Authentication API endpoint: the envelope (`status`,
//! `message`, `message_code`) and whichever of the endpoint fields apply. Absent fields are
//! omitted. The one place where the service's outcomes (`crate::domain`) become these bodies.

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::db::enrolments::{PatternCounts, PatternFilter};
use crate::domain::decision::Endpoint;
use crate::domain::submission::detected_positions;
use crate::domain::{ChangeOutcome, EnrolOnly, MatchOutcome, SaveOutcome, Verified, VerifyOutcome};
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

impl From<SaveOutcome> for ApiResponse {
    fn from(outcome: SaveOutcome) -> Self {
        match outcome {
            SaveOutcome::Stored => ApiResponse::outcome(OutcomeCode::Done).with_success(true),
            SaveOutcome::Duplicate => {
                ApiResponse::outcome(OutcomeCode::DuplicatePattern).with_success(false)
            }
        }
    }
}

impl From<ChangeOutcome> for ApiResponse {
    fn from(outcome: ChangeOutcome) -> Self {
        match outcome {
            ChangeOutcome::Renamed => ApiResponse::outcome(OutcomeCode::Done).with_success(true),
            ChangeOutcome::UnknownUser => {
                ApiResponse::outcome(OutcomeCode::NoPreviousPatterns).with_success(false)
            }
        }
    }
}

impl ApiResponse {
    /// `/verify` shows the scores and the positions; `/auto` only the decision.
    pub fn verify(endpoint: Endpoint, outcome: VerifyOutcome) -> Self {
        match outcome {
            VerifyOutcome::Positions(bucket) => {
                let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
                response.positions = Some(detected_positions(bucket));
                response
            }
            VerifyOutcome::DeviceSimilarity(similarity) => {
                let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
                response.device_similarity = Some(whole(similarity));
                response
            }
            VerifyOutcome::NothingToCompare { other_positions } => {
                let code = if other_positions {
                    OutcomeCode::NoPositionEnrolments
                } else {
                    OutcomeCode::NoPreviousPatterns
                };
                ApiResponse::outcome(code).with_success(false)
            }
            VerifyOutcome::Duplicate => {
                ApiResponse::outcome(OutcomeCode::DuplicatePattern).with_success(false)
            }
            VerifyOutcome::PreviouslyVerified => {
                ApiResponse::outcome(OutcomeCode::PreviouslyVerified).with_success(false)
            }
            VerifyOutcome::NotEnoughEnrolments => {
                ApiResponse::outcome(OutcomeCode::NotEnrolledNotEnough).with_success(false)
            }
            VerifyOutcome::Enrolled(enrolled) => ApiResponse::enrolled(endpoint, enrolled),
            VerifyOutcome::Verified(verified) => ApiResponse::verified(endpoint, &verified),
        }
    }

    fn enrolled(endpoint: Endpoint, enrolled: EnrolOnly) -> Self {
        let mut response = match enrolled {
            EnrolOnly::Stored { ready } => {
                let code = if ready {
                    OutcomeCode::Done
                } else {
                    OutcomeCode::EnrolledNotEnough
                };
                let mut response =
                    ApiResponse::outcome(code).with_success(endpoint == Endpoint::Auto);
                response.enrollment = Some(1);
                response.has_minimum_enrollments = Some(ready);
                response
            }
            EnrolOnly::Duplicate => {
                let mut response =
                    ApiResponse::outcome(OutcomeCode::DuplicatePattern).with_success(false);
                response.enrollment = Some(0);
                response
            }
        };
        response.action = Some("enroll");
        response
    }

    fn verified(endpoint: Endpoint, verified: &Verified) -> Self {
        let v = &verified.verification;
        let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
        response.result = Some(u8::from(verified.result));
        response.high_confidence = Some(u8::from(v.high_confidence));
        response.mode = Some(v.mode);
        if verified.auto_enrol {
            response.action = Some(if verified.enrolled_now {
                "verify;enroll"
            } else {
                "verify"
            });
            response.enrollment = Some(u8::from(verified.enrolled_now));
        }
        if endpoint == Endpoint::Verify {
            response.score = Some(whole(v.score));
            response.confidence = Some(whole(v.confidence));
            response.net_score = Some(whole(v.net_score));
            response.compared_samples = Some(v.compared_samples);
            response.previous_samples = Some(verified.previous as u64);
            response.device_similarity = Some(whole(v.device_similarity));
            response.positions = Some(detected_positions(verified.bucket));
        }
        response
    }

    /// `GET /user`: the counts and the types they are of.
    pub fn user_patterns(counts: PatternCounts, filter: &PatternFilter) -> Self {
        let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
        response.count = Some(counts.desktop);
        response.mobilecount = Some(counts.mobile);
        response.pattern_type = Some(match &filter.kinds {
            None => "All".to_string(),
            Some(kinds) => kinds
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(","),
        });
        response
    }

    /// `DELETE /user`: how many patterns went.
    pub fn deleted(deleted: u64) -> Self {
        let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
        response.deleted = Some(deleted);
        response
    }

    /// `/match`: the device similarity alone, or the whole comparison.
    pub fn matched(outcome: MatchOutcome, device_similarity_only: bool) -> Self {
        let v = match outcome {
            MatchOutcome::Compared(v) => v,
            MatchOutcome::NothingComparable => {
                return ApiResponse::outcome(OutcomeCode::NoPreviousPatterns).with_success(false)
            }
        };
        let mut response = ApiResponse::outcome(OutcomeCode::Done).with_success(true);
        response.device_similarity = Some(whole(v.device_similarity));
        if !device_similarity_only {
            response.result = Some(u8::from(v.result));
            response.score = Some(whole(v.score));
            response.confidence = Some(whole(v.confidence));
            response.net_score = Some(whole(v.net_score));
            response.high_confidence = Some(u8::from(v.high_confidence));
            response.compared_samples = Some(v.compared_samples);
            response.mode = Some(v.mode);
        }
        response
    }
}
