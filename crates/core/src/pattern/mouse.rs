//! The mouse diagram, "type 9" (`getMouseDiagram()`):
//! `mobile,version,flags,9,0,0,<15 special keys>,<20 device signature>|ROW|ROW…`, with a
//! trailing `|` when there is no row.

use super::blocks::{DeviceSignature, SpecialKeys};
use super::diagram::{for_each_row, read_recorder_fields, row_field_count, write_recorder_fields};
use super::error::{snippet, ErrorKind, Location};
use super::fields::{Fields, Piece};
use super::ParseError;
use crate::js;

/// The header of a mouse pattern (always the 41-field 3.x layout; fields 4 and 5, length and
/// text id, are 0).
#[derive(Clone, Debug, PartialEq)]
pub struct MouseHeader {
    /// Recorded on a mobile device (`isMobile`).
    pub mobile: bool,
    /// Recorder version (`3.2`).
    pub version: f64,
    /// Recorder family: 0 JavaScript, 1 Java, 3 iOS, 4 Android.
    pub flags: i64,
    /// Backspace, Enter, Space, click and stop timings.
    pub special_keys: SpecialKeys,
    /// The 20 device-signature numbers.
    pub device_signature: DeviceSignature,
}

/// A move or drag gesture: `[type, Δt, direct, speed, angle, ratio]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gesture {
    /// Time from the first to the last sample, ms.
    pub duration: f64,
    /// Straight-line distance first → last, px.
    pub distance: f64,
    /// `distance · 100 / duration` (`Infinity` for a zero duration).
    pub speed: f64,
    /// Direction in degrees.
    pub angle: f64,
    /// Path length · 100 / straight distance (the path omits its last segment, Q9).
    pub path_ratio: f64,
}

/// One row of the mouse diagram. Values are doubles: the recorder keeps `Infinity` (a zero
/// duration) and the page's scroll offset can be fractional.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MouseRow {
    /// Type 1.
    Move(Gesture),
    /// Type 2: `[2, Δt, Δtop, speed]`.
    Scroll {
        /// Time between the two scroll samples, ms.
        duration: f64,
        /// Vertical scroll distance, px (can be fractional or negative).
        distance: f64,
        /// `distance · 100 / duration` (`Infinity` for a zero duration).
        speed: f64,
    },
    /// Type 3: time from the last move to a mousedown, ms.
    Stop {
        /// How long the pointer rested before the button went down, ms.
        duration: f64,
    },
    /// Type 4: mousedown → mouseup, ms.
    Click {
        /// How long the button was held, ms.
        duration: f64,
    },
    /// Type 5: a move with the button held.
    Drag(Gesture),
}

/// A mouse-gesture pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct MousePattern {
    /// Device, version, special keys and device signature.
    pub header: MouseHeader,
    /// The gestures in the order they happened.
    pub rows: Vec<MouseRow>,
}

fn read_gesture(fields: &Fields) -> Result<Gesture, ParseError> {
    Ok(Gesture {
        duration: fields.number(1)?,
        distance: fields.number(2)?,
        speed: fields.number(3)?,
        angle: fields.number(4)?,
        path_ratio: fields.number(5)?,
    })
}

fn read_row(row: usize, fields: &Fields) -> Result<MouseRow, ParseError> {
    let (expected_fields, expected): (usize, &'static str) = match fields.text(0) {
        "1" | "5" => (6, "6 (a move or drag row)"),
        "2" => (4, "4 (a scroll row)"),
        "3" | "4" => (2, "2 (a stop or click row)"),
        other => {
            return Err(fields.error(
                0,
                ErrorKind::Unexpected {
                    expected: "a mouse row type from 1 to 5",
                    found: snippet(other),
                },
            ))
        }
    };
    if fields.len() != expected_fields {
        return Err(row_field_count(row, fields, expected));
    }
    Ok(match fields.text(0) {
        "1" => MouseRow::Move(read_gesture(fields)?),
        "5" => MouseRow::Drag(read_gesture(fields)?),
        "2" => MouseRow::Scroll {
            duration: fields.number(1)?,
            distance: fields.number(2)?,
            speed: fields.number(3)?,
        },
        "3" => MouseRow::Stop {
            duration: fields.number(1)?,
        },
        _ => MouseRow::Click {
            duration: fields.number(1)?,
        },
    })
}

fn push_values(out: &mut String, kind: &str, values: &[f64]) {
    out.push_str(kind);
    for &value in values {
        out.push(',');
        js::push_number(out, value);
    }
}

impl MousePattern {
    /// Reads a mouse pattern from its header fields (type field already checked to be 9) and
    /// the text after the header's `|`.
    pub(crate) fn read(
        fields: &Fields,
        rows: Option<Piece>,
        header_end: usize,
    ) -> Result<Self, ParseError> {
        if fields.len() != super::diagram::HEADER_FIELDS {
            return Err(fields.error(3, ErrorKind::LegacyMouseHeader));
        }
        let (mobile, version, flags) = read_recorder_fields(fields)?;
        fields.literal(4, "0", "0 (a mouse pattern has no text length)")?;
        fields.literal(5, "0", "0 (a mouse pattern has no text id)")?;
        let header = MouseHeader {
            mobile,
            version,
            flags,
            special_keys: SpecialKeys::read(fields, 6)?,
            device_signature: DeviceSignature::read(fields, 6 + SpecialKeys::FIELDS)?,
        };
        let rows_piece = rows.ok_or_else(|| {
            ParseError::new(
                Location::Input,
                header_end,
                ErrorKind::Unexpected {
                    expected: "'|' after the mouse header",
                    found: String::new(),
                },
            )
        })?;
        let mut rows = Vec::new();
        if !rows_piece.text.is_empty() {
            for_each_row(rows_piece, |index, fields| {
                rows.push(read_row(index, &fields)?);
                Ok(())
            })?;
        }
        Ok(MousePattern { header, rows })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let h = &self.header;
        write_recorder_fields(out, h.mobile, h.version, h.flags);
        out.push_str(",9,0,0,");
        h.special_keys.write(out);
        out.push(',');
        h.device_signature.write(out);
        out.push('|');
        for (k, row) in self.rows.iter().enumerate() {
            if k > 0 {
                out.push('|');
            }
            match *row {
                MouseRow::Move(g) | MouseRow::Drag(g) => {
                    let kind = if matches!(row, MouseRow::Move(_)) {
                        "1"
                    } else {
                        "5"
                    };
                    push_values(
                        out,
                        kind,
                        &[g.duration, g.distance, g.speed, g.angle, g.path_ratio],
                    );
                }
                MouseRow::Scroll {
                    duration,
                    distance,
                    speed,
                } => push_values(out, "2", &[duration, distance, speed]),
                MouseRow::Stop { duration } => push_values(out, "3", &[duration]),
                MouseRow::Click { duration } => push_values(out, "4", &[duration]),
            }
        }
    }
}
