//! What the recorder knows about the browser it runs in, passed in as a value so the core stays
//! sans-IO: the wasm shell reads it from `navigator`, `screen` and `window`; tests write it.

use crate::device::BrowserMarkers;

/// The browser environment (`navigator`, `screen`, `window` facts the reference reads).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Environment {
    /// `navigator.userAgent`.
    pub user_agent: String,
    /// `navigator.platform`.
    pub platform: String,
    /// `navigator.language`; `None` when it is not a string.
    pub language: Option<String>,
    /// `screen.width` (0 when absent).
    pub screen_width: u32,
    /// `screen.height` (0 when absent).
    pub screen_height: u32,
    /// `navigator.maxTouchPoints` (0 when absent).
    pub max_touch_points: u32,
    /// `'ontouchstart' in window`.
    pub ontouchstart: bool,
    /// `window.DocumentTouch && document instanceof DocumentTouch`.
    pub document_touch: bool,
    /// `typeof window.orientation !== 'undefined'`.
    pub has_orientation: bool,
    /// `window.DeviceMotionEvent !== undefined`.
    pub device_motion_event: bool,
    /// `typeof DeviceMotionEvent.requestPermission === 'function'` (iOS 13+).
    pub motion_needs_permission: bool,
    /// `navigator.msPointerEnabled && navigator.msMaxTouchPoints > 0` (old Windows tablets).
    pub ms_pointer_touch: bool,
    /// Browser-object markers used only by `checkEnvironment`.
    pub browser: BrowserMarkers,
}

impl Environment {
    /// Desktop Chrome 120 on Windows, 1920x1080, en-US, no touch: the environment of most golden
    /// vectors, and a sensible default for tools that replay recorded keystrokes.
    pub fn desktop_chrome() -> Self {
        Environment {
            user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36".into(),
            platform: "Win32".into(),
            language: Some("en-US".into()),
            screen_width: 1920,
            screen_height: 1080,
            ..Environment::default()
        }
    }
}
