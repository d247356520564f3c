//! The 15-number special-keys block (§5.1): Backspace, Enter and Space press statistics, then
//! mouse click and stop statistics.

use super::keyboard::HistoryRow;
use crate::js::round;
use crate::stats::{filter, mean4, sd};

const MAX_PRESS_TIME: f64 = 300.0;
const SPECIAL_KEY_CODES: [u32; 3] = [8, 13, 32];

/// `n, mean, sd` for two or more values, `1, value, -1` for one, `0, -1, -1` for none.
fn triple(values: &[f64]) -> [f64; 3] {
    match values {
        [] => [0.0, -1.0, -1.0],
        [only] => [1.0, *only, -1.0],
        _ => [values.len() as f64, round(mean4(values)), round(sd(values))],
    }
}

pub(crate) fn special_keys<'a>(
    history: impl DoubleEndedIterator<Item = &'a HistoryRow> + Clone,
    click_times: &[f64],
    stop_times: &[f64],
) -> [f64; 15] {
    let mut out = [0.0; 15];
    for (slot, key) in SPECIAL_KEY_CODES.iter().enumerate() {
        // Newest first, as the reference walks the history.
        let presses: Vec<f64> = history
            .clone()
            .rev()
            .filter(|row| row.key_code.code() == Some(*key) && row.press <= MAX_PRESS_TIME)
            .map(|row| row.press)
            .collect();
        out[slot * 3..slot * 3 + 3].copy_from_slice(&triple(&filter(&presses)));
    }
    // Mouse lists: raw, chronological, no press cap and no outlier filter.
    out[9..12].copy_from_slice(&triple(click_times));
    out[12..15].copy_from_slice(&triple(stop_times));
    out
}
