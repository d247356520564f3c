// The page reads of the wasm bindings (crates/wasm/src/browser.rs), done in JavaScript: each
// function evaluates the expressions the recorder reads and hands back plain numbers (written
// into `out`, a view of the module's memory) or the value read, which costs the module far less
// code than reading property by property through reflection. No recorder logic lives here:
// what the values mean is decided in Rust.

/**
 * The facts of keycadence_core::Environment that are not strings, each the JavaScript
 * expression documented on its field, into `out`: `[flags, screen.width,
 * screen.height, navigator.maxTouchPoints]`, the flags one bit each in the order of the bits in
 * crates/wasm/src/environment.rs. `part` 0 reads the live facts only (read for every pattern),
 * 1 also the ones read once at construction (bits 0 to 2); the bits not read stay 0.
 */
export function environment(out, part) {
  const motion = window.DeviceMotionEvent;
  const flags = [
    part == 1 && motion !== undefined,
    part == 1 && typeof motion?.requestPermission == 'function',
    part == 1 && !!navigator.msPointerEnabled && navigator.msMaxTouchPoints > 0,
    'ontouchstart' in window,
    // `window.DocumentTouch && document instanceof DocumentTouch`, without throwing for a
    // `DocumentTouch` that is not a constructor.
    Object(window.DocumentTouch?.prototype).isPrototypeOf(document),
    typeof window.orientation != 'undefined',
  ];
  // (`screen` and `navigator` always hold numbers there.)
  out.set([
    flags.reduce((mask, flag, bit) => mask | (flag << bit), 0),
    screen.width,
    screen.height,
    navigator.maxTouchPoints,
  ]);
}

// The strings below come back to Rust as `Option<String>`: a string, or undefined for none.
const text = (value) => (typeof value == 'string' ? value : undefined);

/** `navigator.userAgent`, `navigator.platform` or `navigator.language` by `index` (0 to 2); undefined outside a page. */
export const navigatorText = (index) =>
  text(globalThis.window?.navigator[['userAgent', 'platform', 'language'][index]]);

/**
 * `document.getElementById(id).value` when it is a string (text fields' is; most other
 * elements have none); `found[0]` is set to 1 when the element exists.
 */
export function elementValue(id, found) {
  const element = document.getElementById(id);
  if (element) found[0] = 1;
  return text(element?.value);
}

/**
 * `value` (or, for an `index` of 0 or more, `value[index]`: option number `index` of
 * `getTypingPattern`, from the values the shim read, pkg/src/helpers.js's `patternArgument`) as
 * crates/wasm/src/js_value.rs reads it: its kind into `out[0]` (0 undefined, 1 null, 2 boolean,
 * 3 number, 4 string, 5 object, 6 anything else: function, symbol, bigint) and a boolean's or
 * number's value into `out[1]`. Returns a string value, `undefined` otherwise.
 */
export function primitive(value, index, out) {
  if (index >= 0) value = value[index];
  const type = typeof value;
  out[0] = value === undefined ? 0 : value === null ? 1 : { boolean: 2, number: 3, string: 4, object: 5 }[type] ?? 6;
  out[1] = type == 'boolean' || type == 'number' ? value : 0;
  return type == 'string' ? value : undefined;
}
