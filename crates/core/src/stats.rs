//! The recorder's statistics (`math.avg`, `math.sd`, `math.fo`), with its exact rounding and
//! summation order, so that means and deviations print the same digits as the reference.

use crate::js::rd4;

/// `math.avg`: 0 for an empty list, else the mean rounded with `toFixed(4)`.
pub fn mean4(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    rd4(values.iter().sum::<f64>() / values.len() as f64)
}

/// `math.sd`: the population standard deviation around the *rounded* mean (`mean4`), summed in
/// list order and not rounded; 0 for fewer than two values.
pub fn sd(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let mean = mean4(values);
    let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (squares / values.len() as f64).sqrt()
}

/// `math.fo`, the outlier filter, in place: `values` becomes the kept values in ascending order.
/// (In place because every caller's list is gathered for the filter alone: no copy.)
///
/// Quirks kept for compatibility: Q5, the centre is `sorted[ceil(n/2)]` (the maximum for two or
/// three values) and the lower bound is 0 for fewer than 20 values, so zeros are dropped; Q4, the
/// bounds are strict, so a list of equal values (SD 0) is emptied entirely.
pub fn filter(values: &mut Vec<f64>) {
    if values.len() <= 1 {
        return;
    }
    // Values that compare equal under `total_cmp` are bit-identical, so an unstable sort gives
    // the same list.
    heap_sort_by(values, |a, b| a.total_cmp(b).is_lt());
    let deviation = sd(values);
    let centre = values[values.len().div_ceil(2).min(values.len() - 1)];
    let high = centre + 2.0 * deviation;
    let low = if values.len() < 20 {
        0.0
    } else {
        centre - 2.0 * deviation
    };
    values.retain(|x| low < *x && *x < high);
}

/// Sorts `v` ascending by `less`, not stably: for lists whose equal elements are identical,
/// which is all the recorder sorts. A heapsort, a few hundred bytes of code where the standard
/// library's sorts take kilobytes per element type in the wasm build, in O(n log n) still.
pub(crate) fn heap_sort_by<T>(v: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    // Moves `v[root]` down the max-heap held in `v[..end]`.
    let mut sift_down = |v: &mut [T], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && less(&v[child], &v[child + 1]) {
            child += 1;
        }
        if !less(&v[root], &v[child]) {
            break;
        }
        v.swap(root, child);
        root = child;
    };
    let n = v.len();
    for root in (0..n / 2).rev() {
        sift_down(v, root, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_is_rounded_to_four_decimals() {
        assert_eq!(mean4(&[]), 0.0);
        assert_eq!(mean4(&[1.0, 2.0, 2.0]), 1.6667);
        // k/32 ties round up as in JS.
        let v: Vec<f64> = (0..32).map(|i| if i == 0 { 1.0 } else { 0.0 }).collect();
        assert_eq!(mean4(&v), 0.0313);
    }

    #[test]
    fn sd_uses_the_rounded_mean() {
        assert_eq!(sd(&[5.0]), 0.0);
        assert_eq!(sd(&[95.0, 120.0]), 12.5);
        let v = [1.0, 2.0, 2.0];
        let m = 1.6667;
        let want = (((1.0 - m) * (1.0f64 - m) + 2.0 * (2.0 - m) * (2.0 - m)) / 3.0).sqrt();
        assert_eq!(sd(&v), want);
    }

    proptest::proptest! {
        #[test]
        fn heap_sort_sorts_like_the_standard_sort(mut v in proptest::collection::vec(-50i32..50, 0..300)) {
            let mut want = v.clone();
            want.sort();
            heap_sort_by(&mut v, |a, b| a < b);
            proptest::prop_assert_eq!(v, want);
        }
    }

    #[test]
    fn filter_keeps_strictly_inside_and_sorts() {
        let filtered = |values: &[f64]| {
            let mut values = values.to_vec();
            filter(&mut values);
            values
        };
        assert_eq!(filtered(&[7.0]), vec![7.0]);
        // Equal values: SD 0, strict bounds remove everything (Q4).
        assert!(filtered(&[100.0, 100.0, 100.0]).is_empty());
        // Two values: centre is the maximum, so the maximum is kept only if SD > 0.
        assert_eq!(filtered(&[120.0, 95.0]), vec![95.0, 120.0]);
        // Zeros are dropped for short lists (Q5).
        assert_eq!(filtered(&[0.0, 100.0, 110.0]), vec![100.0, 110.0]);
        // A far outlier in a long list goes.
        let mut v: Vec<f64> = (0..30).map(|i| 100.0 + (i % 5) as f64).collect();
        v.push(1000.0);
        let kept = filtered(&v);
        assert_eq!(kept.len(), 30);
        assert!(kept.windows(2).all(|w| w[0] <= w[1]));
    }
}
