//! What went wrong while parsing a pattern, and where.

use std::fmt;

/// A pattern string was rejected: [`ErrorKind`] says what is wrong, [`Location`] and
/// `offset` say where.
///
/// Displayed as `[pattern P: ]LOCATION: WHAT (byte OFFSET)`, for example
/// `row 3: expected 2 or 3 fields, found 5 (byte 412)` or
/// `pattern 1: field 27: not a number: "1x" (byte 140)`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{location}: {kind} (byte {offset})", pattern_prefix(*.pattern))]
pub struct ParseError {
    /// Index of the offending pattern in a `;`-joined list ([`super::Pattern::parse_list`]);
    /// `None` for a single pattern.
    pub pattern: Option<usize>,
    /// Which part of the pattern is wrong.
    pub location: Location,
    /// Byte offset of the offending text in the whole input (for a list: in the whole list).
    pub offset: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

fn pattern_prefix(pattern: Option<usize>) -> String {
    pattern
        .map(|i| format!("pattern {i}: "))
        .unwrap_or_default()
}

impl ParseError {
    pub(crate) fn new(location: Location, offset: usize, kind: ErrorKind) -> Self {
        ParseError {
            pattern: None,
            location,
            offset,
            kind,
        }
    }
}

/// The part of a pattern an error refers to. All indices count from 0; `row 0` is the first
/// row after the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// The pattern as a whole (empty, too long, wrong shape).
    Input,
    /// A comma-separated field of a type-0 pattern or of a diagram/mouse header.
    Field(usize),
    /// A `|`-separated row of a diagram or mouse pattern, and optionally a field in it.
    Row { row: usize, field: Option<usize> },
    /// The mobile motion trailer (`#fixed#z/x/y`): a list, optionally one entry of it and
    /// one value of that entry.
    Motion {
        list: MotionList,
        entry: Option<usize>,
        value: Option<usize>,
    },
}

/// The four lists of the mobile motion trailer, in the order they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MotionList {
    Fixed,
    ZAcceleration,
    XRotation,
    YRotation,
}

impl fmt::Display for MotionList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MotionList::Fixed => "fixed-values list",
            MotionList::ZAcceleration => "z-acceleration list",
            MotionList::XRotation => "x-rotation list",
            MotionList::YRotation => "y-rotation list",
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Location::Input => f.write_str("pattern"),
            Location::Field(i) => write!(f, "field {i}"),
            Location::Row { row, field: None } => write!(f, "row {row}"),
            Location::Row {
                row,
                field: Some(field),
            } => write!(f, "row {row}, field {field}"),
            Location::Motion { list, entry, value } => {
                write!(f, "motion trailer, {list}")?;
                if let Some(entry) = entry {
                    write!(f, ", entry {entry}")?;
                }
                if let Some(value) = value {
                    write!(f, ", value {value}")?;
                }
                Ok(())
            }
        }
    }
}

/// What is wrong. Texts quoted from the input are cut to [`SNIPPET_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("empty pattern")]
    Empty,
    #[error("input is {len} bytes, more than the limit of {max}")]
    TooLong { len: usize, max: usize },
    #[error("more than {max} rows")]
    TooManyRows { max: usize },
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        expected: &'static str,
        found: usize,
    },
    #[error("not a number: {0:?}")]
    NotANumber(String),
    #[error("number {found:?} is not written the way the recorder writes it ({canonical:?})")]
    NotCanonical { found: String, canonical: String },
    #[error("not an integer: {0:?}")]
    NotAnInteger(String),
    #[error("integer out of range: {0:?}")]
    OutOfRange(String),
    #[error("NaN is not allowed here")]
    NaNNotAllowed,
    #[error("expected {expected}, found {found:?}")]
    Unexpected {
        expected: &'static str,
        found: String,
    },
    #[error("unknown pattern type {0:?} (header field 3 must be 0, 1 or 9)")]
    UnknownType(String),
    #[error("empty row")]
    EmptyRow,
    #[error("unexpected {found:?} after {after}")]
    TrailingData { after: &'static str, found: String },
    #[error("the field repeats the history length of field 0 ({first}) but says {second}")]
    HistoryLengthMismatch { first: u32, second: u32 },
    #[error("a mouse pattern needs the 41-field header of recorder 3.x")]
    LegacyMouseHeader,
    #[error("motion trailer on a desktop pattern (header field 0 is 0)")]
    MotionOnDesktop,
    #[error("motion trailer is not `#fixed#z/x/y`: {0}")]
    MotionShape(&'static str),
    #[error("motion lists differ in length: fixed {fixed}, z {z}, x {x}, y {y}")]
    MotionListLengths {
        fixed: usize,
        z: usize,
        x: usize,
        y: usize,
    },
}

/// How many characters of the input an error message quotes at most.
pub const SNIPPET_CHARS: usize = 40;

/// The first [`SNIPPET_CHARS`] characters of `text`, with `…` when cut.
pub(crate) fn snippet(text: &str) -> String {
    match text.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
