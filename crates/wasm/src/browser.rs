//! The page reads done in JavaScript (`js/browser.js`, bundled with the package): one call
//! writes every number of the environment into a buffer, instead of one reflective
//! property read each, which keeps the module and its glue smaller. A number that is absent
//! (or not a number) reads as NaN; no DOM number property holds NaN. Strings come back as the
//! JavaScript value read, for `JsValue::as_string`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/browser.js")]
extern "C" {
    /// `[flags, screen.width, screen.height, navigator.maxTouchPoints]`, see
    /// [`crate::environment`] for the flags and the parts read.
    pub fn environment(out: &mut [f64], part: u32);
    /// Where the module runs: 0 outside a page (no `window`), 1 in a window without a
    /// document, 2 in a page.
    pub fn page() -> u32;
    /// `navigator.userAgent`; `None` outside a page.
    #[wasm_bindgen(js_name = userAgent)]
    pub fn user_agent() -> Option<String>;
    /// `navigator.platform`.
    pub fn platform() -> Option<String>;
    /// `navigator.language`.
    pub fn language() -> Option<String>;

    /// `document.getElementById(id).value` when it is a string; `found` is set to 1 when the
    /// element exists (whatever its value).
    #[wasm_bindgen(js_name = elementValue)]
    pub fn element_value(id: &str, found: &mut [f64]) -> Option<String>;

    /// Describes `value` into `out`: `[kind, number]`, see [`crate::js_value`]; returns the
    /// value when it is a string.
    pub fn primitive(value: &JsValue, out: &mut [f64]) -> Option<String>;
    /// [`primitive`] of the `getTypingPattern` option number `index`, read as `options[name]`
    /// (a getter's exception is the error).
    #[wasm_bindgen(catch)]
    pub fn option(
        options: &JsValue,
        index: u32,
        out: &mut [f64],
    ) -> Result<Option<String>, JsValue>;
}
