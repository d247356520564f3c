// The page reads of the wasm bindings (crates/wasm/src/browser.rs), done in JavaScript: each
// function evaluates the expressions the recorder reads and hands back plain numbers (written
// into `out`, a view of the module's memory) or the value read, which costs the module far less
// code than reading property by property through reflection. (The numbers every pattern reads
// come in its call frame instead: the queue's `writeFacts`, pkg/src/queue.js.) No recorder logic
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
