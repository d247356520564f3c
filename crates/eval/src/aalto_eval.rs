//! `keycadence-eval aalto` and `fit-any-text`: type-0 patterns of Aalto typists.
//!
//! Each typist's 15 sentences, sorted by first press, are replayed three at a time into a fresh
//! recorder, giving 5 type-0 patterns covering the whole of each session (the recorder's
//! window set to its 2000-row maximum). Enrol patterns 1-3; genuine attempts are patterns 4
//! and 5; impostor attempts are pattern 4 of each of the next 100 typists in id order
//! (wrapping).

use std::path::Path;

use keycadence_core::matcher::any_text::{SlotPrior, GLOBAL_SLOTS, KEYS, SLOTS};
use keycadence_core::matcher::{AnyTextModel, AnyTextSample, Matcher, Quality, ScoreCalibration};
use keycadence_core::pattern::{Pattern, KEY_CODES};
use keycadence_core::recorder::TypingPatternOptions;

use crate::aalto;
use crate::cmu_eval::calibration_from_scores;
use crate::replay;
use crate::report::Attempt;

/// Sessions per typist and sentences per session.
pub(crate) const SESSIONS: usize = 5;
const SENTENCES_PER_SESSION: usize = 3;
/// Impostor typists per claimed user.
const IMPOSTORS: usize = 100;
/// Time between the recorder's construction and the first key.
const LEAD_MS: i64 = 1000;

/// A typist's five patterns.
pub(crate) struct TypedTypist {
    pub id: String,
    pub patterns: Vec<Pattern>,
    pub samples: Vec<AnyTextSample>,
}

/// Loading statistics.
#[derive(Default, Debug)]
pub(crate) struct LoadReport {
    pub files: usize,
    pub usable: usize,
    pub skipped: Vec<(String, String)>,
    pub repaired_rows: usize,
    pub dropped_rows: usize,
}

/// Reads every typist file of `dir` in id order, counting files, repairs and the files that
/// cannot be read in `report`.
pub(crate) fn read_typists(
    dir: &Path,
    report: &mut LoadReport,
) -> Result<Vec<aalto::Typist>, String> {
    let files = aalto::list(dir).map_err(|e| e.to_string())?;
    report.files = files.len();
    let mut typists = Vec::new();
    for (id, path) in files {
        match aalto::load(&id, &path) {
            Ok(typist) => {
                report.repaired_rows += typist.repaired_rows;
                report.dropped_rows += typist.dropped_rows;
                typists.push(typist);
            }
            Err(e) => report.skipped.push((id, e.to_string())),
        }
    }
    Ok(typists)
}

/// The typists at even positions of `typists` (id order): the half constants are fitted on.
pub(crate) fn fit_half<T>(typists: &[T]) -> Vec<&T> {
    typists
        .iter()
        .enumerate()
        .filter(|(i, _)| in_fit_half(*i))
        .map(|(_, t)| t)
        .collect()
}

/// Loads, replays and parses every typist of `dir`.
pub(crate) fn load_all(dir: &Path) -> Result<(Vec<TypedTypist>, LoadReport), String> {
    let options = TypingPatternOptions::any_text().with_length(2000.0);
    let mut report = LoadReport::default();
    let mut typists = Vec::new();
    for typist in read_typists(dir, &mut report)? {
        let id = typist.id.clone();
        if typist.sentences.len() < SESSIONS * SENTENCES_PER_SESSION {
            report.skipped.push((
                id,
                format!(
                    "{} sentences, {} needed",
                    typist.sentences.len(),
                    SESSIONS * SENTENCES_PER_SESSION
                ),
            ));
            continue;
        }
        let mut patterns = Vec::new();
        let mut samples = Vec::new();
        for session in typist
            .sentences
            .chunks(SENTENCES_PER_SESSION)
            .take(SESSIONS)
        {
            let strokes: Vec<replay::Stroke> = session.iter().flatten().copied().collect();
            let Some(first) = strokes.iter().map(|s| s.down).min() else {
                break;
            };
            let Some(text) = replay::pattern(first - LEAD_MS, &strokes, &options) else {
                break;
            };
            let Ok(pattern) = Pattern::parse(&text) else {
                break;
            };
            let Pattern::AnyText(a) = &pattern else {
                break;
            };
            let Some(sample) = AnyTextSample::from_pattern(a) else {
                break;
            };
            patterns.push(pattern);
            samples.push(sample);
        }
        if patterns.len() < SESSIONS {
            report
                .skipped
                .push((id, "a session gave no usable pattern".into()));
            continue;
        }
        typists.push(TypedTypist {
            id: typist.id,
            patterns,
            samples,
        });
    }
    report.usable = typists.len();
    Ok((typists, report))
}

/// Typists whose position in id order is even: the half the any-text constants are fitted on.
pub(crate) fn in_fit_half(position: usize) -> bool {
    position % 2 == 0
}

/// The impostors of typist `i` among `n`: the next 100 in id order, wrapping, never itself.
pub(crate) fn impostors(i: usize, n: usize) -> impl Iterator<Item = usize> {
    (1..=IMPOSTORS.min(n.saturating_sub(1))).map(move |k| (i + k) % n)
}

/// Scores the protocol through [`Matcher::compare`].
pub(crate) fn score(typists: &[TypedTypist], matcher: &Matcher) -> Vec<Attempt> {
    let n = typists.len();
    let mut attempts = Vec::new();
    for (i, t) in typists.iter().enumerate() {
        let enrolled = &t.patterns[..3];
        let mut attempt = |probe: &Pattern, typist: &TypedTypist, sample: usize, genuine: bool| {
            let outcome = matcher
                .compare(enrolled, std::slice::from_ref(probe), Quality::Medium)
                .expect("type-0 desktop patterns compare");
            attempts.push(Attempt {
                user: t.id.clone(),
                typist: typist.id.clone(),
                sample: (sample + 1).to_string(),
                genuine,
                score: outcome.score,
            });
        };
        attempt(&t.patterns[3], t, 3, true);
        attempt(&t.patterns[4], t, 4, true);
        for j in impostors(i, n) {
            attempt(&typists[j].patterns[3], &typists[j], 3, false);
        }
    }
    attempts
}

/// Family of a slot, for pooling sparse keys.
fn family(slot: usize) -> usize {
    if slot < GLOBAL_SLOTS {
        slot
    } else {
        GLOBAL_SLOTS + (slot - GLOBAL_SLOTS) / KEYS
    }
}

/// Sufficient statistics of one slot (or family).
#[derive(Clone, Copy, Default)]
struct Moments {
    // Least squares of d^2 = within * h + 2 * session over same-typist pairs.
    n: f64,
    sh: f64,
    shh: f64,
    sy: f64,
    shy: f64,
    // Typist means for the between-typist variance.
    typists: f64,
    sm: f64,
    smm: f64,
    /// Sum over typists of 1/C (C = total count) and 1/n (patterns) for the correction.
    inv_count: f64,
    inv_patterns: f64,
}

impl Moments {
    fn prior(&self) -> Option<SlotPrior> {
        if self.n < 30.0 || self.typists < 30.0 {
            return None;
        }
        let det = self.n * self.shh - self.sh * self.sh;
        let (mut within, mut intercept) = if det.abs() > 1e-12 {
            let w = (self.n * self.shy - self.sh * self.sy) / det;
            (w, (self.sy - w * self.sh) / self.n)
        } else {
            (self.sy / self.sh.max(1e-12), 0.0)
        };
        if within < 1e-4 {
            within = 1e-4;
            intercept = ((self.sy - within * self.sh) / self.n).max(0.0);
        }
        let session = (intercept / 2.0).max(0.0);
        let mean = self.sm / self.typists;
        let var_means =
            (self.smm / self.typists - mean * mean) * self.typists / (self.typists - 1.0);
        let noise =
            within * self.inv_count / self.typists + session * self.inv_patterns / self.typists;
        let between = (var_means - noise).max(1e-4);
        Some(SlotPrior {
            within,
            session,
            between,
        })
    }
}

/// Fits the slot priors on the enrolment and genuine patterns of `typists`.
pub(crate) fn fit_priors(typists: &[&TypedTypist]) -> [SlotPrior; SLOTS] {
    let mut slot_m = vec![Moments::default(); SLOTS];
    let mut family_m = vec![Moments::default(); GLOBAL_SLOTS + 3];
    for t in typists {
        for slot in 0..SLOTS {
            let vals: Vec<(f64, f64)> = t
                .samples
                .iter()
                .map(|s| s.slot(slot))
                .filter(|&(_, c)| c > 0.0)
                .collect();
            let add = |m: &mut Moments| {
                for a in 0..vals.len() {
                    for b in a + 1..vals.len() {
                        let d = vals[a].0 - vals[b].0;
                        let h = 1.0 / vals[a].1 + 1.0 / vals[b].1;
                        let y = d * d;
                        m.n += 1.0;
                        m.sh += h;
                        m.shh += h * h;
                        m.sy += y;
                        m.shy += h * y;
                    }
                }
                if !vals.is_empty() {
                    let total: f64 = vals.iter().map(|v| v.1).sum();
                    let mean = vals.iter().map(|v| v.0 * v.1).sum::<f64>() / total;
                    m.typists += 1.0;
                    m.sm += mean;
                    m.smm += mean * mean;
                    m.inv_count += 1.0 / total;
                    m.inv_patterns += 1.0 / vals.len() as f64;
                }
            };
            add(&mut slot_m[slot]);
            add(&mut family_m[family(slot)]);
        }
    }
    let fallback = SlotPrior {
        within: 0.1,
        session: 0.01,
        between: 1e-4,
    };
    let mut priors = [fallback; SLOTS];
    for slot in 0..SLOTS {
        priors[slot] = slot_m[slot]
            .prior()
            .or_else(|| family_m[family(slot)].prior())
            .unwrap_or(fallback);
    }
    priors
}

/// Calibration knots from the protocol run on `typists` alone (fast path).
pub(crate) fn calibrate(typists: &[&TypedTypist], priors: &[SlotPrior; SLOTS]) -> ScoreCalibration {
    let n = typists.len();
    let (mut g, mut i) = (Vec::new(), Vec::new());
    for (k, t) in typists.iter().enumerate() {
        let enrol: Vec<&AnyTextSample> = t.samples[..3].iter().collect();
        let model = AnyTextModel::new(&enrol);
        let llr = |s: &AnyTextSample| model.log_likelihood_ratio(s, priors).map(|(l, _)| l);
        g.extend([&t.samples[3], &t.samples[4]].into_iter().filter_map(llr));
        i.extend(impostors(k, n).filter_map(|j| llr(&typists[j].samples[3])));
    }
    // Distances are negated log-likelihood ratios; calibration_from_scores takes similarities.
    calibration_from_scores(&g, &i)
}

/// Writes the fitted constants as the Rust source of `any_text_fitted.rs`.
pub(crate) fn write_rust(
    path: &Path,
    priors: &[SlotPrior; SLOTS],
    calibration: &ScoreCalibration,
    provenance: &str,
) -> std::io::Result<()> {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "//! Any-text constants fitted on development data. GENERATED by\n//! `{provenance}`;\n//! do not edit by hand.\n//!\n//! Each slot's variances (log scale) come from the typists of the fit half of\n//! aalto-dev (even positions in id order): `within` and `session` by least squares of the\n//! squared differences between a typist's own patterns on their counts, `between` from the\n//! spread of typists' means less the noise in those means. Keys seen by fewer than 30\n//! typists use the pooled value of their statistic. The calibration knots are the\n//! operating points of the aalto protocol run on the same typists."
    );
    let _ = writeln!(
        s,
        "\nuse super::any_text::{{SlotPrior, SLOTS}};\nuse super::calibration::ScoreCalibration;\n"
    );
    let _ = writeln!(
        s,
        "/// Distance (negated log-likelihood ratio) at each operating point.\npub(crate) const CALIBRATION: ScoreCalibration = ScoreCalibration {{\n    auto_enrol: {:?},\n    high: {:?},\n    medium: {:?},\n    low: {:?},\n}};\n",
        calibration.auto_enrol, calibration.high, calibration.medium, calibration.low
    );
    let _ = writeln!(s, "const fn p(within: f64, session: f64, between: f64) -> SlotPrior {{\n    SlotPrior {{\n        within,\n        session,\n        between,\n    }}\n}}\n");
    let _ = writeln!(s, "/// Per-slot priors: globals, then press, seek and post ratios of the 44 keys.\npub(crate) const PRIORS: [SlotPrior; SLOTS] = [");
    let names = ["press mean", "seek mean", "press SD", "seek SD"];
    for (slot, p) in priors.iter().enumerate() {
        let label = if slot < GLOBAL_SLOTS {
            names[slot].to_string()
        } else {
            let k = (slot - GLOBAL_SLOTS) % KEYS;
            let stat = ["press", "seek", "post"][(slot - GLOBAL_SLOTS) / KEYS];
            format!("{stat} keyCode {}", KEY_CODES[k])
        };
        let _ = writeln!(
            s,
            "    p({:.6e}, {:.6e}, {:.6e}), // {label}",
            p.within, p.session, p.between
        );
    }
    let _ = writeln!(s, "];");
    std::fs::write(path, s)
}
