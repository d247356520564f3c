//! Any-text matching (pattern type 0): per-key timing statistics, whatever was typed.
//!
//! A type-0 pattern summarises a window of keystrokes: global press and seek means and SDs in
//! ms, and for each of 44 keys its mean press, seek and post (following flight) times as
//! ratios of the global means, with the number of presses seen. Each usable statistic becomes
//! a slot holding its log value and the count it was measured on.
//!
//! Scoring is a Gaussian log-likelihood ratio per slot, summed: "this user" (the difference
//! between probe and enrolment is within-user noise: measurement noise shrinking with the
//! counts, plus session-to-session variation) against "someone else" (the same plus the spread
//! of that statistic between people). Those three variances per slot are population
//! statistics fitted on development data (`any_text_fitted.rs`); a slot where people
//! differ little relative to their own noise contributes little, and counts weight each slot
//! by how well it was measured.

use crate::pattern::{AnyTextPattern, KEY_CODES};

/// Number of keys with per-key statistics.
pub const KEYS: usize = KEY_CODES.len();
/// Global slots: ln press mean, ln seek mean, ln press SD, ln seek SD.
pub const GLOBAL_SLOTS: usize = 4;
/// All slots: the globals, then the press, seek and post ratios of the 44 keys.
pub const SLOTS: usize = GLOBAL_SLOTS + 3 * KEYS;

/// Index of the press-ratio slot of key `k` (position in [`KEY_CODES`]).
pub const fn press_slot(k: usize) -> usize {
    GLOBAL_SLOTS + k
}
/// Index of the seek-ratio slot of key `k`.
pub const fn seek_slot(k: usize) -> usize {
    GLOBAL_SLOTS + KEYS + k
}
/// Index of the post-ratio slot of key `k`.
pub const fn post_slot(k: usize) -> usize {
    GLOBAL_SLOTS + 2 * KEYS + k
}

/// Population variances of one slot, on the log scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SlotPrior {
    /// Variance of one observation around the user's own value: a slot measured on `c`
    /// observations varies by `within / c`.
    pub within: f64,
    /// Session-to-session variance of the user's own value.
    pub session: f64,
    /// Variance of the slot's value between people.
    pub between: f64,
}

/// One type-0 pattern as slots.
#[derive(Clone, Debug, PartialEq)]
pub struct AnyTextSample {
    /// ln of each statistic, NaN where the pattern has none.
    values: [f64; SLOTS],
    /// Observations behind each value (0 where missing).
    counts: [f64; SLOTS],
}

fn positive_log(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x.ln()
    } else {
        f64::NAN
    }
}

impl AnyTextSample {
    /// The slots of a pattern; `None` when it covers no keystrokes or its global means are
    /// unusable (all timings filtered away).
    pub fn from_pattern(p: &AnyTextPattern) -> Option<Self> {
        let g = &p.globals;
        let n = g.hist_rev as f64;
        if n < 1.0 || !(g.press_mean > 0.0 && g.seek_mean > 0.0) {
            return None;
        }
        let mut values = [f64::NAN; SLOTS];
        let mut counts = [0.0; SLOTS];
        for (slot, v) in [g.press_mean, g.seek_mean, g.press_sd, g.seek_sd]
            .into_iter()
            .enumerate()
        {
            values[slot] = positive_log(v);
            counts[slot] = n;
        }
        for (k, key) in p.keys.iter().enumerate() {
            if key.rev == 0 {
                continue;
            }
            let c = key.rev as f64;
            // The recorder prints a missing ratio as 1; a post ratio of exactly 1 is far more
            // likely "no following key among the 44" than a real value.
            let post = if key.post_mean == 1.0 {
                f64::NAN
            } else {
                key.post_mean
            };
            for (slot, v) in [
                (press_slot(k), key.press_mean),
                (seek_slot(k), key.seek_mean),
                (post_slot(k), post),
            ] {
                values[slot] = positive_log(v);
                counts[slot] = c;
            }
        }
        for slot in 0..SLOTS {
            if values[slot].is_nan() {
                counts[slot] = 0.0;
            }
        }
        Some(AnyTextSample { values, counts })
    }

    /// The log value of a slot (NaN when missing) and its count.
    pub fn slot(&self, slot: usize) -> (f64, f64) {
        (self.values[slot], self.counts[slot])
    }
}

/// A user's type-0 enrolments pooled per slot.
#[derive(Clone, Debug)]
pub struct AnyTextModel {
    /// Count-weighted mean of the enrolled values.
    mean: [f64; SLOTS],
    /// Total count behind each mean.
    count: [f64; SLOTS],
    /// Number of enrolled patterns that had the slot.
    patterns: [f64; SLOTS],
    enrolled: usize,
}

/// Largest squared standardised difference one slot may contribute: a single wild statistic
/// (a key held down while thinking) must not outweigh everything else.
const MAX_SQUARED_Z: f64 = 16.0;

impl AnyTextModel {
    /// Pools the enrolled type-0 samples: per slot, the count-weighted mean and the counts
    /// behind it.
    pub fn new(enrolled: &[&AnyTextSample]) -> Self {
        let mut sum = [0.0; SLOTS];
        let mut count = [0.0; SLOTS];
        let mut patterns = [0.0; SLOTS];
        for sample in enrolled {
            for slot in 0..SLOTS {
                let c = sample.counts[slot];
                if c > 0.0 {
                    sum[slot] += c * sample.values[slot];
                    count[slot] += c;
                    patterns[slot] += 1.0;
                }
            }
        }
        let mut mean = [f64::NAN; SLOTS];
        for slot in 0..SLOTS {
            if count[slot] > 0.0 {
                mean[slot] = sum[slot] / count[slot];
            }
        }
        AnyTextModel {
            mean,
            count,
            patterns,
            enrolled: enrolled.len(),
        }
    }

    /// Number of enrolled patterns.
    pub fn enrolled(&self) -> usize {
        self.enrolled
    }

    /// Log-likelihood ratio "same typist" vs "another typist" of a probe, with the number of
    /// slots compared; `None` when no slot is shared.
    pub fn log_likelihood_ratio(
        &self,
        probe: &AnyTextSample,
        priors: &[SlotPrior; SLOTS],
    ) -> Option<(f64, usize)> {
        let mut llr = 0.0;
        let mut used = 0;
        for (slot, prior) in priors.iter().enumerate() {
            let (cp, ce) = (probe.counts[slot], self.count[slot]);
            if cp <= 0.0 || ce <= 0.0 {
                continue;
            }
            let d = probe.values[slot] - self.mean[slot];
            let same = prior.within * (1.0 / cp + 1.0 / ce)
                + prior.session * (1.0 + 1.0 / self.patterns[slot]);
            let other = same + prior.between;
            let z_same = (d * d / same).min(MAX_SQUARED_Z);
            let z_other = (d * d / other).min(MAX_SQUARED_Z);
            llr += 0.5 * ((other / same).ln() - z_same + z_other);
            used += 1;
        }
        (used > 0).then_some((llr, used))
    }
}
