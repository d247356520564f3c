//! A `tp` field as submitted: one or more `;`-joined patterns, parsed by the core, checked to
//! belong to one bucket, and prepared for storage (canonical text, replay digest).

use std::sync::OnceLock;

use keycadence_core::pattern::{Pattern, PatternKind};
use sha2::{Digest, Sha256};

use crate::db::enrolments::{Bucket, NewPattern};
use crate::error::ErrorCode;

/// Mobile typing position reported for landscape orientation.
pub const LANDSCAPE_POSITION: i64 = 6;

#[derive(Clone, Debug)]
pub struct Submission {
    pub patterns: Vec<Pattern>,
    pub bucket: Bucket,
    prepared: OnceLock<Vec<NewPattern>>,
}

impl Submission {
    /// The patterns as stored, made on first use: a verification without replay protection
    /// that enrols nothing needs neither the canonical texts nor their digests.
    pub fn prepared(&self) -> &[NewPattern] {
        self.prepared.get_or_init(|| {
            self.patterns
                .iter()
                .map(|pattern| {
                    let text = pattern.to_string();
                    let digest = digest(&text);
                    NewPattern {
                        bucket: self.bucket,
                        text,
                        digest,
                    }
                })
                .collect()
        })
    }

    pub fn digests(&self) -> Vec<String> {
        self.prepared().iter().map(|p| p.digest.clone()).collect()
    }
}

/// The replay digest of a canonical pattern text: SHA-256, lower-case hex.
fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// How many patterns a `tp` field holds, without parsing them (to refuse oversize calls early).
pub fn count_patterns(tp: &str) -> usize {
    tp.split(';').filter(|p| !p.trim().is_empty()).count()
}

/// Parses and checks a `tp` field: code 36 for an empty, `null`, unparsable or mouse pattern,
/// 55 when the patterns differ in device, type, text or position, 46 for a mobile same-text
/// pattern without motion data.
pub fn parse(tp: &str) -> Result<Submission, ErrorCode> {
    let pieces: Vec<&str> = tp
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if pieces.is_empty() {
        return Err(ErrorCode::InvalidPattern);
    }
    let mut patterns = Vec::with_capacity(pieces.len());
    for piece in pieces {
        if piece.eq_ignore_ascii_case("null") || piece.eq_ignore_ascii_case("undefined") {
            return Err(ErrorCode::InvalidPattern);
        }
        let pattern = Pattern::parse(piece).map_err(|err| {
            tracing::debug!(error = %err, "typing pattern refused");
            ErrorCode::InvalidPattern
        })?;
        if !rows_fit_text_length(&pattern) {
            return Err(ErrorCode::InvalidPattern);
        }
        patterns.push(pattern);
    }
    let mut buckets = Vec::with_capacity(patterns.len());
    for pattern in &patterns {
        let bucket = bucket_of(pattern)?;
        if pattern.is_mobile()
            && matches!(
                pattern.kind(),
                PatternKind::SameText | PatternKind::Extended
            )
            && !has_motion(pattern)
        {
            return Err(ErrorCode::MobileWithoutMotion);
        }
        buckets.push(bucket);
    }
    let bucket = buckets[0];
    if buckets.iter().any(|b| *b != bucket) {
        return Err(ErrorCode::IncompatiblePatterns);
    }
    Ok(Submission {
        patterns,
        bucket,
        prepared: OnceLock::new(),
    })
}

/// The bucket a pattern is kept in and compared within.
pub fn bucket_of(pattern: &Pattern) -> Result<Bucket, ErrorCode> {
    let kind = match pattern.kind() {
        PatternKind::AnyText => 0,
        PatternKind::SameText => 1,
        PatternKind::Extended => 2,
        PatternKind::Mouse => return Err(ErrorCode::InvalidPattern),
    };
    Ok(Bucket {
        is_mobile: pattern.is_mobile(),
        kind,
        text_id: pattern.text_id().unwrap_or(0),
        position: typing_position(pattern),
    })
}

/// The mobile typing position this server can tell from a pattern: landscape (6) from the
/// device signature's orientation field. Telling the portrait postures 1–5 apart needs a
/// motion classifier the core does not have yet, so portrait patterns share position 0.
pub fn typing_position(pattern: &Pattern) -> i64 {
    if !pattern.is_mobile() {
        return 0;
    }
    match pattern.device_signature() {
        Some(signature) if signature.orientation() == 2.0 => LANDSCAPE_POSITION,
        _ => 0,
    }
}

/// The positions reported by `position_only` (the typing positions 1–6 that could be detected).
pub fn detected_positions(bucket: Bucket) -> Vec<u8> {
    if bucket.is_mobile && bucket.position > 0 {
        vec![bucket.position as u8]
    } else {
        Vec::new()
    }
}

/// A same-text pattern has one row per character of its text; the recorder gives up (returns
/// `null`) when more than 7 % are missing, so more difference than that means a cut or
/// tampered pattern.
fn rows_fit_text_length(pattern: &Pattern) -> bool {
    let Pattern::Diagram(d) = pattern else {
        return true;
    };
    let rows = d.rows.len() as f64;
    let expected = d.header.str_length;
    if rows == 0.0 {
        return false;
    }
    expected <= 0.0 || (rows - expected).abs() <= (expected * 0.07).ceil().max(1.0)
}

fn has_motion(pattern: &Pattern) -> bool {
    match pattern {
        Pattern::Diagram(d) => d.motion.as_ref().is_some_and(|m| !m.samples.is_empty()),
        Pattern::AnyText(_) | Pattern::Mouse(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_lower_case_hex_sha256_as_stored_before() {
        // FIPS 180-2 test vector: SHA-256("abc").
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
