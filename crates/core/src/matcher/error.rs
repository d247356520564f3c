//! Why two sets of patterns cannot be compared.

/// An input the matcher refuses, rather than guessing. The comments give the Authentication
/// API message code each maps to.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    /// No probe pattern was given.
    #[error("no typing pattern to verify")]
    NoProbe,
    /// A mobile pattern against desktop ones, or the reverse (code 40).
    #[error("mobile and desktop typing patterns cannot be matched against each other")]
    MobileDesktopMismatch,
    /// Same-text patterns of different texts: different text id or length (code 41).
    #[error(
        "the patterns were typed for different texts (text id {enrolled_text_id} length {enrolled_length} vs text id {probe_text_id} length {probe_length})"
    )]
    TextMismatch {
        /// Text id of the enrolled patterns.
        enrolled_text_id: i64,
        /// Text length of the enrolled patterns (UTF-16 units, or the row count).
        enrolled_length: f64,
        /// Text id of the probe.
        probe_text_id: i64,
        /// Text length of the probe.
        probe_length: f64,
    },
    /// Patterns of different types: any text vs same text vs extended (code 44).
    #[error("the patterns are of different types ({enrolled} vs {probe})")]
    TypeMismatch {
        /// Type of the enrolled patterns (0 any text, 1 same text, 2 extended).
        enrolled: u8,
        /// Type of the probe.
        probe: u8,
    },
    /// The probes of one call differ in device, type or text (code 55).
    #[error("the submitted patterns mix devices, types or texts")]
    MixedPatterns,
    /// Nothing enrolled to compare with (outcome code 4).
    #[error("no enrolled typing pattern to compare with")]
    NoComparableEnrolments,
    /// A mouse-gesture pattern: it records no typing (code 36 at the API).
    #[error("a mouse pattern carries no typing to match")]
    NotTyping,
    /// A same-text pattern without rows, or an any-text pattern without keystrokes (code 36).
    #[error("the typing pattern contains no keystrokes")]
    NoKeystrokes,
}
