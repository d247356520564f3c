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
    /// Where the module runs: 0 outside a page (no `window`), 1 in a window without a
    /// document, 2 in a page.
    pub fn page() -> u32;
    #[wasm_bindgen(js_name = userAgent)]
    fn user_agent_value() -> JsValue;
    #[wasm_bindgen(js_name = platform)]
    fn platform_value() -> JsValue;
    #[wasm_bindgen(js_name = language)]
    fn language_value() -> JsValue;

    /// `document.getElementById(id).value` when it is a string; `found` is set to 1 when the
    /// element exists (whatever its value).
    #[wasm_bindgen(js_name = elementValue)]
    fn element_value_value(id: &str, found: &mut [f64]) -> JsValue;

    /// Describes `value` into `out`: `[kind, number]`, see [`crate::js_value`]; returns the
    /// value when it is a string.
    #[wasm_bindgen(js_name = primitive)]
    fn primitive_value(value: &JsValue, out: &mut [f64]) -> JsValue;
    #[wasm_bindgen(js_name = option)]
    fn option_value(values: &JsValue, index: u32, out: &mut [f64]) -> JsValue;
}

/// `navigator.userAgent`; `None` outside a page.
pub(crate) fn user_agent() -> Option<String> {
    string_from_js(&user_agent_value())
}

/// `navigator.platform`.
pub(crate) fn platform() -> Option<String> {
    string_from_js(&platform_value())
}

/// `navigator.language`.
pub(crate) fn language() -> Option<String> {
    string_from_js(&language_value())
}

/// `document.getElementById(id).value` when it is a string; `found` is set to 1 when the
/// element exists (whatever its value).
pub(crate) fn element_value(id: &str, found: &mut [f64]) -> Option<String> {
    string_from_js(&element_value_value(id, found))
}

/// Describes `value` into `out`: `[kind, number]`, see [`crate::js_value`]; returns the value
/// when it is a string.
pub(crate) fn primitive(value: &JsValue, out: &mut [f64]) -> Option<String> {
    string_from_js(&primitive_value(value, out))
}

/// [`primitive`] of the `getTypingPattern` option number `index`, from the array of the
/// options' values the shim read (`patternArgument` in `pkg/src/helpers.js`).
pub(crate) fn option(values: &JsValue, index: u32, out: &mut [f64]) -> Option<String> {
    string_from_js(&option_value(values, index, out))
}
