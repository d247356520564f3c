//! Error rates of a detector from its genuine and impostor scores (higher = more genuine).

/// Equal error rate: the miss rate (genuine scored below the threshold) equals the false-accept
/// rate (impostor scored at or above it), by linear interpolation between the two thresholds
/// around the crossing. `None` when either list is empty.
pub(crate) fn equal_error_rate(genuine: &[f64], impostor: &[f64]) -> Option<f64> {
    if genuine.is_empty() || impostor.is_empty() {
        return None;
    }
    let curve = RateCurve::new(genuine, impostor);
    let mut previous = (0.0, 1.0); // (miss, false accept) below every score
    for point in curve.points.iter() {
        let (miss, fa) = (point.miss, point.false_accept);
        if fa - miss <= 0.0 {
            let d0 = previous.1 - previous.0;
            let d1 = fa - miss;
            if d1 == 0.0 {
                return Some(miss);
            }
            let a = d0 / (d0 - d1);
            let m = previous.0 + a * (miss - previous.0);
            let f = previous.1 + a * (fa - previous.1);
            return Some((m + f) / 2.0);
        }
        previous = (miss, fa);
    }
    Some(previous.0.min(previous.1))
}

/// One threshold of a rate curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RatePoint {
    pub threshold: f64,
    /// Fraction of genuine scores below the threshold.
    pub miss: f64,
    /// Fraction of impostor scores at or above the threshold.
    pub false_accept: f64,
}

/// Miss and false-accept rates at every distinct score, thresholds ascending, ending with a
/// threshold above every score (miss 1, false accept 0).
#[derive(Clone, Debug)]
pub(crate) struct RateCurve {
    pub points: Vec<RatePoint>,
}

impl RateCurve {
    pub(crate) fn new(genuine: &[f64], impostor: &[f64]) -> Self {
        let mut g = genuine.to_vec();
        let mut i = impostor.to_vec();
        g.sort_by(f64::total_cmp);
        i.sort_by(f64::total_cmp);
        let mut thresholds: Vec<f64> = g.iter().chain(i.iter()).copied().collect();
        thresholds.sort_by(f64::total_cmp);
        thresholds.dedup();
        thresholds.push(f64::INFINITY);
        let below = |sorted: &[f64], t: f64| sorted.partition_point(|&x| x < t) as f64;
        let points = thresholds
            .into_iter()
            .map(|t| RatePoint {
                threshold: t,
                miss: below(&g, t) / g.len() as f64,
                false_accept: 1.0 - below(&i, t) / i.len() as f64,
            })
            .collect();
        RateCurve { points }
    }

    /// The lowest threshold whose false-accept rate is at most `rate`.
    pub(crate) fn threshold_for_false_accept(&self, rate: f64) -> f64 {
        self.points
            .iter()
            .find(|p| p.false_accept <= rate)
            .map(|p| p.threshold)
            .unwrap_or(f64::INFINITY)
    }

    /// The highest threshold whose miss rate is at most `rate`.
    pub(crate) fn threshold_for_miss(&self, rate: f64) -> f64 {
        self.points
            .iter()
            .rev()
            .find(|p| p.miss <= rate)
            .map(|p| p.threshold)
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// The threshold where the miss and false-accept rates are closest (the EER point).
    pub(crate) fn equal_error_threshold(&self) -> f64 {
        self.points
            .iter()
            .min_by(|a, b| {
                (a.miss - a.false_accept)
                    .abs()
                    .total_cmp(&(b.miss - b.false_accept).abs())
            })
            .map(|p| p.threshold)
            .unwrap_or(f64::NAN)
    }

    /// The rates at a given threshold.
    pub(crate) fn at(&self, threshold: f64) -> RatePoint {
        let idx = self.points.partition_point(|p| p.threshold < threshold);
        self.points[idx.min(self.points.len() - 1)]
    }
}

/// Mean and population standard deviation.
pub(crate) fn mean_sd(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separated_scores_have_zero_error() {
        assert_eq!(equal_error_rate(&[5.0, 6.0], &[1.0, 2.0]), Some(0.0));
    }

    #[test]
    fn identical_scores_cross_at_one_half() {
        let e = equal_error_rate(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(e, 0.5);
    }

    #[test]
    fn one_overlap_is_interpolated() {
        // Genuine 2,3,4,5; impostor 0,1,2.5,-1: at threshold 2.5 miss 1/4, fa 1/4.
        let e = equal_error_rate(&[2.0, 3.0, 4.0, 5.0], &[0.0, 1.0, 2.5, -1.0]).unwrap();
        assert!((e - 0.25).abs() < 1e-12, "{e}");
    }

    #[test]
    fn operating_thresholds() {
        let c = RateCurve::new(&[2.0, 3.0, 4.0, 5.0], &[0.0, 1.0, 2.5, -1.0]);
        assert_eq!(c.threshold_for_false_accept(0.0), 3.0);
        assert_eq!(c.threshold_for_miss(0.0), 2.0);
        assert_eq!(c.at(3.0).miss, 0.25);
    }
}
