//! JavaScript values into the core's [`Value`], keeping the distinctions the reference's
//! argument handling depends on (`undefined` vs `null`, the string `"1"` vs the number 1).
//! Read with js-sys reflection: a general-purpose deserializer would fold `undefined` and
//! `null` together.

use js_sys::Reflect;
use keycadence_core::recorder::Value;
use wasm_bindgen::JsValue;

/// The `getTypingPattern` options the reference reads.
const OPTION_NAMES: [&str; 7] = [
    "type",
    "text",
    "textId",
    "length",
    "targetId",
    "caseSensitive",
    "extended",
];

/// A primitive argument as the core sees it. Objects (and functions, symbols and bigints,
/// which the recorder never distinguishes from objects) become an object without properties:
/// the core reads properties only from the `getTypingPattern` options, see [`options`].
pub fn primitive(value: &JsValue) -> Value {
    if value.is_undefined() {
        Value::Undefined
    } else if value.is_null() {
        Value::Null
    } else if let Some(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Some(n) = value.as_f64() {
        Value::Number(n)
    } else if let Some(s) = value.as_string() {
        Value::String(s)
    } else {
        Value::Object(Vec::new())
    }
}

/// The argument of `getTypingPattern`: for an object (`typeof x === 'object'`, not `null`), its
/// options read as property accesses (so getters and inherited properties count, as in the
/// reference); anything else as a primitive. A getter that throws propagates its exception.
pub fn options(argument: &JsValue) -> Result<Value, JsValue> {
    if argument.is_null() {
        // The reference throws reading `null.type`; the core reports it.
        return Ok(Value::Null);
    }
    if !argument.is_object() {
        // Every other non-object (functions and symbols included) gives the default pattern.
        return Ok(Value::Undefined);
    }
    let mut properties = Vec::with_capacity(OPTION_NAMES.len());
    for option in OPTION_NAMES {
        let value = Reflect::get(argument, &JsValue::from_str(option))?;
        properties.push((option.to_owned(), primitive(&value)));
    }
    Ok(Value::Object(properties))
}
