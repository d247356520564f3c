//! `device_similarity`: how alike the device of a probe is to the devices used to enrol.
//!
//! Compares the recorder's 20-field device signatures field by field.
//! Fields that are constant in every JavaScript pattern (model, id, cookie) and the signature
//! hash (which changes whenever any field does) are left out. The weights say how strongly a
//! difference points to another device: a different device type, OS or browser means another
//! machine; a new browser version or screen size is ordinary on the same one.

/// `(field index, weight)` of the compared fields.
const WEIGHTED_FIELDS: [(usize, f64); 12] = [
    (0, 3.0),  // device type: pc / phone / tablet
    (3, 1.0),  // orientation API present
    (4, 3.0),  // operating system
    (5, 1.0),  // recorder programming language
    (6, 1.0),  // system language (hash)
    (7, 1.0),  // touch support
    (8, 1.0),  // press type
    (12, 3.0), // browser
    (13, 1.0), // display width
    (14, 1.0), // display height
    (16, 1.0), // OS version
    (17, 0.5), // browser version
];

/// Similarity 0–100 of two device signatures (100 = every compared field equal).
pub fn signature_similarity(a: &[f64; 20], b: &[f64; 20]) -> f64 {
    let total: f64 = WEIGHTED_FIELDS.iter().map(|(_, w)| w).sum();
    let same: f64 = WEIGHTED_FIELDS
        .iter()
        .filter(|(i, _)| a[*i] == b[*i] || (a[*i].is_nan() && b[*i].is_nan()))
        .map(|(_, w)| w)
        .sum();
    100.0 * same / total
}

/// Device similarity of a probe to the enrolment: the best match among enrolled signatures.
/// Patterns without a signature (recorder 2.x) are skipped; 0 when nothing can be compared.
pub fn device_similarity<'a>(
    probe: Option<&[f64; 20]>,
    enrolled: impl IntoIterator<Item = Option<&'a [f64; 20]>>,
) -> f64 {
    let Some(probe) = probe else {
        return 0.0;
    };
    enrolled
        .into_iter()
        .flatten()
        .map(|e| signature_similarity(probe, e))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_WINDOWS: [f64; 20] = [
        1.0,
        0.0,
        0.0,
        1.0,
        1.0,
        1.0,
        902248182.0,
        1.0,
        1.0,
        0.0,
        0.0,
        0.0,
        1.0,
        1920.0,
        1080.0,
        2.0,
        0.0,
        120.0,
        0.0,
        2619031885.0,
    ];

    #[test]
    fn same_device_is_fully_similar_and_a_phone_is_not() {
        assert_eq!(
            signature_similarity(&CHROME_WINDOWS, &CHROME_WINDOWS),
            100.0
        );
        let mut newer_browser = CHROME_WINDOWS;
        newer_browser[17] = 121.0;
        newer_browser[19] = 1.0;
        let mut phone = CHROME_WINDOWS;
        phone[0] = 2.0;
        phone[4] = 6.0;
        phone[7] = 2.0;
        phone[13] = 412.0;
        phone[14] = 915.0;
        let upgrade = signature_similarity(&CHROME_WINDOWS, &newer_browser);
        let other = signature_similarity(&CHROME_WINDOWS, &phone);
        assert!(upgrade > 90.0 && upgrade < 100.0, "{upgrade}");
        assert!(other < upgrade - 30.0, "{other}");
    }

    #[test]
    fn best_enrolled_device_counts_and_missing_signatures_are_skipped() {
        let mut phone = CHROME_WINDOWS;
        phone[0] = 2.0;
        let best = device_similarity(
            Some(&CHROME_WINDOWS),
            [None, Some(&phone), Some(&CHROME_WINDOWS)],
        );
        assert_eq!(best, 100.0);
        assert_eq!(device_similarity(None, [Some(&CHROME_WINDOWS)]), 0.0);
        assert_eq!(device_similarity(Some(&CHROME_WINDOWS), [None]), 0.0);
    }
}
