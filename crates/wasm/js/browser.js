// The page reads of the wasm bindings (crates/wasm/src/browser.rs), done in JavaScript: each
// function evaluates the expressions the recorder reads and hands back plain numbers (written
// into `out`, a view of the module's memory) or the value read, which costs the module far less
// code than reading property by property through reflection. No recorder logic lives here:
// what the values mean is decided in Rust.

/**
 * The facts of keycadence_core::Environment and BrowserMarkers that are not strings, each the
 * JavaScript expression documented on its field, into `out`: `[flags, screen.width,
 * screen.height, navigator.maxTouchPoints]`, the flags one bit each in the order of the bits in
 * crates/wasm/src/environment.rs. The browser markers (the bits from 6 on) only `withMarkers`:
 * only `checkEnvironment` needs them.
 */
export function environment(out, withMarkers) {
  const motion = window.DeviceMotionEvent;
  const flags = [
    motion !== undefined,
    typeof motion?.requestPermission == 'function',
    !!navigator.msPointerEnabled && navigator.msMaxTouchPoints > 0,
    'ontouchstart' in window,
    // `window.DocumentTouch && document instanceof DocumentTouch`, without throwing for a
    // `DocumentTouch` that is not a constructor.
    Object(window.DocumentTouch?.prototype).isPrototypeOf(document),
    typeof window.orientation != 'undefined',
  ];
  if (withMarkers) {
    const chrome = window.chrome;
    flags.push(
      !!(chrome?.webstore || chrome?.runtime || chrome?.loadTimes),
      !!window.opr?.addons,
      !!window.opera,
      !!window.CSS,
      typeof window.InstallTrigger != 'undefined',
      !!document.documentMode,
      !!window.StyleMedia,
      /constructor/i.test(window.HTMLElement),
      String(window.safari?.pushNotification) == '[object SafariRemoteNotification]',
    );
  }
  // (`screen` and `navigator` always hold numbers there.)
  out.set([
    flags.reduce((mask, flag, bit) => mask | (flag << bit), 0),
    screen.width,
    screen.height,
    navigator.maxTouchPoints,
  ]);
}

/** The page's `window`; undefined outside a page (in a worker, say). */
export const pageWindow = () => globalThis.window;

/** `navigator.userAgent`; undefined outside a page. */
export const userAgent = () => globalThis.window?.navigator.userAgent;
/** `navigator.platform`. */
export const platform = () => navigator.platform;
/** `navigator.language`. */
export const language = () => navigator.language;

/** `object.value`. */
export const value = (object) => object.value;

/** The object `checkEnvironment()` returns. */
export const environmentCheck = (browserType, isMobile, hasMotionSensors, needsPermissionForMotionSensors) => ({
  browserType,
  isMobile,
  hasMotionSensors,
  needsPermissionForMotionSensors,
});
