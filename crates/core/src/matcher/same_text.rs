//! Same-text matching (pattern types 1 and 2): rows are aligned by position in the text.
//!
//! Each sample becomes a vector of log timings: the press (hold) time of every character and
//! the seek (keydown-to-keydown, or keyup-to-keyup on mobile) time of every character but the
//! first, whose seek measures whatever happened before the user started typing. Rows the
//! recorder had to substitute (flagged `,1`) are missing values.
//!
//! The distance of a probe to a user is a k-nearest-neighbour distance over the user's most
//! recent enrolments, each feature scaled by the user's spread shrunk toward a population
//! prior. Practice is modelled: latencies shrink as a text becomes familiar, so a probe seek
//! anywhere between the enrolled seek and that seek shortened by a practice margin costs
//! nothing, a slower one costs its full scaled difference, and one faster still costs a
//! fraction of it. The margin fades as enrolments accumulate (they then include practised
//! typing). A user typing exactly like at enrolment is never penalised for it. Each feature's
//! contribution is capped, so one hesitation does not decide the outcome.

/// Log of a time in ms, with times below 1 ms counted as 1 ms (the log would diverge).
fn log_ms(ms: f64) -> f64 {
    ms.max(1.0).ln()
}

/// One pattern's timings as a feature vector (see the module docs for the layout).
#[derive(Clone, Debug, PartialEq)]
pub struct SameTextSample {
    /// `[ln press_0 .. ln press_{n-1}, ln seek_1 .. ln seek_{n-1}]`, NaN where missing.
    features: Box<[f64]>,
    /// Number of characters (rows).
    chars: usize,
}

/// One row of a same-text pattern as the matcher needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimedKey {
    /// Seek time in ms.
    pub seek: f64,
    /// Press (hold) time in ms.
    pub press: f64,
    /// The recorder substituted this row (the character was not typed).
    pub substituted: bool,
}

impl SameTextSample {
    /// Builds the feature vector from the rows of one pattern.
    pub fn from_keys(keys: &[TimedKey]) -> Self {
        let chars = keys.len();
        let mut features = Vec::with_capacity(2 * chars.saturating_sub(1) + 1);
        for key in keys {
            features.push(if key.substituted || !key.press.is_finite() {
                f64::NAN
            } else {
                log_ms(key.press)
            });
        }
        for key in keys.iter().skip(1) {
            features.push(if key.substituted || !key.seek.is_finite() {
                f64::NAN
            } else {
                log_ms(key.seek)
            });
        }
        SameTextSample {
            features: features.into_boxed_slice(),
            chars,
        }
    }

    /// Number of characters (rows) of the pattern.
    pub fn chars(&self) -> usize {
        self.chars
    }

    /// Whether the feature at `index` is a seek (latency) rather than a press.
    fn is_seek(&self, index: usize) -> bool {
        index >= self.chars
    }
}

/// The tunable constants of same-text matching. [`super::fitted::SAME_TEXT`] holds the values
/// the product uses; `crates/eval` re-fits them per cross-validation fold (see its README).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SameTextParams {
    /// Population prior for the spread of a log press time (within one user).
    pub prior_press_sd: f64,
    /// Population prior for the spread of a log seek time (within one user).
    pub prior_seek_sd: f64,
    /// Weight of the prior, in pseudo-samples, when shrinking a user's spread.
    pub prior_weight: f64,
    /// How much faster than enrolled (a log shift, negative) a seek may be without cost, for
    /// a user with [`SameTextParams::PRACTICE_REFERENCE`] enrolments.
    pub practice_shift: f64,
    /// Pseudo-count that sets how fast the practice margin fades with more enrolments:
    /// margin(n) = practice_shift * (fade + reference) / (fade + n), never wider than at the
    /// reference count.
    pub practice_fade: f64,
    /// Cost multiplier of a seek faster than the practice margin (1 = as costly as slower).
    pub faster_cost: f64,
    /// Largest scaled deviation one feature may contribute: a single hesitation must not
    /// outweigh the rest of the text.
    pub max_deviation: f64,
    /// Number of nearest enrolments averaged.
    pub neighbours: usize,
    /// Number of most recent enrolments the neighbours are taken from.
    pub recent: usize,
}

impl SameTextParams {
    /// Enrolment count at which `practice_shift` applies in full.
    pub const PRACTICE_REFERENCE: f64 = 5.0;

    /// The practice margin for a user with `enrolled` enrolments.
    fn margin_for(&self, enrolled: usize) -> f64 {
        let n = (enrolled as f64).max(Self::PRACTICE_REFERENCE);
        self.practice_shift * (self.practice_fade + Self::PRACTICE_REFERENCE)
            / (self.practice_fade + n)
    }
}

/// A user's enrolments prepared for scoring: spreads, practice shift and the recent samples.
#[derive(Clone, Debug)]
pub struct SameTextModel {
    chars: usize,
    /// Per-feature 1/scale.
    inverse_scale: Box<[f64]>,
    /// The most recent enrolments.
    references: Vec<Box<[f64]>>,
    /// Practice margin for seeks (log, <= 0).
    margin: f64,
    neighbours: usize,
    faster_cost: f64,
    max_deviation: f64,
    enrolled: usize,
}

impl SameTextModel {
    /// Prepares `enrolled` (oldest first; all with the same number of characters, at least
    /// one sample) for scoring.
    pub fn new(enrolled: &[&SameTextSample], params: &SameTextParams) -> Self {
        let first = enrolled[0];
        let dims = first.features.len();
        let chars = first.chars;
        let mut inverse_scale = vec![0.0; dims];
        for (j, slot) in inverse_scale.iter_mut().enumerate() {
            let (mut sum, mut n) = (0.0, 0usize);
            for sample in enrolled {
                let v = sample.features[j];
                if !v.is_nan() {
                    sum += v;
                    n += 1;
                }
            }
            let prior = if first.is_seek(j) {
                params.prior_seek_sd
            } else {
                params.prior_press_sd
            };
            let own_var = if n >= 2 {
                let mean = sum / n as f64;
                let aad = enrolled
                    .iter()
                    .map(|s| s.features[j])
                    .filter(|v| !v.is_nan())
                    .map(|v| (v - mean).abs())
                    .sum::<f64>()
                    / n as f64;
                // Mean absolute deviation to SD under normality: sqrt(pi/2).
                let sd = aad * std::f64::consts::FRAC_PI_2.sqrt();
                sd * sd
            } else {
                0.0
            };
            let n_own = if n >= 2 { n as f64 } else { 0.0 };
            let var = (n_own * own_var + params.prior_weight * prior * prior)
                / (n_own + params.prior_weight);
            *slot = if var > 0.0 {
                1.0 / var.sqrt()
            } else {
                1.0 / prior
            };
        }
        let start = enrolled.len().saturating_sub(params.recent.max(1));
        let references = enrolled[start..]
            .iter()
            .map(|s| s.features.clone())
            .collect();
        SameTextModel {
            chars,
            inverse_scale: inverse_scale.into_boxed_slice(),
            references,
            margin: params.margin_for(enrolled.len()).min(0.0),
            neighbours: params.neighbours.max(1),
            faster_cost: params.faster_cost,
            max_deviation: params.max_deviation,
            enrolled: enrolled.len(),
        }
    }

    /// Number of enrolments the model was built from.
    pub fn enrolled(&self) -> usize {
        self.enrolled
    }

    /// Number of characters of the text.
    pub fn chars(&self) -> usize {
        self.chars
    }

    /// Distance of one reference to the probe: mean scaled deviation over the features both
    /// have, or `None` when they share none.
    fn distance_to(&self, reference: &[f64], probe: &SameTextSample) -> Option<f64> {
        let mut sum = 0.0;
        let mut used = 0usize;
        for (j, ((&r, &p), &inv)) in reference
            .iter()
            .zip(probe.features.iter())
            .zip(self.inverse_scale.iter())
            .enumerate()
        {
            let x = p - r;
            if x.is_nan() {
                continue;
            }
            let z = if j < self.chars {
                x.abs() * inv
            } else if x >= 0.0 {
                x * inv
            } else if x >= self.margin {
                0.0
            } else {
                (self.margin - x) * inv * self.faster_cost
            };
            sum += z.min(self.max_deviation);
            used += 1;
        }
        (used > 0).then(|| sum / used as f64)
    }

    /// Distance of a probe to this user (smaller = more alike): the mean over the nearest
    /// references. `None` when the probe has a different length or nothing comparable.
    pub fn distance(&self, probe: &SameTextSample) -> Option<f64> {
        if probe.chars != self.chars {
            return None;
        }
        let mut distances: Vec<f64> = self
            .references
            .iter()
            .filter_map(|r| self.distance_to(r, probe))
            .collect();
        if distances.is_empty() {
            return None;
        }
        let k = self.neighbours.min(distances.len());
        distances.select_nth_unstable_by(k - 1, f64::total_cmp);
        Some(distances[..k].iter().sum::<f64>() / k as f64)
    }
}

impl SameTextModel {
    /// Number of features of `probe` that have a value (what the comparison rests on).
    pub fn compared_features(&self, probe: &SameTextSample) -> usize {
        probe.features.iter().filter(|v| !v.is_nan()).count()
    }
}
