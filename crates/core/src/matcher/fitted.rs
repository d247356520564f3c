//! PROVISIONAL constants, replaced by fitted values.
use super::calibration::ScoreCalibration;
use super::same_text::SameTextParams;

pub const SAME_TEXT: SameTextParams = SameTextParams {
    prior_press_sd: 0.15,
    prior_seek_sd: 0.2,
    prior_weight: 10.0,
    practice_shift: -0.45,
    practice_fade: 20.0,
    faster_cost: 0.15,
    neighbours: 5,
    recent: 50,
};
pub const SAME_TEXT_CALIBRATION: ScoreCalibration = ScoreCalibration {
    auto_enrol: 1.0,
    high: 1.1,
    medium: 1.4,
    low: 2.0,
};
pub const ANY_TEXT_CALIBRATION: ScoreCalibration = ScoreCalibration {
    auto_enrol: -20.0,
    high: -15.0,
    medium: 0.0,
    low: 10.0,
};
