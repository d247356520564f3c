// The page reads of the wasm bindings (crates/wasm/src/browser.rs), done in JavaScript: each
// function evaluates the expressions the recorder reads and hands back plain numbers (written
// into `out`, a view of the module's memory) or the value read, which costs the module far less
// code than reading property by property through reflection. (The numbers every pattern reads
// come with the call instead: the queue's `withFacts`, pkg/src/queue.js.) No recorder logic
// lives here: what the values mean is decided in Rust.

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
 * The argument of the recorder method under way (`queue.argument`, see queue.js), then for an
 * array its items from 0 on (the options of `getTypingPattern` from the values the shim read,
 * pkg/src/helpers.js's `patternArgument`), as crates/wasm/src/js_value.rs reads them: two
 * numbers each into `out`, its kind (0 undefined, 1 null, 2 boolean, 3 number, 4 string,
 * 5 object, 6 anything else: function, symbol, bigint) and a boolean's or number's value, or a
 * string's length (`primitiveUnits` copies its units).
 */
export function primitive(queue, out) {
  const value = queue.argument;
  for (let at = 0; at < out.length; at += 2) {
    const v = at == 0 ? value : Array.isArray(value) ? value[at / 2 - 1] : undefined;
    const type = typeof v;
    out[at] = v === undefined ? 0 : v === null ? 1 : type == 'boolean' ? 2 : type == 'number' ? 3
      : type == 'string' ? 4 : type == 'object' ? 5 : 6;
    out[at + 1] = type == 'string' ? v.length : type == 'boolean' || type == 'number' ? v : 0;
  }
}

/**
 * The UTF-16 code units of the string `primitive` described, the argument itself for an
 * `index` of -1, else its item `index`, into `out` (a view of the module's memory).
 */
export function primitiveUnits(queue, index, out) {
  let value = queue.argument;
  if (index >= 0) value = value[index];
  for (let i = 0; i < out.length; i++) out[i] = value.charCodeAt(i);
}
