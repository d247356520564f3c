//! Which patterns can be compared with which: same device class (desktop
//! or mobile), same type, and for same-text types the same text id and length.

use super::MatchError;
use crate::pattern::{Pattern, PatternKind};

/// Which matcher decides: the API's `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchMode {
    /// Types 1 and 2 against enrolments of the same text.
    SameText,
    /// Type 0 against type-0 enrolments.
    AnyText,
    /// Type 2 against type-2 enrolments of other texts (and of the same text).
    ShortAnyText,
}

impl MatchMode {
    /// The name the API reports.
    pub fn name(self) -> &'static str {
        match self {
            MatchMode::SameText => "same_text",
            MatchMode::AnyText => "any_text",
            MatchMode::ShortAnyText => "short_any_text",
        }
    }
}

/// Same-text enrolments a type-2 probe needs to be matched on its own text; with fewer, and
/// type-2 enrolments of other texts at hand, the short any-text matcher decides on all of
/// them (the same-text matcher has little to go on with one or two).
pub const MIN_SAME_TEXT_ENROLMENTS: usize = 3;

/// Whether a pattern can be matched in the short any-text mode: type 2 typed on a desktop.
/// Mobile rows time their flights from the previous keyup, not keydown, and no mobile data
/// has calibrated the mode, so mobile patterns keep to their own text.
pub fn has_short_any_text_mode(p: &Pattern) -> bool {
    p.kind() == PatternKind::Extended && !p.is_mobile()
}

fn type_number(kind: PatternKind) -> u8 {
    match kind {
        PatternKind::AnyText => 0,
        PatternKind::SameText => 1,
        PatternKind::Extended => 2,
        PatternKind::Mouse => 9,
    }
}

/// Text id, header length and row count of a diagram.
fn text_of(p: &Pattern) -> Option<(i64, f64, usize)> {
    match p {
        Pattern::Diagram(d) => Some((d.header.text_id, d.header.str_length, d.rows.len())),
        _ => None,
    }
}

/// Why `candidate` cannot be compared with `probe`, if it cannot.
fn mismatch(candidate: &Pattern, probe: &Pattern) -> Option<MatchError> {
    if candidate.is_mobile() != probe.is_mobile() {
        return Some(MatchError::MobileDesktopMismatch);
    }
    if candidate.kind() != probe.kind() {
        return Some(MatchError::TypeMismatch {
            enrolled: type_number(candidate.kind()),
            probe: type_number(probe.kind()),
        });
    }
    match (text_of(candidate), text_of(probe)) {
        (Some(c), Some(p)) if c != p => Some(MatchError::TextMismatch {
            enrolled_text_id: c.0,
            enrolled_length: c.1,
            probe_text_id: p.0,
            probe_length: p.1,
        }),
        _ => None,
    }
}

/// Checks the probes, picks the matcher and the enrolled patterns it compares them with.
pub(super) fn select<'a>(
    enrolled: &'a [Pattern],
    probes: &[Pattern],
) -> Result<(MatchMode, Vec<&'a Pattern>), MatchError> {
    let probe = probes.first().ok_or(MatchError::NoProbe)?;
    let mode = match probe.kind() {
        PatternKind::Mouse => return Err(MatchError::NotTyping),
        PatternKind::AnyText => MatchMode::AnyText,
        PatternKind::SameText | PatternKind::Extended => MatchMode::SameText,
    };
    if probes[1..].iter().any(|p| mismatch(p, probe).is_some()) {
        return Err(MatchError::MixedPatterns);
    }
    if probes
        .iter()
        .any(|p| matches!(p, Pattern::Diagram(d) if d.rows.is_empty()))
    {
        return Err(MatchError::NoKeystrokes);
    }
    let comparable: Vec<&Pattern> = enrolled
        .iter()
        .filter(|e| mismatch(e, probe).is_none())
        .collect();
    if has_short_any_text_mode(probe) && comparable.len() < MIN_SAME_TEXT_ENROLMENTS {
        let any_text: Vec<&Pattern> = enrolled
            .iter()
            .filter(|e| has_short_any_text_mode(e))
            .collect();
        if any_text.len() > comparable.len() {
            return Ok((MatchMode::ShortAnyText, any_text));
        }
    }
    if comparable.is_empty() {
        return Err(match enrolled.last() {
            Some(last) => mismatch(last, probe).unwrap_or(MatchError::NoComparableEnrolments),
            None => MatchError::NoComparableEnrolments,
        });
    }
    Ok((mode, comparable))
}
