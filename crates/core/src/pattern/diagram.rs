//! Type 1 ("sametext") and type 2 ("extended") patterns: a header, one row per
//! typed character, and on mobile a motion trailer.
//!
//! ```text
//! HEADER ( "|" ROW )* [ "#" MOTION ]
//! HEADER := mobile,version,flags,diagramType,strLength,textId,<15 special keys>[,<20 device signature>]
//! ROW    := seek,press[,1]                      (type 1)
//!         | charCode,seek,press,keyCode[,1]     (type 2)
//! ```
//! The trailing `,1` marks a character that was not typed and was substituted with average
//! timings. Recorder 2.x headers have 21 fields (no device signature).

use super::blocks::{DeviceSignature, SpecialKeys};
use super::error::{snippet, ErrorKind, Location};
use super::fields::{push_int, Fields, Piece, Scope};
use super::motion::MotionTrailer;
use super::{ParseError, MAX_ROWS};
use crate::js;

/// Header field 3: which row format the header announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagramType {
    /// `0`: type 1.
    SameText,
    /// `1`: type 2.
    Extended,
}

/// The header of a type 1/2 pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagramHeader {
    /// Typed on a mobile device (`isMobile`).
    pub mobile: bool,
    /// Recorder version (`3.2`).
    pub version: f64,
    /// Recorder family: 0 JavaScript, 1 Java, 3 iOS, 4 Android.
    pub flags: i64,
    /// Same-text (type 1) or extended (type 2).
    pub diagram_type: DiagramType,
    /// Length of the text in UTF-16 units, or the row count when no text was given. A double:
    /// `{type:1, length:2.5}` really prints `2.5` (the reference takes the number as given).
    pub str_length: f64,
    /// The text id (FNV-1a of the lower-cased text, or the integer the caller passed).
    pub text_id: i64,
    /// Backspace, Enter, Space, click and stop timings.
    pub special_keys: SpecialKeys,
    /// `None` for a 2.x header (21 fields).
    pub device_signature: Option<DeviceSignature>,
}

/// Field count of a 3.x header (shared with the mouse pattern).
pub(crate) const HEADER_FIELDS: usize = 6 + SpecialKeys::FIELDS + DeviceSignature::FIELDS;
/// Field count of a 2.x header.
pub(crate) const LEGACY_HEADER_FIELDS: usize = 6 + SpecialKeys::FIELDS;

/// A character or key code in a type-2 row. The Android handlers can produce `NaN` (the field
/// was empty) and, for the key code, nothing at all (Firefox's `input` event has no keyCode,
/// quirk Q13); both are kept so the pattern prints back unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// A character or key code.
    Value(u32),
    /// `NaN`: the Android handler found the field empty.
    NaN,
    /// An empty field (JavaScript `undefined` joined into the row). Key codes only.
    Undefined,
}

impl Code {
    /// The code, when it is a number.
    pub fn value(self) -> Option<u32> {
        match self {
            Code::Value(v) => Some(v),
            Code::NaN | Code::Undefined => None,
        }
    }

    fn read(fields: &Fields, index: usize, undefined_allowed: bool) -> Result<Code, ParseError> {
        match fields.text(index) {
            "NaN" => Ok(Code::NaN),
            "" if undefined_allowed => Ok(Code::Undefined),
            _ => fields.count(index).map(Code::Value),
        }
    }

    fn write(self, out: &mut String) {
        match self {
            Code::Value(v) => push_int(out, v),
            Code::NaN => out.push_str("NaN"),
            Code::Undefined => {}
        }
    }
}

/// A type-1 row: timings only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SameTextRow {
    /// Time since the previous keydown (desktop) or keyup (mobile), ms.
    pub seek: i64,
    /// Key hold time, ms.
    pub press: i64,
    /// The character was not typed; the timings are averages (`,1` marker).
    pub substituted: bool,
}

/// A type-2 row: timings and what was typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtendedRow {
    /// The keypress charCode (the text's UTF-16 unit for a substituted character).
    pub char_code: Code,
    /// Time since the previous keydown (desktop) or keyup (mobile), ms.
    pub seek: i64,
    /// Key hold time, ms.
    pub press: i64,
    /// The keydown keyCode (the same as `char_code` for a substituted character).
    pub key_code: Code,
    /// The character was not typed; the timings are averages (`,1` marker).
    pub substituted: bool,
}

/// The rows of a diagram. Their format usually follows the header's type, except for
/// `{type:1, extended:1}`, which prints a type-1 header with extended rows (quirk Q12).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiagramRows {
    /// Type-1 rows: seek and press times only.
    SameText(Vec<SameTextRow>),
    /// Type-2 rows: timings with the char and key codes typed.
    Extended(Vec<ExtendedRow>),
}

impl DiagramRows {
    /// Number of rows (one per character of the text).
    pub fn len(&self) -> usize {
        match self {
            DiagramRows::SameText(rows) => rows.len(),
            DiagramRows::Extended(rows) => rows.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `(seek, press)` of every row, whatever the format.
    pub fn timings(&self) -> Vec<(i64, i64)> {
        match self {
            DiagramRows::SameText(rows) => rows.iter().map(|r| (r.seek, r.press)).collect(),
            DiagramRows::Extended(rows) => rows.iter().map(|r| (r.seek, r.press)).collect(),
        }
    }
}

/// A type-1 or type-2 pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagramPattern {
    /// Type, version, text id and length, special keys and device signature.
    pub header: DiagramHeader,
    /// One row per character of the text.
    pub rows: DiagramRows,
    /// The `#…` motion trailer, present on patterns from mobile browsers (recorder 3.x).
    pub motion: Option<MotionTrailer>,
}

/// Reads the mobile, version and flags fields (0–2) shared by diagram and mouse headers.
pub(crate) fn read_recorder_fields(fields: &Fields) -> Result<(bool, f64, i64), ParseError> {
    Ok((fields.flag(0)?, fields.number(1)?, fields.integer(2)?))
}

pub(crate) fn write_recorder_fields(out: &mut String, mobile: bool, version: f64, flags: i64) {
    out.push_str(if mobile { "1," } else { "0," });
    js::push_number(out, version);
    out.push(',');
    push_int(out, flags);
}

impl DiagramHeader {
    /// Reads a header of [`HEADER_FIELDS`] or [`LEGACY_HEADER_FIELDS`] fields whose type field
    /// was already found to be `diagram_type`.
    pub(crate) fn read(fields: &Fields, diagram_type: DiagramType) -> Result<Self, ParseError> {
        let (mobile, version, flags) = read_recorder_fields(fields)?;
        let device_signature = if fields.len() == HEADER_FIELDS {
            Some(DeviceSignature::read(fields, 6 + SpecialKeys::FIELDS)?)
        } else {
            None
        };
        Ok(DiagramHeader {
            mobile,
            version,
            flags,
            diagram_type,
            str_length: fields.number(4)?,
            text_id: fields.integer(5)?,
            special_keys: SpecialKeys::read(fields, 6)?,
            device_signature,
        })
    }

    fn write(&self, out: &mut String) {
        write_recorder_fields(out, self.mobile, self.version, self.flags);
        out.push_str(match self.diagram_type {
            DiagramType::SameText => ",0,",
            DiagramType::Extended => ",1,",
        });
        js::push_number(out, self.str_length);
        out.push(',');
        push_int(out, self.text_id);
        out.push(',');
        self.special_keys.write(out);
        if let Some(signature) = &self.device_signature {
            out.push(',');
            signature.write(out);
        }
    }
}

/// Calls `each` with the index and fields of every `|`-separated row of `rows` (the text
/// after the header's `|`), refusing empty rows and more than [`MAX_ROWS`] rows.
pub(crate) fn for_each_row<'a>(
    rows: Piece<'a>,
    mut each: impl FnMut(usize, Fields<'a>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    for (index, row) in rows.split('|').enumerate() {
        let location = Location::Row {
            row: index,
            field: None,
        };
        if index == MAX_ROWS {
            return Err(ParseError::new(
                location,
                row.offset,
                ErrorKind::TooManyRows { max: MAX_ROWS },
            ));
        }
        if row.text.is_empty() {
            return Err(ParseError::new(location, row.offset, ErrorKind::EmptyRow));
        }
        each(index, Fields::new(row, Scope::Row(index)))?;
    }
    Ok(())
}

/// The error for a row with the wrong number of fields.
pub(crate) fn row_field_count(row: usize, fields: &Fields, expected: &'static str) -> ParseError {
    ParseError::new(
        Location::Row { row, field: None },
        fields.offset(0),
        ErrorKind::FieldCount {
            expected,
            found: fields.len(),
        },
    )
}

/// The optional `,1` substitution marker at `index`.
fn substitution_marker(fields: &Fields, index: usize) -> Result<bool, ParseError> {
    if fields.len() > index {
        fields.literal(index, "1", "1 (the substitution marker)")?;
        Ok(true)
    } else {
        Ok(false)
    }
}

fn read_same_text_row(row: usize, fields: &Fields) -> Result<SameTextRow, ParseError> {
    if !(2..=3).contains(&fields.len()) {
        return Err(row_field_count(row, fields, "2 or 3"));
    }
    Ok(SameTextRow {
        seek: fields.integer(0)?,
        press: fields.integer(1)?,
        substituted: substitution_marker(fields, 2)?,
    })
}

fn read_extended_row(row: usize, fields: &Fields) -> Result<ExtendedRow, ParseError> {
    if !(4..=5).contains(&fields.len()) {
        return Err(row_field_count(row, fields, "4 or 5"));
    }
    Ok(ExtendedRow {
        char_code: Code::read(fields, 0, false)?,
        seek: fields.integer(1)?,
        press: fields.integer(2)?,
        key_code: Code::read(fields, 3, true)?,
        substituted: substitution_marker(fields, 4)?,
    })
}

impl DiagramPattern {
    /// Builds the pattern from its header, the text after the header's first `|` (if any) and
    /// the text after the first `#` (if any).
    pub(crate) fn read(
        header: DiagramHeader,
        rows: Option<Piece>,
        motion: Option<Piece>,
    ) -> Result<Self, ParseError> {
        let extended = match (header.diagram_type, rows) {
            (DiagramType::Extended, _) => true,
            // Q12: a type-1 header over extended rows; the first row tells.
            (DiagramType::SameText, Some(rows)) => {
                let first_row = rows.text.split('|').next().unwrap_or("");
                matches!(first_row.matches(',').count(), 3 | 4)
            }
            (DiagramType::SameText, None) => false,
        };
        let rows = match (rows, extended) {
            (None, false) => DiagramRows::SameText(Vec::new()),
            (None, true) => DiagramRows::Extended(Vec::new()),
            (Some(piece), false) => {
                let mut rows = Vec::new();
                for_each_row(piece, |index, fields| {
                    rows.push(read_same_text_row(index, &fields)?);
                    Ok(())
                })?;
                DiagramRows::SameText(rows)
            }
            (Some(piece), true) => {
                let mut rows = Vec::new();
                for_each_row(piece, |index, fields| {
                    rows.push(read_extended_row(index, &fields)?);
                    Ok(())
                })?;
                DiagramRows::Extended(rows)
            }
        };
        let motion = match motion {
            None => None,
            Some(piece) if !header.mobile => {
                return Err(ParseError::new(
                    Location::Input,
                    piece.offset - 1,
                    ErrorKind::MotionOnDesktop,
                ))
            }
            Some(piece) => Some(MotionTrailer::read(piece)?),
        };
        Ok(DiagramPattern {
            header,
            rows,
            motion,
        })
    }

    pub(crate) fn write(&self, out: &mut String) {
        self.header.write(out);
        match &self.rows {
            DiagramRows::SameText(rows) => {
                for row in rows {
                    out.push('|');
                    push_int(out, row.seek);
                    out.push(',');
                    push_int(out, row.press);
                    if row.substituted {
                        out.push_str(",1");
                    }
                }
            }
            DiagramRows::Extended(rows) => {
                for row in rows {
                    out.push('|');
                    row.char_code.write(out);
                    out.push(',');
                    push_int(out, row.seek);
                    out.push(',');
                    push_int(out, row.press);
                    out.push(',');
                    row.key_code.write(out);
                    if row.substituted {
                        out.push_str(",1");
                    }
                }
            }
        }
        if let Some(motion) = &self.motion {
            motion.write(out);
        }
    }
}

/// The text of a header's type field, for the unknown-type error.
pub(crate) fn unknown_type(fields: &Fields) -> ParseError {
    fields.error(3, ErrorKind::UnknownType(snippet(fields.text(3))))
}
