//! From distances to the 0–100 scores the API reports, and the operating points on them.
//!
//! Each pattern family (same text, any text) measures distance on its own scale. A
//! [`ScoreCalibration`] maps it monotonically to a score through four knots measured on
//! development data, so that one set of score thresholds means the same error rates for every
//! family:
//!
//! | score | distance knot (on development data) |
//! |---|---|
//! | [`AUTO_ENROL_SCORE`] = 80 | false accepts 0.5 % |
//! | [`HIGH_SCORE`] = 70 | false accepts 1 % (quality 3) |
//! | [`MEDIUM_SCORE`] = 50 | equal error rate (quality 2) |
//! | [`LOW_SCORE`] = 30 | false rejections 2 % (quality 1) |
//!
//! Between knots the score is linear in the distance; beyond them it approaches 100 and 0
//! hyperbolically.

use super::Quality;

/// Score at or above which a verified pattern may be enrolled automatically: false accepts at
/// most 0.5 % on development data.
pub const AUTO_ENROL_SCORE: f64 = 80.0;
/// Quality 3 threshold: false accepts at most 1 % on development data.
pub const HIGH_SCORE: f64 = 70.0;
/// Quality 2 threshold: the equal-error point on development data.
pub const MEDIUM_SCORE: f64 = 50.0;
/// Quality 1 threshold: false rejections at most 2 % on development data.
pub const LOW_SCORE: f64 = 30.0;

/// The score a probe needs for `result = 1` at this quality.
pub fn threshold(quality: Quality) -> f64 {
    match quality {
        Quality::Low => LOW_SCORE,
        Quality::Medium => MEDIUM_SCORE,
        Quality::High => HIGH_SCORE,
    }
}

/// Distances of one family at the four operating points, ascending (smaller distance = more
/// alike = higher score).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreCalibration {
    /// Distance at [`AUTO_ENROL_SCORE`].
    pub auto_enrol: f64,
    /// Distance at [`HIGH_SCORE`].
    pub high: f64,
    /// Distance at [`MEDIUM_SCORE`].
    pub medium: f64,
    /// Distance at [`LOW_SCORE`].
    pub low: f64,
}

impl ScoreCalibration {
    /// The knots as `(distance, score)`, made non-decreasing in distance (development data
    /// can put two operating points at the same distance, or in the wrong order when a family
    /// separates users almost perfectly).
    fn knots(&self) -> [(f64, f64); 4] {
        let mut d = [self.auto_enrol, self.high, self.medium, self.low];
        for i in 1..4 {
            d[i] = d[i].max(d[i - 1] + 1e-9);
        }
        [
            (d[0], AUTO_ENROL_SCORE),
            (d[1], HIGH_SCORE),
            (d[2], MEDIUM_SCORE),
            (d[3], LOW_SCORE),
        ]
    }

    /// The score (0–100) of a distance.
    pub fn score(&self, distance: f64) -> f64 {
        let k = self.knots();
        if distance.is_nan() {
            return 0.0;
        }
        let spread = (k[3].0 - k[0].0).max(1e-9);
        // Hyperbolic tails: they never reach 0 or 100 in floating point for any finite
        // distance, so far-apart attempts keep their order (ties would distort error rates).
        if distance <= k[0].0 {
            let gap = 100.0 - k[0].1;
            return 100.0 - gap * spread / (spread + (k[0].0 - distance));
        }
        if distance >= k[3].0 {
            return k[3].1 * spread / (spread + (distance - k[3].0));
        }
        for w in k.windows(2) {
            let ((d0, s0), (d1, s1)) = (w[0], w[1]);
            if distance <= d1 {
                return s0 + (s1 - s0) * (distance - d0) / (d1 - d0);
            }
        }
        k[3].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAL: ScoreCalibration = ScoreCalibration {
        auto_enrol: 1.0,
        high: 1.2,
        medium: 1.5,
        low: 2.5,
    };

    #[test]
    fn knots_map_to_their_scores_and_the_map_is_monotone() {
        assert!((CAL.score(1.0) - AUTO_ENROL_SCORE).abs() < 1e-9);
        assert!((CAL.score(1.2) - HIGH_SCORE).abs() < 1e-9);
        assert!((CAL.score(1.5) - MEDIUM_SCORE).abs() < 1e-9);
        assert!((CAL.score(2.5) - LOW_SCORE).abs() < 1e-9);
        let mut last = 101.0;
        for i in -100..800 {
            let s = CAL.score(i as f64 / 100.0);
            assert!(s <= last && (0.0..=100.0).contains(&s), "{i} {s}");
            last = s;
        }
        assert!(CAL.score(-5.0) > 95.0);
        assert!(CAL.score(50.0) < 2.0);
        assert!(CAL.score(1e6) > 0.0 && CAL.score(1e6) > CAL.score(2e6));
    }

    #[test]
    fn out_of_order_knots_still_give_a_monotone_map() {
        let odd = ScoreCalibration {
            auto_enrol: 1.0,
            high: 0.9,
            medium: 1.1,
            low: 1.0,
        };
        let mut last = 101.0;
        for i in 0..300 {
            let s = odd.score(i as f64 / 100.0);
            assert!(s <= last, "{i} {s}");
            last = s;
        }
    }
}
