//! The core's JavaScript primitives (keycadence-core built without `rust-js`), taken from the
//! browser itself: its `toLowerCase`, `toUpperCase`, `Number(string)`, `String(number)` and
//! `RegExp` are the very operations the reference recorder calls, so they are exact by
//! construction and spare the module Rust's Unicode case tables, float parsing and printing,
//! and a regular-expression engine.
//!
//! The core links against these symbols by name (see `keycadence_core::js`); their signatures
//! must stay exactly as declared there.

use js_sys::{JsString, Number, RegExp};
use wasm_bindgen::prelude::*;

/// `Number(s)`.
#[no_mangle]
pub fn keycadence_js_string_to_number(s: &str) -> f64 {
    // Unary `+` is `ToNumber`, what `Number(s)` applies; it cannot throw for a string.
    JsValue::from_str(s).unchecked_into_f64()
}

/// `String(x)`, appended to `out`.
#[no_mangle]
pub fn keycadence_js_push_shortest(out: &mut String, x: f64) {
    // `Number.prototype.toString(10)` is `String(x)`; radix 10 cannot throw.
    if let Ok(text) = Number::from(x).to_string_with_radix(10) {
        out.push_str(&String::from(text));
    }
}

/// `s.toLowerCase()` as UTF-16 code units.
#[no_mangle]
pub fn keycadence_js_to_lower_utf16(s: &str) -> Vec<u16> {
    JsString::from(s).to_lower_case().iter().collect()
}

/// `s.toUpperCase()` as UTF-16 code units.
#[no_mangle]
pub fn keycadence_js_to_upper_utf16(s: &str) -> Vec<u16> {
    JsString::from(s).to_upper_case().iter().collect()
}

/// `/body/flags.test(subject)`. Compiled at each call: the recorder tests at most three
/// expressions per pattern, and browsers cache compiled expressions themselves.
#[no_mangle]
pub fn keycadence_js_regex_test(literal: &'static str, subject: &str) -> bool {
    // `/body/flags`: the body runs to the last slash.
    let close = literal.rfind('/').unwrap_or(0);
    let body = literal.get(1..close).unwrap_or_default();
    RegExp::new(body, &literal[close + 1..]).test(subject)
}
