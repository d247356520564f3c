//! The recorder's methods as JavaScript calls them: arguments of any type ([`Value`]), coerced
//! the way the reference does, quirks included, into the typed request the pattern builders
//! print. The wasm bindings use this adapter; Rust callers use
//! [`TypingPatternOptions`](super::TypingPatternOptions).

use super::document::Document;
use super::options::{DiagramRequest, RequestText, Target, DEFAULT_HISTORY_LENGTH};
use super::Recorder;
use crate::js;
use crate::text_id::text_id;

pub use super::value::Value;

/// The options object of `getTypingPattern`, as JS values (the reference compares some
/// strictly and coerces others, so the exact value matters).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JsTypingPatternOptions {
    /// `type`: 0 (any text), 1 (same text) or 2 (extended), compared strictly (the string
    /// `"1"` is not 1); anything else gives type 0 without a target.
    pub pattern_type: Value,
    /// `text`: when `undefined`, `length` stands in for it; when `undefined` or empty, the
    /// text is read from the target element (or the added targets).
    pub text: Value,
    /// `textId`: `parseInt(String(textId))`, else the hash of a string `textId`, else 0;
    /// `undefined`: derived from the text.
    pub text_id: Value,
    /// `length`: type 0: how many recent keystrokes (`undefined` or 0: the default window);
    /// types 1 and 2 without a text: how many newest rows.
    pub length: Value,
    /// `targetId` (`undefined` or empty: every element).
    pub target_id: Value,
    /// `caseSensitive` (truthiness; `undefined`: the default).
    pub case_sensitive: Value,
    /// `extended` (type 1 only, deprecated in favour of type 2; quirk Q12).
    pub extended: Value,
}

/// The argument of `getTypingPattern`, by its JS type.
// One short-lived value per call: boxing the options would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum PatternArgument {
    /// An object (`typeof x === 'object'`, not `null`): its options, read as property accesses.
    Options(JsTypingPatternOptions),
    /// `null`: the reference throws reading `null.type`.
    Null,
    /// Anything else (`undefined`, a primitive, a function): the default type 0 pattern.
    Other,
}

/// `getTypingPattern(null)`: the reference throws a `TypeError` reading `null.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("getTypingPattern: the options argument is null")]
pub struct TypingPatternError;

/// `targetId` as the reference uses it: `undefined` and `""` select every row; anything else an
/// element, compared strictly with the rows' ids (so only a string matches).
fn target(target_id: &Value) -> Target<'_> {
    match target_id {
        Value::Undefined => Target::All,
        Value::String(id) if id.is_empty() => Target::All,
        Value::String(id) => Target::Id(id),
        other => Target::NotAString(other),
    }
}

/// Type 0's `length`: `undefined` or 0 select the default window, anything else `Number()`.
fn any_text_length(length: &Value) -> f64 {
    match length {
        Value::Undefined => DEFAULT_HISTORY_LENGTH,
        Value::Number(n) if *n == 0.0 => DEFAULT_HISTORY_LENGTH,
        other => other.to_number(),
    }
}

/// A type 1 or 2 request: `extended` as given (type 1) or `true` (type 2), `text` already
/// `length` when the text was `undefined`.
fn diagram_request<'a>(
    extended: &Value,
    text: &'a Value,
    text_id_option: &Value,
    target_id: &'a Value,
    case_sensitive: &Value,
) -> DiagramRequest<'a> {
    // Quirk Q6: the default is decided before the text may be read from an element.
    let case_sensitive = if case_sensitive.is_undefined() {
        text.is_undefined_or_empty_string()
    } else {
        case_sensitive.truthy()
    };
    let text_id = (!text_id_option.is_undefined()).then(|| {
        let parsed = js::parse_int(&text_id_option.to_js_string());
        if parsed.is_nan() {
            text_id_option
                .as_str()
                .map_or(0.0, |s| f64::from(text_id(s)))
        } else {
            parsed
        }
    });
    let text = match text {
        Value::Undefined => RequestText::FromPage { empty: false },
        Value::String(s) if s.is_empty() => RequestText::FromPage { empty: true },
        Value::String(s) => RequestText::Text(s),
        Value::Number(n) => RequestText::LastRows(*n),
        Value::Null | Value::Bool(_) | Value::Object(_) => RequestText::AllRows,
    };
    DiagramRequest {
        // Quirk Q12: the header says extended only for `true`; rows follow truthiness.
        header_extended: matches!(extended, Value::Bool(true)),
        rows_extended: extended.truthy(),
        text,
        text_id,
        target: target(target_id),
        case_sensitive,
    }
}

impl JsTypingPatternOptions {
    /// Reads the options from a JS object value (missing properties are `undefined`).
    pub fn from_object(object: &Value) -> Self {
        JsTypingPatternOptions {
            pattern_type: object.get("type").clone(),
            text: object.get("text").clone(),
            text_id: object.get("textId").clone(),
            length: object.get("length").clone(),
            target_id: object.get("targetId").clone(),
            case_sensitive: object.get("caseSensitive").clone(),
            extended: object.get("extended").clone(),
        }
    }

    /// The pattern the reference prints for these options: type 0's window and target, or the
    /// type 1 or 2 request these options resolve to.
    fn pattern(&self, recorder: &mut Recorder, document: &dyn Document) -> Option<String> {
        let extended = match self.pattern_type {
            Value::Number(0.0) => {
                let target = target(&self.target_id);
                return Some(
                    recorder.any_text_pattern_from(any_text_length(&self.length), &target),
                );
            }
            Value::Number(1.0) => &self.extended,
            Value::Number(2.0) => &Value::Bool(true),
            // Any other type gives type 0 over every row.
            _ => return Some(get(recorder, &self.length)),
        };
        let text = if self.text.is_undefined() {
            &self.length
        } else {
            &self.text
        };
        let request = diagram_request(
            extended,
            text,
            &self.text_id,
            &self.target_id,
            &self.case_sensitive,
        );
        recorder.diagram_pattern(&request, document)
    }
}

/// `getTypingPattern(argument)` for an argument sorted by its JS type: an object is read as
/// options, `null` throws, anything else gives the default type 0 pattern.
pub fn typing_pattern(
    recorder: &mut Recorder,
    argument: &PatternArgument,
    document: &dyn Document,
) -> Result<Option<String>, TypingPatternError> {
    match argument {
        PatternArgument::Options(options) => Ok(options.pattern(recorder, document)),
        PatternArgument::Null => Err(TypingPatternError),
        PatternArgument::Other => Ok(Some(recorder.any_text_pattern())),
    }
}

/// `getTypingPattern(argument)` with any JS value.
pub fn typing_pattern_from_value(
    recorder: &mut Recorder,
    argument: &Value,
    document: &dyn Document,
) -> Result<Option<String>, TypingPatternError> {
    let argument = match argument {
        Value::Object(_) => PatternArgument::Options(JsTypingPatternOptions::from_object(argument)),
        Value::Null => PatternArgument::Null,
        _ => PatternArgument::Other,
    };
    typing_pattern(recorder, &argument, document)
}

/// Deprecated `get(length)`: type 0 over every element.
pub fn get(recorder: &Recorder, length: &Value) -> String {
    recorder.any_text_pattern_from(any_text_length(length), &Target::All)
}

/// Deprecated `getDiagram(str, textId)` (`extended` true: `getExtendedDiagram`).
pub fn legacy_diagram(
    recorder: &mut Recorder,
    extended: bool,
    text: &Value,
    text_id: &Value,
    document: &dyn Document,
) -> Option<String> {
    let request = diagram_request(
        &Value::Bool(extended),
        text,
        text_id,
        &Value::Undefined,
        &Value::Bool(false),
    );
    recorder.diagram_pattern(&request, document)
}
