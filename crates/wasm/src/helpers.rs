//! The reference's `isMobile()`, which needs no recorder: the recorder decides it from the
//! user agent at construction, which does not change. (The static helpers over
//! pattern strings and `getTextId` are plain JavaScript in the package, `pkg/src/helpers.js`:
//! the browser's own `split`, `Number()` and `toLowerCase()` do their work for less download.)

use keycadence_core::device;
use wasm_bindgen::prelude::*;

use crate::browser;

/// `isMobile()` for this browser's user agent (1 or 0).
#[wasm_bindgen(js_name = isMobileUserAgent)]
pub fn is_mobile_user_agent() -> u8 {
    u8::from(device::is_mobile(
        &browser::user_agent().unwrap_or_default(),
    ))
}
