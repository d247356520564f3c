//! The page reads the module makes itself, done in JavaScript (`js/browser.js`, bundled with the
//! package) instead of one reflective property read each, which keeps the module and its glue
//! smaller. Strings come back as the JavaScript value read, copied into the module by
//! [`string_from_js`]. (The numbers a pattern reads come in its call frame: see
//! [`crate::frame`].)

use keycadence_core::js::string_from_js;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/browser.js")]
extern "C" {
    /// `navigator.userAgent`, `.platform` or `.language` by index (0 to 2).
    #[wasm_bindgen(js_name = navigatorText)]
    fn navigator_text(index: u32) -> JsValue;

    /// `document.getElementById(id).value` when it is a string; `found` is set to 1 when the
    /// element exists (whatever its value).
    #[wasm_bindgen(js_name = elementValue)]
    fn element_value_value(id: &str, found: &mut [f64]) -> JsValue;
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
