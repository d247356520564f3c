//! The bridge to the core matcher: stored patterns in, scores out, matcher refusals mapped to
//! the Authentication API's message codes.

use keycadence_core::matcher::{self, MatchError, Quality};
use keycadence_core::pattern::Pattern;

use crate::error::ErrorCode;

/// A finished comparison, in the API's 0–100 scales.
#[derive(Clone, Debug, PartialEq)]
pub struct Verification {
    pub score: f64,
    pub confidence: f64,
    pub net_score: f64,
    pub result: bool,
    pub high_confidence: bool,
    pub compared_samples: u64,
    pub device_similarity: f64,
    /// The matcher that decided, as the API names it (`same_text`, `any_text`,
    /// `short_any_text`).
    pub mode: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchFailure {
    /// Nothing enrolled could be compared (outcome code 4).
    NothingComparable,
    Refused(ErrorCode),
}

/// Compares probes with enrolled patterns (oldest first) at the API quality 1–3.
pub fn compare(
    enrolled: &[Pattern],
    probes: &[Pattern],
    quality: i64,
) -> Result<Verification, MatchFailure> {
    let quality = Quality::from_api(quality.clamp(1, 3)).unwrap_or_default();
    match matcher::compare(enrolled, probes, quality) {
        Ok(o) => Ok(Verification {
            score: o.score,
            confidence: o.confidence,
            net_score: o.net_score,
            result: o.result,
            high_confidence: o.high_confidence,
            compared_samples: o.compared_samples as u64,
            device_similarity: o.device_similarity,
            mode: o.mode.name(),
        }),
        Err(error) => Err(failure(&error)),
    }
}

fn failure(error: &MatchError) -> MatchFailure {
    MatchFailure::Refused(match error {
        MatchError::NoComparableEnrolments => return MatchFailure::NothingComparable,
        MatchError::MobileDesktopMismatch => ErrorCode::MobileDesktopMismatch,
        MatchError::TextMismatch { .. } => ErrorCode::TextMismatch,
        MatchError::TypeMismatch { .. } => ErrorCode::TypeMismatch,
        MatchError::MixedPatterns => ErrorCode::IncompatiblePatterns,
        MatchError::NoProbe | MatchError::NotTyping | MatchError::NoKeystrokes => {
            ErrorCode::InvalidPattern
        }
        // A refusal the matcher may add later: still a refusal, never a match.
        _ => ErrorCode::InvalidPattern,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matcher_refusals_map_to_the_documented_codes() {
        let refused = |e: MatchError| failure(&e);
        assert_eq!(
            refused(MatchError::NoComparableEnrolments),
            MatchFailure::NothingComparable
        );
        assert_eq!(
            refused(MatchError::MobileDesktopMismatch),
            MatchFailure::Refused(ErrorCode::MobileDesktopMismatch)
        );
        assert_eq!(
            refused(MatchError::TypeMismatch {
                enrolled: 0,
                probe: 1
            }),
            MatchFailure::Refused(ErrorCode::TypeMismatch)
        );
        assert_eq!(
            refused(MatchError::MixedPatterns),
            MatchFailure::Refused(ErrorCode::IncompatiblePatterns)
        );
        assert_eq!(
            refused(MatchError::NotTyping),
            MatchFailure::Refused(ErrorCode::InvalidPattern)
        );
    }
}
