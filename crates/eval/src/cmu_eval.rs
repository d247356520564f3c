//! `keycadence-eval cmu`: the CMU benchmark through recorder, parser and matcher.
//!
//! Same-text constants are fitted by 2-fold cross-validation over subjects (subjects sorted by
//! id, alternating folds): the constants that score a subject were fitted on the other fold
//! only, with that fold's own subjects as genuine users and impostors.

use keycadence_core::matcher::{
    same_text_sample, Matcher, Quality, SameTextModel, SameTextParams, SameTextSample,
    ScoreCalibration,
};
use keycadence_core::pattern::Pattern;
use keycadence_core::recorder::TypingPatternOptions;

use crate::cmu::{Rep, TEXT};
use crate::metrics::{equal_error_rate, RateCurve};
use crate::replay;
use crate::report::Attempt;

/// Which reps enrol and which attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Protocol {
    /// Enrol sessions 1-4, genuine sessions 5-8 (Killourhy & Maxion).
    Paper,
    /// Enrol reps 1-5 of session 1, genuine sessions 5-8.
    Fewshot,
    /// Fewshot, then sessions 2-4 verified with auto-enrol before testing on 5-8; each
    /// genuine attempt of sessions 2-4 is followed by an impostor's (another subject's rep of
    /// that session), as a deployment sees both, so that enrolling what should be refused
    /// shows in the figures.
    Adaptive,
}

impl Protocol {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Protocol::Paper => "paper",
            Protocol::Fewshot => "fewshot",
            Protocol::Adaptive => "adaptive",
        }
    }
}

/// One rep replayed, parsed and reduced to features.
pub(crate) struct Typed {
    pub rep: Rep,
    pub pattern: Pattern,
    pub sample: SameTextSample,
}

/// Replays every rep through a fresh recorder and parses the pattern back.
pub(crate) fn replay_all(reps: Vec<Rep>) -> Result<Vec<Typed>, String> {
    let options = TypingPatternOptions::same_text(TEXT);
    reps.into_iter()
        .enumerate()
        .map(|(i, rep)| {
            let start = 1_700_000_000_000 + 100_000 * i as i64;
            let text = replay::pattern(start, &rep.strokes(start), &options).ok_or_else(|| {
                format!(
                    "{} {}/{}: the recorder returned no pattern",
                    rep.subject, rep.session, rep.rep
                )
            })?;
            let pattern = Pattern::parse(&text).map_err(|e| {
                format!(
                    "{} {}/{}: pattern does not parse: {e}",
                    rep.subject, rep.session, rep.rep
                )
            })?;
            let Pattern::Diagram(d) = &pattern else {
                return Err(format!("{}: not a same-text pattern", rep.subject));
            };
            let sample = same_text_sample(d);
            Ok(Typed {
                rep,
                pattern,
                sample,
            })
        })
        .collect()
}

/// The reps of each subject, subjects in id order.
pub(crate) struct Subjects<'a> {
    pub ids: Vec<String>,
    pub reps: Vec<Vec<&'a Typed>>,
}

impl<'a> Subjects<'a> {
    pub(crate) fn new(typed: &'a [Typed]) -> Self {
        let mut ids: Vec<String> = typed.iter().map(|t| t.rep.subject.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut reps = vec![Vec::new(); ids.len()];
        for t in typed {
            let i = ids.binary_search(&t.rep.subject).expect("subject listed");
            reps[i].push(t);
        }
        for r in &mut reps {
            r.sort_by_key(|t| (t.rep.session, t.rep.rep));
        }
        Subjects { ids, reps }
    }

    /// Subjects of fold `f` (0 or 1): alternating in id order.
    pub(crate) fn fold(&self, f: usize) -> Vec<usize> {
        (0..self.ids.len()).filter(|i| i % 2 == f).collect()
    }

    fn select(&self, s: usize, keep: impl Fn(&Rep) -> bool) -> Vec<&'a Typed> {
        self.reps[s]
            .iter()
            .copied()
            .filter(|t| keep(&t.rep))
            .collect()
    }

    pub(crate) fn enrolment(&self, s: usize, protocol: Protocol) -> Vec<&'a Typed> {
        match protocol {
            Protocol::Paper => self.select(s, |r| r.session <= 4),
            Protocol::Fewshot | Protocol::Adaptive => {
                self.select(s, |r| r.session == 1 && r.rep <= 5)
            }
        }
    }

    pub(crate) fn genuine(&self, s: usize) -> Vec<&'a Typed> {
        self.select(s, |r| r.session >= 5)
    }

    /// The attempts the adaptive protocol verifies with auto-enrol, in order: each rep of
    /// sessions 2-4 of `s` (`true`), followed by an impostor's rep of the same session and
    /// number from the subjects in `among` other than `s` in turn (`false`), so that every
    /// session brings 50 genuine and 50 impostor attempts.
    pub(crate) fn adaptation(&self, s: usize, among: &[usize]) -> Vec<(&'a Typed, bool)> {
        let others: Vec<usize> = among.iter().copied().filter(|&o| o != s).collect();
        let mut out = Vec::new();
        for (i, t) in self.reps[s]
            .iter()
            .filter(|t| (2..=4).contains(&t.rep.session))
            .enumerate()
        {
            out.push((*t, true));
            if others.is_empty() {
                continue;
            }
            let o = others[i % others.len()];
            if let Some(impostor) = self.reps[o]
                .iter()
                .find(|x| x.rep.session == t.rep.session && x.rep.rep == t.rep.rep)
            {
                out.push((*impostor, false));
            }
        }
        out
    }

    /// The first 5 reps of session 1 of each subject in `among` other than `s`.
    pub(crate) fn impostors(&self, s: usize, among: &[usize]) -> Vec<&'a Typed> {
        among
            .iter()
            .filter(|&&o| o != s)
            .flat_map(|&o| self.select(o, |r| r.session == 1 && r.rep <= 5))
            .collect()
    }
}

/// What the adaptive protocol enrolled automatically for one subject.
#[derive(Clone, Debug, Default)]
pub(crate) struct AutoEnrolled {
    pub subject: String,
    /// The subject's own reps of sessions 2-4 enrolled (of 150).
    pub genuine: usize,
    /// Other subjects' reps enrolled (of 150): each one a false accept that became part of
    /// the user's model.
    pub impostor: usize,
}

/// Distances (fast path) of genuine and impostor attempts for each subject in `users`, with
/// impostors drawn from `users` too.
fn distances(
    subjects: &Subjects,
    users: &[usize],
    protocol: Protocol,
    params: &SameTextParams,
) -> Vec<(Vec<f64>, Vec<f64>)> {
    users
        .iter()
        .map(|&u| {
            let enrol: Vec<&SameTextSample> = subjects
                .enrolment(u, protocol)
                .iter()
                .map(|t| &t.sample)
                .collect();
            let model = SameTextModel::new(&enrol, params);
            let d = |ts: Vec<&Typed>| -> Vec<f64> {
                ts.iter()
                    .filter_map(|t| model.distance(&t.sample))
                    .collect()
            };
            (d(subjects.genuine(u)), d(subjects.impostors(u, users)))
        })
        .collect()
}

fn mean_eer(per_user: &[(Vec<f64>, Vec<f64>)]) -> f64 {
    let eers: Vec<f64> = per_user
        .iter()
        .filter_map(|(g, i)| {
            let neg = |v: &Vec<f64>| v.iter().map(|d| -d).collect::<Vec<f64>>();
            equal_error_rate(&neg(g), &neg(i))
        })
        .collect();
    eers.iter().sum::<f64>() / eers.len().max(1) as f64
}

/// The candidate values tried for each constant, in coordinate-descent order.
fn candidates(p: &SameTextParams, which: usize) -> Vec<SameTextParams> {
    let with = |f: &dyn Fn(&mut SameTextParams)| {
        let mut q = *p;
        f(&mut q);
        q
    };
    match which {
        0 => [0.08, 0.12, 0.16, 0.22]
            .iter()
            .map(|&v| with(&|q| q.prior_press_sd = v))
            .collect(),
        1 => [0.12, 0.18, 0.25, 0.35]
            .iter()
            .map(|&v| with(&|q| q.prior_seek_sd = v))
            .collect(),
        2 => [2.0, 5.0, 10.0, 20.0, 40.0]
            .iter()
            .map(|&v| with(&|q| q.prior_weight = v))
            .collect(),
        3 => [0.0, -0.3, -0.6, -0.9, -1.2]
            .iter()
            .map(|&v| with(&|q| q.practice_shift = v))
            .collect(),
        4 => [2.0, 5.0, 10.0, 20.0, 50.0]
            .iter()
            .map(|&v| with(&|q| q.practice_fade = v))
            .collect(),
        5 => [0.1, 0.2, 0.35, 0.5, 1.0]
            .iter()
            .map(|&v| with(&|q| q.faster_cost = v))
            .collect(),
        6 => [2.0, 3.0, 4.0, 6.0, f64::INFINITY]
            .iter()
            .map(|&v| with(&|q| q.max_deviation = v))
            .collect(),
        7 => [1, 3, 5, 8]
            .iter()
            .map(|&v| with(&|q| q.neighbours = v))
            .collect(),
        _ => [20, 35, 50, 100, 200]
            .iter()
            .map(|&v| with(&|q| q.recent = v))
            .collect(),
    }
}

/// The objective minimised when fitting: mean of the paper and few-shot mean EERs.
fn objective(subjects: &Subjects, users: &[usize], params: &SameTextParams) -> f64 {
    let paper = mean_eer(&distances(subjects, users, Protocol::Paper, params));
    let few = mean_eer(&distances(subjects, users, Protocol::Fewshot, params));
    (paper + few) / 2.0
}

/// Where the fit starts: mid-grid values and no practice model (no margin, symmetric costs),
/// so that nothing but the fitting subjects decides the practice constants.
pub(crate) const START: SameTextParams = SameTextParams {
    prior_press_sd: 0.16,
    prior_seek_sd: 0.25,
    prior_weight: 10.0,
    practice_shift: 0.0,
    practice_fade: 10.0,
    faster_cost: 1.0,
    max_deviation: f64::INFINITY,
    neighbours: 5,
    recent: 50,
};

/// Fits the same-text constants on `users` by coordinate descent from `start` (three sweeps
/// over the nine constants; a value replaces the current one only if it lowers the
/// objective, so the result is deterministic).
pub(crate) fn fit(
    subjects: &Subjects,
    users: &[usize],
    start: SameTextParams,
) -> (SameTextParams, f64) {
    let mut best = start;
    let mut best_value = objective(subjects, users, &best);
    for _sweep in 0..3 {
        let mut changed = false;
        for which in 0..9 {
            for candidate in candidates(&best, which) {
                if candidate == best {
                    continue;
                }
                let v = objective(subjects, users, &candidate);
                if v < best_value - 1e-9 {
                    best = candidate;
                    best_value = v;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    (best, best_value)
}

/// Score calibration from few-shot distances of `users` (the realistic enrolment).
pub(crate) fn calibrate(
    subjects: &Subjects,
    users: &[usize],
    params: &SameTextParams,
) -> ScoreCalibration {
    let per_user = distances(subjects, users, Protocol::Fewshot, params);
    let mut g = Vec::new();
    let mut i = Vec::new();
    for (gu, iu) in per_user {
        g.extend(gu.iter().map(|d| -d));
        i.extend(iu.iter().map(|d| -d));
    }
    calibration_from_scores(&g, &i)
}

/// Knots from pooled genuine and impostor similarities (negated distances).
pub(crate) fn calibration_from_scores(genuine: &[f64], impostor: &[f64]) -> ScoreCalibration {
    let curve = RateCurve::new(genuine, impostor);
    ScoreCalibration {
        auto_enrol: -curve.threshold_for_false_accept(0.005),
        high: -curve.threshold_for_false_accept(0.01),
        medium: -curve.equal_error_threshold(),
        low: -curve.threshold_for_miss(0.02),
    }
}

/// Scores every attempt of `users` through [`Matcher::compare`] on the parsed patterns;
/// impostors are drawn from all subjects (the published protocol).
pub(crate) fn score(
    subjects: &Subjects,
    users: &[usize],
    protocol: Protocol,
    matcher: &Matcher,
    auto_enrolled: &mut Vec<AutoEnrolled>,
) -> Vec<Attempt> {
    let all: Vec<usize> = (0..subjects.ids.len()).collect();
    let mut attempts = Vec::new();
    for &u in users {
        let mut enrolled: Vec<Pattern> = subjects
            .enrolment(u, protocol)
            .iter()
            .map(|t| t.pattern.clone())
            .collect();
        if protocol == Protocol::Adaptive {
            let mut adapted = AutoEnrolled {
                subject: subjects.ids[u].clone(),
                ..AutoEnrolled::default()
            };
            for (typed, genuine) in subjects.adaptation(u, &all) {
                let outcome = matcher
                    .compare(
                        &enrolled,
                        std::slice::from_ref(&typed.pattern),
                        Quality::Medium,
                    )
                    .expect("same-text patterns of one text compare");
                if outcome.qualifies_for_auto_enrol() {
                    enrolled.push(typed.pattern.clone());
                    if genuine {
                        adapted.genuine += 1;
                    } else {
                        adapted.impostor += 1;
                    }
                }
            }
            auto_enrolled.push(adapted);
        }
        let mut attempt = |t: &Typed, genuine: bool| {
            let outcome = matcher
                .compare(&enrolled, std::slice::from_ref(&t.pattern), Quality::Medium)
                .expect("same-text patterns of one text compare");
            attempts.push(Attempt {
                user: subjects.ids[u].clone(),
                typist: t.rep.subject.clone(),
                sample: format!("{}/{}", t.rep.session, t.rep.rep),
                genuine,
                score: outcome.score,
            });
        };
        for t in subjects.genuine(u) {
            attempt(t, true);
        }
        for t in subjects.impostors(u, &all) {
            attempt(t, false);
        }
    }
    attempts
}
