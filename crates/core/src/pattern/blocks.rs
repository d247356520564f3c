//! The two blocks every pattern carries: special-key statistics (15 numbers) and the
//! device signature (20 numbers).

use super::fields::{push_int, Fields};
use super::ParseError;
use crate::js;

/// Count, mean and standard deviation of one kind of timing, as the recorder prints them:
/// `n, mean, sd` for two or more values, `1, value, -1` for one, `0, -1, -1` for none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimingSummary {
    /// How many timings were seen.
    pub count: u32,
    /// Rounded mean in ms (the single value when `count == 1`, -1 when `count == 0`).
    pub mean: i64,
    /// Rounded population SD in ms (-1 when `count < 2`).
    pub sd: i64,
}

/// The special-keys block: press times of Backspace, Enter and Space (filtered, at most
/// 300 ms), then mouse click durations and stop times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpecialKeys {
    /// Press times of Backspace.
    pub backspace: TimingSummary,
    /// Press times of Enter.
    pub enter: TimingSummary,
    /// Press times of Space.
    pub space: TimingSummary,
    /// Mouse click durations (button down to up).
    pub clicks: TimingSummary,
    /// Mouse stop times (last move to button down).
    pub stops: TimingSummary,
}

impl SpecialKeys {
    /// Number of fields the block takes.
    pub const FIELDS: usize = 15;

    /// The five summaries in the order they are written.
    pub fn summaries(&self) -> [&TimingSummary; 5] {
        [
            &self.backspace,
            &self.enter,
            &self.space,
            &self.clicks,
            &self.stops,
        ]
    }

    pub(crate) fn read(fields: &Fields, first: usize) -> Result<Self, ParseError> {
        let summary = |k: usize| -> Result<TimingSummary, ParseError> {
            let at = first + 3 * k;
            Ok(TimingSummary {
                count: fields.count(at)?,
                mean: fields.integer(at + 1)?,
                sd: fields.integer(at + 2)?,
            })
        };
        Ok(SpecialKeys {
            backspace: summary(0)?,
            enter: summary(1)?,
            space: summary(2)?,
            clicks: summary(3)?,
            stops: summary(4)?,
        })
    }

    pub(crate) fn write(&self, out: &mut String) {
        for (k, summary) in self.summaries().into_iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            push_int(out, summary.count);
            out.push(',');
            push_int(out, summary.mean);
            out.push(',');
            push_int(out, summary.sd);
        }
    }
}

/// The device signature (`getDeviceSignature()`): 20 numbers. They are integers in practice, but
/// the recorder builds some of them with JavaScript's `Number()` on text taken from the user agent,
/// which can give `NaN` for odd user agents; they are kept as doubles so such patterns still parse
/// and print back unchanged. Two signatures are equal when every field is equal or both are NaN.
#[derive(Clone, Copy, Debug)]
pub struct DeviceSignature(pub [f64; 20]);

impl PartialEq for DeviceSignature {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    }
}

impl DeviceSignature {
    /// Number of fields the block takes.
    pub const FIELDS: usize = 20;

    /// 1 = pc, 2 = phone, 3 = tablet.
    pub fn device_type(&self) -> f64 {
        self.0[0]
    }
    /// Always 0 in the JavaScript recorder.
    pub fn device_model(&self) -> f64 {
        self.0[1]
    }
    /// Always 0 in the JavaScript recorder.
    pub fn device_id(&self) -> f64 {
        self.0[2]
    }
    /// 2 when the browser exposes `window.orientation` (or is IEMobile), else 1.
    pub fn is_mobile2(&self) -> f64 {
        self.0[3]
    }
    /// 0 other, 1 Windows, 2 macOS, 3 Linux, 4 ChromeOS, 5 iOS, 6 Android.
    pub fn operating_system(&self) -> f64 {
        self.0[4]
    }
    /// 1 JavaScript, 2 Java, 3 Swift, 4 C++, 5 C#, 6 Android Java.
    pub fn programming_language(&self) -> f64 {
        self.0[5]
    }
    /// FNV-1a text id of `navigator.language`.
    pub fn system_language(&self) -> f64 {
        self.0[6]
    }
    /// 1 + touch indicator (`maxTouchPoints` when non-zero, so 11 on a 10-point screen).
    pub fn touch_device(&self) -> f64 {
        self.0[7]
    }
    /// Desktop 1; mobile 2 once press times came from motion data, else 0.
    pub fn press_type(&self) -> f64 {
        self.0[8]
    }
    /// Keyboard input kind; the JavaScript recorder always prints 0.
    pub fn keyboard_input(&self) -> f64 {
        self.0[9]
    }
    /// Keyboard type; the JavaScript recorder always prints 0.
    pub fn keyboard_type(&self) -> f64 {
        self.0[10]
    }
    /// Pointer input kind; the JavaScript recorder always prints 0.
    pub fn pointer_input(&self) -> f64 {
        self.0[11]
    }
    /// 0 unknown, 1 Chrome(ium), 2 Firefox, 3 Opera, 4 IE, 5 Safari, 6 legacy Edge,
    /// 7 Android WebKit.
    pub fn browser_type(&self) -> f64 {
        self.0[12]
    }
    /// Screen width in CSS pixels.
    pub fn display_width(&self) -> f64 {
        self.0[13]
    }
    /// Screen height in CSS pixels.
    pub fn display_height(&self) -> f64 {
        self.0[14]
    }
    /// 1 portrait, 2 landscape.
    pub fn orientation(&self) -> f64 {
        self.0[15]
    }
    /// macOS version as digits (`1015`), else 0.
    pub fn os_version(&self) -> f64 {
        self.0[16]
    }
    /// Major browser version.
    pub fn browser_version(&self) -> f64 {
        self.0[17]
    }
    /// Cookie id; the JavaScript recorder always prints 0.
    pub fn cookie_id(&self) -> f64 {
        self.0[18]
    }
    /// FNV-1a of fields 0…18 joined with `-`.
    pub fn signature(&self) -> f64 {
        self.0[19]
    }

    pub(crate) fn read(fields: &Fields, first: usize) -> Result<Self, ParseError> {
        let mut values = [0.0; Self::FIELDS];
        for (k, value) in values.iter_mut().enumerate() {
            *value = fields.any_number(first + k)?;
        }
        Ok(DeviceSignature(values))
    }

    pub(crate) fn write(&self, out: &mut String) {
        for (k, &value) in self.0.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            js::push_number(out, value);
        }
    }
}
