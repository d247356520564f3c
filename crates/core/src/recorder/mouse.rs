//! Mouse statistics (click and stop times, desktop only) and the mouse gesture diagram
//! ("type 9": move, scroll, stop, click and drag rows).

use super::events::{Millis, MouseEvent, MouseKind};
use crate::js;

const MAX_STOP_TIME: Millis = 1500;
const MAX_CLICK_TIME: Millis = 600;
const MAX_MOVE_DELTA_TIME: Millis = 600;
const MAX_SCROLL_DELTA_TIME: Millis = 800;
const MAX_MOUSE_HISTORY_LENGTH: usize = 500;

/// One gesture row of the mouse diagram: its numbers in output order.
pub(crate) type GestureRow = Vec<f64>;

#[derive(Clone, Debug)]
pub(crate) struct MouseState {
    /// Click and stop statistics are collected (on by default).
    pub recording: bool,
    /// Gesture rows are collected (after `startMouse()`).
    pub move_recording: bool,
    pub click_times: Vec<f64>,
    pub stop_times: Vec<f64>,
    pub history: Vec<GestureRow>,
    last_move_time: Millis,
    last_down_time: Millis,
    last_stop: bool,
    move_started: bool,
    move_samples: Vec<(Millis, f64, f64)>,
    move_deadline: Option<Millis>,
    scroll_started: bool,
    scroll_samples: Vec<(Millis, f64)>,
    scroll_deadline: Option<Millis>,
}

impl MouseState {
    pub(super) fn new(now: Millis) -> Self {
        MouseState {
            recording: true,
            move_recording: false,
            click_times: Vec::new(),
            stop_times: Vec::new(),
            history: Vec::new(),
            last_move_time: now,
            last_down_time: now,
            last_stop: false,
            move_started: false,
            move_samples: Vec::new(),
            move_deadline: None,
            scroll_started: false,
            scroll_samples: Vec::new(),
            scroll_deadline: None,
        }
    }

    /// The earliest pending gesture time-out, for shells that schedule a wake-up.
    pub(super) fn next_deadline(&self) -> Option<Millis> {
        match (self.move_deadline, self.scroll_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fires the gesture time-outs (the reference's 600/800 ms `setInterval`s, whose first tick
    /// closes the gesture) that are due at `now`, earliest first.
    pub(super) fn advance(&mut self, now: Millis) {
        loop {
            let move_due = self.move_deadline.filter(|d| *d <= now);
            let scroll_due = self.scroll_deadline.filter(|d| *d <= now);
            match (move_due, scroll_due) {
                (Some(m), Some(s)) if s < m => self.check_scroll(),
                (Some(_), _) => self.check_move(false),
                (None, Some(_)) => self.check_scroll(),
                (None, None) => return,
            }
        }
    }

    pub(super) fn event(&mut self, event: &MouseEvent) {
        if !self.recording {
            return;
        }
        let now = event.time;
        match event.kind {
            MouseKind::Move => {
                if self.move_recording {
                    if self.move_started {
                        self.move_samples
                            .push((now, event.screen_x, event.screen_y));
                        self.move_deadline = Some(now + MAX_MOVE_DELTA_TIME);
                    } else {
                        // The first move of a gesture only arms it; its position is not stored.
                        self.move_started = true;
                    }
                }
                self.last_move_time = now;
            }
            MouseKind::Down => {
                self.check_move(false);
                self.check_scroll();
                if event.which == 1 {
                    self.last_down_time = now;
                    let stop = now - self.last_move_time;
                    if stop < MAX_STOP_TIME && !self.last_stop {
                        self.stop_times.push(stop as f64);
                        if self.move_recording {
                            self.push_row(vec![3.0, stop as f64]);
                            self.last_stop = true;
                        }
                    }
                }
            }
            MouseKind::Up => {
                if event.which == 1 {
                    let click = now - self.last_down_time;
                    if click < MAX_CLICK_TIME {
                        self.click_times.push(click as f64);
                    }
                    if self.move_recording {
                        if self.move_started {
                            self.check_move(true);
                        } else {
                            self.push_row(vec![4.0, click as f64]);
                        }
                    }
                }
            }
        }
    }

    /// A `scroll` event; `scroll_top` is `document.body.scrollTop`.
    pub(super) fn scroll(&mut self, now: Millis, scroll_top: f64) {
        if !(self.recording && self.move_recording) {
            return;
        }
        if self.scroll_started {
            self.scroll_samples.push((now, scroll_top));
            self.scroll_deadline = Some(now + MAX_SCROLL_DELTA_TIME);
        } else {
            self.scroll_started = true;
        }
    }

    /// `resetMouse(all)`: clears the gesture rows, and with `all` the click and stop times.
    pub(super) fn reset(&mut self, all: bool) {
        if all {
            self.click_times.clear();
            self.stop_times.clear();
        }
        self.history.clear();
    }

    fn push_row(&mut self, row: GestureRow) {
        self.history.push(row);
        if self.history.len() > MAX_MOUSE_HISTORY_LENGTH {
            self.history.remove(0);
        }
    }

    fn check_move(&mut self, drag: bool) {
        self.move_deadline = None;
        if self.move_started {
            self.move_started = false;
            self.record_move(drag);
            self.move_samples.clear();
        }
    }

    fn check_scroll(&mut self) {
        self.scroll_deadline = None;
        if self.scroll_started {
            self.scroll_started = false;
            self.record_scroll();
            self.scroll_samples.clear();
        }
    }

    fn record_move(&mut self, drag: bool) {
        let samples = &self.move_samples;
        if samples.len() < 3 {
            return;
        }
        let (t0, x0, y0) = samples[0];
        let (t1, x1, y1) = samples[samples.len() - 1];
        let delta_time = (t1 - t0) as f64;
        let (dx, dy) = (x1 - x0, y1 - y0);
        let direct = js::round(js::hypot(dx, dy));
        // Quirk Q9: the reference's loop stops one segment early, omitting the last one.
        // Summed from +0 in order, as the reference's loop does (a loop, not `map().sum()`: one
        // iterator instance less in the wasm build).
        let mut total = 0.0;
        for w in samples[..samples.len() - 1].windows(2) {
            total += js::hypot(w[1].1 - w[0].1, w[1].2 - w[0].2);
        }
        let total = js::round(total);
        let ratio = js::round(total * 100.0 / direct);
        let speed = js::round(direct * 100.0 / delta_time);
        let row = vec![
            if drag { 5.0 } else { 1.0 },
            delta_time,
            direct,
            speed,
            gesture_angle(dx, dy),
            ratio,
        ];
        if row.iter().any(|v| v.is_nan()) {
            return;
        }
        self.push_row(row);
        self.last_stop = false;
    }

    fn record_scroll(&mut self) {
        let samples = &self.scroll_samples;
        if samples.len() < 2 {
            return;
        }
        let (t0, top0) = samples[0];
        let (t1, top1) = samples[samples.len() - 1];
        let delta_time = (t1 - t0) as f64;
        let distance = top1 - top0;
        let row = vec![
            2.0,
            delta_time,
            distance,
            js::round(distance * 100.0 / delta_time),
        ];
        if row.iter().any(|v| v.is_nan()) {
            return;
        }
        self.push_row(row);
    }
}

/// The gesture direction in degrees, as the reference computes it (with its 1e-7 guard and its
/// truncated pi/180).
fn gesture_angle(dx: f64, dy: f64) -> f64 {
    let a = js::round(js::atan(dx.abs() / (dy.abs() + 0.0000001)) / 0.01745329251);
    match (dx >= 0.0, dy < 0.0) {
        (true, true) => 180.0 + a,
        (true, false) => 270.0 + (90.0 - a),
        (false, true) => 90.0 + (90.0 - a),
        (false, false) => a,
    }
}
