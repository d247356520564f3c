//! The matcher: does a typing pattern belong to the user who enrolled these ones?
//!
//! [`compare`] takes a user's enrolled patterns and one probe (or two, for the API's dual
//! pass) and returns what the Authentication API reports: a 0–100 `score`, a `confidence`, a
//! `net_score`, the `result` at the requested [`Quality`], `high_confidence`, the number of
//! `compared_samples` and the `device_similarity`. Patterns that cannot be compared are typed
//! errors ([`MatchError`]), never a guess.
//!
//! * Same text (types 1 and 2): [`same_text`], rows aligned by position.
//! * Any text (type 0): [`any_text`], per-key statistics.
//! * Short any text (type 2 of a text not enrolled, such as a freshly generated phrase):
//!   [`short_text`], per-key holds and per-pair flights with back-off to finger groups
//!   ([`key_groups`]). [`MatchOutcome::mode`] says which matcher decided.
//! * Scores and operating points: [`calibration`]. Every constant learned from data, and where
//!   it came from, is listed in [`fitted`].
//!
//! Enrolled patterns are expected oldest first: the same-text matcher leans on the most recent
//! ones, as typing a text changes with practice.

pub mod any_text;
mod any_text_fitted;
pub mod calibration;
mod compatibility;
pub mod device;
mod error;
pub mod fitted;
pub mod key_groups;
mod quality;
pub mod same_text;
pub mod short_text;
mod short_text_fitted;
#[cfg(test)]
mod tests;

pub use any_text::{AnyTextModel, AnyTextSample, SlotPrior};
pub use calibration::{ScoreCalibration, AUTO_ENROL_SCORE};
pub use compatibility::{has_short_any_text_mode, MatchMode, MIN_SAME_TEXT_ENROLMENTS};
pub use error::MatchError;
pub use quality::Quality;
pub use same_text::{SameTextModel, SameTextParams, SameTextSample, TimedKey};
pub use short_text::{ShortTextModel, ShortTextParams, ShortTextSample};

use crate::pattern::{DiagramPattern, Pattern};

/// What one comparison reports (the Authentication API's result fields).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchOutcome {
    /// Similarity, 0–100.
    pub score: f64,
    /// How much evidence the comparison rests on, 0–100: grows with the number of enrolled
    /// patterns and with the amount of typing compared.
    pub confidence: f64,
    /// `score * confidence / 100`.
    pub net_score: f64,
    /// `score` reached the threshold of the requested quality.
    pub result: bool,
    /// The decision is well away from the threshold and rests on enough evidence.
    pub high_confidence: bool,
    /// Number of enrolled patterns compared.
    pub compared_samples: usize,
    /// Similarity of the probe's device to the enrolment devices, 0–100.
    pub device_similarity: f64,
    /// The matcher that decided.
    pub mode: MatchMode,
}

impl MatchOutcome {
    /// Whether the verified pattern is good enough to be enrolled automatically (the API's
    /// auto-enrol): a positive result at a score of at least [`AUTO_ENROL_SCORE`].
    pub fn qualifies_for_auto_enrol(&self) -> bool {
        self.score >= AUTO_ENROL_SCORE
    }
}

/// A matcher with its constants. [`Matcher::default`] holds the fitted product constants;
/// the evaluation builds others to keep fitted data and scored data apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Matcher {
    /// Tunable constants of the same-text (type 1/2) matcher.
    pub same_text: SameTextParams,
    /// The same-text matcher's distances at the score's operating points.
    pub same_text_calibration: ScoreCalibration,
    /// Within-user, session and between-people variances of each any-text (type 0) slot.
    pub any_text_priors: [SlotPrior; any_text::SLOTS],
    /// The any-text matcher's distances at the score's operating points.
    pub any_text_calibration: ScoreCalibration,
    /// Priors of the short any-text matcher (holds, flights and pattern statistics).
    pub short_text: ShortTextParams,
    /// The short any-text matcher's distances at the score's operating points.
    pub short_text_calibration: ScoreCalibration,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher {
            same_text: fitted::SAME_TEXT,
            same_text_calibration: fitted::SAME_TEXT_CALIBRATION,
            any_text_priors: any_text_fitted::PRIORS,
            any_text_calibration: any_text_fitted::CALIBRATION,
            short_text: short_text_fitted::PARAMS,
            short_text_calibration: short_text_fitted::CALIBRATION,
        }
    }
}

/// Compares probes (1, or 2 for dual pass) with a user's enrolled patterns (oldest first)
/// using the fitted constants. See [`Matcher::compare`].
pub fn compare(
    enrolled: &[Pattern],
    probes: &[Pattern],
    quality: Quality,
) -> Result<MatchOutcome, MatchError> {
    Matcher::default().compare(enrolled, probes, quality)
}

/// Distance of the probes to the enrolment on a family's own scale, and the evidence behind it.
struct Measured {
    distance: f64,
    /// Compared features (same text, short any text) or slots (any text) per probe, averaged.
    features: f64,
}

impl Matcher {
    /// Compares probes with a user's enrolled patterns.
    ///
    /// Enrolled patterns that cannot be compared with the probe (another device class, type
    /// or text) are skipped; when none is left, the error says why the most recent one did not
    /// fit. A desktop type-2 probe with fewer than [`MIN_SAME_TEXT_ENROLMENTS`] enrolments of
    /// its text is matched in the short any-text mode against every desktop type-2
    /// enrolment, when there are more of those ([`has_short_any_text_mode`]). All probes must share device class, type and text
    /// ([`MatchError::MixedPatterns`]). With two probes (dual pass) their distances are
    /// averaged.
    pub fn compare(
        &self,
        enrolled: &[Pattern],
        probes: &[Pattern],
        quality: Quality,
    ) -> Result<MatchOutcome, MatchError> {
        let (mode, comparable) = compatibility::select(enrolled, probes)?;
        let (measured, calibration) = match mode {
            MatchMode::SameText => (
                self.measure_same_text(&comparable, probes)?,
                &self.same_text_calibration,
            ),
            MatchMode::AnyText => (
                self.measure_any_text(&comparable, probes)?,
                &self.any_text_calibration,
            ),
            MatchMode::ShortAnyText => (
                self.measure_short_text(&comparable, probes)?,
                &self.short_text_calibration,
            ),
        };
        let score = calibration.score(measured.distance);
        let confidence = confidence(comparable.len(), measured.features);
        let threshold = calibration::threshold(quality);
        let device_similarity = device::device_similarity(
            probes[0].device_signature().map(|s| &s.0),
            comparable
                .iter()
                .map(|p| p.device_signature().map(|s| &s.0)),
        );
        Ok(MatchOutcome {
            score,
            confidence,
            net_score: score * confidence / 100.0,
            result: score >= threshold,
            high_confidence: confidence >= HIGH_CONFIDENCE
                && (score - threshold).abs() >= HIGH_CONFIDENCE_MARGIN,
            compared_samples: comparable.len(),
            device_similarity,
            mode,
        })
    }

    fn measure_same_text(
        &self,
        enrolled: &[&Pattern],
        probes: &[Pattern],
    ) -> Result<Measured, MatchError> {
        let samples: Vec<SameTextSample> = enrolled
            .iter()
            .filter_map(|p| diagram(p).map(same_text_sample))
            .collect();
        let refs: Vec<&SameTextSample> = samples.iter().collect();
        let model = SameTextModel::new(&refs, &self.same_text);
        let mut distance = 0.0;
        let mut features = 0.0;
        for probe in probes {
            let sample = same_text_sample(diagram(probe).ok_or(MatchError::NotTyping)?);
            let d = model.distance(&sample).ok_or(MatchError::NoKeystrokes)?;
            distance += d;
            features += model.compared_features(&sample) as f64;
        }
        let n = probes.len() as f64;
        Ok(Measured {
            distance: distance / n,
            features: features / n,
        })
    }

    fn measure_any_text(
        &self,
        enrolled: &[&Pattern],
        probes: &[Pattern],
    ) -> Result<Measured, MatchError> {
        let samples: Vec<AnyTextSample> = enrolled
            .iter()
            .filter_map(|p| match p {
                Pattern::AnyText(a) => AnyTextSample::from_pattern(a),
                _ => None,
            })
            .collect();
        if samples.is_empty() {
            return Err(MatchError::NoKeystrokes);
        }
        let refs: Vec<&AnyTextSample> = samples.iter().collect();
        let model = AnyTextModel::new(&refs);
        per_probe_average(probes, |probe| {
            let Pattern::AnyText(a) = probe else {
                return Err(MatchError::NotTyping);
            };
            let sample = AnyTextSample::from_pattern(a).ok_or(MatchError::NoKeystrokes)?;
            model
                .log_likelihood_ratio(&sample, &self.any_text_priors)
                .ok_or(MatchError::NoKeystrokes)
        })
    }

    fn measure_short_text(
        &self,
        enrolled: &[&Pattern],
        probes: &[Pattern],
    ) -> Result<Measured, MatchError> {
        let samples: Vec<ShortTextSample> = enrolled
            .iter()
            .filter_map(|p| diagram(p).and_then(ShortTextSample::from_pattern))
            .collect();
        let refs: Vec<&ShortTextSample> = samples.iter().collect();
        let model = ShortTextModel::new(&refs, &self.short_text);
        per_probe_average(probes, |probe| {
            let sample = diagram(probe)
                .and_then(ShortTextSample::from_pattern)
                .ok_or(MatchError::NoKeystrokes)?;
            model
                .log_likelihood_ratio(&sample)
                .ok_or(MatchError::NoKeystrokes)
        })
    }
}

/// The distance of the probes (dual pass: their average) from each probe's log-likelihood
/// ratio "same typist" vs "another" and its number of compared features.
fn per_probe_average(
    probes: &[Pattern],
    mut measure: impl FnMut(&Pattern) -> Result<(f64, usize), MatchError>,
) -> Result<Measured, MatchError> {
    let mut distance = 0.0;
    let mut features = 0.0;
    for probe in probes {
        let (llr, used) = measure(probe)?;
        distance -= llr;
        features += used as f64;
    }
    let n = probes.len() as f64;
    Ok(Measured {
        distance: distance / n,
        features: features / n,
    })
}

fn diagram(p: &Pattern) -> Option<&DiagramPattern> {
    match p {
        Pattern::Diagram(d) => Some(d),
        _ => None,
    }
}

/// The matcher's view of a type-1/2 pattern.
pub fn same_text_sample(p: &DiagramPattern) -> SameTextSample {
    let keys: Vec<TimedKey> = match &p.rows {
        crate::pattern::DiagramRows::SameText(rows) => rows
            .iter()
            .map(|r| TimedKey {
                seek: r.seek as f64,
                press: r.press as f64,
                substituted: r.substituted,
            })
            .collect(),
        crate::pattern::DiagramRows::Extended(rows) => rows
            .iter()
            .map(|r| TimedKey {
                seek: r.seek as f64,
                press: r.press as f64,
                substituted: r.substituted,
            })
            .collect(),
    };
    SameTextSample::from_keys(&keys)
}

/// Confidence at or above which a decision may be flagged `high_confidence`.
const HIGH_CONFIDENCE: f64 = 60.0;
/// Distance in score points from the threshold for `high_confidence`.
const HIGH_CONFIDENCE_MARGIN: f64 = 15.0;

/// Confidence 0–100 from the evidence: saturating in the number of enrolled patterns (3 give
/// 60 % of the enrolment factor) and in the number of compared features (20 give 63 % of the
/// typing factor). A heuristic, not fitted: it describes the amount of data, not accuracy.
fn confidence(enrolled: usize, features: f64) -> f64 {
    let n = enrolled as f64;
    let enrolment = n / (n + 2.0);
    let typing = 1.0 - (-features / 20.0).exp();
    100.0 * enrolment * typing
}
