//! Type 0 ("anytext"): global timing statistics and per-key statistics of the last
//! keystrokes, whatever was typed.
//!
//! Layout (recorder 3.x, 360 fields): 11 global values; the 44 per-key values of each of the
//! seven statistics (rev, seek mean, press mean, post mean, seek SD, press SD, post SD);
//! `isMobile, version, flags, -1, histRev, 0`; special keys (15); device signature (20).
//! Recorder 2.x (337 fields) stops after `isMobile, version, flags` and the special keys.

use super::blocks::{DeviceSignature, SpecialKeys};
use super::error::ErrorKind;
use super::fields::{push_int, Fields};
use super::ParseError;
use crate::js;

/// The 44 keyCodes with per-key statistics, in the order the pattern lists them: A–Z, Space,
/// `'`, `,`, `.`, `;`, `=`, `-`, `/`, 0–9 (US-layout Chrome keyCodes).
pub const KEY_CODES: [u16; 44] = [
    65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88,
    89, 90, 32, 222, 188, 190, 186, 187, 189, 191, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57,
];

/// The 11 global values (fields 0–10). Times are in ms; ratios are rounded to 4 decimals.
/// Doubles, because the recorder can print `Infinity` (all timings equal, vector v09).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GlobalStats {
    /// Number of keystrokes the statistics cover (`histRev`).
    pub hist_rev: u32,
    /// Characters per minute.
    pub cpm: f64,
    /// `seek_mean + press_mean`.
    pub char_mean_time: f64,
    /// Share of a keystroke's time the key is held: `press_mean / char_mean_time`.
    pub press_ratio: f64,
    /// `(1 - press_ratio) / press_ratio`: seek time per unit of press time.
    pub seek_to_press_ratio: f64,
    /// Press-time SD over the press mean.
    pub press_sd_to_press_ratio: f64,
    /// Seek-time SD over the press mean.
    pub seek_sd_to_press_ratio: f64,
    /// Mean press (hold) time, ms, over press times of at most 300 ms.
    pub press_mean: f64,
    /// Mean seek time (from the previous key), ms, over seek times of at most 1500 ms.
    pub seek_mean: f64,
    /// Population SD of the press times, ms.
    pub press_sd: f64,
    /// Population SD of the seek times, ms.
    pub seek_sd: f64,
}

/// Statistics of one of the 44 keys. The ratios are the key's value divided by the matching
/// global value; the recorder prints a ratio of 0 as 1.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KeyStats {
    /// How many press times (≤ 300 ms) of this key were seen.
    pub rev: u32,
    /// Mean seek time before this key, ms.
    pub seek_mean: f64,
    /// Mean press (hold) time of this key, ms.
    pub press_mean: f64,
    /// Flight time after this key ("post").
    pub post_mean: f64,
    /// SD of the seek times before this key, ms.
    pub seek_sd: f64,
    /// SD of this key's press times, ms.
    pub press_sd: f64,
    /// SD of the flight times after this key, ms.
    pub post_sd: f64,
}

/// A type-0 pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct AnyTextPattern {
    /// The 11 global statistics (fields 0–10).
    pub globals: GlobalStats,
    /// Per-key statistics, in [`KEY_CODES`] order (boxed: they are most of the pattern's
    /// size, and a [`super::Pattern`] of another type should not carry that much).
    pub keys: Box<[KeyStats; 44]>,
    /// Typed on a mobile device (`isMobile`).
    pub mobile: bool,
    /// Recorder version (`3.2`; `2.15` and the like for 2.x).
    pub version: f64,
    /// Recorder family: 0 JavaScript, 1 Java, 3 iOS, 4 Android.
    pub flags: i64,
    /// Backspace, Enter, Space, click and stop timings.
    pub special_keys: SpecialKeys,
    /// `None` for the 2.x layout, which also lacks the `-1, histRev, 0` fields.
    pub device_signature: Option<DeviceSignature>,
}

const GLOBALS: usize = 11;
const PER_KEY: usize = 7 * 44;
/// Fields before the special keys in the 2.x layout: globals, per-key, mobile, version, flags.
const LEGACY_PREFIX: usize = GLOBALS + PER_KEY + 3;
/// Field count of the 3.x layout.
pub(crate) const FIELDS: usize = LEGACY_PREFIX + 3 + SpecialKeys::FIELDS + DeviceSignature::FIELDS;
/// Field count of the 2.x layout.
pub(crate) const LEGACY_FIELDS: usize = LEGACY_PREFIX + SpecialKeys::FIELDS;

impl AnyTextPattern {
    /// The statistics of the key with this keyCode, if it is one of the 44.
    pub fn key(&self, key_code: u16) -> Option<&KeyStats> {
        KEY_CODES
            .iter()
            .position(|&k| k == key_code)
            .map(|i| &self.keys[i])
    }

    /// Reads the fields of a type-0 pattern; `fields.len()` is [`FIELDS`] or [`LEGACY_FIELDS`].
    pub(crate) fn read(fields: &Fields) -> Result<Self, ParseError> {
        let globals = GlobalStats {
            hist_rev: fields.count(0)?,
            cpm: fields.number(1)?,
            char_mean_time: fields.number(2)?,
            press_ratio: fields.number(3)?,
            seek_to_press_ratio: fields.number(4)?,
            press_sd_to_press_ratio: fields.number(5)?,
            seek_sd_to_press_ratio: fields.number(6)?,
            press_mean: fields.number(7)?,
            seek_mean: fields.number(8)?,
            press_sd: fields.number(9)?,
            seek_sd: fields.number(10)?,
        };
        let mut keys = Box::new([KeyStats::default(); 44]);
        for (i, key) in keys.iter_mut().enumerate() {
            let at = |statistic: usize| GLOBALS + statistic * 44 + i;
            *key = KeyStats {
                rev: fields.count(at(0))?,
                seek_mean: fields.number(at(1))?,
                press_mean: fields.number(at(2))?,
                post_mean: fields.number(at(3))?,
                seek_sd: fields.number(at(4))?,
                press_sd: fields.number(at(5))?,
                post_sd: fields.number(at(6))?,
            };
        }
        let mobile = fields.flag(GLOBALS + PER_KEY)?;
        let version = fields.number(GLOBALS + PER_KEY + 1)?;
        let flags = fields.integer(GLOBALS + PER_KEY + 2)?;
        let (special_keys, device_signature) = if fields.len() == LEGACY_FIELDS {
            (SpecialKeys::read(fields, LEGACY_PREFIX)?, None)
        } else {
            fields.literal(LEGACY_PREFIX, "-1", "-1 (the type-0 marker)")?;
            let repeated = fields.count(LEGACY_PREFIX + 1)?;
            if repeated != globals.hist_rev {
                return Err(fields.error(
                    LEGACY_PREFIX + 1,
                    ErrorKind::HistoryLengthMismatch {
                        first: globals.hist_rev,
                        second: repeated,
                    },
                ));
            }
            fields.literal(LEGACY_PREFIX + 2, "0", "0 (type 0 has no text id)")?;
            (
                SpecialKeys::read(fields, LEGACY_PREFIX + 3)?,
                Some(DeviceSignature::read(
                    fields,
                    LEGACY_PREFIX + 3 + SpecialKeys::FIELDS,
                )?),
            )
        };
        Ok(AnyTextPattern {
            globals,
            keys,
            mobile,
            version,
            flags,
            special_keys,
            device_signature,
        })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let g = &self.globals;
        push_int(out, g.hist_rev);
        for value in [
            g.cpm,
            g.char_mean_time,
            g.press_ratio,
            g.seek_to_press_ratio,
            g.press_sd_to_press_ratio,
            g.seek_sd_to_press_ratio,
            g.press_mean,
            g.seek_mean,
            g.press_sd,
            g.seek_sd,
        ] {
            out.push(',');
            js::push_number(out, value);
        }
        for key in self.keys.iter() {
            out.push(',');
            push_int(out, key.rev);
        }
        let statistics: [fn(&KeyStats) -> f64; 6] = [
            |k| k.seek_mean,
            |k| k.press_mean,
            |k| k.post_mean,
            |k| k.seek_sd,
            |k| k.press_sd,
            |k| k.post_sd,
        ];
        for statistic in statistics {
            for key in self.keys.iter() {
                out.push(',');
                js::push_number(out, statistic(key));
            }
        }
        out.push_str(if self.mobile { ",1," } else { ",0," });
        js::push_number(out, self.version);
        out.push(',');
        push_int(out, self.flags);
        if self.device_signature.is_some() {
            out.push_str(",-1,");
            push_int(out, g.hist_rev);
            out.push_str(",0");
        }
        out.push(',');
        self.special_keys.write(out);
        if let Some(signature) = &self.device_signature {
            out.push(',');
            signature.write(out);
        }
    }
}
