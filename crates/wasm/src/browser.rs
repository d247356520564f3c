//! The page reads done in JavaScript (`js/browser.js`, bundled with the package): one call
//! writes every number of the environment into a buffer, instead of one reflective
//! property read each, which keeps the module and its glue smaller. A number that is absent
//! (or not a number) reads as NaN; no DOM number property holds NaN. Strings come back as the
//! JavaScript value read, copied into the module by [`string_from_js`].

use keycadence_core::js::string_from_js;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/browser.js")]
extern "C" {
    /// `[flags, screen.width, screen.height, navigator.maxTouchPoints]`, see
    /// [`crate::environment`] for the flags and the parts read.
    pub fn environment(out: &mut [f64], part: u32);
    /// `navigator.userAgent`, `.platform` or `.language` by index (0 to 2).
    #[wasm_bindgen(js_name = navigatorText)]
    fn navigator_text(index: u32) -> JsValue;

    /// `document.getElementById(id).value` when it is a string; `found` is set to 1 when the
    /// element exists (whatever its value).
    #[wasm_bindgen(js_name = elementValue)]
    fn element_value_value(id: &str, found: &mut [f64]) -> JsValue;

    /// Describes `value`, or `value[index]` for an index of 0 or more, into `out`: `[kind,
    /// number]`, see [`crate::js_value`]; returns the value when it is a string.
    #[wasm_bindgen(js_name = primitive)]
    fn primitive_value(value: &JsValue, index: i32, out: &mut [f64]) -> JsValue;
}

/// `navigator.userAgent`; `None` outside a page.
pub(crate) fn user_agent() -> Option<String> {
    string_from_js(&navigator_text(0))
}

/// `navigator.platform`.
pub(crate) fn platform() -> Option<String> {
    string_from_js(&navigator_text(1))
}

/// `navigator.language`.
pub(crate) fn language() -> Option<String> {
    string_from_js(&navigator_text(2))
}

/// `document.getElementById(id).value` when it is a string; `found` is set to 1 when the
/// element exists (whatever its value).
pub(crate) fn element_value(id: &str, found: &mut [f64]) -> Option<String> {
    string_from_js(&element_value_value(id, found))
}

/// Describes `value` into `out`: `[kind, number]`, see [`crate::js_value`]; returns the value
/// when it is a string.
pub(crate) fn primitive(value: &JsValue, out: &mut [f64]) -> Option<String> {
    string_from_js(&primitive_value(value, -1, out))
}

/// [`primitive`] of the `getTypingPattern` option number `index`, from the array of the
/// options' values the shim read (`patternArgument` in `pkg/src/helpers.js`).
pub(crate) fn option(values: &JsValue, index: u8, out: &mut [f64]) -> Option<String> {
    string_from_js(&primitive_value(values, index.into(), out))
}
