//! The type 0 ("any text") pattern: 360 numbers of global and per-key statistics over the last
//! keystrokes of the type-0 history.

use super::keyboard::{HistoryRow, KeyCode};
use super::options::{Target, DEFAULT_HISTORY_LENGTH};
use super::Recorder;
use crate::js::{rd4, round};
use crate::pattern::KEY_CODES;
use crate::stats::{filter, mean4, sd};

const MAX_SEEK_TIME: f64 = 1500.0;
const MAX_PRESS_TIME: f64 = 300.0;
/// Added to numerator and denominator of every ratio.
const ZL: f64 = 0.0000001;

/// Whether a key code is one of the 44 keys. Quirk Q15: key codes are not normalised, so
/// Firefox's `;` `=` `-` (59, 61, 173) are not among them.
fn is_listed_key(code: KeyCode) -> bool {
    code.code()
        .is_some_and(|code| KEY_CODES.iter().any(|&listed| u32::from(listed) == code))
}

/// Appends a type 0 field, after a comma unless it is the first: NaN is printed as 0 (the
/// reference's `apu`).
fn push_field(out: &mut String, v: f64) {
    if !out.is_empty() {
        out.push(',');
    }
    crate::js::push_number(out, if v.is_nan() { 0.0 } else { v });
}

/// The reference's `ratio(list, M, D)`: (mean ratio, sd ratio) of a key against the global
/// mean `M` and deviation `D`. `values` is filtered in place.
fn ratios(values: &mut Vec<f64>, mean: f64, deviation: f64) -> (f64, f64) {
    match values[..] {
        [] => (0.0, 0.0),
        [only] => (rd4((only + ZL) / (mean + ZL)), 0.0),
        _ => {
            filter(values);
            (
                rd4((mean4(values) + ZL) / (mean + ZL)),
                rd4((sd(values) + ZL) / (deviation + ZL)),
            )
        }
    }
}

/// The seek times (at most 1500 ms) and press times (at most 300 ms) of a window of rows
/// (oldest first; gathered newest first, as the reference does), each through the outlier
/// filter: the basis of the global statistics and of the missing-key substitutes.
pub(crate) fn filtered_timings(window: &[HistoryRow]) -> (Vec<f64>, Vec<f64>) {
    let (mut seeks, mut presses) = (Vec::new(), Vec::new());
    for row in window.iter().rev() {
        if row.seek <= MAX_SEEK_TIME {
            seeks.push(row.seek);
        }
        if row.press <= MAX_PRESS_TIME {
            presses.push(row.press);
        }
    }
    filter(&mut seeks);
    filter(&mut presses);
    (seeks, presses)
}

impl Recorder {
    /// `get(length, targetId)`: the type 0 pattern over the last `length` keystrokes (the
    /// default window already resolved by the caller) of `target`.
    pub(crate) fn any_text_pattern_from(&self, length: f64, target: &Target<'_>) -> String {
        let history = self.keyboard.history();
        let total = history.len() as f64;
        let mut length = length;
        if length > total {
            length = total;
        }
        // Quirk Q8: the window length still applies with a target, although the reference's
        // doc comment says it is ignored.
        let target_rows: Vec<HistoryRow>;
        let filtered = if *target == Target::All {
            history
        } else {
            let target = self.keyboard.rows_of(target.row_id());
            // (A loop, not `filter().copied().collect()`: one iterator instance less in the
            // wasm build.)
            let mut rows = Vec::new();
            for row in history {
                if Some(row.target) == target {
                    rows.push(*row);
                }
            }
            target_rows = rows;
            if length == 0.0 {
                length = DEFAULT_HISTORY_LENGTH;
            }
            if length > target_rows.len() as f64 {
                length = target_rows.len() as f64;
            }
            &target_rows
        };
        let count = if length.is_nan() || length < 0.0 {
            0
        } else {
            (length.floor() as usize).min(filtered.len())
        };
        self.any_text_from_window(&filtered[filtered.len() - count..], length)
    }

    /// The pattern over `window` (oldest first; the statistics walk it newest first, as the
    /// reference does, which fixes their summation order).
    fn any_text_from_window(&self, window: &[HistoryRow], hist_rev: f64) -> String {
        let (seeks, presses) = filtered_timings(window);
        let press_mean = round(mean4(&presses));
        let seek_mean = round(mean4(&seeks));
        let press_sd = round(sd(&presses));
        let seek_sd = round(sd(&seeks));
        let char_mean_time = seek_mean + press_mean;
        let press_ratio = rd4((press_mean + ZL) / (char_mean_time + ZL));
        let cpm = if hist_rev == 0.0 {
            0.0
        } else {
            round(60000.0 / (char_mean_time + ZL))
        };

        // Per key: rev (the press count), then the six ratios (seek, press, post means; seek,
        // press, post SDs), printed column by column below. Each key's times are gathered by
        // its own pass over the window (a few thousand comparisons), which keeps the code small.
        let mut per_key = [[0.0; 7]; KEY_CODES.len()];
        let (mut seek, mut press, mut post) = (Vec::new(), Vec::new(), Vec::new());
        for (numbers, &code) in per_key.iter_mut().zip(KEY_CODES.iter()) {
            let key = KeyCode::Code(code.into());
            seek.clear();
            press.clear();
            post.clear();
            for row in window.iter().rev() {
                if row.key_code == key {
                    if row.seek <= MAX_SEEK_TIME {
                        seek.push(row.seek);
                    }
                    if row.press <= MAX_PRESS_TIME {
                        press.push(row.press);
                    }
                }
                // The post time: the seek time of a keystroke (itself one of the keys) that
                // followed this key.
                if row.prev_key_code == key
                    && row.seek <= MAX_SEEK_TIME
                    && is_listed_key(row.key_code)
                {
                    post.push(row.seek);
                }
            }
            // (Counted before `ratios` filters the lists in place.)
            let presses = press.len() as f64;
            let (seek_m, seek_d) = ratios(&mut seek, seek_mean, seek_sd);
            let (press_m, press_d) = ratios(&mut press, press_mean, press_sd);
            let (post_m, post_d) = ratios(&mut post, seek_mean, seek_sd);
            *numbers = [presses, seek_m, press_m, post_m, seek_d, press_d, post_d];
        }

        let mut out = String::with_capacity(2048);
        let mut emit = |v: f64| push_field(&mut out, v);
        // (Over slices, not arrays by value: an array's own iterator is one more instance in
        // the wasm build, 65 B gzipped.)
        for &v in &[
            hist_rev,
            cpm,
            char_mean_time,
            press_ratio,
            rd4((1.0 - press_ratio) / press_ratio),
            rd4((press_sd + ZL) / (press_mean + ZL)),
            rd4((seek_sd + ZL) / (press_mean + ZL)),
            press_mean,
            seek_mean,
            press_sd,
            seek_sd,
        ] {
            emit(v);
        }
        for column in 0..7 {
            for numbers in &per_key {
                let v = numbers[column];
                // A zero ratio is printed as 1 (not the count in column 0).
                emit(if v == 0.0 && column > 0 { 1.0 } else { v });
            }
        }
        // `mobile,3.2,0,-1`: the header the other patterns start with, of kind -1.
        out.push(',');
        self.push_common_header(&mut out, -1.0);
        // (`hist_rev` is the `length` asked for, which may be NaN.)
        push_field(&mut out, hist_rev);
        push_field(&mut out, 0.0);
        out.push(',');
        self.push_special_keys_and_signature(&mut out);
        out
    }
}
