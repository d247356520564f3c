//! `getTypingPattern(options)` for Rust callers: typed options, and the request they resolve
//! to, which the pattern builders print. (JavaScript's loosely typed options and their quirks
//! are [`super::js_api`]'s, which resolves them to the same request.)

use super::document::Document;
use super::value::Value;
use super::Recorder;

/// Which pattern to build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PatternType {
    /// Type 0 ("any text"): statistics over the last keystrokes.
    #[default]
    AnyText,
    /// Type 1 ("same text"): a seek and a press time per character of the text.
    SameText,
    /// Type 2 ("extended"): type 1 with each row's character and key codes.
    Extended,
}

/// The options of `getTypingPattern`, typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypingPatternOptions {
    /// The pattern to build.
    pub pattern_type: PatternType,
    /// Types 1 and 2: the text typed. `None` or empty: the value of the target element (or the
    /// added targets' values joined) when there is one, else `length`'s rows (`None` only).
    pub text: Option<String>,
    /// An explicit text id; `None`: derived from the text (0 without one).
    pub text_id: Option<u32>,
    /// Type 0: how many recent keystrokes to use (`None` or 0: the default window of 160).
    /// Types 1 and 2 without a text: how many of the newest rows to print (`None`: all).
    /// A count, as JavaScript's numbers give it: a fraction counts its whole part (type 0) or
    /// one more row (types 1 and 2).
    pub length: Option<f64>,
    /// The id of the element whose keystrokes count (`None` or empty: all of them).
    pub target_id: Option<String>,
    /// Types 1 and 2: whether typed characters must match the text's case. `None`: the
    /// reference's default, case-insensitive for a given text and case-sensitive for a text
    /// read from the page (quirk Q6).
    pub case_sensitive: Option<bool>,
}

impl TypingPatternOptions {
    fn of_type(pattern_type: PatternType) -> Self {
        TypingPatternOptions {
            pattern_type,
            ..Self::default()
        }
    }

    /// `{type: 0}`.
    pub fn any_text() -> Self {
        Self::of_type(PatternType::AnyText)
    }

    /// `{type: 1, text}`.
    pub fn same_text(text: &str) -> Self {
        Self::of_type(PatternType::SameText).with_text(text)
    }

    /// `{type: 2, text}`.
    pub fn extended(text: &str) -> Self {
        Self::of_type(PatternType::Extended).with_text(text)
    }

    /// Sets `text`.
    pub fn with_text(mut self, text: &str) -> Self {
        self.text = Some(text.to_owned());
        self
    }

    /// Sets `length`.
    pub fn with_length(mut self, length: f64) -> Self {
        self.length = Some(length);
        self
    }

    /// Sets `targetId`.
    pub fn with_target(mut self, target_id: &str) -> Self {
        self.target_id = Some(target_id.to_owned());
        self
    }

    /// Sets `textId`.
    pub fn with_text_id(mut self, text_id: u32) -> Self {
        self.text_id = Some(text_id);
        self
    }

    /// Sets `caseSensitive`.
    pub fn with_case_sensitive(mut self, case_sensitive: bool) -> Self {
        self.case_sensitive = Some(case_sensitive);
        self
    }

    /// The pattern these options ask for: type 0's window and target, or the type 1 or 2
    /// request they resolve to.
    fn pattern(&self, recorder: &mut Recorder, document: &dyn Document) -> Option<String> {
        let target = match self.target_id.as_deref() {
            None | Some("") => Target::All,
            Some(id) => Target::Id(id),
        };
        let extended = match self.pattern_type {
            PatternType::AnyText => {
                let length = match self.length {
                    None | Some(0.0) => DEFAULT_HISTORY_LENGTH,
                    Some(length) => length,
                };
                return Some(recorder.any_text_pattern_from(length, &target));
            }
            PatternType::SameText => false,
            PatternType::Extended => true,
        };
        let text = match (self.text.as_deref(), self.length) {
            (Some(""), _) => RequestText::FromPage { empty: true },
            (Some(text), _) => RequestText::Text(text),
            (None, Some(length)) => RequestText::LastRows(length),
            (None, None) => RequestText::FromPage { empty: false },
        };
        let request = DiagramRequest {
            header_extended: extended,
            rows_extended: extended,
            case_sensitive: self
                .case_sensitive
                .unwrap_or(matches!(text, RequestText::FromPage { .. })),
            text,
            text_id: self.text_id.map(f64::from),
            target,
        };
        recorder.diagram_pattern(&request, document)
    }
}

/// The default type 0 window: the last 160 keystrokes.
pub(crate) const DEFAULT_HISTORY_LENGTH: f64 = 160.0;

/// Which rows a pattern reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Target<'a> {
    /// Every row (`targetId` undefined or empty).
    All,
    /// The rows typed in the element with this id, and its value.
    Id(&'a str),
    /// A `targetId` that is not a string: its rows compare strictly, so none matches, but its
    /// `String()` still finds the element.
    NotAString(&'a Value),
}

impl Target<'_> {
    /// The id rows are compared with (`None`: no row matches).
    pub(crate) fn row_id(&self) -> Option<&str> {
        match self {
            Target::Id(id) => Some(id),
            _ => None,
        }
    }
}

/// A type 1 or 2 pattern to print, with every option resolved but what only the page can tell
/// (the target element's value).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DiagramRequest<'a> {
    /// The header says extended (type 1 with `extended === true`, or type 2).
    pub header_extended: bool,
    /// The rows carry character and key codes (quirk Q12: truthiness, for type 1).
    pub rows_extended: bool,
    pub text: RequestText<'a>,
    /// The text id, when one was given; else derived from the text.
    pub text_id: Option<f64>,
    pub target: Target<'a>,
    pub case_sensitive: bool,
}

/// What a type 1 or 2 pattern aligns its rows with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum RequestText<'a> {
    /// No text (`undefined`, or `""` when `empty`): the target element's value or the added
    /// targets' values, when there are any; else every row.
    FromPage { empty: bool },
    /// A text (non-empty in a request; the empty text once a page was read without it).
    Text(&'a str),
    /// No text, a number of newest rows instead.
    LastRows(f64),
    /// Something else (`null`, a boolean, an object): every row, no text id.
    AllRows,
}

impl Recorder {
    /// `getTypingPattern(options)`: a type 0, 1 or 2 pattern, or `None` (the reference's
    /// `null`) when more than 7 % of a text's characters were not typed.
    pub fn typing_pattern(
        &mut self,
        options: &TypingPatternOptions,
        document: &dyn Document,
    ) -> Option<String> {
        options.pattern(self, document)
    }

    /// The default type 0 pattern (`get()`): the last 160 keystrokes.
    pub fn any_text_pattern(&self) -> String {
        self.any_text_pattern_from(DEFAULT_HISTORY_LENGTH, &Target::All)
    }
}
