//! Splitting pattern text into located pieces and reading numbers written the way the
//! recorder writes them.
//!
//! The parser accepts a number only in the exact spelling JavaScript's `String(number)` gives
//! it (`1` not `01` or `1.0`, `0` not `-0`, `1e+21` not `1e21`), so that printing a parsed
//! pattern gives back the input byte for byte.

use super::error::{snippet, ErrorKind, Location, ParseError};
use crate::js;

/// A piece of the input and its byte offset in the whole input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Piece<'a> {
    pub text: &'a str,
    pub offset: usize,
}

impl<'a> Piece<'a> {
    pub(crate) fn new(text: &'a str, offset: usize) -> Self {
        Piece { text, offset }
    }

    /// The pieces between the separators `sep` (an empty text gives one empty piece).
    pub(crate) fn split(self, sep: char) -> impl Iterator<Item = Piece<'a>> {
        let mut offset = self.offset;
        self.text.split(sep).map(move |text| {
            let piece = Piece { text, offset };
            offset += text.len() + sep.len_utf8();
            piece
        })
    }

    /// Splits at the first `sep`: the part before it, and the part after it if there is one.
    pub(crate) fn split_once(self, sep: char) -> (Piece<'a>, Option<Piece<'a>>) {
        match self.text.find(sep) {
            Some(at) => (
                Piece::new(&self.text[..at], self.offset),
                Some(Piece::new(
                    &self.text[at + sep.len_utf8()..],
                    self.offset + at + sep.len_utf8(),
                )),
            ),
            None => (self, None),
        }
    }
}

/// Comma-separated fields of one header or row, each read with its location attached to
/// any error.
pub(crate) struct Fields<'a> {
    pieces: Vec<Piece<'a>>,
    scope: Scope,
}

/// Where a field list sits, to build the [`Location`] of an error.
#[derive(Clone, Copy)]
pub(crate) enum Scope {
    /// A type-0 pattern or a header: field indices are pattern fields.
    Header,
    /// A `|`-separated row.
    Row(usize),
}

impl<'a> Fields<'a> {
    pub(crate) fn new(piece: Piece<'a>, scope: Scope) -> Self {
        Fields {
            pieces: piece.split(',').collect(),
            scope,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.pieces.len()
    }

    pub(crate) fn location(&self, index: usize) -> Location {
        match self.scope {
            Scope::Header => Location::Field(index),
            Scope::Row(row) => Location::Row {
                row,
                field: Some(index),
            },
        }
    }

    pub(crate) fn offset(&self, index: usize) -> usize {
        self.pieces[index].offset
    }

    pub(crate) fn text(&self, index: usize) -> &'a str {
        self.pieces[index].text
    }

    pub(crate) fn error(&self, index: usize, kind: ErrorKind) -> ParseError {
        ParseError::new(self.location(index), self.pieces[index].offset, kind)
    }

    fn read<T>(
        &self,
        index: usize,
        read: fn(&str) -> Result<T, ErrorKind>,
    ) -> Result<T, ParseError> {
        read(self.pieces[index].text).map_err(|kind| self.error(index, kind))
    }

    /// A JS number that is not NaN (`Infinity` is allowed).
    pub(crate) fn number(&self, index: usize) -> Result<f64, ParseError> {
        self.read(index, number)
    }

    /// Any JS number, NaN included.
    pub(crate) fn any_number(&self, index: usize) -> Result<f64, ParseError> {
        self.read(index, any_number)
    }

    pub(crate) fn integer(&self, index: usize) -> Result<i64, ParseError> {
        self.read(index, integer)
    }

    pub(crate) fn count(&self, index: usize) -> Result<u32, ParseError> {
        self.read(index, count)
    }

    /// `0` or `1`.
    pub(crate) fn flag(&self, index: usize) -> Result<bool, ParseError> {
        self.read(index, flag)
    }

    /// The field must be exactly `literal`; `expected` describes it in the error.
    pub(crate) fn literal(
        &self,
        index: usize,
        literal: &str,
        expected: &'static str,
    ) -> Result<(), ParseError> {
        let text = self.text(index);
        if text == literal {
            Ok(())
        } else {
            Err(self.error(
                index,
                ErrorKind::Unexpected {
                    expected,
                    found: snippet(text),
                },
            ))
        }
    }
}

/// `Some` when `text` is a plain decimal integer `-?[0-9]+`: its value, or why it is not in
/// the recorder's spelling (leading zeros, `-0`) or does not fit an `i64`.
fn plain_integer(text: &str) -> Option<Result<i64, ErrorKind>> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let negative = digits.len() != text.len();
    if (digits.len() > 1 && digits.starts_with('0')) || (negative && digits == "0") {
        return Some(Err(not_canonical(text)));
    }
    // Accumulate towards the sign so that i64::MIN parses too.
    let mut value: i64 = 0;
    for b in digits.bytes() {
        let digit = i64::from(b - b'0');
        let next = value.checked_mul(10).and_then(|v| {
            if negative {
                v.checked_sub(digit)
            } else {
                v.checked_add(digit)
            }
        });
        match next {
            Some(v) => value = v,
            None => return Some(Err(ErrorKind::OutOfRange(snippet(text)))),
        }
    }
    Some(Ok(value))
}

fn not_canonical(text: &str) -> ErrorKind {
    match text.parse::<f64>() {
        Ok(value) => ErrorKind::NotCanonical {
            found: snippet(text),
            canonical: js::number_to_string(value),
        },
        Err(_) => ErrorKind::NotANumber(snippet(text)),
    }
}

/// The value of `text` when it is a decimal fraction that is certainly in `String(number)`
/// spelling, without printing it back (the common case: the recorder's 4-decimal ratios):
/// `-?(0|[1-9][0-9]*)\.[0-9]*[1-9]` with at most 15 significant digits and, below 1, at most
/// five zeros after the point. Distinct decimals of at most 15 significant digits are distinct
/// doubles, so such a decimal is the shortest one that reads back as its double, and JS writes
/// numbers from 1e-6 up in plain notation. `None` leaves the decision to the full check.
fn short_plain_decimal(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = unsigned.split_once('.')?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || !all_digits(frac) || frac.ends_with('0') {
        return None;
    }
    let significant = if int == "0" {
        let leading_zeros = frac.len() - frac.trim_start_matches('0').len();
        if leading_zeros > 5 {
            return None;
        }
        frac.len() - leading_zeros
    } else if int.starts_with('0') {
        return None;
    } else {
        int.len() + frac.len()
    };
    if significant > 15 {
        return None;
    }
    text.parse().ok()
}

/// Any JS number in `String(number)` spelling, NaN included.
pub(crate) fn any_number(text: &str) -> Result<f64, ErrorKind> {
    // Up to 15 digits every integer is an exact double, printed with the same digits.
    if text.len() <= 15 {
        if let Some(result) = plain_integer(text) {
            return result.map(|v| v as f64);
        }
    }
    if let Some(value) = short_plain_decimal(text) {
        return Ok(value);
    }
    match text {
        "NaN" => return Ok(f64::NAN),
        "Infinity" => return Ok(f64::INFINITY),
        "-Infinity" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    // Rust also reads `inf`, `nan` and the like, which JS never writes: only let digits, the
    // decimal point, exponents and signs through.
    let numeric_chars = |b: u8| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-');
    let value = match text.parse::<f64>() {
        Ok(value) if !text.is_empty() && text.bytes().all(numeric_chars) => value,
        _ => return Err(ErrorKind::NotANumber(snippet(text))),
    };
    let canonical = js::number_to_string(value);
    if canonical == text {
        Ok(value)
    } else {
        Err(ErrorKind::NotCanonical {
            found: snippet(text),
            canonical,
        })
    }
}

/// A JS number other than NaN.
pub(crate) fn number(text: &str) -> Result<f64, ErrorKind> {
    match any_number(text)? {
        v if v.is_nan() => Err(ErrorKind::NaNNotAllowed),
        v => Ok(v),
    }
}

/// An integer in plain decimal notation that fits an `i64`.
pub(crate) fn integer(text: &str) -> Result<i64, ErrorKind> {
    if let Some(result) = plain_integer(text) {
        return result;
    }
    // Not plain digits: say whether it is a non-integer, NaN, or an integer JS would write in
    // exponent notation (beyond 1e21, far outside what the recorder produces).
    let value = any_number(text)?;
    Err(if value.is_nan() {
        ErrorKind::NaNNotAllowed
    } else if value.fract() == 0.0 {
        ErrorKind::OutOfRange(snippet(text))
    } else {
        ErrorKind::NotAnInteger(snippet(text))
    })
}

/// A non-negative integer that fits a `u32`.
pub(crate) fn count(text: &str) -> Result<u32, ErrorKind> {
    let value = integer(text)?;
    u32::try_from(value).map_err(|_| ErrorKind::Unexpected {
        expected: "a count (an integer from 0 to 4294967295)",
        found: snippet(text),
    })
}

/// `0` or `1`.
pub(crate) fn flag(text: &str) -> Result<bool, ErrorKind> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(ErrorKind::Unexpected {
            expected: "0 or 1",
            found: snippet(text),
        }),
    }
}

/// Appends an integer in decimal.
pub(crate) fn push_int(out: &mut String, value: impl Into<i64>) {
    use std::fmt::Write;
    let _ = write!(out, "{}", value.into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_recorder_spelling_are_read() {
        assert_eq!(any_number("0"), Ok(0.0));
        assert_eq!(any_number("-17"), Ok(-17.0));
        assert_eq!(any_number("0.3679"), Ok(0.3679));
        assert_eq!(any_number("3.2"), Ok(3.2));
        assert_eq!(any_number("Infinity"), Ok(f64::INFINITY));
        assert_eq!(any_number("-Infinity"), Ok(f64::NEG_INFINITY));
        assert!(any_number("NaN").unwrap().is_nan());
        assert_eq!(any_number("1e+21"), Ok(1e21));
        assert_eq!(any_number("1.5e-7"), Ok(1.5e-7));
    }

    #[test]
    fn other_spellings_are_rejected_with_the_recorder_spelling() {
        let canonical = |found: &str, canonical: &str| {
            Err(ErrorKind::NotCanonical {
                found: found.into(),
                canonical: canonical.into(),
            })
        };
        assert_eq!(any_number("01"), canonical("01", "1"));
        assert_eq!(any_number("-0"), canonical("-0", "0"));
        assert_eq!(any_number("1.0"), canonical("1.0", "1"));
        assert_eq!(any_number("+1"), canonical("+1", "1"));
        assert_eq!(any_number(".5"), canonical(".5", "0.5"));
        assert_eq!(any_number("1e21"), canonical("1e21", "1e+21"));
        assert_eq!(any_number("1E+21"), canonical("1E+21", "1e+21"));
        assert_eq!(any_number("0.30000"), canonical("0.30000", "0.3"));
        // Beyond 2^53 the double nearest to the digits prints differently.
        assert_eq!(
            any_number("9007199254740993"),
            canonical("9007199254740993", "9007199254740992")
        );
    }

    #[test]
    fn decimal_fast_path_agrees_with_js_printing() {
        // Every decimal the fast path accepts is exactly what `String(number)` prints, and it
        // declines the rest (left to the full check).
        let cases = [
            "0.3679",
            "-0.3679",
            "1.7181",
            "0.000001",
            "0.0000001",
            "0.10",
            "00.5",
            "0.5",
            "123456789012.345",
            "1234567890123.456",
            "0.123456789012345",
            "0.1234567890123456",
            "9.99999999999999",
            "100.03125",
            "1.",
            ".5",
            "-.5",
            "1.5e3",
            "5e-324",
            "0.00001",
        ];
        for text in cases {
            if let Some(value) = short_plain_decimal(text) {
                assert_eq!(js::number_to_string(value), text, "{text}");
            }
        }
        assert_eq!(short_plain_decimal("0.3679"), Some(0.3679));
        assert_eq!(short_plain_decimal("0.000001"), Some(1e-6));
        assert_eq!(short_plain_decimal("0.0000001"), None); // JS writes 1e-7
        assert_eq!(short_plain_decimal("0.10"), None);
        assert_eq!(short_plain_decimal("0.1234567890123456"), None);
    }

    proptest::proptest! {
        #[test]
        fn decimal_fast_path_never_accepts_a_non_js_spelling(
            text in "-?(0|[1-9][0-9]{0,12})\\.[0-9]{1,16}"
        ) {
            if let Some(value) = short_plain_decimal(&text) {
                proptest::prop_assert_eq!(js::number_to_string(value), text);
            }
        }

        #[test]
        fn js_spellings_read_back_as_their_double(value in proptest::num::f64::ANY) {
            let text = js::number_to_string(value);
            let read = any_number(&text).unwrap();
            proptest::prop_assert!(read == value || (read.is_nan() && value.is_nan()));
        }
    }

    #[test]
    fn non_numbers_are_rejected() {
        for text in [
            "", "1x", "inf", "nan", "infinity", " 1", "1 ", "--1", "0x10", "1,2", "null",
        ] {
            assert_eq!(
                any_number(text),
                Err(ErrorKind::NotANumber(text.into())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn integers_reject_fractions_nan_and_overflow() {
        assert_eq!(integer("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(integer("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(
            integer("9223372036854775808"),
            Err(ErrorKind::OutOfRange("9223372036854775808".into()))
        );
        assert_eq!(integer("1.5"), Err(ErrorKind::NotAnInteger("1.5".into())));
        assert_eq!(integer("1e+21"), Err(ErrorKind::OutOfRange("1e+21".into())));
        assert_eq!(integer("NaN"), Err(ErrorKind::NaNNotAllowed));
        assert_eq!(
            integer("007"),
            Err(ErrorKind::NotCanonical {
                found: "007".into(),
                canonical: "7".into()
            })
        );
        assert_eq!(
            count("-1"),
            Err(ErrorKind::Unexpected {
                expected: "a count (an integer from 0 to 4294967295)",
                found: "-1".into()
            })
        );
    }

    #[test]
    fn pieces_carry_their_offsets() {
        let pieces: Vec<_> = Piece::new("a,bc,,d", 10)
            .split(',')
            .map(|p| (p.text, p.offset))
            .collect();
        assert_eq!(pieces, [("a", 10), ("bc", 12), ("", 15), ("d", 16)]);
        let (head, tail) = Piece::new("ab#cd", 3).split_once('#');
        assert_eq!((head.text, head.offset), ("ab", 3));
        let tail = tail.unwrap();
        assert_eq!((tail.text, tail.offset), ("cd", 6));
    }
}
