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
    /// The page's `window`; `undefined` outside a page.
    #[wasm_bindgen(js_name = pageWindow)]
    pub fn page_window() -> JsValue;
    /// `navigator.userAgent`; `undefined` outside a page.
    #[wasm_bindgen(js_name = userAgent)]
    pub fn user_agent() -> JsValue;
    /// `navigator.platform`.
    pub fn platform() -> JsValue;
    /// `navigator.language`.
    pub fn language() -> JsValue;

    /// `object.value`.
    pub fn value(object: &JsValue) -> JsValue;

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

    /// `{browserType, isMobile, hasMotionSensors, needsPermissionForMotionSensors}`.
    #[wasm_bindgen(js_name = environmentCheck)]
    pub fn environment_check(
        browser_type: &str,
        is_mobile: bool,
        has_motion_sensors: bool,
        needs_permission_for_motion_sensors: bool,
    ) -> JsValue;
}
