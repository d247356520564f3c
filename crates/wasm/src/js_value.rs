//! The argument of the method call under way, which the shim keeps on the recorder's queue
//! (`pkg/src/queue.js`), into the core's [`Value`], keeping the distinctions the reference's
//! argument handling depends on (`undefined` vs `null`, the string `"1"` vs the number 1). The
//! queue describes each value (`describe`: the argument of `getTypingPattern` and all its
//! options at once, written into the pattern's call frame by the shim), and a string is copied
//! by one call (`units`): a general-purpose deserializer would fold `undefined` and `null`
//! together, and a type test per call costs a crossing each.

use keycadence_core::js::string_from_utf16;
use keycadence_core::recorder::js_api::{JsTypingPatternOptions, PatternArgument, Value};

use crate::queue::EventQueue;

// The kinds `describe` writes.
const UNDEFINED: f64 = 0.0;
const NULL: f64 = 1.0;
const BOOLEAN: f64 = 2.0;
const NUMBER: f64 = 3.0;
const STRING: f64 = 4.0;
const OBJECT: f64 = 5.0;

/// The argument, or its item `index` for an index of 0 or more, as the core sees it from its
/// description by `describe`, `[kind, number]`, with a string's units copied by a call.
/// Objects (and functions, symbols and bigints, which the recorder never distinguishes from
/// objects) become an object without properties: the core reads properties only from the
/// `getTypingPattern` options, see [`pattern_argument`].
fn value(described: &[f64], queue: &EventQueue, index: i32) -> Value {
    match described[0] {
        UNDEFINED => Value::Undefined,
        NULL => Value::Null,
        BOOLEAN => Value::Bool(described[1] != 0.0),
        NUMBER => Value::Number(described[1]),
        STRING => {
            let mut units = vec![0; described[1] as usize];
            queue.units(index, &mut units);
            Value::String(string_from_utf16(&units))
        }
        _ => Value::Object(Vec::new()),
    }
}

/// A primitive argument as the core sees it.
pub(crate) fn primitive(queue: &EventQueue) -> Value {
    let mut described = [0.0; 2];
    queue.describe(&mut described, 0);
    value(&described, queue, -1)
}

/// The argument of `getTypingPattern`, sorted by its type from its description (`described`,
/// the argument and all seven options); for an object, its options from the array of their
/// values the shim read (`patternArgument` in `pkg/src/helpers.js`: property accesses in the
/// reference's order, whose getters run there, before the module does).
pub(crate) fn pattern_argument(queue: &EventQueue, described: &[f64; 16]) -> PatternArgument {
    match described[0] {
        NULL => return PatternArgument::Null,
        OBJECT => {}
        _ => return PatternArgument::Other,
    }
    // The indices of `patternArgument`'s array: type, text, textId, length, targetId,
    // caseSensitive, extended.
    let option = |index: usize| value(&described[2 * index + 2..], queue, index as i32);
    PatternArgument::Options(JsTypingPatternOptions {
        pattern_type: option(0),
        text: option(1),
        text_id: option(2),
        length: option(3),
        target_id: option(4),
        case_sensitive: option(5),
        extended: option(6),
    })
}
