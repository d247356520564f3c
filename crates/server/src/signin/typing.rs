//! The typing check of a sign-in: does a type 2 pattern of a freshly generated text come from
//! the user who enrolled these type 2 patterns (of other texts)?
//!
//! [`decide`] is the whole interface the sign-in uses; the matcher behind it can change
//! without the sign-in noticing. A short any-text matcher for type 2 patterns of new texts is
//! being built in the core; until it lands, [`decide`] uses the core's existing same-text
//! model: from each enrolled pattern it predicts how the user would type the probe's text
//! (each key's hold, and each flight from the same key pair when the pattern has it, else
//! into the same key, else the user's usual flight), and compares the probe with those
//! predictions as if they were enrolments of that text. When the core's `compare` accepts
//! type 2 patterns of different texts, the body of [`decide`] becomes that one call.

use std::collections::HashMap;

use keycadence_core::matcher::{
    calibration, Matcher, Quality, SameTextModel, SameTextSample, TimedKey,
};
use keycadence_core::pattern::{DiagramPattern, DiagramRows, ExtendedRow, Pattern};

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
    let probe = extended_rows(probe)?;
    let enrolled: Vec<Timings> = enrolled
        .iter()
        .filter_map(extended_rows)
        .map(Timings::of)
        .collect();
    let pooled = Timings::pooled(&enrolled)?;
    let keys: Vec<Option<u32>> = probe.iter().map(key_of).collect();
    let predictions: Vec<SameTextSample> = enrolled
        .iter()
        .map(|own| SameTextSample::from_keys(&predict(&keys, own, &pooled)))
        .collect();
    let references: Vec<&SameTextSample> = predictions.iter().collect();
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
    let score = matcher.same_text_calibration.score(distance);
    Some(TypingDecision {
        matched: score >= calibration::threshold(quality),
        score,
    })
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

/// The timings `own` (one enrolled pattern) predicts for typing `keys`, falling back to the
/// user's pooled timings, then to their usual hold and flight.
fn predict(keys: &[Option<u32>], own: &Timings, pooled: &Timings) -> Vec<TimedKey> {
    let usual_hold = pooled.all_holds.value().unwrap_or(100.0);
    let usual_flight = pooled.all_flights.value().unwrap_or(200.0);
    let mut previous = None;
    keys.iter()
        .map(|&key| {
            let press = own
                .hold(key)
                .or_else(|| pooled.hold(key))
                .unwrap_or(usual_hold);
            let seek = own
                .flight(previous, key)
                .or_else(|| pooled.flight(previous, key))
                .unwrap_or(usual_flight);
            previous = key;
            TimedKey {
                seek,
                press,
                substituted: false,
            }
        })
        .collect()
}
