//! The typing-pattern format as typed values, and a parser that is the exact inverse of the
//! recorder's builders.
//!
//! [`Pattern::parse`] accepts exactly the strings the recorder can build: type 0
//! (360 fields; 337 for recorder 2.x), type 1 and type 2 (41-field header, 21 for 2.x, rows,
//! the `,1` substitution marker, the mobile `#…#…/…/…` trailer) and the mouse diagram
//! ("type 9"). Numbers must be spelled as JavaScript's `String(number)` spells them, so that
//! printing a parsed pattern with [`Display`](std::fmt::Display) gives back the input byte for
//! byte. Anything else gets a [`ParseError`] saying what is wrong and where; the parser never
//! panics and never allocates more than a small multiple of the input, which is capped at
//! [`MAX_INPUT_BYTES`] and [`MAX_ROWS`] rows.
//!
//! Not accepted: the 2.x mouse diagram (`mobile,version|rows`, no header), which carries no
//! keystroke data.

mod anytext;
mod blocks;
mod diagram;
mod error;
mod fields;
mod motion;
mod mouse;

use std::fmt;
use std::str::FromStr;

pub use anytext::{AnyTextPattern, GlobalStats, KeyStats, KEY_CODES};
pub use blocks::{DeviceSignature, SpecialKeys, TimingSummary};
pub use diagram::{
    Code, DiagramHeader, DiagramPattern, DiagramRows, DiagramType, ExtendedRow, SameTextRow,
};
pub use error::{ErrorKind, Location, MotionList, ParseError, SNIPPET_CHARS};
pub use motion::{MotionSample, MotionTrailer, MotionValue};
pub use mouse::{Gesture, MouseHeader, MousePattern, MouseRow};

use error::snippet;
use fields::{Fields, Piece, Scope};

/// Longest input [`Pattern::parse`] and [`Pattern::parse_list`] accept, in bytes.
pub const MAX_INPUT_BYTES: usize = 1 << 20;
/// Most rows a diagram or mouse pattern (and entries a motion list) may have.
pub const MAX_ROWS: usize = 10_000;

/// A parsed typing pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// Type 0: statistics of whatever was typed.
    AnyText(AnyTextPattern),
    /// Type 1 or 2: per-character timings of a known text.
    Diagram(DiagramPattern),
    /// Type 9: mouse gestures.
    Mouse(MousePattern),
}

/// The pattern type as the Authentication API names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatternKind {
    /// Type 0.
    AnyText,
    /// Type 1.
    SameText,
    /// Type 2.
    Extended,
    /// The mouse diagram.
    Mouse,
}

impl Pattern {
    /// Parses one pattern.
    pub fn parse(s: &str) -> Result<Pattern, ParseError> {
        check_size(s)?;
        parse_at(s, 0)
    }

    /// Parses `;`-joined patterns (how the Authentication API sends several in one field).
    /// An error names the index of the bad pattern, and its offset counts from the start of
    /// the whole list.
    pub fn parse_list(s: &str) -> Result<Vec<Pattern>, ParseError> {
        check_size(s)?;
        Piece::new(s, 0)
            .split(';')
            .enumerate()
            .map(|(index, piece)| {
                parse_at(piece.text, piece.offset).map_err(|mut error| {
                    error.pattern = Some(index);
                    error
                })
            })
            .collect()
    }

    /// The type the header announces. A type-1 header over extended rows (the
    /// `{type:1, extended:1}` quirk) is [`PatternKind::SameText`].
    pub fn kind(&self) -> PatternKind {
        match self {
            Pattern::AnyText(_) => PatternKind::AnyText,
            Pattern::Diagram(d) => match d.header.diagram_type {
                DiagramType::SameText => PatternKind::SameText,
                DiagramType::Extended => PatternKind::Extended,
            },
            Pattern::Mouse(_) => PatternKind::Mouse,
        }
    }

    /// Whether the recorder ran in a mobile browser.
    pub fn is_mobile(&self) -> bool {
        match self {
            Pattern::AnyText(p) => p.mobile,
            Pattern::Diagram(p) => p.header.mobile,
            Pattern::Mouse(p) => p.header.mobile,
        }
    }

    /// The text id of a type-1/2 pattern; `None` for the other types.
    pub fn text_id(&self) -> Option<i64> {
        match self {
            Pattern::Diagram(p) => Some(p.header.text_id),
            Pattern::AnyText(_) | Pattern::Mouse(_) => None,
        }
    }

    /// The device signature; `None` for patterns of recorder 2.x.
    pub fn device_signature(&self) -> Option<&DeviceSignature> {
        match self {
            Pattern::AnyText(p) => p.device_signature.as_ref(),
            Pattern::Diagram(p) => p.header.device_signature.as_ref(),
            Pattern::Mouse(p) => Some(&p.header.device_signature),
        }
    }

    /// The special-keys block.
    pub fn special_keys(&self) -> &SpecialKeys {
        match self {
            Pattern::AnyText(p) => &p.special_keys,
            Pattern::Diagram(p) => &p.header.special_keys,
            Pattern::Mouse(p) => &p.header.special_keys,
        }
    }
}

impl fmt::Display for Pattern {
    /// Prints the exact string the recorder builds for this pattern.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        match self {
            Pattern::AnyText(p) => p.write(&mut out),
            Pattern::Diagram(p) => p.write(&mut out),
            Pattern::Mouse(p) => p.write(&mut out),
        }
        f.write_str(&out)
    }
}

impl FromStr for Pattern {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}

fn check_size(s: &str) -> Result<(), ParseError> {
    if s.len() > MAX_INPUT_BYTES {
        return Err(ParseError::new(
            Location::Input,
            MAX_INPUT_BYTES,
            ErrorKind::TooLong {
                len: s.len(),
                max: MAX_INPUT_BYTES,
            },
        ));
    }
    Ok(())
}

const FIELD_COUNTS: &str = "360 or 337 (type 0) or 41 or 21 (header)";

/// Parses the pattern `s`, which starts at byte `base` of the whole input.
fn parse_at(s: &str, base: usize) -> Result<Pattern, ParseError> {
    if s.is_empty() {
        return Err(ParseError::new(Location::Input, base, ErrorKind::Empty));
    }
    let whole = Piece::new(s, base);
    let (main, trailer) = whole.split_once('#');
    let (head, rows) = main.split_once('|');
    let field_count = head.text.bytes().filter(|&b| b == b',').count() + 1;
    // Offset of the separator before `piece`, and the error for unexpected text from there.
    let trailing = |piece: Piece, after: &'static str| {
        let at = piece.offset - 1;
        ParseError::new(
            Location::Input,
            at,
            ErrorKind::TrailingData {
                after,
                found: snippet(&s[at - base..]),
            },
        )
    };
    match field_count {
        anytext::FIELDS | anytext::LEGACY_FIELDS => {
            if let Some(extra) = rows.or(trailer) {
                return Err(trailing(extra, "a type-0 pattern"));
            }
            let fields = Fields::new(head, Scope::Header);
            Ok(Pattern::AnyText(AnyTextPattern::read(&fields)?))
        }
        diagram::HEADER_FIELDS | diagram::LEGACY_HEADER_FIELDS => {
            let fields = Fields::new(head, Scope::Header);
            let diagram_type = match fields.text(3) {
                "0" => DiagramType::SameText,
                "1" => DiagramType::Extended,
                "9" => {
                    if let Some(extra) = trailer {
                        return Err(trailing(extra, "a mouse pattern"));
                    }
                    let header_end = head.offset + head.text.len();
                    return Ok(Pattern::Mouse(MousePattern::read(
                        &fields, rows, header_end,
                    )?));
                }
                _ => return Err(diagram::unknown_type(&fields)),
            };
            let header = DiagramHeader::read(&fields, diagram_type)?;
            Ok(Pattern::Diagram(DiagramPattern::read(
                header, rows, trailer,
            )?))
        }
        found => Err(ParseError::new(
            Location::Input,
            base,
            ErrorKind::FieldCount {
                expected: FIELD_COUNTS,
                found,
            },
        )),
    }
}

#[cfg(test)]
mod tests;
