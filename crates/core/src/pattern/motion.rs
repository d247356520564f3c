//! The mobile motion trailer of type 1/2 patterns recorded on mobile:
//! `#` fixed `#` z-acceleration `/` x-rotation `/` y-rotation, each a `|`-joined list with one
//! entry per emitted row that carried motion data (or per substituted character, which gets
//! empty entries). `##//` when there is none.

use super::error::{ErrorKind, Location, MotionList};
use super::fields::{any_number, Piece};
use super::{ParseError, MAX_ROWS};
use crate::js;

/// One value of a motion entry. The recorder joins JavaScript arrays, so a missing rotation
/// rate prints as an empty value and arithmetic on it as `NaN`; both are kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MotionValue {
    /// A number other than NaN (integers in practice: the recorder rounds every sample).
    Number(f64),
    /// `NaN`: arithmetic on a missing value.
    NaN,
    /// An empty value (JavaScript `undefined`).
    Undefined,
}

/// The motion data of one row: four comma-separated lists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MotionSample {
    /// `[accX, accY, last accZ, last rotX, last rotY, last rotZ, pitch, roll]`.
    pub fixed: Vec<MotionValue>,
    /// Second differences of the z acceleration around the keystroke.
    pub z_acceleration: Vec<MotionValue>,
    /// First differences of the x rotation rate.
    pub x_rotation: Vec<MotionValue>,
    /// First differences of the y rotation rate.
    pub y_rotation: Vec<MotionValue>,
}

/// The whole trailer.
///
/// The text cannot tell "no sample" from "one sample whose four lists are empty" (both print
/// `##//`): the parser reads that text as no sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MotionTrailer {
    /// One sample per keystroke row, in row order.
    pub samples: Vec<MotionSample>,
}

const LISTS: [MotionList; 4] = [
    MotionList::Fixed,
    MotionList::ZAcceleration,
    MotionList::XRotation,
    MotionList::YRotation,
];

fn shape_error(offset: usize, what: &'static str) -> ParseError {
    ParseError::new(Location::Input, offset, ErrorKind::MotionShape(what))
}

/// The values of one entry: an empty entry has none.
fn read_entry(
    piece: Piece,
    list: MotionList,
    entry: usize,
) -> Result<Vec<MotionValue>, ParseError> {
    if piece.text.is_empty() {
        return Ok(Vec::new());
    }
    piece
        .split(',')
        .enumerate()
        .map(|(value, piece)| match piece.text {
            "" => Ok(MotionValue::Undefined),
            text => match any_number(text) {
                Ok(v) if v.is_nan() => Ok(MotionValue::NaN),
                Ok(v) => Ok(MotionValue::Number(v)),
                Err(kind) => Err(ParseError::new(
                    Location::Motion {
                        list,
                        entry: Some(entry),
                        value: Some(value),
                    },
                    piece.offset,
                    kind,
                )),
            },
        })
        .collect()
}

fn read_list(piece: Piece, list: MotionList) -> Result<Vec<Vec<MotionValue>>, ParseError> {
    let mut entries = Vec::new();
    for (entry, piece) in piece.split('|').enumerate() {
        if entry == MAX_ROWS {
            return Err(ParseError::new(
                Location::Motion {
                    list,
                    entry: Some(entry),
                    value: None,
                },
                piece.offset,
                ErrorKind::TooManyRows { max: MAX_ROWS },
            ));
        }
        entries.push(read_entry(piece, list, entry)?);
    }
    Ok(entries)
}

fn write_list(
    out: &mut String,
    samples: &[MotionSample],
    list: fn(&MotionSample) -> &[MotionValue],
) {
    for (k, sample) in samples.iter().enumerate() {
        if k > 0 {
            out.push('|');
        }
        for (i, value) in list(sample).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match *value {
                MotionValue::Number(v) => js::push_number(out, v),
                MotionValue::NaN => out.push_str("NaN"),
                MotionValue::Undefined => {}
            }
        }
    }
}

impl MotionTrailer {
    /// Reads the text after the first `#`.
    pub(crate) fn read(piece: Piece) -> Result<Self, ParseError> {
        let (fixed, rest) = piece.split_once('#');
        let rest = rest.ok_or_else(|| shape_error(piece.offset, "no second '#'"))?;
        if let Some(at) = rest.text.find('#') {
            return Err(shape_error(rest.offset + at, "a third '#'"));
        }
        let parts: Vec<Piece> = rest.split('/').collect();
        if parts.len() != 3 {
            return Err(shape_error(
                rest.offset,
                "expected exactly two '/' after the second '#'",
            ));
        }
        let mut lists = Vec::with_capacity(4);
        for (piece, list) in [fixed, parts[0], parts[1], parts[2]].into_iter().zip(LISTS) {
            lists.push(read_list(piece, list)?);
        }
        let lengths: Vec<usize> = lists.iter().map(Vec::len).collect();
        let all_single_empty = lists.iter().all(|l| l.len() == 1 && l[0].is_empty());
        if all_single_empty {
            return Ok(MotionTrailer::default());
        }
        if lengths.iter().any(|&n| n != lengths[0]) {
            return Err(ParseError::new(
                Location::Input,
                piece.offset,
                ErrorKind::MotionListLengths {
                    fixed: lengths[0],
                    z: lengths[1],
                    x: lengths[2],
                    y: lengths[3],
                },
            ));
        }
        let mut lists = lists.into_iter();
        let mut next = || lists.next().unwrap_or_default().into_iter();
        let (fixed, z, x, y) = (next(), next(), next(), next());
        let samples = fixed
            .zip(z)
            .zip(x)
            .zip(y)
            .map(
                |(((fixed, z_acceleration), x_rotation), y_rotation)| MotionSample {
                    fixed,
                    z_acceleration,
                    x_rotation,
                    y_rotation,
                },
            )
            .collect();
        Ok(MotionTrailer { samples })
    }

    pub(crate) fn write(&self, out: &mut String) {
        out.push('#');
        write_list(out, &self.samples, |s| &s.fixed);
        out.push('#');
        write_list(out, &self.samples, |s| &s.z_acceleration);
        out.push('/');
        write_list(out, &self.samples, |s| &s.x_rotation);
        out.push('/');
        write_list(out, &self.samples, |s| &s.y_rotation);
    }
}
