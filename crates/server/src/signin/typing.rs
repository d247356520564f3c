//! The typing check of a sign-in: does a type 2 pattern of a freshly generated text come from
//! the user who enrolled these type 2 patterns (of other texts)?
//!
//! [`decide`] is the whole interface the sign-in uses; the matcher behind it can change
//! without the sign-in noticing. A short any-text matcher for type 2 patterns of new texts is
//! being built in the core; until it lands, [`decide`] uses the core's existing any-text
//! (type 0) model: each type 2 pattern's rows (key code, hold, flight) are summarised into the
//! per-key statistics a type 0 pattern carries, and the probe's are compared with the
//! enrolments' at the requested quality. That model weighs each key's timing relative to the
//! typist's own tempo (a script typing one key every 900 ms passed it), so the tempo is
//! checked too: the probe's median hold and flight must be within a factor of two of the
//! enrolments'.
//!
//! Measured once (December 2026) on typing sampled from 11 typists of the Aalto data (each
//! key's hold and each key pair's flight drawn from the typist's own; 5 enrolment phrases and
//! 10 new phrases each, 4 impostors per phrase) at quality 2: 3 of 110 genuine attempts
//! rejected, 60 of 440 impostor attempts accepted. When the core's `compare` accepts type 2
//! patterns of different texts, the body of [`decide`] becomes that one call.

use keycadence_core::matcher::{self, Quality};
use keycadence_core::pattern::{
    AnyTextPattern, DiagramPattern, DiagramRows, ExtendedRow, GlobalStats, KeyStats, Pattern,
    KEY_CODES,
};

/// The matcher's answer for one attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TypingDecision {
    /// The probe reached the threshold of the requested quality.
    pub matched: bool,
    /// 0-100 (the any-text model's score).
    pub score: f64,
}

/// How far the probe's median hold and median flight may be from the enrolments' (as a
/// factor either way): the any-text model compares keys relative to the typist's own tempo,
/// so the tempo itself is checked here. Medians, as a phrase's few keystrokes include pauses.
const MAX_TEMPO_FACTOR: f64 = 2.0;

/// Compares `probe` with the user's `enrolled` type 2 patterns (oldest first, same device
/// class). `None` when nothing could be compared (the caller treats that as no match).
pub fn decide(probe: &Pattern, enrolled: &[Pattern], quality: Quality) -> Option<TypingDecision> {
    let statistics: Vec<Pattern> = enrolled.iter().filter_map(as_key_statistics).collect();
    let outcome = matcher::compare(&statistics, &[as_key_statistics(probe)?], quality).ok()?;
    Some(TypingDecision {
        matched: outcome.result && same_tempo(probe, enrolled)?,
        score: outcome.score,
    })
}

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

/// Longest hold and flight kept, in ms: longer ones are pauses, not rhythm (the recorder's
/// type 0 statistics leave out holds above 300 ms for the same reason).
const MAX_HOLD_MS: i64 = 300;
const MAX_FLIGHT_MS: i64 = 1500;

#[derive(Default)]
struct KeyTimings {
    press: Vec<f64>,
    seek: Vec<f64>,
    post: Vec<f64>,
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn sd(values: &[f64]) -> f64 {
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

/// A type 2 pattern's rows as type 0 statistics: global hold and flight means and SDs, and
/// per key its hold, preceding flight and following flight as ratios of the global means.
fn as_key_statistics(pattern: &Pattern) -> Option<Pattern> {
    let Pattern::Diagram(DiagramPattern {
        header,
        rows: DiagramRows::Extended(rows),
        ..
    }) = pattern
    else {
        return None;
    };
    let hold_ok = |ms: i64| (1..=MAX_HOLD_MS).contains(&ms);
    let flight_ok = |ms: i64| (1..=MAX_FLIGHT_MS).contains(&ms);
    let mut per_key: Vec<KeyTimings> = KEY_CODES.iter().map(|_| KeyTimings::default()).collect();
    let (mut press, mut seek) = (Vec::new(), Vec::new());
    let slot = |row: &ExtendedRow| {
        let code = u16::try_from(row.key_code.value()?).ok()?;
        KEY_CODES.iter().position(|&k| k == code)
    };
    for (i, row) in rows.iter().enumerate() {
        if row.substituted {
            continue;
        }
        if hold_ok(row.press) {
            press.push(row.press as f64);
        }
        // The first row's flight is the wait before typing began.
        if i > 0 && flight_ok(row.seek) {
            seek.push(row.seek as f64);
        }
        let Some(k) = slot(row) else { continue };
        if hold_ok(row.press) {
            per_key[k].press.push(row.press as f64);
        }
        if i > 0 && flight_ok(row.seek) {
            per_key[k].seek.push(row.seek as f64);
        }
        if let Some(next) = rows.get(i + 1) {
            if !next.substituted && flight_ok(next.seek) {
                per_key[k].post.push(next.seek as f64);
            }
        }
    }
    if press.len() < 2 || seek.len() < 2 {
        return None;
    }
    let globals = GlobalStats {
        hist_rev: press.len() as u32,
        press_mean: mean(&press),
        seek_mean: mean(&seek),
        press_sd: sd(&press),
        seek_sd: sd(&seek),
        ..GlobalStats::default()
    };
    let ratio = |values: &[f64], global: f64| {
        if values.is_empty() {
            1.0
        } else {
            mean(values) / global
        }
    };
    let mut keys = Box::new([KeyStats::default(); 44]);
    for (stats, timings) in keys.iter_mut().zip(&per_key) {
        if timings.press.is_empty() {
            continue;
        }
        *stats = KeyStats {
            rev: timings.press.len() as u32,
            press_mean: ratio(&timings.press, globals.press_mean),
            seek_mean: ratio(&timings.seek, globals.seek_mean),
            post_mean: ratio(&timings.post, globals.seek_mean),
            ..KeyStats::default()
        };
    }
    Some(Pattern::AnyText(AnyTextPattern {
        globals,
        keys,
        mobile: header.mobile,
        version: header.version,
        flags: header.flags,
        special_keys: header.special_keys,
        device_signature: header.device_signature,
    }))
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
