//! `keycadence-eval fit-short-text`: the short any-text constants from development typists.
//!
//! For each back-off level of holds and flights, the two variances of
//! [`FeaturePrior`] are measured the way the matcher uses them: a typed key is compared with
//! a typist's mean at that level, over the typist's keys that are *not* in the next finer
//! group (as when the matcher backs off because that group was never enrolled; at the finest
//! level, over the typist's other observations of the same group).
//!
//! * `within`: the mean of `d^2 / (1 + 1/n)` when the key and the mean are the same typist's;
//! * `between`: the mean of `d^2 - within (1 + 1/n)` when the key is the next typist's (in
//!   id order) and the mean is this typist's.
//!
//! The tempo priors come from the pattern medians the same way. The clip on the squared
//! standardised difference is then chosen on the protocol's pooled EER, and the score
//! calibration is the operating points of the protocol at K = 3, all on the same typists.

use std::collections::HashMap;
use std::path::Path;

use keycadence_core::matcher::short_text::{
    FeaturePrior, ShortTextKey, FLIGHT_LEVELS, HOLD_LEVELS,
};
use keycadence_core::matcher::{ScoreCalibration, ShortTextModel, ShortTextParams, ShortTextSample};

use crate::aalto_eval::impostors;
use crate::aalto_short::ShortTypist;
use crate::cmu_eval::calibration_from_scores;
use crate::metrics::equal_error_rate;

/// Enrolled sentences of the calibration run.
pub const CALIBRATION_ENROL: usize = 3;
/// Clips of the squared standardised difference the fit chooses from.
const CLIPS: [f64; 6] = [4.0, 6.25, 9.0, 12.25, 16.0, 25.0];

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

    /// The mean the matcher would back off to for `o` (excluding `o` itself when `own`),
    /// with its count.
    fn mean_for<const L: usize>(&self, o: &Observation<L>, own: bool) -> Option<(f64, f64)> {
        let &(mut sum, mut n) = self.by_group.get(&o.groups[self.level])?;
        if self.level > 0 {
            if let Some(&(s, c)) = self.by_finer.get(&(o.groups[self.level], o.groups[self.level - 1])) {
                sum -= s;
                n -= c;
            }
        } else if own {
            sum -= o.x;
            n -= 1.0;
        }
        (n > 0.0).then(|| (sum / n, n))
    }
}

/// Accumulates `within` and `between` of one level over typists.
#[derive(Default)]
struct PriorMoments {
    within_sum: f64,
    within_n: f64,
    /// (d^2, n) of impostor comparisons, resolved once `within` is known.
    impostor: Vec<(f64, f64)>,
}

impl PriorMoments {
    fn prior(&self) -> FeaturePrior {
        let within = (self.within_sum / self.within_n.max(1.0)).max(1e-4);
        let between = self
            .impostor
            .iter()
            .map(|&(d2, n)| d2 - within * (1.0 + 1.0 / n))
            .sum::<f64>()
            / (self.impostor.len().max(1) as f64);
        FeaturePrior {
            within,
            between: between.max(1e-4),
        }
    }
}

fn level_priors<const L: usize>(
    typists: &[&ShortTypist],
    observe: impl Fn(&ShortTextSample) -> Vec<Observation<L>>,
) -> [FeaturePrior; L] {
    let obs: Vec<Vec<Observation<L>>> = typists
        .iter()
        .map(|t| t.sentences.iter().flat_map(|s| observe(&s.sample)).collect())
        .collect();
    let n = typists.len();
    std::array::from_fn(|level| {
        let mut m = PriorMoments::default();
        for (i, own) in obs.iter().enumerate() {
            let sums = LevelSums::new(level, own);
            for o in own {
                if let Some((mean, c)) = sums.mean_for(o, true) {
                    m.within_sum += (o.x - mean).powi(2) / (1.0 + 1.0 / c);
                    m.within_n += 1.0;
                }
            }
            for o in &obs[(i + 1) % n] {
                if let Some((mean, c)) = sums.mean_for(o, false) {
                    m.impostor.push(((o.x - mean).powi(2), c));
                }
            }
        }
        m.prior()
    })
}

/// Tempo priors (hold, flight) from the pattern medians.
fn tempo_priors(typists: &[&ShortTypist]) -> [FeaturePrior; 2] {
    std::array::from_fn(|which| {
        let tempo = |s: &ShortTextSample| if which == 0 { s.tempo().0 } else { s.tempo().1 };
        let per_typist: Vec<Vec<f64>> = typists
            .iter()
            .map(|t| t.sentences.iter().map(|s| tempo(&s.sample)).collect())
            .collect();
        let mut m = PriorMoments::default();
        for (i, own) in per_typist.iter().enumerate() {
            let n = own.len() as f64;
            let mean = own.iter().sum::<f64>() / n;
            for x in own {
                // Leave-one-out mean of the other n-1 patterns.
                let loo = (mean * n - x) / (n - 1.0);
                m.within_sum += (x - loo).powi(2) / (1.0 + 1.0 / (n - 1.0));
                m.within_n += 1.0;
            }
            for x in &per_typist[(i + 1) % per_typist.len()] {
                m.impostor.push(((x - mean).powi(2), n));
            }
        }
        m.prior()
    })
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
        let model = ShortTextModel::new(&enrolled);
        let llr = |j: usize| {
            model
                .log_likelihood_ratio(&typists[j].sentences[enrol].sample, params)
                .map(|(l, _)| l)
        };
        g.extend(llr(k));
        i.extend(impostors(k, n).filter_map(llr));
    }
    (g, i)
}

/// Fits the constants on `typists`.
pub fn fit(typists: &[&ShortTypist]) -> (ShortTextParams, ScoreCalibration, f64) {
    let hold = level_priors(typists, |s| holds(s).collect());
    let flight = level_priors(typists, |s| flights(s).collect());
    let [hold_tempo, flight_tempo] = tempo_priors(typists);
    let mut params = ShortTextParams {
        hold,
        flight,
        hold_tempo,
        flight_tempo,
        max_squared_z: CLIPS[0],
    };
    let mut best = (f64::INFINITY, CLIPS[0]);
    for clip in CLIPS {
        params.max_squared_z = clip;
        let (g, i) = protocol_llrs(typists, CALIBRATION_ENROL, &params);
        let eer = equal_error_rate(&g, &i).unwrap_or(1.0);
        if eer < best.0 {
            best = (eer, clip);
        }
    }
    params.max_squared_z = best.1;
    let (g, i) = protocol_llrs(typists, CALIBRATION_ENROL, &params);
    (params, calibration_from_scores(&g, &i), best.0)
}

/// Writes the fitted constants as the Rust source of `short_text_fitted.rs`.
pub fn write_rust(
    path: &Path,
    params: &ShortTextParams,
    calibration: &ScoreCalibration,
    provenance: &str,
) -> std::io::Result<()> {
    use std::fmt::Write;
    let p = |f: &FeaturePrior| format!("p({:.6e}, {:.6e})", f.within, f.between);
    let list = |fs: &[FeaturePrior], names: &[&str]| {
        fs.iter()
            .zip(names)
            .map(|(f, n)| format!("        {}, // {n}\n", p(f)))
            .collect::<String>()
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "//! Short any-text constants fitted on development data. GENERATED by\n\
         //! `{provenance}`;\n\
         //! do not edit by hand.\n\
         //!\n\
         //! Fitted on the typists at even positions in id order of aalto-dev, each sentence a\n\
         //! type-2 pattern of its own text. `within` and `between` of each back-off level are\n\
         //! measured as the matcher uses them (a key against a typist's mean over the keys\n\
         //! outside its finer group: the typist's own, and the next typist's); the clip is the\n\
         //! one of the fit's grid with the lowest pooled EER of the aalto-short protocol at\n\
         //! K = {CALIBRATION_ENROL}, and the calibration knots are that run's operating points.\n\
         \n\
         use super::calibration::ScoreCalibration;\n\
         use super::short_text::{{FeaturePrior, ShortTextParams}};\n\
         \n\
         const fn p(within: f64, between: f64) -> FeaturePrior {{\n    FeaturePrior {{ within, between }}\n}}\n\
         \n\
         /// Variances (log scale) by back-off level, tempo priors and the clip.\n\
         pub(crate) const PARAMS: ShortTextParams = ShortTextParams {{\n    hold: [\n{}    ],\n    flight: [\n{}    ],\n    hold_tempo: {},\n    flight_tempo: {},\n    max_squared_z: {:?},\n}};\n\
         \n\
         /// Distance (negated log-likelihood ratio) at each operating point.\n\
         pub(crate) const CALIBRATION: ScoreCalibration = ScoreCalibration {{\n    auto_enrol: {:?},\n    high: {:?},\n    medium: {:?},\n    low: {:?},\n}};\n",
        list(&params.hold, &["key", "finger", "any key"]),
        list(&params.flight, &["key pair", "finger pair", "finger movement", "any pair"]),
        p(&params.hold_tempo),
        p(&params.flight_tempo),
        params.max_squared_z,
        calibration.auto_enrol,
        calibration.high,
        calibration.medium,
        calibration.low,
    );
    std::fs::write(path, s)
}
