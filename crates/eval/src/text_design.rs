//! `aalto-short --by-text`: how the error rate depends on what the probe's text contains, so
//! that a phrase generator can be tuned from data.
//!
//! Attempts are grouped by their probe text's number of distinct letters, by its number of
//! rare-key letters (z x c v b n m q: the bottom row and Q, typed less often, so seldom
//! enrolled), and, as both grow with it, by the number of keys the probe gave the matcher;
//! each group gets its pooled EER.

use crate::aalto_short::ShortAttempt;
use crate::metrics::equal_error_rate;
use crate::report::{round6, split};

/// Letters on keys a typist seldom uses.
pub(crate) const RARE_KEYS: &str = "zxcvbnmq";

/// Distinct letters of a text (case-insensitive).
pub(crate) fn distinct_letters(text: &str) -> usize {
    let mut seen = [false; 26];
    for c in text.chars().filter(char::is_ascii_alphabetic) {
        seen[(c.to_ascii_lowercase() as u8 - b'a') as usize] = true;
    }
    seen.iter().filter(|&&s| s).count()
}

/// Letters of a text on rare keys, counted with repeats.
pub(crate) fn rare_keys(text: &str) -> usize {
    text.chars()
        .filter(|c| RARE_KEYS.contains(c.to_ascii_lowercase()))
        .count()
}

/// One group of attempts.
pub(crate) struct TextGroup {
    pub measure: &'static str,
    /// Inclusive range of the measure.
    pub range: (usize, usize),
    pub genuine: usize,
    pub impostor: usize,
    pub pooled_eer: Option<f64>,
}

const DISTINCT_LETTER_BINS: [(usize, usize); 5] = [(0, 12), (13, 14), (15, 16), (17, 18), (19, 26)];
const RARE_KEY_BINS: [(usize, usize); 5] = [(0, 2), (3, 4), (5, 6), (7, 8), (9, usize::MAX)];
const KEY_BINS: [(usize, usize); 5] = [(0, 30), (31, 40), (41, 50), (51, 60), (61, usize::MAX)];

/// A measure of a probe: its name, how to take it, and the ranges it is grouped by.
type Measure = (
    &'static str,
    fn(&ShortAttempt) -> usize,
    &'static [(usize, usize)],
);

/// The groups of every measure.
pub(crate) fn table(attempts: &[ShortAttempt]) -> Vec<TextGroup> {
    let measures: [Measure; 3] = [
        (
            "distinct letters",
            |a| distinct_letters(&a.text),
            &DISTINCT_LETTER_BINS,
        ),
        ("rare-key letters", |a| rare_keys(&a.text), &RARE_KEY_BINS),
        ("keys in the probe", |a| a.keys, &KEY_BINS),
    ];
    let mut groups = Vec::new();
    for (measure, of, bins) in measures {
        for &(lo, hi) in bins {
            let inside = attempts.iter().filter(|a| (lo..=hi).contains(&of(a)));
            let (g, i) = split(inside.map(|a| &a.attempt));
            groups.push(TextGroup {
                measure,
                range: (lo, hi),
                genuine: g.len(),
                impostor: i.len(),
                pooled_eer: equal_error_rate(&g, &i),
            });
        }
    }
    groups
}

/// The table as text lines.
pub(crate) fn print(groups: &[TextGroup]) {
    println!("== EER by probe text (pooled over the attempts whose probe text is in the range)");
    println!(
        "{:<18} {:>8} {:>8} {:>9} {:>10}",
        "measure", "range", "genuine", "impostor", "pooled EER"
    );
    for g in groups {
        let range = if g.range.1 == usize::MAX {
            format!("{}+", g.range.0)
        } else {
            format!("{}-{}", g.range.0, g.range.1)
        };
        let eer = g.pooled_eer.map_or("-".to_string(), |e| format!("{e:.4}"));
        println!(
            "{:<18} {:>8} {:>8} {:>9} {:>10}",
            g.measure, range, g.genuine, g.impostor, eer
        );
    }
}

/// The table as JSON.
pub(crate) fn json(groups: &[TextGroup]) -> serde_json::Value {
    groups
        .iter()
        .map(|g| {
            serde_json::json!({
                "measure": g.measure,
                "from": g.range.0,
                "to": (g.range.1 != usize::MAX).then_some(g.range.1),
                "genuine": g.genuine,
                "impostor": g.impostor,
                "pooled_eer": g.pooled_eer.map(round6),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_rare_keys_are_counted() {
        assert_eq!(distinct_letters("Hello, World"), 7);
        assert_eq!(rare_keys("Zebra cave"), 4);
        assert_eq!(rare_keys("the quick"), 2);
        assert_eq!(distinct_letters("123 !"), 0);
    }
}
