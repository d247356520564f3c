//! The CMU Keystroke Dynamics Benchmark (Killourhy & Maxion, DSN 2009): 51 subjects typing
//! `.tie5Roanl` + Return 400 times in 8 sessions.

use std::path::Path;

use crate::replay::Stroke;
use crate::DataError;

/// The text every subject typed, as the recorder is asked for it.
pub(crate) const TEXT: &str = ".tie5Roanl\r";

/// Key code and keypress char code of each of the 11 keys; the capital R is typed with Shift.
const KEYS: [(u32, u32, bool); 11] = [
    (190, 46, false), // .
    (84, 116, false), // t
    (73, 105, false), // i
    (69, 101, false), // e
    (53, 53, false),  // 5
    (82, 82, true),   // R (Shift.r)
    (79, 111, false), // o
    (65, 97, false),  // a
    (78, 110, false), // n
    (76, 108, false), // l
    (13, 13, false),  // Return
];

/// One repetition of the password.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rep {
    pub subject: String,
    pub session: u32,
    pub rep: u32,
    /// Hold time of each key, in 0.1 ms units (the CSV has 4 decimals of seconds).
    pub hold: [i64; 11],
    /// Keydown-to-keydown time between consecutive keys, 0.1 ms units.
    pub down_down: [i64; 10],
}

/// Reads `DSL-StrongPasswordData.csv`.
pub(crate) fn load(path: &Path) -> Result<Vec<Rep>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let mut reps = Vec::new();
    for (line_no, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| DataError::Format {
            path: path.display().to_string(),
            line: line_no + 1,
            what: what.to_owned(),
        };
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != 34 {
            return Err(bad("expected 34 columns"));
        }
        let tenths = |cell: &str| -> Result<i64, DataError> {
            let seconds: f64 = cell.parse().map_err(|_| bad("timing is not a number"))?;
            Ok((seconds * 10_000.0).round() as i64)
        };
        let mut hold = [0; 11];
        let mut down_down = [0; 10];
        for k in 0..11 {
            hold[k] = tenths(cells[3 + 3 * k])?;
            if k < 10 {
                down_down[k] = tenths(cells[4 + 3 * k])?;
            }
        }
        reps.push(Rep {
            subject: cells[0].to_owned(),
            session: cells[1].parse().map_err(|_| bad("session"))?,
            rep: cells[2].parse().map_err(|_| bad("rep"))?,
            hold,
            down_down,
        });
    }
    Ok(reps)
}

/// Lead time between the recorder's construction and the first key (its seek is not a typing
/// timing and the matcher ignores it).
const LEAD_MS: i64 = 1000;

impl Rep {
    /// The repetition as key strokes: key i goes down at t_i and up at t_i + H_i, with
    /// t_{i+1} = t_i + DD_i, rounded to whole ms (browsers give `Date.now()` ms).
    pub(crate) fn strokes(&self, start: i64) -> Vec<Stroke> {
        let mut t = 0i64; // 0.1 ms since the first keydown
        let ms = |tenths: i64| start + LEAD_MS + (tenths as f64 / 10.0).round() as i64;
        KEYS.iter()
            .enumerate()
            .map(|(k, &(key_code, char_code, shift))| {
                let down = t;
                if k < 10 {
                    t += self.down_down[k];
                }
                Stroke {
                    down: ms(down),
                    up: Some(ms(down + self.hold[k])),
                    key_code,
                    char_code: Some(char_code),
                    shift_down: shift,
                    shift_up: shift,
                }
            })
            .collect()
    }
}
