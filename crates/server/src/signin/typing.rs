//! The typing check of a sign-in: does a type 2 pattern of a freshly generated text come from
//! the user who enrolled these type 2 patterns (of other texts)?
//!
//! [`decide`] is the whole interface the sign-in uses; the matcher behind it can change
//! without the sign-in noticing. A short any-text matcher for type 2 patterns of new texts is
//! being built in the core; until it lands, [`decide`] is made of the core's existing models:
//!
//! * the decision is the core's any-text (type 0) model: each type 2 pattern's rows (key
//!   code, hold, flight) are summarised into the per-key statistics a type 0 pattern carries,
//!   and the probe's are compared with the enrolments' at the requested quality;
//! * that model weighs the keys' relative timings and hardly the tempo (a script typing one
//!   key every 900 ms passed it), so a probe must also be within reach of the rhythm the
//!   user's enrolments predict for the new text (each key's hold, each flight from the same
//!   key pair, else into the same key, else the user's usual flight), scored by the core's
//!   same-text model as if the predictions were enrolments of that text.
//!
//! Measured on sampled typing of 11 Aalto typists (5 enrolment phrases, 10 new phrases each,
//! 4 impostors per phrase) at quality 2: see the sign-in report. When the core's `compare`
//! accepts type 2 patterns of different texts, the body of [`decide`] becomes that one call.

use std::collections::HashMap;

use keycadence_core::matcher::{self, Matcher, Quality, SameTextModel, SameTextSample, TimedKey};
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

/// Lowest score of the predicted-rhythm check: genuine typing of new phrases scored 24 and
/// more in the measurement above, the 900 ms-per-key script 8.
const MIN_RHYTHM_SCORE: f64 = 18.0;

/// Compares `probe` with the user's `enrolled` type 2 patterns (oldest first, same device
/// class). `None` when nothing could be compared (the caller treats that as no match).
pub fn decide(probe: &Pattern, enrolled: &[Pattern], quality: Quality) -> Option<TypingDecision> {
    let statistics: Vec<Pattern> = enrolled.iter().filter_map(as_key_statistics).collect();
    let outcome = matcher::compare(&statistics, &[as_key_statistics(probe)?], quality).ok()?;
    let rhythm = rhythm_score(probe, enrolled)?;
    Some(TypingDecision {
        matched: outcome.result && rhythm >= MIN_RHYTHM_SCORE,
        score: outcome.score,
    })
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

/// The same-text model's score (0-100) of the probe against the rhythm the enrolments
/// predict for its text.
fn rhythm_score(probe: &Pattern, enrolled: &[Pattern]) -> Option<f64> {
    let probe = extended_rows(probe)?;
    let enrolled: Vec<Timings> = enrolled
        .iter()
        .filter_map(extended_rows)
        .map(Timings::of)
        .collect();
    let pooled = Timings::pooled(&enrolled)?;
    let keys: Vec<Option<u32>> = probe.iter().map(key_of).collect();
    // One prediction per enrolment, all from the pooled timings: single patterns are too
    // noisy to predict from on their own.
    let prediction = SameTextSample::from_keys(&predict(&keys, &pooled));
    let references: Vec<&SameTextSample> = enrolled.iter().map(|_| &prediction).collect();
    let matcher = Matcher::default();
    let model = SameTextModel::new(&references, &matcher.same_text);
    let typed: Vec<TimedKey> = probe
        .iter()
        .map(|r| TimedKey {
            seek: r.seek as f64,
            press: r.press as f64,
            substituted: r.substituted,
        })
        .collect();
    let distance = model.distance(&SameTextSample::from_keys(&typed))?;
    Some(matcher.same_text_calibration.score(distance))
}

fn extended_rows(pattern: &Pattern) -> Option<&[ExtendedRow]> {
    match pattern {
        Pattern::Diagram(DiagramPattern {
            rows: DiagramRows::Extended(rows),
            ..
        }) => Some(rows),
        _ => None,
    }
}

fn key_of(row: &ExtendedRow) -> Option<u32> {
    row.key_code.value().or(row.char_code.value())
}

/// Mean log timings of one pattern (or several): per key, per key pair, overall.
#[derive(Default)]
struct Timings {
    hold: HashMap<u32, Mean>,
    pair: HashMap<(u32, u32), Mean>,
    into: HashMap<u32, Mean>,
    all_holds: Mean,
    all_flights: Mean,
}

#[derive(Clone, Copy, Default)]
struct Mean {
    sum: f64,
    n: f64,
}

impl Mean {
    fn add(&mut self, ms: i64) {
        if ms > 0 {
            self.sum += (ms as f64).ln();
            self.n += 1.0;
        }
    }
    fn merge(&mut self, other: &Mean) {
        self.sum += other.sum;
        self.n += other.n;
    }
    /// The mean in ms.
    fn value(&self) -> Option<f64> {
        (self.n > 0.0).then(|| (self.sum / self.n).exp())
    }
}

impl Timings {
    fn of(rows: &[ExtendedRow]) -> Timings {
        let mut t = Timings::default();
        let mut previous: Option<u32> = None;
        for (i, row) in rows.iter().enumerate() {
            let key = key_of(row);
            if row.substituted {
                previous = None;
                continue;
            }
            if let Some(k) = key {
                t.hold.entry(k).or_default().add(row.press);
            }
            t.all_holds.add(row.press);
            // The first row's flight is the wait before typing began.
            if i > 0 {
                t.all_flights.add(row.seek);
                if let Some(k) = key {
                    t.into.entry(k).or_default().add(row.seek);
                    if let Some(p) = previous {
                        t.pair.entry((p, k)).or_default().add(row.seek);
                    }
                }
            }
            previous = key;
        }
        t
    }

    fn pooled(all: &[Timings]) -> Option<Timings> {
        let mut pooled = Timings::default();
        for t in all {
            for (k, m) in &t.hold {
                pooled.hold.entry(*k).or_default().merge(m);
            }
            for (k, m) in &t.pair {
                pooled.pair.entry(*k).or_default().merge(m);
            }
            for (k, m) in &t.into {
                pooled.into.entry(*k).or_default().merge(m);
            }
            pooled.all_holds.merge(&t.all_holds);
            pooled.all_flights.merge(&t.all_flights);
        }
        (pooled.all_holds.n > 0.0 && pooled.all_flights.n > 0.0).then_some(pooled)
    }

    fn hold(&self, key: Option<u32>) -> Option<f64> {
        key.and_then(|k| self.hold.get(&k)).and_then(Mean::value)
    }

    fn flight(&self, previous: Option<u32>, key: Option<u32>) -> Option<f64> {
        let pair = previous.zip(key).and_then(|p| self.pair.get(&p));
        pair.and_then(Mean::value)
            .or_else(|| key.and_then(|k| self.into.get(&k)).and_then(Mean::value))
    }
}

/// The timings the user's pooled enrolments predict for typing `keys`: per key pair, else
/// into the key, else their usual hold and flight.
fn predict(keys: &[Option<u32>], pooled: &Timings) -> Vec<TimedKey> {
    let usual_hold = pooled.all_holds.value().unwrap_or(100.0);
    let usual_flight = pooled.all_flights.value().unwrap_or(200.0);
    let mut previous = None;
    keys.iter()
        .map(|&key| {
            let press = pooled.hold(key).unwrap_or(usual_hold);
            let seek = pooled.flight(previous, key).unwrap_or(usual_flight);
            previous = key;
            TimedKey {
                seek,
                press,
                substituted: false,
            }
        })
        .collect()
}
