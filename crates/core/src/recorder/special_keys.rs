//! The 15-number special-keys block: Backspace, Enter and Space press statistics, then
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
    history: impl DoubleEndedIterator<Item = &'a HistoryRow>,
    click_times: &[f64],
    stop_times: &[f64],
) -> [f64; 15] {
    let mut presses: [Vec<f64>; 3] = Default::default();
    // Newest first, as the reference walks the history.
    for row in history.rev() {
        let Some(slot) = row
            .key_code
            .code()
            .and_then(|k| SPECIAL_KEY_CODES.iter().position(|s| *s == k))
        else {
            continue;
        };
        if row.press <= MAX_PRESS_TIME {
            presses[slot].push(row.press);
        }
    }
    let mut out = [0.0; 15];
    for (slot, values) in presses.iter_mut().enumerate() {
        filter(values);
        out[slot * 3..slot * 3 + 3].copy_from_slice(&triple(values));
    }
    // Mouse lists: raw, chronological, no press cap and no outlier filter.
    out[9..12].copy_from_slice(&triple(click_times));
    out[12..15].copy_from_slice(&triple(stop_times));
    out
}
