//! The typing check of a sign-in: does a type 2 pattern of a freshly generated text come from
//! the user who enrolled these type 2 patterns (of other texts)?
//!
//! [`decide`] is the whole interface the sign-in uses. It is the core matcher's short any-text
//! mode (a type 2 probe against type 2 enrolments of other texts: per-key holds and per-pair
//! flights backing off to finger and hand groups, plus the tempo and spread of the whole
//! phrase), measured on aalto-dev by `keycadence-eval aalto-short`: at 3 enrolments and the
//! default quality, 7.6 % of genuine phrases refused and 6.8 % of impostor phrases accepted.
//!
//! The matcher weighs each key against the phrase's own tempo, so a phrase typed evenly at a
//! very different speed (a script sending one key every 900 ms) can still look like the user;
//! the tempo itself is checked here as well: the probe's median hold and flight must be within
//! a factor of two of the enrolments'.

use keycadence_core::matcher::{self, Quality};
use keycadence_core::pattern::{DiagramPattern, DiagramRows, Pattern};

/// The matcher's answer for one attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TypingDecision {
    /// The probe reached the threshold of the requested quality.
    pub matched: bool,
    /// 0-100.
    pub score: f64,
}

/// Compares `probe` with the user's `enrolled` type 2 patterns (same device class). `None`
/// when nothing could be compared (the caller treats that as no match).
pub fn decide(probe: &Pattern, enrolled: &[Pattern], quality: Quality) -> Option<TypingDecision> {
    let outcome = matcher::compare(enrolled, std::slice::from_ref(probe), quality).ok()?;
    Some(TypingDecision {
        matched: outcome.result && same_tempo(probe, enrolled)?,
        score: outcome.score,
    })
}

/// How far the probe's median hold and median flight may be from the enrolments' (as a
/// factor either way). Medians, as a phrase's few keystrokes include pauses.
const MAX_TEMPO_FACTOR: f64 = 2.0;

/// The probe's median hold and flight are within [`MAX_TEMPO_FACTOR`] of the medians of all
/// enrolled keystrokes.
fn same_tempo(probe: &Pattern, enrolled: &[Pattern]) -> Option<bool> {
    let (probe_hold, probe_flight) = tempo(std::slice::from_ref(probe))?;
    let (usual_hold, usual_flight) = tempo(enrolled)?;
    let within = |a: f64, b: f64| (a / b).max(b / a) <= MAX_TEMPO_FACTOR;
    Some(within(probe_hold, usual_hold) && within(probe_flight, usual_flight))
}

/// Median hold and median flight (ms) of the typed rows of type 2 patterns.
fn tempo(patterns: &[Pattern]) -> Option<(f64, f64)> {
    let (mut holds, mut flights) = (Vec::new(), Vec::new());
    for pattern in patterns {
        let Pattern::Diagram(DiagramPattern {
            rows: DiagramRows::Extended(rows),
            ..
        }) = pattern
        else {
            continue;
        };
        for (i, row) in rows.iter().enumerate().filter(|(_, r)| !r.substituted) {
            if row.press > 0 {
                holds.push(row.press);
            }
            // The first row's flight is the wait before typing began.
            if i > 0 && row.seek > 0 {
                flights.push(row.seek);
            }
        }
    }
    let median = |values: &mut Vec<i64>| {
        values.sort_unstable();
        values.get(values.len() / 2).map(|&v| v as f64)
    };
    Some((median(&mut holds)?, median(&mut flights)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keycadence_core::recorder::{
        KeyEvent, KeyKind, NoDocument, Recorder, TypingPatternOptions,
    };
    use keycadence_core::Environment;

    /// A type 2 pattern of `text` with each key's hold and flight from `timing` (per letter).
    fn typed(text: &str, timing: impl Fn(char) -> (i64, i64)) -> Pattern {
        let t0 = 1_700_000_000_000;
        let mut recorder = Recorder::new(Environment::desktop_chrome(), t0);
        let mut t = t0 + 1000;
        for c in text.chars() {
            let (hold, flight) = timing(c);
            t += flight;
            let (key_code, char_code) = (c.to_ascii_uppercase() as u32, c as u32);
            recorder.key(&KeyEvent::new(KeyKind::Down, t, key_code, "in"));
            recorder.key(&KeyEvent::new(KeyKind::Press, t, char_code, "in").char_code(char_code));
            recorder.key(&KeyEvent::new(KeyKind::Up, t + hold, key_code, "in"));
        }
        let pattern = recorder
            .typing_pattern(&TypingPatternOptions::extended(text), &NoDocument)
            .unwrap();
        Pattern::parse(&pattern).unwrap()
    }

    /// A person: holds and flights that depend on the letter, varying a little per sample.
    fn person(sample: i64) -> impl Fn(char) -> (i64, i64) {
        move |c: char| {
            let k = i64::from(c as u8 % 7);
            (
                70 + 9 * k + (sample * 3 + k) % 5,
                120 + 17 * k + (sample * 5 + k) % 9,
            )
        }
    }

    fn enrolments() -> Vec<Pattern> {
        [
            "quick zebra climbs over seven boxes",
            "vivid jumbo lynx chased a comet",
            "frozen bacon mixed with quartz dust",
            "nimble wizard buzzed the canopy",
            "cobalt prism and velvet banjo",
        ]
        .iter()
        .zip(0..)
        .map(|(text, sample)| typed(text, person(sample)))
        .collect()
    }

    #[test]
    fn the_enrolled_rhythm_passes_on_a_new_text() {
        let probe = typed("mocha quiver zinc blazer", person(9));
        let decision = decide(&probe, &enrolments(), Quality::Medium).unwrap();
        assert!(decision.matched, "{decision:?}");
    }

    #[test]
    fn a_steady_script_and_a_slower_typist_fail() {
        let script = typed("mocha quiver zinc blazer", |_| (250, 900));
        let decision = decide(&script, &enrolments(), Quality::Medium).unwrap();
        assert!(!decision.matched, "{decision:?}");
        let slower = typed("mocha quiver zinc blazer", |c| {
            let (hold, flight) = person(9)(c);
            (hold, flight * 3)
        });
        let decision = decide(&slower, &enrolments(), Quality::Medium).unwrap();
        assert!(!decision.matched, "{decision:?}");
    }

    #[test]
    fn nothing_to_compare_is_no_decision() {
        let probe = typed("mocha quiver zinc blazer", person(9));
        assert_eq!(decide(&probe, &[], Quality::Medium), None);
        let type1 = Pattern::parse(&{
            let mut r = Recorder::new(Environment::desktop_chrome(), 0);
            r.key(&KeyEvent::new(KeyKind::Down, 10, 65, "in"));
            r.key(&KeyEvent::new(KeyKind::Press, 10, 97, "in").char_code(97));
            r.key(&KeyEvent::new(KeyKind::Up, 90, 65, "in"));
            r.typing_pattern(&TypingPatternOptions::same_text("a"), &NoDocument)
                .unwrap()
        })
        .unwrap();
        assert_eq!(decide(&type1, &enrolments(), Quality::Medium), None);
    }
}
