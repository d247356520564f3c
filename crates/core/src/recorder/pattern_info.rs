//! Static helpers over pattern strings: `getQuality`, `getLength`, `checkMobileValidity`.
//! They read the string the way the reference does (`split(",")` and `Number()`), so they
//! accept anything and never fail.

use crate::js::string_to_number;
use crate::stats::mean4;

/// `text.split(',')[n]`. A byte scan (called for a few fields of a pattern at a time): it
/// keeps the standard library's string searchers out of the wasm build.
fn field(text: &str, n: usize) -> Option<&str> {
    let (mut start, mut index) = (0, 0);
    for (i, b) in text.bytes().enumerate() {
        if b == b',' {
            if index == n {
                return Some(&text[start..i]);
            }
            index += 1;
            start = i + 1;
        }
    }
    (index == n).then(|| &text[start..])
}

/// The 44 per-key counts of a type 0 pattern (fields 11 to 54), as `Number()` reads them.
fn key_counts(pattern: &str) -> Vec<f64> {
    (11..55)
        .map_while(|n| field(pattern, n))
        .map(string_to_number)
        .collect()
}

/// `getQuality(typePattern)`: how well a type 0 pattern covers the keys, from 0 to 1
/// (above 0.3 acceptable, above 0.7 good).
pub fn quality(pattern: &str) -> f64 {
    let counts = key_counts(pattern);
    let average = mean4(&counts);
    let recorded = counts.iter().filter(|c| **c > 0.0).count();
    let accurate = counts.iter().filter(|c| **c > 4.0).count();
    let above_average = counts.iter().filter(|c| **c > average).count();
    let q = ((recorded * accurate * above_average) as f64).sqrt() / 75.0;
    if q > 1.0 {
        1.0
    } else {
        q
    }
}

/// `getLength(pattern)`: the text length of a type 1/2 pattern, or the keystroke count of a
/// type 0 pattern; 0 when unreadable.
pub fn length(pattern: &str) -> f64 {
    let length_field = match pattern.bytes().position(|b| b == b'|') {
        Some(i) if i > 0 => field(&pattern[..i], 4),
        _ => field(pattern, 0),
    };
    // `Number(undefined)` is NaN, which becomes 0.
    let n = length_field.map_or(f64::NAN, string_to_number);
    if n.is_nan() {
        0.0
    } else {
        n
    }
}

/// `TypingDNA.checkMobileValidity(pattern)`: the per-key counts of a type 0 pattern divided by
/// its keystroke count (NaN for a count of 0, as in the reference).
pub fn mobile_validity(pattern: &str) -> f64 {
    let total = field(pattern, 0).map_or(f64::NAN, string_to_number);
    let sum: f64 = key_counts(pattern).iter().sum();
    sum / total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type0_with_counts(counts: &[u32]) -> String {
        let mut fields = vec!["0".to_string(); 11];
        fields.extend(counts.iter().map(|c| c.to_string()));
        fields.join(",")
    }

    #[test]
    fn quality_examples_from_the_spec() {
        assert_eq!(quality(&type0_with_counts(&[5; 44])), 0.0);
        let mut counts = vec![9; 10];
        counts.extend([0; 34]);
        assert_eq!(quality(&type0_with_counts(&counts)), 0.4216370213557839);
        assert_eq!(quality(&type0_with_counts(&[30; 44])), 0.0);
        let rising: Vec<u32> = (0..44).collect();
        assert_eq!(quality(&type0_with_counts(&rising)), 1.0);
    }

    #[test]
    fn length_reads_type1_and_type0() {
        assert_eq!(length("0,3.2,0,1,16,5,0|1,2|3,4"), 16.0);
        assert_eq!(length("5,100,x"), 5.0);
        assert_eq!(length(""), 0.0);
        assert_eq!(length("x,y"), 0.0);
        assert_eq!(length("|1,2"), 0.0);
    }

    #[test]
    fn mobile_validity_divides_by_the_count() {
        let mut p = vec!["10".to_string()];
        p.extend(std::iter::repeat("0".to_string()).take(10));
        p.extend(std::iter::repeat("1".to_string()).take(44));
        assert_eq!(mobile_validity(&p.join(",")), 4.4);
        assert!(mobile_validity("0,1").is_nan());
    }
}
