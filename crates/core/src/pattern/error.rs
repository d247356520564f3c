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
#[non_exhaustive]
pub enum Location {
    /// The pattern as a whole (empty, too long, wrong shape).
    Input,
    /// A comma-separated field of a type-0 pattern or of a diagram/mouse header.
    Field(usize),
    /// A `|`-separated row of a diagram or mouse pattern, and optionally a field in it.
    Row {
        /// The row.
        row: usize,
        /// The field within the row, when one is at fault.
        field: Option<usize>,
    },
    /// The mobile motion trailer (`#fixed#z/x/y`): a list, optionally one entry of it and
    /// one value of that entry.
    Motion {
        /// Which of the four lists.
        list: MotionList,
        /// The entry of the list (a `/`-separated group), when one is at fault.
        entry: Option<usize>,
        /// The value within that entry, when one is at fault.
        value: Option<usize>,
    },
}

/// The four lists of the mobile motion trailer, in the order they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MotionList {
    /// The fixed values (one group of numbers per keystroke).
    Fixed,
    /// The z-axis acceleration samples.
    ZAcceleration,
    /// The x-axis rotation samples.
    XRotation,
    /// The y-axis rotation samples.
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
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is empty.
    #[error("empty pattern")]
    Empty,
    /// The input is longer than the parser accepts (bytes).
    #[error("input is {len} bytes, more than the limit of {max}")]
    TooLong {
        /// Bytes of the input.
        len: usize,
        /// The most accepted ([`super::MAX_INPUT_BYTES`]).
        max: usize,
    },
    /// More rows than the parser accepts.
    #[error("more than {max} rows")]
    TooManyRows {
        /// The most accepted ([`super::MAX_ROWS`]).
        max: usize,
    },
    /// A header or row has the wrong number of fields.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// The count (or counts, e.g. `"21 or 41"`) the format allows.
        expected: &'static str,
        /// The count the input has.
        found: usize,
    },
    /// A field that should be a number is not one.
    #[error("not a number: {0:?}")]
    NotANumber(String),
    /// A number written differently from how the recorder prints it (e.g. `01`, `1.0`), so
    /// the pattern would not print back byte for byte.
    #[error("number {found:?} is not written the way the recorder writes it ({canonical:?})")]
    NotCanonical {
        /// The number as written.
        found: String,
        /// How the recorder would print it.
        canonical: String,
    },
    /// A field that should be an integer has a fraction.
    #[error("not an integer: {0:?}")]
    NotAnInteger(String),
    /// An integer beyond the range of its field.
    #[error("integer out of range: {0:?}")]
    OutOfRange(String),
    /// `NaN` in a field the recorder never prints it in.
    #[error("NaN is not allowed here")]
    NaNNotAllowed,
    /// A field holds something other than the fixed value or set of values the format allows.
    #[error("expected {expected}, found {found:?}")]
    Unexpected {
        /// What the format allows there.
        expected: &'static str,
        /// What the input has.
        found: String,
    },
    /// Header field 3 is not a pattern type the parser knows.
    #[error("unknown pattern type {0:?} (header field 3 must be 0, 1 or 9)")]
    UnknownType(String),
    /// A row of a diagram or mouse pattern is empty.
    #[error("empty row")]
    EmptyRow,
    /// Text follows where the pattern should have ended.
    #[error("unexpected {found:?} after {after}")]
    TrailingData {
        /// The part after which the pattern should have ended.
        after: &'static str,
        /// What follows it.
        found: String,
    },
    /// A field that repeats the history length (`histRev`) disagrees with field 0.
    #[error("the field repeats the history length of field 0 ({first}) but says {second}")]
    HistoryLengthMismatch {
        /// The history length in field 0.
        first: u32,
        /// The repeated value that differs.
        second: u32,
    },
    /// A mouse pattern with a recorder 2.x header, which the mouse format never had.
    #[error("a mouse pattern needs the 41-field header of recorder 3.x")]
    LegacyMouseHeader,
    /// A motion trailer on a pattern whose header says desktop.
    #[error("motion trailer on a desktop pattern (header field 0 is 0)")]
    MotionOnDesktop,
    /// The motion trailer does not have the `#fixed#z/x/y` shape; says which part is wrong.
    #[error("motion trailer is not `#fixed#z/x/y`: {0}")]
    MotionShape(&'static str),
    /// The four motion lists have different lengths (they hold one entry per keystroke each).
    #[error("motion lists differ in length: fixed {fixed}, z {z}, x {x}, y {y}")]
    MotionListLengths {
        /// Entries of the fixed-values list.
        fixed: usize,
        /// Entries of the z-acceleration list.
        z: usize,
        /// Entries of the x-rotation list.
        x: usize,
        /// Entries of the y-rotation list.
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
