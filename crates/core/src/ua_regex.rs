//! A small backtracking matcher for the reference recorder's user-agent expressions.
//!
//! The reference recorder decides "mobile" and "tablet" with JavaScript regular expressions, one
//! of which uses negative look-aheads that the `regex` crate cannot express (and pulling a full
//! engine into the wasm build would cost far more than this one module). This module accepts
//! exactly the syntax those expressions use, written as JavaScript literals (`/body/flags`):
//!
//! * ASCII literals, `.`, escaped punctuation (`\/`, `\-`, `\.`, ...), `\d`;
//! * character classes with ranges (`[a-w]`, `[1-6]`, `[\d.]`);
//! * groups with alternation `(a|b)`, the negative look-ahead `(?!...)`;
//! * the greedy quantifiers `?`, `*`, `+` on a single character, and `?` on a group;
//! * the flag `i`.
//!
//! Anything else (anchors, negated classes, counted or lazy quantifiers, other escapes, non-ASCII
//! pattern text) is rejected with a [`PatternError`] rather than misread.
//!
//! Matching follows ECMAScript `RegExp.prototype.test` in non-Unicode mode: a search for a match
//! starting anywhere; `.` matches any character but a line terminator; with `i`, characters are
//! compared after JavaScript's canonicalisation, which for an all-ASCII pattern is plain ASCII
//! case folding (a non-ASCII character never folds onto an ASCII one). The input is walked by
//! `char` rather than by UTF-16 unit: since every literal and class in a pattern is ASCII, no
//! match can start or end inside a surrogate pair, so both walks find a match in the same inputs.
//!
//! Repetition of a single character is a loop, not a recursion, so the stack depth depends on the
//! pattern only, never on the length of the input.

use std::borrow::Cow;
use std::sync::OnceLock;

use thiserror::Error;

use crate::device::UserAgentExpression;

/// Why a pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum PatternError {
    #[error("not a JavaScript regular-expression literal (expected /body/flags)")]
    NotALiteral,
    #[error("unsupported flag {0:?}: only \"i\" is supported")]
    UnsupportedFlag(char),
    #[error("non-ASCII character at byte {0} of the body: case folding here is ASCII-only")]
    NonAscii(usize),
    #[error("unsupported syntax {found:?} at byte {offset} of the body")]
    Unsupported { offset: usize, found: char },
    #[error("quantifier with nothing to repeat at byte {0} of the body")]
    NothingToRepeat(usize),
    #[error("unmatched ')' at byte {0} of the body")]
    UnmatchedParen(usize),
    #[error("group or class not closed before the end of the body")]
    Unclosed,
    #[error("character range out of order at byte {0} of the body")]
    RangeOutOfOrder(usize),
}

/// What one character position accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CharSet {
    /// One ASCII character.
    Literal(u8),
    /// `.`: any character except a line terminator.
    AnyButLineTerminator,
    /// `[...]` or `\d`: a union of inclusive ASCII ranges.
    Ranges(Vec<(u8, u8)>),
}

/// A node of a sequence; a pattern is a list of alternatives, each a sequence of nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// Exactly one character.
    Char(CharSet),
    /// One character, repeated greedily between `min` and `max` times.
    Repeat {
        set: CharSet,
        min: usize,
        max: usize,
    },
    /// `(a|b)`.
    Group(Vec<Sequence>),
    /// `(a|b)?`: the group if it matches, else nothing (greedy).
    OptionalGroup(Vec<Sequence>),
    /// `(?!a|b)`: succeeds without consuming when no alternative matches here.
    NegativeLookahead(Vec<Sequence>),
}

/// One alternative: its nodes, and which characters a match of it can start with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sequence {
    nodes: Vec<Node>,
    first: FirstSet,
}

impl Sequence {
    fn new(nodes: Vec<Node>, case_insensitive: bool) -> Sequence {
        let mut first = FirstSet::default();
        for node in &nodes {
            let node_first = node.first(case_insensitive);
            first.ascii |= node_first.ascii;
            first.non_ascii |= node_first.non_ascii;
            if !node_first.can_be_empty {
                return Sequence { nodes, first };
            }
        }
        first.can_be_empty = true;
        Sequence { nodes, first }
    }
}

/// A conservative filter on where a match can start, so that the search skips most positions
/// and alternatives after one byte test instead of a descent into the expression.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct FirstSet {
    /// Bit `b` set: a match can start with the ASCII character `b`.
    ascii: u128,
    /// A match can start with a non-ASCII character.
    non_ascii: bool,
    /// A match can be empty (then anything, even the end of the input, may follow).
    can_be_empty: bool,
}

impl FirstSet {
    fn union<'s>(sequences: impl IntoIterator<Item = &'s Sequence>) -> FirstSet {
        sequences
            .into_iter()
            .fold(FirstSet::default(), |acc, sequence| FirstSet {
                ascii: acc.ascii | sequence.first.ascii,
                non_ascii: acc.non_ascii || sequence.first.non_ascii,
                can_be_empty: acc.can_be_empty || sequence.first.can_be_empty,
            })
    }

    fn of_char(set: &CharSet, case_insensitive: bool) -> FirstSet {
        let mut first = FirstSet::default();
        for b in 0..128u8 {
            if Matcher::accepts_char(set, char::from(b), case_insensitive) {
                first.ascii |= 1 << b;
            }
        }
        first.non_ascii = *set == CharSet::AnyButLineTerminator;
        first
    }

    fn may_start_at(&self, input: &str, pos: usize) -> bool {
        if self.can_be_empty {
            return true;
        }
        match input.as_bytes().get(pos) {
            None => false,
            Some(&b) if b.is_ascii() => self.ascii >> b & 1 == 1,
            Some(_) => self.non_ascii,
        }
    }
}

impl Node {
    fn first(&self, case_insensitive: bool) -> FirstSet {
        match self {
            Node::Char(set) => FirstSet::of_char(set, case_insensitive),
            Node::Repeat { set, min, .. } => FirstSet {
                can_be_empty: *min == 0,
                ..FirstSet::of_char(set, case_insensitive)
            },
            Node::Group(alternatives) => FirstSet::union(alternatives),
            Node::OptionalGroup(alternatives) => FirstSet {
                can_be_empty: true,
                ..FirstSet::union(alternatives)
            },
            // Consumes nothing: what follows decides.
            Node::NegativeLookahead(_) => FirstSet {
                can_be_empty: true,
                ..FirstSet::default()
            },
        }
    }
}

/// The reference's test of `expression` against a user agent (see [`UserAgentExpression`]),
/// each expression compiled once per process, on first use.
pub(crate) fn test(expression: UserAgentExpression, user_agent: &str) -> bool {
    static COMPILED: [OnceLock<Regex>; UserAgentExpression::ALL.len()] =
        [const { OnceLock::new() }; UserAgentExpression::ALL.len()];
    COMPILED[expression as usize]
        .get_or_init(|| {
            // The literals are constants covered by the tests, so failing here is a build
            // defect.
            Regex::new(expression.literal())
                .unwrap_or_else(|error| panic!("{expression:?} does not compile: {error}"))
        })
        .is_match(&match expression {
            UserAgentExpression::MobilePrefix => first_four_utf16_units(user_agent),
            _ => Cow::Borrowed(user_agent),
        })
}

/// `ua.substr(0, 4)`: the first four UTF-16 code units. When that cuts a surrogate pair in half,
/// the lone high surrogate left at the end is written as U+FFFD: like the lone surrogate, it is
/// a non-ASCII character that only `.` could match.
fn first_four_utf16_units(text: &str) -> Cow<'_, str> {
    let mut units = 0;
    for (index, c) in text.char_indices() {
        let width = c.len_utf16();
        if units + width > 4 {
            if units < 4 {
                let mut cut = text[..index].to_owned();
                cut.push('\u{FFFD}');
                return Cow::Owned(cut);
            }
            return Cow::Borrowed(&text[..index]);
        }
        units += width;
    }
    Cow::Borrowed(text)
}

/// A compiled expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Regex {
    alternatives: Vec<Sequence>,
    first: FirstSet,
    case_insensitive: bool,
}

impl Regex {
    /// Compiles a JavaScript regular-expression literal such as `/ip(hone|od)/i`.
    pub(crate) fn new(literal: &str) -> Result<Regex, PatternError> {
        let body_and_flags = literal.strip_prefix('/').ok_or(PatternError::NotALiteral)?;
        let close = body_and_flags.rfind('/').ok_or(PatternError::NotALiteral)?;
        let (body, flags) = (&body_and_flags[..close], &body_and_flags[close + 1..]);
        let mut case_insensitive = false;
        for flag in flags.chars() {
            match flag {
                'i' if !case_insensitive => case_insensitive = true,
                other => return Err(PatternError::UnsupportedFlag(other)),
            }
        }
        if let Some(offset) = body.bytes().position(|b| !b.is_ascii()) {
            return Err(PatternError::NonAscii(offset));
        }
        let mut parser = Parser {
            body: body.as_bytes(),
            pos: 0,
            case_insensitive,
        };
        let alternatives = parser.alternatives()?;
        if parser.pos < body.len() {
            // `alternatives` only stops early at a ')' it did not open.
            return Err(PatternError::UnmatchedParen(parser.pos));
        }
        Ok(Regex {
            first: FirstSet::union(&alternatives),
            alternatives,
            case_insensitive,
        })
    }

    /// `RegExp.prototype.test`: is there a match starting anywhere in `haystack`?
    pub(crate) fn is_match(&self, haystack: &str) -> bool {
        let matcher = Matcher {
            input: haystack,
            case_insensitive: self.case_insensitive,
        };
        let starts = haystack
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(haystack.len()));
        let accept: &dyn Fn(usize) -> bool = &|_| true;
        for start in starts {
            if self.first.may_start_at(haystack, start)
                && matcher.alternatives(&self.alternatives, start, accept)
            {
                return true;
            }
        }
        false
    }
}

/// Recursive-descent parser over the ASCII body of a literal.
struct Parser<'p> {
    body: &'p [u8],
    pos: usize,
    case_insensitive: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.body.get(self.pos).copied()
    }

    fn unsupported(&self, offset: usize) -> PatternError {
        PatternError::Unsupported {
            offset,
            found: char::from(self.body[offset]),
        }
    }

    /// `seq ('|' seq)*`, stopping before a ')' or at the end.
    fn alternatives(&mut self) -> Result<Vec<Sequence>, PatternError> {
        let mut alternatives = vec![self.sequence()?];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            alternatives.push(self.sequence()?);
        }
        Ok(alternatives)
    }

    fn sequence(&mut self) -> Result<Sequence, PatternError> {
        let mut nodes = Vec::new();
        while let Some(b) = self.peek() {
            if b == b'|' || b == b')' {
                break;
            }
            let node = self.atom()?;
            nodes.push(self.quantified(node)?);
        }
        Ok(Sequence::new(nodes, self.case_insensitive))
    }

    /// Applies a following `?`, `*` or `+` to `atom`.
    fn quantified(&mut self, atom: Atom) -> Result<Node, PatternError> {
        let (min, max) = match self.peek() {
            Some(b'?') => (0, 1),
            Some(b'*') => (0, usize::MAX),
            Some(b'+') => (1, usize::MAX),
            _ => {
                return Ok(match atom {
                    Atom::Char(set) => Node::Char(set),
                    Atom::Group(alternatives) => Node::Group(alternatives),
                    Atom::NegativeLookahead(alternatives) => Node::NegativeLookahead(alternatives),
                })
            }
        };
        let at = self.pos;
        self.pos += 1;
        match atom {
            Atom::Char(set) => Ok(Node::Repeat { set, min, max }),
            Atom::Group(alternatives) if max == 1 => Ok(Node::OptionalGroup(alternatives)),
            // Repeating a group or a look-ahead is not needed by the expressions: refuse it
            // rather than add a recursion whose depth would grow with the input.
            Atom::Group(_) | Atom::NegativeLookahead(_) => Err(self.unsupported(at)),
        }
    }

    fn atom(&mut self) -> Result<Atom, PatternError> {
        let at = self.pos;
        let b = self.body[at];
        self.pos += 1;
        match b {
            b'(' => {
                let lookahead = if self.body[self.pos..].starts_with(b"?!") {
                    self.pos += 2;
                    true
                } else {
                    false
                };
                if self.peek() == Some(b'?') {
                    // `(?:`, `(?=`, `(?<`...
                    return Err(self.unsupported(self.pos));
                }
                let alternatives = self.alternatives()?;
                if self.peek() != Some(b')') {
                    return Err(PatternError::Unclosed);
                }
                self.pos += 1;
                Ok(if lookahead {
                    Atom::NegativeLookahead(alternatives)
                } else {
                    Atom::Group(alternatives)
                })
            }
            b'[' => self.class().map(Atom::Char),
            b'.' => Ok(Atom::Char(CharSet::AnyButLineTerminator)),
            b'\\' => self.escape().map(Atom::Char),
            b'?' | b'*' | b'+' => Err(PatternError::NothingToRepeat(at)),
            b')' => Err(PatternError::UnmatchedParen(at)),
            // Anchors, counted quantifiers, stray brackets and an unescaped delimiter.
            b'^' | b'$' | b'{' | b'}' | b']' | b'/' => Err(self.unsupported(at)),
            literal => Ok(Atom::Char(CharSet::Literal(literal))),
        }
    }

    /// After a `\` outside a class: `\d` or an escaped punctuation character.
    fn escape(&mut self) -> Result<CharSet, PatternError> {
        let at = self.pos;
        let b = self.peek().ok_or(PatternError::Unclosed)?;
        self.pos += 1;
        match b {
            b'd' => Ok(CharSet::Ranges(vec![(b'0', b'9')])),
            b if b.is_ascii_punctuation() => Ok(CharSet::Literal(b)),
            // `\w`, `\b`, `\n`, `\1`... mean something else in JavaScript.
            _ => Err(self.unsupported(at)),
        }
    }

    /// After a `[`: members up to the closing `]`.
    fn class(&mut self) -> Result<CharSet, PatternError> {
        if self.peek() == Some(b'^') {
            return Err(self.unsupported(self.pos));
        }
        let mut ranges = Vec::new();
        loop {
            let at = self.pos;
            let low = match self.class_member()? {
                ClassMember::End => return Ok(CharSet::Ranges(ranges)),
                ClassMember::Digits => {
                    ranges.push((b'0', b'9'));
                    continue;
                }
                ClassMember::Char(low) => low,
            };
            let is_range = self.peek() == Some(b'-') && self.body.get(self.pos + 1) != Some(&b']');
            if !is_range {
                ranges.push((low, low));
                continue;
            }
            self.pos += 1;
            match self.class_member()? {
                ClassMember::Char(high) if high >= low => ranges.push((low, high)),
                ClassMember::Char(_) => return Err(PatternError::RangeOutOfOrder(at)),
                // `[a-\d]`: JavaScript's legacy reading is too odd to be worth copying.
                ClassMember::Digits | ClassMember::End => return Err(self.unsupported(at)),
            }
        }
    }

    fn class_member(&mut self) -> Result<ClassMember, PatternError> {
        let at = self.pos;
        let b = self.peek().ok_or(PatternError::Unclosed)?;
        self.pos += 1;
        match b {
            b']' => Ok(ClassMember::End),
            b'\\' => match self.escape()? {
                CharSet::Literal(b) => Ok(ClassMember::Char(b)),
                _ => Ok(ClassMember::Digits),
            },
            b'[' => Err(self.unsupported(at)),
            b => Ok(ClassMember::Char(b)),
        }
    }
}

/// What the parser reads before looking for a quantifier.
enum Atom {
    Char(CharSet),
    Group(Vec<Sequence>),
    NegativeLookahead(Vec<Sequence>),
}

enum ClassMember {
    Char(u8),
    Digits,
    End,
}

/// What comes after a node has matched: called with the position reached, says whether the rest
/// of the expression matches from there.
type Continuation<'k> = &'k dyn Fn(usize) -> bool;

/// Matching state for one input (continuation-passing backtracking).
struct Matcher<'a> {
    input: &'a str,
    case_insensitive: bool,
}

impl Matcher<'_> {
    fn alternatives(&self, alternatives: &[Sequence], pos: usize, next: Continuation) -> bool {
        alternatives.iter().any(|sequence| {
            sequence.first.may_start_at(self.input, pos)
                && self.sequence(&sequence.nodes, pos, next)
        })
    }

    fn sequence(&self, nodes: &[Node], pos: usize, next: Continuation) -> bool {
        let Some((node, rest)) = nodes.split_first() else {
            return next(pos);
        };
        let then = |reached: usize| self.sequence(rest, reached, next);
        match node {
            Node::Char(set) => self.step(set, pos).is_some_and(then),
            Node::Repeat { set, min, max } => self.repeat(set, *min, *max, pos, &then),
            Node::Group(alternatives) => self.alternatives(alternatives, pos, &then),
            Node::OptionalGroup(alternatives) => {
                self.alternatives(alternatives, pos, &then) || then(pos)
            }
            Node::NegativeLookahead(alternatives) => {
                !self.alternatives(alternatives, pos, &|_| true) && then(pos)
            }
        }
    }

    /// Greedy repetition: take as many characters as allowed, then give them back one at a time
    /// until the continuation matches.
    fn repeat(
        &self,
        set: &CharSet,
        min: usize,
        max: usize,
        start: usize,
        next: Continuation,
    ) -> bool {
        let mut pos = start;
        let mut count = 0;
        while count < max {
            match self.step(set, pos) {
                Some(after) => {
                    pos = after;
                    count += 1;
                }
                None => break,
            }
        }
        loop {
            if count >= min && next(pos) {
                return true;
            }
            if count <= min {
                return false;
            }
            let Some(last) = self.input[..pos].chars().next_back() else {
                return false;
            };
            pos -= last.len_utf8();
            count -= 1;
        }
    }

    /// The position after the character at `pos` if `set` accepts it.
    fn step(&self, set: &CharSet, pos: usize) -> Option<usize> {
        let c = match *self.input.as_bytes().get(pos)? {
            b if b.is_ascii() => char::from(b),
            _ => self.input[pos..].chars().next()?,
        };
        Matcher::accepts_char(set, c, self.case_insensitive).then(|| pos + c.len_utf8())
    }

    fn accepts_char(set: &CharSet, c: char, case_insensitive: bool) -> bool {
        match set {
            CharSet::AnyButLineTerminator => !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'),
            // Pattern characters are ASCII, so a non-ASCII input character never matches them.
            CharSet::Literal(literal) => {
                let literal = char::from(*literal);
                c == literal || (case_insensitive && c.eq_ignore_ascii_case(&literal))
            }
            CharSet::Ranges(ranges) => {
                if !c.is_ascii() {
                    return false;
                }
                let b = c as u8;
                let folded = [b, b.to_ascii_lowercase(), b.to_ascii_uppercase()];
                let candidates = if case_insensitive {
                    &folded[..]
                } else {
                    &folded[..1]
                };
                ranges
                    .iter()
                    .any(|&(low, high)| candidates.iter().any(|x| (low..=high).contains(x)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn re(literal: &str) -> Regex {
        Regex::new(literal).unwrap_or_else(|e| panic!("{literal} should compile: {e}"))
    }

    #[test]
    fn prefix_is_four_utf16_units() {
        assert_eq!(first_four_utf16_units("Nokia6230"), "Noki");
        assert_eq!(first_four_utf16_units("abc"), "abc");
        assert_eq!(first_four_utf16_units("\u{e9}t\u{e9}s"), "\u{e9}t\u{e9}s");
        // A pair counts as two units; one cut in half leaves a non-matching stand-in.
        assert_eq!(first_four_utf16_units("a\u{1F600}bc"), "a\u{1F600}b");
        assert_eq!(first_four_utf16_units("abc\u{1F600}"), "abc\u{FFFD}");
    }

    #[test]
    fn literals_match_anywhere_and_only_in_full() {
        let r = re("/lge /i");
        assert!(r.is_match("LGE "));
        assert!(r.is_match("Mozilla LGE VX9100"));
        assert!(!r.is_match("lge"));
        assert!(!r.is_match("lg e "));
        assert!(!r.is_match(""));
    }

    #[test]
    fn case_folding_follows_the_flag() {
        assert!(re("/IEMobile/i").is_match("iemobile"));
        assert!(!re("/IEMobile/").is_match("iemobile"));
        assert!(re("/IEMobile/").is_match("x IEMobile/11"));
        // Classes fold too, and only with the flag.
        assert!(re("/lg\\-[a-w]/i").is_match("LG-K"));
        assert!(!re("/lg\\-[a-w]/").is_match("lg-K"));
        // No Unicode folding onto ASCII: the Kelvin sign and long s are not 'k' and 's'
        // for a non-Unicode JavaScript expression.
        assert!(!re("/kddi/i").is_match("\u{212A}ddi"));
        assert!(!re("/silk/i").is_match("\u{017F}ilk"));
        assert!(!re("/[r-t]ilk/i").is_match("\u{017F}ilk"));
    }

    #[test]
    fn escapes_and_classes() {
        let r = re("/bada\\/|p(ixi|re)\\/|up\\.(browser|link)|bb\\d+/i");
        assert!(r.is_match("Bada/2.0"));
        assert!(r.is_match("Pre/1.0"));
        assert!(r.is_match("UP.Browser/6"));
        assert!(!r.is_match("upxbrowser"));
        assert!(r.is_match("(BB10; Touch)"));
        assert!(!r.is_match("BBX"));
        let range = re("/50[1-6]i|n20[2-3]/i");
        assert!(range.is_match("501i"));
        assert!(range.is_match("506I"));
        assert!(!range.is_match("507i"));
        assert!(!range.is_match("500i"));
        assert!(range.is_match("N203"));
        assert!(!range.is_match("N204"));
        let digits_and_dots = re("/Chrome\\/[\\d\\.]+/");
        assert!(digits_and_dots.is_match("Chrome/120.0"));
        assert!(!digits_and_dots.is_match("Chrome/x"));
        let dash_at_the_end = re("/fly[_-]/");
        assert!(dash_at_the_end.is_match("fly-"));
        assert!(dash_at_the_end.is_match("fly_"));
        assert!(!dash_at_the_end.is_match("flyx"));
    }

    #[test]
    fn alternation_and_optional_groups() {
        let r = re("/palm( os)?|series(4|6)0|ip(hone|od)/i");
        assert!(r.is_match("PalmOS"));
        assert!(r.is_match("palm os"));
        assert!(r.is_match("Series60"));
        assert!(!r.is_match("Series50"));
        assert!(r.is_match("iPod touch"));
        assert!(!r.is_match("iPad"));
        // An optional group that fails must fall back to skipping it.
        let fallback = re("/a(bc)?bd/");
        assert!(fallback.is_match("abd"));
        assert!(fallback.is_match("abcbd"));
        assert!(!fallback.is_match("abcd"));
        // Skippable atoms at the start of an alternative: the first character comes later.
        assert!(re("/(x)?y/").is_match("y"));
        assert!(re("/(?!ab)a/").is_match("ab ac"));
        assert!(!re("/(?!ab)a/").is_match("ab"));
        assert!(re("/z*y/").is_match("y"));
        // Empty alternatives and empty patterns match everywhere, as in JavaScript.
        assert!(re("/x|/").is_match("abc"));
        assert!(re("//").is_match(""));
    }

    #[test]
    fn greedy_repetition_backtracks() {
        let r = re("/(android|bb\\d+|meego).+mobile/i");
        assert!(r.is_match("Linux; Android 13; Pixel 7) Chrome Mobile Safari"));
        // `.+` needs at least one character between the two words.
        assert!(!r.is_match("androidmobile"));
        assert!(r.is_match("android mobile"));
        // The last "mobile" is not the only candidate: backtracking must find the first one too.
        assert!(re("/a.+mobile x/i").is_match("a mobile x mobile"));
        // `\d+` must give back digits for a later digit to match.
        assert!(re("/bb\\d+0/").is_match("bb100"));
        assert!(!re("/bb\\d+0/").is_match("bb0"));
        assert!(re("/ab*c/").is_match("ac"));
        assert!(re("/ab?bc/").is_match("abc"));
    }

    #[test]
    fn dot_stops_at_line_terminators() {
        let r = re("/a.+b/");
        assert!(r.is_match("a\u{e9}\u{1F600}b"));
        for terminator in ["\n", "\r", "\u{2028}", "\u{2029}"] {
            assert!(!r.is_match(&format!("a{terminator}b")), "{terminator:?}");
            assert!(r.is_match(&format!("a{terminator}axb")), "{terminator:?}");
        }
    }

    #[test]
    fn negative_lookahead() {
        let r = re("/android(?!.*mobile)/i");
        assert!(r.is_match("Linux; Android 13; SM-X700) Safari"));
        assert!(!r.is_match("Linux; Android 13; Pixel 7) Mobile Safari"));
        // A later "android" with no "mobile" after it still counts.
        assert!(r.is_match("android mobile android"));
        // The look-ahead does not see past a line break, as in JavaScript.
        assert!(r.is_match("android\nmobile"));
        let then_more = re("/windows(?!.*phone)(.*touch)/i");
        assert!(then_more.is_match("Windows NT 6.2; ARM; Touch"));
        assert!(!then_more.is_match("Windows Phone 8.0; Touch"));
        assert!(!then_more.is_match("Windows NT 10.0"));
        let nested = re("/puffin(?!.*(IP|AP|WP))/i");
        assert!(nested.is_match("Puffin/4.8.0.2965AT"));
        assert!(!nested.is_match("Puffin/4.8.0.2965AP"));
        assert!(!nested.is_match("puffin/4.8 wp"));
    }

    #[test]
    fn rejects_what_it_does_not_implement() {
        use PatternError::*;
        assert_eq!(Regex::new("abc"), Err(NotALiteral));
        assert_eq!(Regex::new("/abc"), Err(NotALiteral));
        assert_eq!(Regex::new("/abc/g"), Err(UnsupportedFlag('g')));
        assert_eq!(Regex::new("/abc/ii"), Err(UnsupportedFlag('i')));
        assert_eq!(Regex::new("/\u{e9}/i"), Err(NonAscii(0)));
        let unsupported = |offset, found| Err(Unsupported { offset, found });
        assert_eq!(Regex::new("/^a/"), unsupported(0, '^'));
        assert_eq!(Regex::new("/a$/"), unsupported(1, '$'));
        assert_eq!(Regex::new("/a{2}/"), unsupported(1, '{'));
        assert_eq!(Regex::new("/[^a]/"), unsupported(1, '^'));
        assert_eq!(Regex::new("/\\w/"), unsupported(1, 'w'));
        assert_eq!(Regex::new("/(?:a)/"), unsupported(1, '?'));
        assert_eq!(Regex::new("/(?=a)/"), unsupported(1, '?'));
        assert_eq!(Regex::new("/(ab)+/"), unsupported(4, '+'));
        assert_eq!(Regex::new("/(?!a)?/"), unsupported(5, '?'));
        assert_eq!(Regex::new("/a/b/"), unsupported(1, '/'));
        assert_eq!(Regex::new("/+a/"), Err(NothingToRepeat(0)));
        assert_eq!(Regex::new("/a+?/"), Err(NothingToRepeat(2)));
        assert_eq!(Regex::new("/a|*/"), Err(NothingToRepeat(2)));
        assert_eq!(Regex::new("/(a/"), Err(Unclosed));
        assert_eq!(Regex::new("/[a/"), Err(Unclosed));
        assert_eq!(Regex::new("/a\\/"), Err(Unclosed));
        assert_eq!(Regex::new("/a)/"), Err(UnmatchedParen(1)));
        assert_eq!(Regex::new("/[z-a]/"), Err(RangeOutOfOrder(1)));
    }

    proptest! {
        #[test]
        fn literal_search_agrees_with_case_folded_contains(
            needle in "[a-zA-Z0-9 ]{1,6}",
            haystack in "[a-cA-C0-9 \u{e9}\u{1F600}]{0,40}",
        ) {
            let r = re(&format!("/{needle}/i"));
            let folded = haystack.to_ascii_lowercase();
            prop_assert_eq!(r.is_match(&haystack), folded.contains(&needle.to_ascii_lowercase()));
        }

        #[test]
        fn lookahead_agrees_with_a_direct_reading(haystack in "[abm\n]{0,24}") {
            // `a(?!.*b)`: some 'a' with no 'b' after it on the same line.
            let expected = haystack.char_indices().any(|(i, c)| {
                c == 'a' && !haystack[i + 1..].split('\n').next().unwrap_or("").contains('b')
            });
            prop_assert_eq!(re("/a(?!.*b)/").is_match(&haystack), expected);
        }

        #[test]
        fn dot_plus_agrees_with_a_direct_reading(haystack in "[abx\r]{0,24}") {
            // `a.+b`: an 'a', then at least one character, then a 'b', all on one line.
            let expected = haystack.split('\r').any(|line| {
                line.find('a').is_some_and(|i| line[i + 2.min(line.len() - i)..].contains('b'))
            });
            prop_assert_eq!(re("/a.+b/").is_match(&haystack), expected);
        }

        #[test]
        fn never_panics(pattern in ".{0,12}", haystack in ".{0,64}") {
            if let Ok(r) = Regex::new(&format!("/{pattern}/i")) {
                let _ = r.is_match(&haystack);
            }
        }
    }
}
