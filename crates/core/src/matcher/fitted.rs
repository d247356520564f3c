//! Same-text constants learned from data, and where they came from.
//!
//! Same-text (type 1/2) matching needs same-text data; the only such data is the CMU
//! benchmark (51 subjects typing `.tie5Roanl` + Return 400 times). The rule: same-text
//! constants may be fitted on CMU only by 2-fold cross-validation over subjects, so that the
//! constants scoring a subject never saw that subject. `keycadence-eval cmu` does exactly that
//! for every figure it reports (fold constants are printed with each run). The constants below
//! are what the product ships: the same fit run on all 51 subjects, which is printed as
//! "product constants" by
//! `keycadence-eval cmu --data ../shared/data/cmu/DSL-StrongPasswordData.csv --protocol fewshot`.
//!
//! Fit: coordinate descent (three sweeps over a small grid per constant) from a neutral start
//! without any practice model, minimising the mean of the paper and few-shot mean EERs.
//! Every constant is text-independent (no per-position weights), so they apply to any text.
//!
//! Any-text constants are in `any_text_fitted.rs`, generated from aalto-dev.

use super::calibration::ScoreCalibration;
use super::same_text::SameTextParams;

/// Same-text matching constants (fit on all 51 CMU subjects, see the module docs).
pub const SAME_TEXT: SameTextParams = SameTextParams {
    prior_press_sd: 0.22,
    prior_seek_sd: 0.12,
    prior_weight: 40.0,
    practice_shift: -1.2,
    practice_fade: 5.0,
    faster_cost: 0.2,
    max_deviation: 3.0,
    neighbours: 5,
    recent: 35,
};

/// Same-text operating points: pooled few-shot distances (enrol reps 1-5 of session 1,
/// genuine sessions 5-8, impostors the first 5 reps of every other subject) of all 51 CMU
/// subjects under [`SAME_TEXT`]. Few-shot is how users really enrol, so the thresholds are set
/// where they matter.
pub const SAME_TEXT_CALIBRATION: ScoreCalibration = ScoreCalibration {
    auto_enrol: 0.5333691995215187,
    high: 0.5912399942353025,
    medium: 0.8978758430930072,
    low: 1.1892954423530253,
};
