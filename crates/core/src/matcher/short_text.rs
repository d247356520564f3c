//! Short any-text matching: a type-2 probe of one short text (a phrase of a few words) against
//! type-2 enrolments of other texts.
//!
//! A type-2 row says which key was typed, how long it was held and the time since the
//! previous keydown. Each probe key gives two features, on the log scale and relative to the
//! pattern's own median (so that a typist's overall speed on the day is one feature of its
//! own, the tempo, instead of shifting every other one):
//!
//! * hold: the key's hold time, against the enrolled holds of the same key, or when that key
//!   was never enrolled, of the same finger, or of any key;
//! * flight: the time from the previous keydown, against the enrolled flights of the same key
//!   pair, or of the same pair of fingers, or of the same kind of movement (same finger, same
//!   hand, other hand, into or out of the space bar), or of any pair.
//!
//! and the pattern gives features of its own ([`PatternStatistic`]: the tempo of holds and
//! flights, how evenly each is spread, how often keys overlap) against the enrolled
//! patterns' values.
//!
//! Each feature is measured as its residual from the population's mean of that feature
//! (the key's, or for a key or pair too rare to have one, its finger's or movement's), and
//! scored as a Gaussian log-likelihood ratio: "this typist" (the residual is the typist's own
//! mean residual at the finest level they enrolled, shrunk towards the population by how
//! much evidence it rests on, plus the typist's own noise at that level) against "someone
//! else" (the residual is drawn from the whole population's spread). A typist whose habits
//! are close to everyone's thus gets little credit for a match, one with a distinctive
//! rhythm much. The means, variances and the clip are fitted on development data
//! (`short_text_fitted.rs`).

use super::key_groups::{self, FINGERS, TRANSITIONS};
use crate::pattern::{DiagramPattern, DiagramRows};

/// Back-off levels of a hold: the key, its finger, any key.
pub const HOLD_LEVELS: usize = 3;
/// Back-off levels of a flight: the key pair, the finger pair, the finger movement, any pair.
pub const FLIGHT_LEVELS: usize = 4;

/// Population variances of one feature at one back-off level (log scale, residuals from the
/// population mean).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeaturePrior {
    /// Variance of one observation around the typist's own mean residual at this level.
    pub within: f64,
    /// Variance of typists' mean residuals at this level between people.
    pub between: f64,
    /// Variance of one observation's residual across people (the "someone else" spread).
    pub total: f64,
}

/// Which statistic a population mean is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    /// A key's hold time (keydown to keyup).
    Hold,
    /// The flight time of a key pair (previous key to this keydown).
    Flight,
    /// A statistic of a whole pattern (group: its index in [`PatternStatistic`]).
    Pattern,
}

/// What a whole pattern says about its typist, beside its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternStatistic {
    /// Median ln hold: how long the typist holds keys on the day.
    HoldTempo,
    /// Median ln flight: how fast they type on the day.
    FlightTempo,
    /// ln of the median absolute deviation of the ln holds: how evenly they hold keys.
    HoldSpread,
    /// ln of the median absolute deviation of the ln flights: how even their rhythm is.
    FlightSpread,
    /// Log-odds of a key going down before the previous one is released (rollover typing).
    Rollover,
}

/// Number of [`PatternStatistic`]s.
pub const PATTERN_STATISTICS: usize = 5;

/// The key of a population mean: statistic, back-off level and group at that level.
pub fn population_key(statistic: Statistic, level: usize, group: u64) -> u64 {
    ((statistic as u64) << 60) | ((level as u64) << 56) | (group & ((1 << 56) - 1))
}

/// The short any-text constants.
#[derive(Clone, Debug, PartialEq)]
pub struct ShortTextParams {
    /// Hold priors by back-off level ([`HOLD_LEVELS`]).
    pub hold: [FeaturePrior; HOLD_LEVELS],
    /// Flight priors by back-off level ([`FLIGHT_LEVELS`]).
    pub flight: [FeaturePrior; FLIGHT_LEVELS],
    /// Priors of the pattern statistics, in [`PatternStatistic`] order: `within` is the
    /// pattern-to-pattern variance of a typist's value.
    pub pattern: [FeaturePrior; PATTERN_STATISTICS],
    /// Largest squared standardised difference one feature may contribute: a pause to think
    /// or a key held by mistake must not outweigh the rest of the phrase.
    pub max_squared_z: f64,
    /// Weight of each key's hold and flight log-likelihood ratio against the pattern
    /// statistics': the
    /// keys of one phrase are not independent evidence (a typist's rhythm drifts across a
    /// phrase, and a key's hold and its flights share it), so their plain sum overstates it.
    pub key_weight: f64,
    /// Population means by [`population_key`], sorted by key. Groups too rare to have one
    /// fall back to the next coarser level.
    pub population: std::borrow::Cow<'static, [(u64, f64)]>,
}

impl ShortTextParams {
    fn population_mean(&self, key: u64) -> Option<f64> {
        self.population
            .binary_search_by_key(&key, |e| e.0)
            .ok()
            .map(|i| self.population[i].1)
    }

    /// The population's mean of each pattern statistic.
    pub fn pattern_means(&self) -> [f64; PATTERN_STATISTICS] {
        std::array::from_fn(|i| self.mean_of(Statistic::Pattern, &[i as u64]))
    }

    /// The population mean of a statistic whose groups at each level are `groups`: the
    /// finest level that has one (0 when none has).
    pub fn mean_of(&self, statistic: Statistic, groups: &[u64]) -> f64 {
        groups
            .iter()
            .enumerate()
            .find_map(|(level, &g)| self.population_mean(population_key(statistic, level, g)))
            .unwrap_or(0.0)
    }
}

/// One typed key of a type-2 pattern, as the short any-text matcher sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShortTextKey {
    /// The keydown keyCode (letters as upper-case ASCII, space 32).
    pub key: u32,
    /// ln hold time minus the pattern's median; NaN when the hold is unusable.
    pub hold: f64,
    /// ln time since the previous keydown minus the pattern's median; NaN for the first key,
    /// after a substituted key, or when unusable.
    pub flight: f64,
    /// The previous key (meaningful when `flight` is a number).
    pub previous: u32,
}

/// The group of a hold of `key` at each back-off level (a number unique within the level).
pub fn hold_groups(key: u32) -> [u64; HOLD_LEVELS] {
    [key as u64, key_groups::finger(key).index() as u64, 0]
}

/// The group of a flight from `previous` to `key` at each back-off level.
pub fn flight_groups(previous: u32, key: u32) -> [u64; FLIGHT_LEVELS] {
    let (from, to) = (key_groups::finger(previous), key_groups::finger(key));
    [
        ((previous as u64 & 0xffff) << 16) | (key as u64 & 0xffff),
        (from.index() * FINGERS + to.index()) as u64,
        key_groups::transition(from, to).index() as u64,
        0,
    ]
}

impl ShortTextKey {
    /// The group of the hold at each back-off level.
    pub fn hold_groups(&self) -> [u64; HOLD_LEVELS] {
        hold_groups(self.key)
    }

    /// The group of the flight at each back-off level.
    pub fn flight_groups(&self) -> [u64; FLIGHT_LEVELS] {
        flight_groups(self.previous, self.key)
    }
}

/// A type-2 pattern as the short any-text matcher sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ShortTextSample {
    keys: Vec<ShortTextKey>,
    /// The pattern statistics, in [`PatternStatistic`] order.
    pattern: [f64; PATTERN_STATISTICS],
}

/// Smallest median absolute deviation (ln units) taken: a phrase typed with perfectly even
/// timings must not give the log of zero.
const MIN_SPREAD: f64 = 0.01;

/// The key a type-2 row was typed with: its keyCode, or when the browser gave none (mobile
/// `input` events), the key of its character.
fn row_key(key_code: Option<u32>, char_code: Option<u32>) -> Option<u32> {
    match (key_code, char_code) {
        (Some(k), _) if k != 0 && k != 229 => Some(k),
        (_, Some(c)) => {
            let c = char::from_u32(c)?;
            c.is_ascii_alphanumeric()
                .then(|| c.to_ascii_uppercase() as u32)
                .or((c == ' ').then_some(32))
        }
        _ => None,
    }
}

/// Durations up to this many ms have their logarithm in [`log_table`].
const LOG_TABLE_MS: usize = 2048;

/// `ln(ms)` of every duration below [`LOG_TABLE_MS`], computed once: a comparison takes the
/// log of every enrolled keystroke's two timings, and a table read is far cheaper.
fn log_table() -> &'static [f64; LOG_TABLE_MS] {
    static TABLE: std::sync::OnceLock<Box<[f64; LOG_TABLE_MS]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Box::new([f64::NAN; LOG_TABLE_MS]);
        for (ms, log) in table.iter_mut().enumerate().skip(1) {
            *log = (ms as f64).ln();
        }
        table
    })
}

fn positive_log(ms: i64) -> f64 {
    match usize::try_from(ms) {
        Ok(0) | Err(_) => f64::NAN,
        Ok(small) if small < LOG_TABLE_MS => log_table()[small],
        Ok(_) => (ms as f64).ln(),
    }
}

/// Median of the numbers among `values` (NaN when there are none).
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    let odd = v.len() % 2 == 1;
    let (below, &mut middle, _) = v.select_nth_unstable_by(m, f64::total_cmp);
    if odd {
        middle
    } else {
        // The largest of the lower half is the other middle value.
        (below.iter().copied().fold(f64::NEG_INFINITY, f64::max) + middle) / 2.0
    }
}

/// Log-odds (with half a count of smoothing either way) that a key went down before the
/// previous key was released, over the keys whose flight and previous hold are known (ln ms).
fn rollover_log_odds(keys: &[ShortTextKey]) -> f64 {
    let (mut rolled, mut total) = (0.0_f64, 0.0_f64);
    for pair in keys.windows(2) {
        let (previous_hold, flight) = (pair[0].hold, pair[1].flight);
        if !previous_hold.is_nan() && !flight.is_nan() {
            total += 1.0;
            if flight < previous_hold {
                rolled += 1.0;
            }
        }
    }
    ((rolled + 0.5) / (total - rolled + 0.5)).ln()
}

impl ShortTextSample {
    /// The keys of a type-2 pattern (extended rows); `None` for type-1 rows or when it has
    /// no usable hold or no usable flight.
    pub fn from_pattern(p: &DiagramPattern) -> Option<Self> {
        let DiagramRows::Extended(rows) = &p.rows else {
            return None;
        };
        let mut keys = Vec::with_capacity(rows.len());
        let mut previous: Option<u32> = None;
        for row in rows {
            let key = if row.substituted {
                None
            } else {
                row_key(row.key_code.value(), row.char_code.value())
            };
            let Some(key) = key else {
                previous = None;
                continue;
            };
            keys.push(ShortTextKey {
                key,
                hold: positive_log(row.press),
                flight: if previous.is_some() {
                    positive_log(row.seek)
                } else {
                    f64::NAN
                },
                previous: previous.unwrap_or(0),
            });
            previous = Some(key);
        }
        let rollover = rollover_log_odds(&keys);
        let hold_tempo = median(keys.iter().map(|k| k.hold));
        let flight_tempo = median(keys.iter().map(|k| k.flight));
        if hold_tempo.is_nan() || flight_tempo.is_nan() {
            return None;
        }
        for k in &mut keys {
            k.hold -= hold_tempo;
            k.flight -= flight_tempo;
        }
        let spread = |x: fn(&ShortTextKey) -> f64| {
            median(keys.iter().map(|k| x(k).abs())).max(MIN_SPREAD).ln()
        };
        let pattern = [
            hold_tempo,
            flight_tempo,
            spread(|k| k.hold),
            spread(|k| k.flight),
            rollover,
        ];
        Some(ShortTextSample { keys, pattern })
    }

    /// The usable keys, in typing order.
    pub fn keys(&self) -> &[ShortTextKey] {
        &self.keys
    }

    /// The pattern statistics, in [`PatternStatistic`] order.
    pub fn pattern_statistics(&self) -> [f64; PATTERN_STATISTICS] {
        self.pattern
    }
}

/// A running mean.
#[derive(Clone, Copy, Debug, Default)]
struct Mean {
    sum: f64,
    n: f64,
}

impl Mean {
    fn add(&mut self, x: f64) {
        self.sum += x;
        self.n += 1.0;
    }

    fn merge(&mut self, other: &Mean) {
        self.sum += other.sum;
        self.n += other.n;
    }
}

/// Keys with a level-0 hold mean of their own; larger key codes share the last slot.
const KEY_SLOTS: usize = 256;

/// A typist's short any-text enrolment: mean residual holds and flights at every back-off
/// level, and the mean residuals of the pattern statistics.
#[derive(Clone, Debug)]
pub struct ShortTextModel<'p> {
    params: &'p ShortTextParams,
    hold_by_key: Box<[Mean; KEY_SLOTS]>,
    hold_by_finger: [Mean; FINGERS],
    hold_any: Mean,
    /// Level-0 flights: `(pair group, mean)` sorted by group.
    flight_by_pair: Vec<(u64, Mean)>,
    flight_by_fingers: [Mean; FINGERS * FINGERS],
    flight_by_transition: [Mean; TRANSITIONS],
    flight_any: Mean,
    /// Mean residual of each pattern statistic.
    pattern: [Mean; PATTERN_STATISTICS],
    enrolled: usize,
}

/// One feature's log-likelihood ratio "same typist" vs "someone else": `r` is the probe's
/// residual, `mean` the typist's mean residual at the level of `prior`.
fn feature_llr(r: f64, mean: &Mean, prior: &FeaturePrior, max_squared_z: f64) -> f64 {
    let typist = mean.sum / mean.n;
    let noise_of_mean = prior.within / mean.n;
    let shrink = prior.between / (prior.between + noise_of_mean);
    let same = prior.within + shrink * noise_of_mean;
    let d = r - shrink * typist;
    let z_same = (d * d / same).min(max_squared_z);
    let z_other = (r * r / prior.total).min(max_squared_z);
    0.5 * ((prior.total / same).ln() - z_same + z_other)
}

impl<'p> ShortTextModel<'p> {
    /// Pools a typist's enrolled samples.
    pub fn new(enrolled: &[&ShortTextSample], params: &'p ShortTextParams) -> Self {
        let mut model = ShortTextModel {
            params,
            hold_by_key: Box::new([Mean::default(); KEY_SLOTS]),
            hold_by_finger: [Mean::default(); FINGERS],
            hold_any: Mean::default(),
            flight_by_pair: Vec::new(),
            flight_by_fingers: [Mean::default(); FINGERS * FINGERS],
            flight_by_transition: [Mean::default(); TRANSITIONS],
            flight_any: Mean::default(),
            pattern: [Mean::default(); PATTERN_STATISTICS],
            enrolled: enrolled.len(),
        };
        let pattern_means = params.pattern_means();
        // Raw means by key and by key pair first: the population means are then looked up
        // once per distinct key or pair, not once per keystroke.
        let mut pairs: Vec<(u64, f64)> = Vec::new();
        for sample in enrolled {
            for ((mean, x), population) in model
                .pattern
                .iter_mut()
                .zip(sample.pattern)
                .zip(pattern_means)
            {
                mean.add(x - population);
            }
            for k in &sample.keys {
                if !k.hold.is_nan() {
                    model.hold_by_key[(k.key as usize).min(KEY_SLOTS - 1)].add(k.hold);
                }
                if !k.flight.is_nan() {
                    pairs.push((k.flight_groups()[0], k.flight));
                }
            }
        }
        for (slot, mean) in model.hold_by_key.iter_mut().enumerate() {
            if mean.n > 0.0 {
                let groups = hold_groups(slot as u32);
                mean.sum -= mean.n * params.mean_of(Statistic::Hold, &groups);
                model.hold_by_finger[groups[1] as usize].merge(mean);
                model.hold_any.merge(mean);
            }
        }
        pairs.sort_unstable_by_key(|p| p.0);
        for (group, x) in pairs {
            match model.flight_by_pair.last_mut() {
                Some((g, mean)) if *g == group => mean.add(x),
                _ => {
                    let mut mean = Mean::default();
                    mean.add(x);
                    model.flight_by_pair.push((group, mean));
                }
            }
        }
        for (pair, mean) in &mut model.flight_by_pair {
            let groups = flight_groups((*pair >> 16) as u32, (*pair & 0xffff) as u32);
            mean.sum -= mean.n * params.mean_of(Statistic::Flight, &groups);
            model.flight_by_fingers[groups[1] as usize].merge(mean);
            model.flight_by_transition[groups[2] as usize].merge(mean);
            model.flight_any.merge(mean);
        }
        model
    }

    /// Number of enrolled patterns.
    pub fn enrolled(&self) -> usize {
        self.enrolled
    }

    /// The typist's mean residual hold of a key at the finest level that has one.
    fn hold_mean(&self, k: &ShortTextKey) -> Option<(usize, Mean)> {
        let [_, finger, _] = k.hold_groups();
        [
            self.hold_by_key[(k.key as usize).min(KEY_SLOTS - 1)],
            self.hold_by_finger[finger as usize],
            self.hold_any,
        ]
        .into_iter()
        .enumerate()
        .find(|(_, m)| m.n > 0.0)
    }

    /// The typist's mean residual flight into a key at the finest level that has one.
    fn flight_mean(&self, k: &ShortTextKey) -> Option<(usize, Mean)> {
        let [pair, fingers, transition, _] = k.flight_groups();
        let by_pair = self
            .flight_by_pair
            .binary_search_by_key(&pair, |p| p.0)
            .map(|i| self.flight_by_pair[i].1)
            .unwrap_or_default();
        [
            by_pair,
            self.flight_by_fingers[fingers as usize],
            self.flight_by_transition[transition as usize],
            self.flight_any,
        ]
        .into_iter()
        .enumerate()
        .find(|(_, m)| m.n > 0.0)
    }

    /// Log-likelihood ratio "same typist" vs "another typist" of a probe, with the number of
    /// features compared; `None` when the model is empty.
    pub fn log_likelihood_ratio(&self, probe: &ShortTextSample) -> Option<(f64, usize)> {
        if self.enrolled == 0 {
            return None;
        }
        let params = self.params;
        let z = params.max_squared_z;
        let mut llr = 0.0;
        for (((x, population), mean), prior) in probe
            .pattern
            .iter()
            .zip(params.pattern_means())
            .zip(&self.pattern)
            .zip(&params.pattern)
        {
            llr += feature_llr(x - population, mean, prior, z);
        }
        let mut used = PATTERN_STATISTICS;
        for k in &probe.keys {
            if !k.hold.is_nan() {
                if let Some((level, m)) = self.hold_mean(k) {
                    let r = k.hold - params.mean_of(Statistic::Hold, &k.hold_groups());
                    llr += params.key_weight * feature_llr(r, &m, &params.hold[level], z);
                    used += 1;
                }
            }
            if !k.flight.is_nan() {
                if let Some((level, m)) = self.flight_mean(k) {
                    let r = k.flight - params.mean_of(Statistic::Flight, &k.flight_groups());
                    llr += params.key_weight * feature_llr(r, &m, &params.flight[level], z);
                    used += 1;
                }
            }
        }
        Some((llr, used))
    }
}
