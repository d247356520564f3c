//! Device motion on mobile: the `devicemotion` samples and the per-keystroke motion summary
//! (`kpGetAll`) that estimates the press time and fills the `#` trailer.

use super::events::{Millis, MotionEvent};
use crate::{js, stats};

/// At most this many samples are kept between two keystrokes.
const MAX_SAMPLES: usize = 21;

/// A JS number that may be `undefined` (a rotation axis of an event without `rotationRate`).
type MaybeNumber = Option<f64>;

#[derive(Clone, Debug, Default)]
pub(crate) struct MotionState {
    times: Vec<Millis>,
    acc_z: Vec<f64>,
    rot_x: Vec<MaybeNumber>,
    rot_y: Vec<MaybeNumber>,
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

/// What a keystroke takes from the motion buffers.
pub(crate) struct MotionSummary {
    /// The estimated key-down instant; `Some(0)` means "no estimate" (press 0), `None` is the
    /// reference's `undefined` (a peak position past the buffer), which also yields press 0.
    pub time: Option<Millis>,
    /// The four trailer strings: fixed values, z-acceleration, x and y rotation differences.
    pub strings: [String; 4],
}

fn push_joined(out: &mut String, values: impl IntoIterator<Item = MaybeNumber>) {
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // `undefined` joins as the empty string.
        if let Some(v) = v {
            js::push_number(out, v);
        }
    }
}

fn joined(values: impl IntoIterator<Item = MaybeNumber>) -> String {
    let mut out = String::new();
    push_joined(&mut out, values);
    out
}

fn difference(a: MaybeNumber, b: MaybeNumber) -> f64 {
    match (a, b) {
        (Some(a), Some(b)) => a - b,
        _ => f64::NAN,
    }
}

/// `kpRDifArr`: first differences over the first n-2 gaps (quirk Q10: the last gap is
/// omitted; exactly two samples give their single difference), and the ten positions around
/// the largest rise and the largest fall.
fn rotation_differences(values: &[MaybeNumber]) -> (Vec<f64>, [i64; 10]) {
    let gaps = values.len().saturating_sub(2);
    let (mut max, mut min, mut pos_max, mut pos_min) = (0.0, 0.0, 0i64, 0i64);
    let mut diffs = Vec::with_capacity(gaps.max(1));
    if gaps > 0 {
        for i in 0..gaps {
            let v = difference(values[i + 1], values[i]);
            diffs.push(v);
            if v >= max {
                max = v;
                pos_max = i as i64;
            } else if v <= min {
                min = v;
                pos_min = i as i64;
            }
        }
    } else {
        diffs.push(difference(values[1], values[0]));
    }
    let positions = [
        pos_max - 1,
        pos_max,
        pos_max + 1,
        pos_max + 2,
        pos_max + 3,
        pos_min - 1,
        pos_min,
        pos_min + 1,
        pos_min + 2,
        pos_min + 3,
    ];
    (diffs, positions)
}

/// `kpADifArr`: second differences of the z acceleration and their absolute values.
fn acceleration_differences(values: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let gaps = values.len() - 1;
    if gaps < 2 {
        return (vec![0.0], vec![0.0]);
    }
    let mut first = Vec::with_capacity(gaps + 1);
    first.push(0.0);
    first.extend(values.windows(2).map(|w| w[1] - w[0]));
    let second: Vec<f64> = first.windows(2).map(|w| w[1] - w[0]).collect();
    let absolute = second.iter().map(|v| v.abs()).collect();
    (second, absolute)
}

impl MotionState {
    pub fn sample(&mut self, event: &MotionEvent) {
        let scaled = |v: Option<f64>, k: f64| js::round(k * v.unwrap_or(0.0));
        let [ax, ay, az] = event.acceleration.map(|v| scaled(v, 100.0));
        let [rx, ry, rz] = match event.rotation {
            Some(r) => r.map(|v| Some(scaled(v, 10.0))),
            None => [None; 3],
        };
        self.times.push(event.time);
        self.last_acc_x = ax;
        self.last_acc_y = ay;
        self.acc_z.push(az);
        self.rot_x.push(rx);
        self.rot_y.push(ry);
        self.last_rot_z = rz;
        // Evaluation order as in the reference: atan2, x180, /pi, x10, floor.
        let degrees10 =
            |y: f64, x: f64| ((js::atan2(y, x) * 180.0 / std::f64::consts::PI) * 10.0).floor();
        self.last_pitch = degrees10(-ay, (ax * ax + az * az).sqrt());
        self.last_roll = degrees10(-ax, (ay * ay + az * az).sqrt());
        if self.rot_x.len() > MAX_SAMPLES {
            self.times.remove(0);
            self.acc_z.remove(0);
            self.rot_x.remove(0);
            self.rot_y.remove(0);
        }
        self.seen = true;
    }

    /// `kpGetAll`, called on every accepted mobile keyup; it consumes the buffers. Quirk Q11
    /// (the reference assigns undeclared globals here and throws in strict mode) is a crash,
    /// not output, and is not reproduced.
    pub fn summarize(&mut self, last_press_time: Millis) -> MotionSummary {
        if self.acc_z.len() < 2 {
            let time = if self.seen { 0 } else { last_press_time };
            let fixed = [
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                self.last_pitch,
                self.last_roll,
            ];
            return MotionSummary {
                time: Some(time),
                strings: [joined(fixed.map(Some)), "0".into(), "0".into(), "0".into()],
            };
        }
        let (z_acc, z_abs) = acceleration_differences(&self.acc_z);
        let (x_rot, x_positions) = rotation_differences(&self.rot_x);
        let (y_rot, y_positions) = rotation_differences(&self.rot_y);
        self.times.remove(0);
        self.acc_z.remove(0);
        self.rot_x.remove(0);
        self.rot_y.remove(0);

        // Quirk Q10: positions are sorted as decimal strings (JS default sort) and the first
        // one is skipped entirely.
        let mut by_text: Vec<(String, i64)> = x_positions
            .iter()
            .chain(&y_positions)
            .map(|&p| (js::number_to_string(p as f64), p))
            .collect();
        // Equal strings are equal numbers, so an unstable sort gives the same list.
        stats::heap_sort_by(&mut by_text, |a, b| a.0 < b.0);
        let positions: Vec<i64> = by_text.into_iter().map(|(_, p)| p).collect();
        let min_position = if z_abs.len() > 8 {
            2
        } else if z_abs.len() > 4 {
            1
        } else {
            0
        };
        let mut best = 0.0;
        let mut time = self.times.last().copied();
        for pair in positions.windows(2) {
            let j = pair[1];
            if j == pair[0] || j <= min_position {
                continue;
            }
            if let Some(&peak) = z_abs.get(j as usize) {
                if peak > best {
                    best = peak;
                    time = self.times.get(j as usize).copied();
                }
            }
        }
        let fixed = [
            Some(self.last_acc_x),
            Some(self.last_acc_y),
            self.acc_z.last().copied(),
            self.rot_x.last().copied().flatten(),
            self.rot_y.last().copied().flatten(),
            self.last_rot_z,
            Some(self.last_pitch),
            Some(self.last_roll),
        ];
        self.times.clear();
        self.acc_z.clear();
        self.rot_x.clear();
        self.rot_y.clear();
        self.press_calculated = true;
        MotionSummary {
            time,
            strings: [
                joined(fixed),
                joined(z_acc.into_iter().map(Some)),
                joined(x_rot.into_iter().map(Some)),
                joined(y_rot.into_iter().map(Some)),
            ],
        }
    }
}
