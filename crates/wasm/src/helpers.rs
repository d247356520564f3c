//! The reference's static helpers, which need no recorder: `getTextId`, `getQuality`,
//! `getLength`, `checkMobileValidity` and `isMobile`, with its argument handling.

use keycadence_core::recorder::pattern_info;
use keycadence_core::{device, text_id as fnv};
use wasm_bindgen::prelude::*;

use crate::browser;

/// The pattern argument of `getQuality` and `checkMobileValidity`, which call
/// `pattern.split(',')` and so throw a `TypeError` for anything but a string.
fn pattern_string(pattern: &JsValue, not_a_string: &str) -> Result<String, JsValue> {
    pattern
        .as_string()
        .ok_or_else(|| js_sys::TypeError::new(not_a_string).into())
}

/// `getTextId(str)`: FNV-1a of the lower-cased text; 0 for anything but a string.
#[wasm_bindgen(js_name = textId)]
pub fn text_id(text: JsValue) -> u32 {
    text.as_string().map_or(0, |text| fnv::text_id(&text))
}

/// `getQuality(pattern)`: 0 to 1, how well a type 0 pattern covers the keys.
#[wasm_bindgen]
pub fn quality(pattern: JsValue) -> Result<f64, JsValue> {
    Ok(pattern_info::quality(&pattern_string(
        &pattern,
        "getQuality: the pattern must be a string",
    )?))
}

/// `getLength(pattern)`: the text length of a type 1/2 pattern or the keystroke count of a
/// type 0 pattern; 0 for anything but a string.
#[wasm_bindgen(js_name = patternLength)]
pub fn pattern_length(pattern: JsValue) -> f64 {
    pattern
        .as_string()
        .map_or(0.0, |pattern| pattern_info::length(&pattern))
}

/// `TypingDNA.checkMobileValidity(pattern)`.
#[wasm_bindgen(js_name = mobileValidity)]
pub fn mobile_validity(pattern: JsValue) -> Result<f64, JsValue> {
    Ok(pattern_info::mobile_validity(&pattern_string(
        &pattern,
        "checkMobileValidity: the pattern must be a string",
    )?))
}

/// `isMobile()` for this browser's user agent (1 or 0), without constructing a recorder.
#[wasm_bindgen(js_name = isMobileUserAgent)]
pub fn is_mobile_user_agent() -> u8 {
    u8::from(device::is_mobile(
        &browser::user_agent().as_string().unwrap_or_default(),
    ))
}
