//! `keycadence-eval aalto-short`: type-2 patterns of short sentences, each of another text.
//!
//! Each typist's sentences, sorted by first press, are replayed one at a time into a fresh
//! recorder and asked for a type-2 pattern of the sentence's text. Enrol sentences 1..K; the
//! genuine attempt is sentence K+1; impostor attempts are sentence K+1 of each of the next 100
//! typists (among those with K+1 sentences) in id order, wrapping. Every attempt goes through
//! [`Matcher::compare`], which picks the short any-text mode as the texts differ.

use std::path::Path;

use keycadence_core::matcher::{MatchMode, Matcher, Quality, ShortTextSample};
use keycadence_core::pattern::Pattern;
use keycadence_core::recorder::TypingPatternOptions;

use crate::aalto_eval::{impostors, read_typists, LoadReport};
use crate::replay;
use crate::report::Attempt;

/// Time between the recorder's construction and the first key.
const LEAD_MS: i64 = 1000;

/// One typed sentence.
pub(crate) struct TypedSentence {
    pub text: String,
    pub pattern: Pattern,
    pub sample: ShortTextSample,
}

/// A typist's sentences that gave a usable type-2 pattern, in typing order.
pub(crate) struct ShortTypist {
    pub id: String,
    pub sentences: Vec<TypedSentence>,
}

/// Loads every typist of `dir` and replays each sentence as a type-2 pattern of its text.
pub(crate) fn load_all(dir: &Path) -> Result<(Vec<ShortTypist>, LoadReport), String> {
    let mut report = LoadReport::default();
    let mut typists = Vec::new();
    for typist in read_typists(dir, &mut report)? {
        let sentences: Vec<TypedSentence> = typist
            .sentences
            .iter()
            .zip(&typist.texts)
            .filter_map(|(strokes, text)| typed_sentence(strokes, text))
            .collect();
        if sentences.len() < 2 {
            report
                .skipped
                .push((typist.id, format!("{} usable sentences", sentences.len())));
            continue;
        }
        typists.push(ShortTypist {
            id: typist.id,
            sentences,
        });
    }
    report.usable = typists.len();
    Ok((typists, report))
}

/// The character a US keyboard types with `key_code` (Shift held or not), for the keys of
/// ordinary sentences.
fn us_character(key_code: u32, shift: bool) -> Option<char> {
    let c = match (key_code, shift) {
        (65..=90, false) => char::from_u32(key_code + 32)?,
        (65..=90, true) | (48..=57, false) | (32, _) => char::from_u32(key_code)?,
        (49, true) => '!',
        (188, false) => ',',
        (190, false) => '.',
        (186, false) => ';',
        (186, true) => ':',
        (191, false) => '/',
        (191, true) => '?',
        (222, false) => '\'',
        (222, true) => '"',
        (189, false) => '-',
        _ => return None,
    };
    Some(c)
}

/// Some typists' files leave `LETTER` empty: their keys would have no keypress, and a type-2
/// pattern (which follows the typed characters) would see nothing. The character is taken
/// from the key code and the Shift state instead.
fn with_characters(strokes: &[replay::Stroke]) -> Vec<replay::Stroke> {
    strokes
        .iter()
        .map(|s| replay::Stroke {
            char_code: s
                .char_code
                .or_else(|| us_character(s.key_code, s.shift_down).map(|c| c as u32)),
            ..*s
        })
        .collect()
}

fn typed_sentence(strokes: &[replay::Stroke], text: &str) -> Option<TypedSentence> {
    let first = strokes.iter().map(|s| s.down).min()?;
    let options = TypingPatternOptions::extended(text);
    let strokes = with_characters(strokes);
    let pattern = Pattern::parse(&replay::pattern(first - LEAD_MS, &strokes, &options)?).ok()?;
    let Pattern::Diagram(d) = &pattern else {
        return None;
    };
    let sample = ShortTextSample::from_pattern(d)?;
    Some(TypedSentence {
        text: text.to_owned(),
        pattern,
        sample,
    })
}

/// The typists that have a sentence K+1.
pub(crate) fn eligible(typists: &[ShortTypist], enrol: usize) -> Vec<&ShortTypist> {
    typists
        .iter()
        .filter(|t| t.sentences.len() > enrol)
        .collect()
}

/// One scored attempt with what its probe was.
pub(crate) struct ShortAttempt {
    pub attempt: Attempt,
    /// The probe's text.
    pub text: String,
    /// Keys of the probe the matcher used.
    pub keys: usize,
    pub mode: MatchMode,
}

/// Scores the protocol with `enrol` (K) enrolled sentences through [`Matcher::compare`].
pub(crate) fn score(
    typists: &[&ShortTypist],
    enrol: usize,
    matcher: &Matcher,
) -> Vec<ShortAttempt> {
    let n = typists.len();
    let mut attempts = Vec::new();
    for (i, t) in typists.iter().enumerate() {
        let enrolled: Vec<Pattern> = t.sentences[..enrol]
            .iter()
            .map(|s| s.pattern.clone())
            .collect();
        for (j, genuine) in std::iter::once((i, true)).chain(impostors(i, n).map(|j| (j, false))) {
            let probe = &typists[j].sentences[enrol];
            let outcome = matcher
                .compare(
                    &enrolled,
                    std::slice::from_ref(&probe.pattern),
                    Quality::Medium,
                )
                .expect("type-2 desktop patterns compare");
            attempts.push(ShortAttempt {
                attempt: Attempt {
                    user: t.id.clone(),
                    typist: typists[j].id.clone(),
                    sample: (enrol + 1).to_string(),
                    genuine,
                    score: outcome.score,
                },
                text: probe.text.clone(),
                keys: probe.sample.keys().len(),
                mode: outcome.mode,
            });
        }
    }
    attempts
}

/// Per claimed user: the fraction of its impostor attempts scoring at least as high as its
/// genuine attempt (ties count half). With one genuine attempt this is the user's error
/// rate at the threshold that accepts it.
pub(crate) fn per_user_rank_error(attempts: &[Attempt]) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    let mut start = 0;
    while start < attempts.len() {
        let user = &attempts[start].user;
        let end = start
            + attempts[start..]
                .iter()
                .take_while(|a| &a.user == user)
                .count();
        let group = &attempts[start..end];
        if let Some(g) = group.iter().find(|a| a.genuine).map(|a| a.score) {
            let impostors: Vec<f64> = group
                .iter()
                .filter(|a| !a.genuine)
                .map(|a| a.score)
                .collect();
            if !impostors.is_empty() {
                let closer: f64 = impostors
                    .iter()
                    .map(|&s| {
                        if s > g {
                            1.0
                        } else if s == g {
                            0.5
                        } else {
                            0.0
                        }
                    })
                    .sum();
                out.push((user.clone(), closer / impostors.len() as f64));
            }
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(user: &str, genuine: bool, score: f64) -> Attempt {
        Attempt {
            user: user.into(),
            typist: String::new(),
            sample: String::new(),
            genuine,
            score,
        }
    }

    #[test]
    fn missing_letters_are_typed_from_key_code_and_shift() {
        let stroke = |key_code, char_code, shift_down| replay::Stroke {
            down: 0,
            up: Some(80),
            key_code,
            char_code,
            shift_down,
            shift_up: shift_down,
        };
        let filled = with_characters(&[
            stroke(84, None, true),
            stroke(72, None, false),
            stroke(190, None, false),
            stroke(16, None, true),
            stroke(65, Some(0x61), false),
        ]);
        let chars: Vec<Option<u32>> = filled.iter().map(|s| s.char_code).collect();
        assert_eq!(chars, vec![Some(84), Some(104), Some(46), None, Some(0x61)]);
    }

    #[test]
    fn rank_error_counts_impostors_at_or_above_the_genuine_score() {
        let attempts = [
            attempt("a", true, 50.0),
            attempt("a", false, 60.0),
            attempt("a", false, 50.0),
            attempt("a", false, 10.0),
            attempt("a", false, 20.0),
            attempt("b", true, 90.0),
            attempt("b", false, 10.0),
        ];
        let e = per_user_rank_error(&attempts);
        assert_eq!(e, vec![("a".into(), 0.375), ("b".into(), 0.0)]);
    }
}
