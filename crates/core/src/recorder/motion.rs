//! Device motion on mobile: the `devicemotion` samples and the per-keystroke motion summary
//! (`kpGetAll`) that estimates the press time and fills the `#` trailer.

use super::events::{Millis, MotionEvent};
use crate::js;

/// At most this many samples are kept between two keystrokes.
const MAX_SAMPLES: usize = 21;

/// A JS number that may be `undefined` (a rotation axis of an event without `rotationRate`).
type MaybeNumber = Option<f64>;

/// What one `devicemotion` event leaves in the buffers (`kpTimes`, `kpAccZ`, `kpX`, `kpY`).
#[derive(Clone, Copy, Debug)]
struct Sample {
    time: Millis,
    acc_z: f64,
    /// The x and the y rotation (`kpX`, `kpY`).
    rotation: [MaybeNumber; 2],
}

#[derive(Clone, Debug, Default)]
pub(crate) struct MotionState {
    samples: Vec<Sample>,
    last_acc_x: f64,
    last_acc_y: f64,
    last_rot_z: MaybeNumber,
    last_pitch: f64,
    last_roll: f64,
    /// A `devicemotion` event was ever seen.
    pub seen: bool,
    /// A press time was ever derived from motion data (device signature field 8).
    pub press_calculated: bool,
}

/// Separates the four parts of a keystroke's motion string; no number contains it.
pub(crate) const PART_SEPARATOR: char = ';';

/// What a keystroke takes from the motion buffers.
pub(crate) struct MotionSummary {
    /// The estimated key-down instant; 0 means "no estimate" (press 0). The reference's
    /// `kpTimes[j]` is never `undefined` here: a peak position is always inside the buffer.
    pub time: Millis,
    /// The keystroke's four `#` trailer strings, joined by [`PART_SEPARATOR`]: the fixed
    /// values, the z-acceleration differences, the x and the y rotation differences.
    pub strings: String,
}

/// Appends the values joined by `,`; `undefined` joins as the empty string.
fn push_joined(out: &mut String, values: &[MaybeNumber]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(v) = v {
            js::push_number(out, *v);
        }
    }
}

fn difference(a: MaybeNumber, b: MaybeNumber) -> f64 {
    match (a, b) {
        (Some(a), Some(b)) => a - b,
        _ => f64::NAN,
    }
}

/// `kpRDifArr` over one rotation axis (0 for x, 1 for y): appends the first differences over
/// the first n-2 gaps (quirk Q10: the last gap is omitted; exactly two samples give their
/// single difference) and stores the five positions around the largest rise, then the five
/// around the largest fall.
fn push_rotation_differences(
    out: &mut String,
    samples: &[Sample],
    axis: usize,
    positions: &mut [i64],
) {
    let gaps = samples.len().saturating_sub(2).max(1);
    let (mut max, mut min, mut pos_max, mut pos_min) = (0.0, 0.0, 0i64, 0i64);
    for i in 0..gaps {
        let v = difference(samples[i + 1].rotation[axis], samples[i].rotation[axis]);
        if i > 0 {
            out.push(',');
        }
        js::push_number(out, v);
        // With two samples the reference does not track the single difference.
        if samples.len() > 2 {
            if v >= max {
                max = v;
                pos_max = i as i64;
            } else if v <= min {
                min = v;
                pos_min = i as i64;
            }
        }
    }
    let around = |p: i64| [p - 1, p, p + 1, p + 2, p + 3];
    positions[..5].copy_from_slice(&around(pos_max));
    positions[5..].copy_from_slice(&around(pos_min));
}

/// `String(n)` as bytes, left-aligned in a `u64` and zero-padded, so that keys compare as the
/// texts do (a text sorts before its extensions). Holds up to eight characters; peak positions
/// have at most two digits.
fn decimal_text_key(n: i64) -> u64 {
    let mut digits = n.unsigned_abs();
    let (mut key, mut bits) = (0u64, 0);
    loop {
        key |= u64::from(b'0' + (digits % 10) as u8) << bits;
        bits += 8;
        digits /= 10;
        if digits == 0 {
            break;
        }
    }
    if n < 0 {
        key |= u64::from(b'-') << bits;
        bits += 8;
    }
    key << (64 - bits)
}

/// Sorts as JavaScript's default `sort()` does, comparing the decimal texts of the numbers. An
/// insertion sort: the lists are 20 numbers long, and it takes less code than a second
/// instance of [`crate::stats::heap_sort_by`].
fn sort_as_decimal_texts(values: &mut [i64]) {
    for i in 1..values.len() {
        let mut j = i;
        while j > 0 && decimal_text_key(values[j]) < decimal_text_key(values[j - 1]) {
            values.swap(j, j - 1);
            j -= 1;
        }
    }
}

impl MotionState {
    pub(super) fn sample(&mut self, event: &MotionEvent) {
        let scaled = |v: Option<f64>, k: f64| js::round(k * v.unwrap_or(0.0));
        let [ax, ay, az] = event.acceleration.map(|v| scaled(v, 100.0));
        let [rx, ry, rz] = match event.rotation {
            Some(r) => r.map(|v| Some(scaled(v, 10.0))),
            None => [None; 3],
        };
        self.samples.push(Sample {
            time: event.time,
            acc_z: az,
            rotation: [rx, ry],
        });
        self.last_acc_x = ax;
        self.last_acc_y = ay;
        self.last_rot_z = rz;
        // Evaluation order as in the reference: atan2, x180, /pi, x10, floor.
        let degrees10 =
            |y: f64, x: f64| ((js::atan2(y, x) * 180.0 / std::f64::consts::PI) * 10.0).floor();
        self.last_pitch = degrees10(-ay, (ax * ax + az * az).sqrt());
        self.last_roll = degrees10(-ax, (ay * ay + az * az).sqrt());
        if self.samples.len() > MAX_SAMPLES {
            self.samples.remove(0);
        }
        self.seen = true;
    }

    /// `kpGetAll`, called on every accepted mobile keyup; it consumes the buffers. Quirk Q11
    /// (the reference assigns undeclared globals here and throws in strict mode) is a crash,
    /// not output, and is not reproduced.
    pub(super) fn summarize(&mut self, last_press_time: Millis) -> MotionSummary {
        let mut strings = String::new();
        let samples = &self.samples[..];
        let n = samples.len();
        let (pitch, roll) = (Some(self.last_pitch), Some(self.last_roll));
        let fixed = match samples {
            [_, .., last] => [
                Some(self.last_acc_x),
                Some(self.last_acc_y),
                Some(last.acc_z),
                last.rotation[0],
                last.rotation[1],
                self.last_rot_z,
                pitch,
                roll,
            ],
            // Fewer than two samples: zeros but for the angles.
            _ => [
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                pitch,
                roll,
            ],
        };
        push_joined(&mut strings, &fixed);
        if n < 2 {
            for _ in 0..3 {
                strings.push(PART_SEPARATOR);
                strings.push('0');
            }
            return MotionSummary {
                time: if self.seen { 0 } else { last_press_time },
                strings,
            };
        }
        // `kpADifArr`: the second differences of the z acceleration (the first differences
        // with a 0 prepended, differenced again; a single 0 for fewer than three samples), and
        // their absolute values.
        strings.push(PART_SEPARATOR);
        let mut z_abs = [0.0; MAX_SAMPLES];
        let z_count = if n < 3 {
            strings.push('0');
            1
        } else {
            let mut previous = 0.0;
            for i in 1..n {
                let first = samples[i].acc_z - samples[i - 1].acc_z;
                let second = first - previous;
                previous = first;
                if i > 1 {
                    strings.push(',');
                }
                js::push_number(&mut strings, second);
                z_abs[i - 1] = second.abs();
            }
            n - 1
        };
        let mut positions = [0i64; 20];
        strings.push(PART_SEPARATOR);
        push_rotation_differences(&mut strings, samples, 0, &mut positions[..10]);
        strings.push(PART_SEPARATOR);
        push_rotation_differences(&mut strings, samples, 1, &mut positions[10..]);
        // The reference now drops the oldest sample: `kpTimes[j]` below is `samples[j + 1]`.

        // Quirk Q10: positions are sorted as decimal strings (JS default sort) and the first
        // one is skipped entirely.
        sort_as_decimal_texts(&mut positions);
        let min_position = if z_count > 8 {
            2
        } else if z_count > 4 {
            1
        } else {
            0
        };
        let mut best = 0.0;
        let mut time = samples[n - 1].time;
        for pair in positions.windows(2) {
            let j = pair[1];
            if j == pair[0] || j <= min_position {
                continue;
            }
            // `j` is positive here, and below `z_count = n - 1` when it is a peak.
            if let Some(&peak) = z_abs[..z_count].get(j as usize) {
                if peak > best {
                    best = peak;
                    time = samples[j as usize + 1].time;
                }
            }
        }
        self.samples.clear();
        self.press_calculated = true;
        MotionSummary { time, strings }
    }
}

#[cfg(test)]
mod tests {
    use super::sort_as_decimal_texts;

    #[test]
    fn positions_sort_as_javascript_sorts_their_texts() {
        let mut positions = [3, 10, -1, 2, 0, 21, 1, -2, 12, 1];
        sort_as_decimal_texts(&mut positions);
        // [3, 10, -1, 2, 0, 21, 1, -2, 12, 1].sort() in JavaScript.
        assert_eq!(positions, [-1, -2, 0, 1, 1, 10, 12, 2, 21, 3]);
    }

    proptest::proptest! {
        #[test]
        fn positions_sort_as_their_texts(mut positions in proptest::array::uniform20(-99i64..1000)) {
            let mut by_text = positions;
            by_text.sort_by_key(|p| p.to_string());
            sort_as_decimal_texts(&mut positions);
            proptest::prop_assert_eq!(positions, by_text);
        }
    }
}
