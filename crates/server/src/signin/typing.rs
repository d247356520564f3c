//! The typing check of a sign-in: does a type 2 pattern of a freshly generated text come from
//! the user who enrolled these type 2 patterns (of other texts)?
//!
//! [`decide`] is the whole interface the sign-in uses; the matcher behind it can change
//! without the sign-in noticing. A short any-text matcher for type 2 patterns of new texts is
//! being built in the core; until it lands, [`decide`] uses the core matcher's existing
//! any-text (type 0) model: each type 2 pattern's rows (key code, hold, flight) are summarised
//! into the per-key statistics a type 0 pattern carries, and those are compared. When the
//! core's `compare` accepts type 2 patterns of different texts, the body of [`decide`]
//! becomes that one call and [`as_key_statistics`] goes.

use keycadence_core::matcher::{self, Quality};
use keycadence_core::pattern::{
    AnyTextPattern, DiagramPattern, DiagramRows, GlobalStats, KeyStats, Pattern, KEY_CODES,
};

/// The matcher's answer for one attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TypingDecision {
    /// The probe reached the threshold of the requested quality.
    pub matched: bool,
    /// 0-100.
    pub score: f64,
}

/// Compares `probe` with the user's `enrolled` type 2 patterns (oldest first, same device
/// class). `None` when nothing could be compared (the caller treats that as no match).
pub fn decide(probe: &Pattern, enrolled: &[Pattern], quality: Quality) -> Option<TypingDecision> {
    let probe = as_key_statistics(probe)?;
    let enrolled: Vec<Pattern> = enrolled.iter().filter_map(as_key_statistics).collect();
    let outcome = matcher::compare(&enrolled, &[probe], quality).ok()?;
    Some(TypingDecision {
        matched: outcome.result,
        score: outcome.score,
    })
}

/// Longest hold and flight kept, in ms: longer ones are pauses, not rhythm (the recorder's
/// type 0 statistics leave out holds above 300 ms for the same reason).
const MAX_HOLD_MS: i64 = 300;
const MAX_FLIGHT_MS: i64 = 1500;

#[derive(Default)]
struct Timings {
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
    let mut per_key: Vec<Timings> = KEY_CODES.iter().map(|_| Timings::default()).collect();
    let (mut press, mut seek) = (Vec::new(), Vec::new());
    let slot = |row: &keycadence_core::pattern::ExtendedRow| {
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
