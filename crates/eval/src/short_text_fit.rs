//! `keycadence-eval fit-short-text`: the short any-text constants from development typists.
//!
//! Population means first: of each statistic at each back-off level and group, over the
//! observations of all fit typists, kept where at least [`MIN_TYPISTS`] typists typed the
//! group. Then, on the residuals from those means, for each back-off level of holds and
//! flights the variances of [`FeaturePrior`] are measured the way the matcher uses them: a
//! typed key against a typist's mean residual over the typist's keys that are *not* in the
//! next finer group (as when the matcher backs off because that group was never enrolled; at
//! the finest level, over the typist's other observations of the same group):
//!
//! * `within`: the mean of `(r - mean)^2 / (1 + 1/n)`;
//! * `between`: the mean of `r * mean` (what a key shares with the typist's other keys);
//! * `total`: the mean of `r^2`.
//!
//! The priors of the pattern statistics (tempo and spread of holds and flights, rollover) come from
//! each pattern's value against the mean of the typist's others, the same way. The clip on the squared
//! standardised difference and the keys' weight are then chosen on a grid by the protocol's
//! pooled EER, and the score calibration is the operating points of the protocol at K = 3,
//! all on the same typists.

use std::collections::HashMap;
use std::path::Path;

use keycadence_core::matcher::short_text::{
    population_key, FeaturePrior, ShortTextKey, Statistic, FLIGHT_LEVELS, HOLD_LEVELS,
    PATTERN_STATISTICS,
};
use keycadence_core::matcher::{
    ScoreCalibration, ShortTextModel, ShortTextParams, ShortTextSample,
};

use crate::aalto_eval::impostors;
use crate::aalto_short::ShortTypist;
use crate::cmu_eval::calibration_from_scores;
use crate::metrics::equal_error_rate;

/// Enrolled sentences of the calibration run.
pub(crate) const CALIBRATION_ENROL: usize = 3;
/// Clips of the squared standardised difference the fit chooses from.
const CLIPS: [f64; 6] = [4.0, 6.25, 9.0, 12.25, 16.0, 25.0];
/// Key weights the fit chooses from.
const KEY_WEIGHTS: [f64; 7] = [0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0];
/// Typists a group needs for a population mean of its own.
pub(crate) const MIN_TYPISTS: usize = 30;

/// One feature observation: its group at every level and its value.
#[derive(Clone, Copy)]
struct Observation<const L: usize> {
    groups: [u64; L],
    x: f64,
}

fn holds(sample: &ShortTextSample) -> impl Iterator<Item = Observation<HOLD_LEVELS>> + '_ {
    sample
        .keys()
        .iter()
        .filter(|k| !k.hold.is_nan())
        .map(|k: &ShortTextKey| Observation {
            groups: k.hold_groups(),
            x: k.hold,
        })
}

fn flights(sample: &ShortTextSample) -> impl Iterator<Item = Observation<FLIGHT_LEVELS>> + '_ {
    sample
        .keys()
        .iter()
        .filter(|k| !k.flight.is_nan())
        .map(|k| Observation {
            groups: k.flight_groups(),
            x: k.flight,
        })
}

/// Sums of a typist's observations by group at one level, and by (group, finer group).
struct LevelSums {
    level: usize,
    by_group: HashMap<u64, (f64, f64)>,
    by_finer: HashMap<(u64, u64), (f64, f64)>,
}

impl LevelSums {
    fn new<const L: usize>(level: usize, obs: &[Observation<L>]) -> Self {
        let mut by_group: HashMap<u64, (f64, f64)> = HashMap::new();
        let mut by_finer: HashMap<(u64, u64), (f64, f64)> = HashMap::new();
        for o in obs {
            let e = by_group.entry(o.groups[level]).or_default();
            e.0 += o.x;
            e.1 += 1.0;
            if level > 0 {
                let f = by_finer
                    .entry((o.groups[level], o.groups[level - 1]))
                    .or_default();
                f.0 += o.x;
                f.1 += 1.0;
            }
        }
        LevelSums {
            level,
            by_group,
            by_finer,
        }
    }

    /// The mean the matcher would back off to for `o` (at the finest level, the mean of the
    /// others), with its count.
    fn mean_for<const L: usize>(&self, o: &Observation<L>) -> Option<(f64, f64)> {
        let &(mut sum, mut n) = self.by_group.get(&o.groups[self.level])?;
        if self.level > 0 {
            if let Some(&(s, c)) = self
                .by_finer
                .get(&(o.groups[self.level], o.groups[self.level - 1]))
            {
                sum -= s;
                n -= c;
            }
        } else {
            sum -= o.x;
            n -= 1.0;
        }
        (n > 0.0).then(|| (sum / n, n))
    }
}

/// Accumulates a level's prior over typists.
#[derive(Default)]
struct PriorMoments {
    within_sum: f64,
    within_n: f64,
    shared_sum: f64,
    total_sum: f64,
    total_n: f64,
}

impl PriorMoments {
    fn add_total(&mut self, r: f64) {
        self.total_sum += r * r;
        self.total_n += 1.0;
    }

    /// One residual `r` against the typist's mean residual `mean` of `n` other observations.
    fn add_pair(&mut self, r: f64, mean: f64, n: f64) {
        self.within_sum += (r - mean).powi(2) / (1.0 + 1.0 / n);
        self.shared_sum += r * mean;
        self.within_n += 1.0;
    }

    fn prior(&self) -> FeaturePrior {
        let n = self.within_n.max(1.0);
        let within = (self.within_sum / n).max(1e-4);
        FeaturePrior {
            within,
            between: (self.shared_sum / n).max(1e-4),
            total: (self.total_sum / self.total_n.max(1.0)).max(within),
        }
    }
}

/// Population means of `statistic` at every level over all typists' observations: the
/// `(population key, mean)` of groups typed by at least [`MIN_TYPISTS`] typists.
fn population_means<const L: usize>(
    statistic: Statistic,
    per_typist: &[Vec<Observation<L>>],
) -> Vec<(u64, f64)> {
    let mut sums: HashMap<u64, (f64, f64, usize, usize)> = HashMap::new();
    for (t, obs) in per_typist.iter().enumerate() {
        for o in obs {
            for (level, &g) in o.groups.iter().enumerate() {
                let e = sums.entry(population_key(statistic, level, g)).or_insert((
                    0.0,
                    0.0,
                    0,
                    usize::MAX,
                ));
                e.0 += o.x;
                e.1 += 1.0;
                if e.3 != t {
                    e.2 += 1;
                    e.3 = t;
                }
            }
        }
    }
    sums.into_iter()
        .filter(|(_, (_, _, typists, _))| *typists >= MIN_TYPISTS)
        .map(|(k, (sum, n, _, _))| (k, sum / n))
        .collect()
}

fn level_priors<const L: usize>(per_typist: &[Vec<Observation<L>>]) -> [FeaturePrior; L] {
    std::array::from_fn(|level| {
        let mut m = PriorMoments::default();
        for own in per_typist {
            let sums = LevelSums::new(level, own);
            for o in own {
                m.add_total(o.x);
                if let Some((mean, c)) = sums.mean_for(o) {
                    m.add_pair(o.x, mean, c);
                }
            }
        }
        m.prior()
    })
}

/// One pattern statistic of each typist's patterns.
fn pattern_values(typists: &[&ShortTypist], statistic: usize) -> Vec<Vec<f64>> {
    typists
        .iter()
        .map(|t| {
            t.sentences
                .iter()
                .map(|s| s.sample.pattern_statistics()[statistic])
                .collect()
        })
        .collect()
}

/// A pattern statistic's prior from residual values, each against the mean of the typist's
/// other patterns.
fn pattern_prior(per_typist: &[Vec<f64>]) -> FeaturePrior {
    let mut m = PriorMoments::default();
    for own in per_typist.iter().filter(|o| o.len() > 1) {
        let n = own.len() as f64;
        let sum: f64 = own.iter().sum();
        for x in own {
            m.add_total(*x);
            m.add_pair(*x, (sum - x) / (n - 1.0), n - 1.0);
        }
    }
    m.prior()
}

/// Every typist's observations of one statistic, as residuals from `params`' population.
fn residuals<const L: usize>(
    statistic: Statistic,
    per_typist: &[Vec<Observation<L>>],
    params: &ShortTextParams,
) -> Vec<Vec<Observation<L>>> {
    per_typist
        .iter()
        .map(|obs| {
            obs.iter()
                .map(|o| Observation {
                    groups: o.groups,
                    x: o.x - params.mean_of(statistic, &o.groups),
                })
                .collect()
        })
        .collect()
}

/// Genuine and impostor log-likelihood ratios of the protocol on `typists` (fast path: the
/// samples directly, as [`keycadence_core::matcher::Matcher::compare`] would score them).
fn protocol_llrs(
    typists: &[&ShortTypist],
    enrol: usize,
    params: &ShortTextParams,
) -> (Vec<f64>, Vec<f64>) {
    let typists: Vec<&ShortTypist> = typists
        .iter()
        .copied()
        .filter(|t| t.sentences.len() > enrol)
        .collect();
    let n = typists.len();
    let (mut g, mut i) = (Vec::new(), Vec::new());
    for (k, t) in typists.iter().enumerate() {
        let enrolled: Vec<&ShortTextSample> =
            t.sentences[..enrol].iter().map(|s| &s.sample).collect();
        let model = ShortTextModel::new(&enrolled, params);
        let llr = |j: usize| {
            model
                .log_likelihood_ratio(&typists[j].sentences[enrol].sample)
                .map(|(l, _)| l)
        };
        g.extend(llr(k));
        i.extend(impostors(k, n).filter_map(llr));
    }
    (g, i)
}

fn per_typist<const L: usize>(
    typists: &[&ShortTypist],
    observe: fn(&ShortTextSample) -> Vec<Observation<L>>,
) -> Vec<Vec<Observation<L>>> {
    typists
        .iter()
        .map(|t| {
            t.sentences
                .iter()
                .flat_map(|s| observe(&s.sample))
                .collect()
        })
        .collect()
}

/// Fits the constants on `typists`: the parameters, the calibration and the pooled EER of
/// the protocol at K = [`CALIBRATION_ENROL`] on them.
pub(crate) fn fit(typists: &[&ShortTypist]) -> (ShortTextParams, ScoreCalibration, f64) {
    let hold_obs = per_typist(typists, |s| holds(s).collect());
    let flight_obs = per_typist(typists, |s| flights(s).collect());
    let pattern_obs: [Vec<Vec<f64>>; PATTERN_STATISTICS] =
        std::array::from_fn(|i| pattern_values(typists, i));
    let mut population = population_means(Statistic::Hold, &hold_obs);
    population.extend(population_means(Statistic::Flight, &flight_obs));
    for (group, per_typist) in pattern_obs.iter().enumerate() {
        let all: Vec<f64> = per_typist.iter().flatten().copied().collect();
        let mean = all.iter().sum::<f64>() / all.len().max(1) as f64;
        population.push((population_key(Statistic::Pattern, 0, group as u64), mean));
    }
    population.sort_by_key(|e| e.0);
    let unfitted = FeaturePrior {
        within: 1.0,
        between: 1.0,
        total: 1.0,
    };
    let mut params = ShortTextParams {
        hold: [unfitted; HOLD_LEVELS],
        flight: [unfitted; FLIGHT_LEVELS],
        pattern: [unfitted; PATTERN_STATISTICS],
        max_squared_z: CLIPS[0],
        key_weight: 1.0,
        population: population.into(),
    };
    params.hold = level_priors(&residuals(Statistic::Hold, &hold_obs, &params));
    params.flight = level_priors(&residuals(Statistic::Flight, &flight_obs, &params));
    let means = params.pattern_means();
    params.pattern = std::array::from_fn(|i| {
        let centred: Vec<Vec<f64>> = pattern_obs[i]
            .iter()
            .map(|v| v.iter().map(|x| x - means[i]).collect())
            .collect();
        pattern_prior(&centred)
    });
    let mut best = (f64::INFINITY, CLIPS[0], 1.0);
    for clip in CLIPS {
        for key_weight in KEY_WEIGHTS {
            params.max_squared_z = clip;
            params.key_weight = key_weight;
            let (g, i) = protocol_llrs(typists, CALIBRATION_ENROL, &params);
            let eer = equal_error_rate(&g, &i).unwrap_or(1.0);
            if eer < best.0 {
                best = (eer, clip, key_weight);
            }
        }
    }
    (params.max_squared_z, params.key_weight) = (best.1, best.2);
    let (g, i) = protocol_llrs(typists, CALIBRATION_ENROL, &params);
    (params, calibration_from_scores(&g, &i), best.0)
}

/// Writes the fitted constants as the Rust source of `short_text_fitted.rs`.
pub(crate) fn write_rust(
    path: &Path,
    params: &ShortTextParams,
    calibration: &ScoreCalibration,
    provenance: &str,
) -> std::io::Result<()> {
    use std::fmt::Write;
    let p = |f: &FeaturePrior| format!("p({:.6e}, {:.6e}, {:.6e})", f.within, f.between, f.total);
    let list = |fs: &[FeaturePrior], names: &[&str]| {
        fs.iter()
            .zip(names)
            .map(|(f, n)| format!("        {}, // {n}\n", p(f)))
            .collect::<String>()
    };
    let population: String = params
        .population
        .iter()
        .map(|(k, m)| format!("    ({k:#x}, {m:.6e}),\n"))
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        "//! Short any-text constants fitted on development data. GENERATED by\n\
         //! `{provenance}`;\n\
         //! do not edit by hand.\n\
         //!\n\
         //! Fitted on the typists at even positions in id order of aalto-dev, each sentence a\n\
         //! type-2 pattern of its own text: population means of every statistic and group\n\
         //! typed by at least {MIN_TYPISTS} typists; `within`, `between` and `total` of each back-off\n\
         //! level measured as the matcher uses them (a key's residual against the typist's mean\n\
         //! residual over the keys outside its finer group); the clip and the keys' weight are the\n\
         //! pair of the fit's grid with the lowest pooled EER of the aalto-short protocol at\n\
         //! K = {CALIBRATION_ENROL}, and the calibration knots are that run's operating points.\n\
         \n\
         use super::calibration::ScoreCalibration;\n\
         use super::short_text::{{FeaturePrior, ShortTextParams}};\n\
         \n\
         const fn p(within: f64, between: f64, total: f64) -> FeaturePrior {{\n    FeaturePrior {{\n        within,\n        between,\n        total,\n    }}\n}}\n\
         \n\
         /// Variances (log scale) by back-off level, priors of the pattern statistics, the clip, the\n\
         /// keys' weight and the population.\n\
         pub(crate) const PARAMS: ShortTextParams = ShortTextParams {{\n    hold: [\n{}    ],\n    flight: [\n{}    ],\n    pattern: [\n{}    ],\n    max_squared_z: {:?},\n    key_weight: {:?},\n    population: std::borrow::Cow::Borrowed(&POPULATION),\n}};\n\
         \n\
         /// Distance (negated log-likelihood ratio) at each operating point.\n\
         pub(crate) const CALIBRATION: ScoreCalibration = ScoreCalibration {{\n    auto_enrol: {:?},\n    high: {:?},\n    medium: {:?},\n    low: {:?},\n}};\n\
         \n\
         /// Population means (ln ms, holds and flights relative to their pattern's median) by\n\
         /// `short_text::population_key`: statistic, back-off level, group.\n\
         const POPULATION: [(u64, f64); {}] = [\n{population}];\n",
        list(&params.hold, &["key", "finger", "any key"]),
        list(&params.flight, &["key pair", "finger pair", "finger movement", "any pair"]),
        list(
            &params.pattern,
            &[
                "hold tempo",
                "flight tempo",
                "hold spread",
                "flight spread",
                "rollover",
            ]
        ),
        params.max_squared_z,
        params.key_weight,
        calibration.auto_enrol,
        calibration.high,
        calibration.medium,
        calibration.low,
        params.population.len(),
    );
    std::fs::write(path, s)
}
