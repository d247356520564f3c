//! Which patterns can be compared with which (server-api.md §1.6): same device class (desktop
//! or mobile), same type, and for same-text types the same text id and length.

use super::MatchError;
use crate::pattern::{Pattern, PatternKind};

/// The two ways of matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    SameText,
    AnyText,
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

/// Checks the probes and picks the enrolled patterns comparable with them.
pub fn select<'a>(
    enrolled: &'a [Pattern],
    probes: &[Pattern],
) -> Result<(Family, Vec<&'a Pattern>), MatchError> {
    let probe = probes.first().ok_or(MatchError::NoProbe)?;
    let family = match probe.kind() {
        PatternKind::Mouse => return Err(MatchError::NotTyping),
        PatternKind::AnyText => Family::AnyText,
        PatternKind::SameText | PatternKind::Extended => Family::SameText,
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
    if comparable.is_empty() {
        return Err(match enrolled.last() {
            Some(last) => mismatch(last, probe).unwrap_or(MatchError::NoComparableEnrolments),
            None => MatchError::NoComparableEnrolments,
        });
    }
    Ok((family, comparable))
}
