//! `getTypingPattern(options)`: the options object and the reference's argument handling.

use super::diagram::DiagramRequest;
use super::document::Document;
use super::{Recorder, Value};

/// The options of `getTypingPattern`, as JS values (the reference compares some strictly and
/// coerces others, so the exact value matters).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypingPatternOptions {
    /// 0 (any text), 1 (same text) or 2 (extended); anything else gives type 0.
    pub pattern_type: Value,
    /// The text typed (types 1 and 2); when absent or empty it is read from the target element
    /// (or the added targets), else `length` stands in for it.
    pub text: Value,
    /// An explicit text id; otherwise the recorder derives it from the text.
    pub text_id: Value,
    /// Type 0: how many recent keystrokes to use (`undefined` or 0: the default window); types 1
    /// and 2: the row count to use when no text is given.
    pub length: Value,
    /// The id of the element whose keystrokes count (`undefined` or empty: all of them).
    pub target_id: Value,
    /// Types 1 and 2: whether typed characters must match the text's case (default: not).
    pub case_sensitive: Value,
    /// Type 1 only (deprecated in favour of type 2).
    pub extended: Value,
}

/// The argument of `getTypingPattern`, by its JS type.
// One short-lived value per call: boxing the options would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum PatternArgument {
    /// An object (`typeof x === 'object'`, not `null`): its options, read as property accesses.
    Options(TypingPatternOptions),
    /// `null`: the reference throws reading `null.type`.
    Null,
    /// Anything else (`undefined`, a primitive, a function): the default type 0 pattern.
    Other,
}

/// `getTypingPattern(null)`: the reference throws a `TypeError` reading `null.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", TypingPatternError::MESSAGE)]
pub struct TypingPatternError;

impl TypingPatternError {
    /// The error's message, as a constant (the wasm build throws it without formatting code).
    pub const MESSAGE: &'static str = "getTypingPattern: the options argument is null";
}

impl TypingPatternOptions {
    fn of_type(pattern_type: f64) -> Self {
        TypingPatternOptions {
            pattern_type: Value::Number(pattern_type),
            ..Self::default()
        }
    }

    /// `{type: 0}`.
    pub fn any_text() -> Self {
        Self::of_type(0.0)
    }

    /// `{type: 1, text}`.
    pub fn same_text(text: &str) -> Self {
        Self::of_type(1.0).with_text(text)
    }

    /// `{type: 2, text}`.
    pub fn extended(text: &str) -> Self {
        Self::of_type(2.0).with_text(text)
    }

    /// Sets `text`.
    pub fn with_text(mut self, text: &str) -> Self {
        self.text = Value::from(text);
        self
    }

    /// Sets `length`.
    pub fn with_length(mut self, length: f64) -> Self {
        self.length = Value::Number(length);
        self
    }

    /// Sets `targetId`.
    pub fn with_target(mut self, target_id: &str) -> Self {
        self.target_id = Value::from(target_id);
        self
    }

    /// Sets `textId` (any JS value: the reference coerces it).
    pub fn with_text_id(mut self, text_id: Value) -> Self {
        self.text_id = text_id;
        self
    }

    /// Sets `caseSensitive`.
    pub fn with_case_sensitive(mut self, case_sensitive: bool) -> Self {
        self.case_sensitive = Value::Bool(case_sensitive);
        self
    }

    /// Reads the options from a JS object value (missing properties are `undefined`).
    pub fn from_object(object: &Value) -> Self {
        TypingPatternOptions {
            pattern_type: object.get("type").clone(),
            text: object.get("text").clone(),
            text_id: object.get("textId").clone(),
            length: object.get("length").clone(),
            target_id: object.get("targetId").clone(),
            case_sensitive: object.get("caseSensitive").clone(),
            extended: object.get("extended").clone(),
        }
    }
}

impl Recorder {
    /// `getTypingPattern(options)`: a type 0, 1 or 2 pattern, or `None` (the reference's
    /// `null`) when more than 7 % of a text's characters were not typed.
    pub fn typing_pattern(
        &mut self,
        options: &TypingPatternOptions,
        document: &dyn Document,
    ) -> Option<String> {
        // `type` is compared strictly: the string "1" is not 1.
        let extended_true = Value::Bool(true);
        let extended = match options.pattern_type {
            Value::Number(0.0) => {
                return Some(self.any_text_pattern_from(&options.length, &options.target_id))
            }
            Value::Number(1.0) => &options.extended,
            Value::Number(2.0) => &extended_true,
            _ => return Some(self.any_text_pattern_from(&options.length, &Value::Undefined)),
        };
        let text = if options.text.is_undefined() {
            &options.length
        } else {
            &options.text
        };
        self.diagram_pattern(
            DiagramRequest {
                extended,
                text,
                text_id: &options.text_id,
                target_id: &options.target_id,
                case_sensitive: &options.case_sensitive,
            },
            document,
        )
    }

    /// `getTypingPattern(argument)` with any JS value, as the reference handles it: an object
    /// is read as options, `null` throws, anything else gives the default type 0 pattern.
    pub fn typing_pattern_from_value(
        &mut self,
        argument: &Value,
        document: &dyn Document,
    ) -> Result<Option<String>, TypingPatternError> {
        let argument = match argument {
            Value::Object(_) => {
                PatternArgument::Options(TypingPatternOptions::from_object(argument))
            }
            Value::Null => PatternArgument::Null,
            _ => PatternArgument::Other,
        };
        self.typing_pattern_from_argument(&argument, document)
    }

    /// `getTypingPattern(argument)` for an argument already sorted by its JS type.
    pub fn typing_pattern_from_argument(
        &mut self,
        argument: &PatternArgument,
        document: &dyn Document,
    ) -> Result<Option<String>, TypingPatternError> {
        match argument {
            PatternArgument::Options(options) => Ok(self.typing_pattern(options, document)),
            PatternArgument::Null => Err(TypingPatternError),
            PatternArgument::Other => Ok(Some(self.any_text_pattern())),
        }
    }

    /// The default type 0 pattern (`get()`): the last 160 keystrokes.
    pub fn any_text_pattern(&self) -> String {
        self.any_text_pattern_from(&Value::Undefined, &Value::Undefined)
    }

    /// Deprecated `get(length)`.
    pub fn get(&self, length: &Value) -> String {
        self.any_text_pattern_from(length, &Value::Undefined)
    }

    /// Deprecated `getDiagram(str, textId)` (`extended` true: `getExtendedDiagram`).
    pub fn legacy_diagram(
        &mut self,
        extended: bool,
        text: &Value,
        text_id: &Value,
        document: &dyn Document,
    ) -> Option<String> {
        self.diagram_pattern(
            DiagramRequest {
                extended: &Value::Bool(extended),
                text,
                text_id,
                target_id: &Value::Undefined,
                case_sensitive: &Value::Bool(false),
            },
            document,
        )
    }
}
