// The JavaScript primitives of keycadence-core's `browser-js` build (crates/core/src/js.rs): each
// is the very operation the reference recorder applies, taken from the browser, with plain
// numbers and strings in and out (one call each, no JavaScript objects handed to the module).

/** `Number(x.toFixed(4))`, the recorder's `rd4`. */
export const rd4 = (x) => Number(x.toFixed(4));

/** `parseInt(s)`. */
export const parseInteger = (s) => parseInt(s);

/** `Number(s)`. */
export const stringToNumber = (s) => Number(s);

/** `String(x)`. */
export const numberToString = (x) => String(x);

export const toLowerCase = (s) => s.toLowerCase();
export const toUpperCase = (s) => s.toUpperCase();

// The crate's expressions, compiled once each, by their literal.
const expressions = new Map();

/** `/body/flags.test(subject)` for the literal `/body/flags` (the body runs to the last slash). */
export function regexTest(literal, subject) {
  let expression = expressions.get(literal);
  if (!expression) {
    const close = literal.lastIndexOf('/');
    expression = new RegExp(literal.slice(1, close), literal.slice(close + 1));
    expressions.set(literal, expression);
  }
  // (`test` of an expression without the g or y flag starts at 0 whatever came before.)
  return expression.test(subject);
}
