//! The browser environment the recorder reads (`navigator`, `screen`, `window`), as the core's
//! [`Environment`]. Each field evaluates the JavaScript expression the core documents for it.

use js_sys::{Object, Reflect};
use keycadence_core::device::BrowserMarkers;
use keycadence_core::{js, Environment};
use wasm_bindgen::{JsCast, JsValue};

use crate::js_value::property;

/// A chain of property reads, `undefined` as soon as one link is missing.
fn path(root: &JsValue, names: &[&'static str]) -> JsValue {
    names
        .iter()
        .fold(root.clone(), |value, name| property(&value, name))
}

/// `Number(x) || 0` for the integer facts (screen size, touch points).
fn count(value: JsValue) -> u32 {
    value
        .as_f64()
        .filter(|n| n.is_finite() && *n > 0.0)
        .map_or(0, |n| n as u32)
}

/// Everything the recorder reads about the browser, now.
pub fn read(window: &web_sys::Window) -> Environment {
    let window: &JsValue = window.as_ref();
    let navigator = property(window, "navigator");
    let motion_event = property(window, "DeviceMotionEvent");
    let mut env = Environment {
        user_agent: property(&navigator, "userAgent")
            .as_string()
            .unwrap_or_default(),
        platform: property(&navigator, "platform")
            .as_string()
            .unwrap_or_default(),
        device_motion_event: !motion_event.is_undefined(),
        motion_needs_permission: property(&motion_event, "requestPermission").is_function(),
        ms_pointer_touch: property(&navigator, "msPointerEnabled").is_truthy()
            && property(&navigator, "msMaxTouchPoints")
                .as_f64()
                .is_some_and(|n| n > 0.0),
        browser: markers(window),
        ..Environment::default()
    };
    refresh_live(&mut env, window);
    env
}

/// The facts the reference reads afresh for every pattern (§14): language, screen, touch and
/// orientation. (The user agent and platform count as captured at construction.)
pub fn refresh_live(env: &mut Environment, window: &JsValue) {
    let navigator = property(window, "navigator");
    let screen = property(window, "screen");
    env.language = property(&navigator, "language").as_string();
    env.screen_width = count(property(&screen, "width"));
    env.screen_height = count(property(&screen, "height"));
    env.max_touch_points = count(property(&navigator, "maxTouchPoints"));
    env.ontouchstart = window
        .dyn_ref::<Object>()
        .is_some_and(|w| Reflect::has(w, &JsValue::from_str("ontouchstart")).unwrap_or(false));
    env.document_touch = document_touch(window);
    env.has_orientation = !property(window, "orientation").is_undefined();
}

/// `window.DocumentTouch && document instanceof DocumentTouch` (old Firefox touch support).
fn document_touch(window: &JsValue) -> bool {
    let prototype = path(window, &["DocumentTouch", "prototype"]);
    let document = property(window, "document");
    prototype
        .dyn_ref::<Object>()
        .is_some_and(|p| p.is_prototype_of(&document))
}

/// The browser-object markers of `checkEnvironment` (see [`BrowserMarkers`] for each
/// expression).
pub fn markers(window: &JsValue) -> BrowserMarkers {
    let chrome = property(window, "chrome");
    let safari = property(window, "safari");
    BrowserMarkers {
        chrome_api: chrome.is_truthy()
            && ["webstore", "runtime", "loadTimes"]
                .iter()
                .any(|name| property(&chrome, name).is_truthy()),
        opera_addons: path(window, &["opr", "addons"]).is_truthy(),
        window_opera: property(window, "opera").is_truthy(),
        window_css: property(window, "CSS").is_truthy(),
        install_trigger: !property(window, "InstallTrigger").is_undefined(),
        document_mode: path(window, &["document", "documentMode"]).is_truthy(),
        style_media: property(window, "StyleMedia").is_truthy(),
        html_element_constructor: html_element_is_constructor(window),
        safari_push_notification: safari.is_truthy()
            && property(&safari, "pushNotification")
                .dyn_ref::<Object>()
                .is_some_and(|n| n.to_string() == "[object SafariRemoteNotification]"),
    }
}

/// `/constructor/i.test(window.HTMLElement)`: old Safari printed its element constructors as
/// `[object HTMLElementConstructor]`; other browsers print the function source.
fn html_element_is_constructor(window: &JsValue) -> bool {
    let element = property(window, "HTMLElement");
    element.dyn_ref::<Object>().is_some_and(|e| {
        let text = String::from(e.to_string());
        js::includes(&text.to_ascii_lowercase(), "constructor")
    })
}
