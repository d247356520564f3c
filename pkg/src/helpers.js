// The reference's helpers that read a pattern string, hash a text or look at the browser:
// `getQuality`, `getLength`, `checkMobileValidity`, `getTextId` and `checkEnvironment`. They
// need nothing of the recorder's state, and the browser's own `split`, `Number()`,
// `toLowerCase()` and objects are the reference's primitives, so they are plain JavaScript: in
// the wasm module they cost the page more to download. The Rust core has the same helpers
// (keycadence_core::recorder::pattern_info, text_id, device::check_environment) for its golden
// vectors; the browser tests compare the two.

/** `Number()` of the 44 per-key counts of a type 0 pattern (comma fields 11 to 54). */
const keyCounts = (pattern) => pattern.split(',').slice(11, 55).map(Number);

/** The reference throws a TypeError for anything but a string (it calls `split`). */
function patternString(pattern, method) {
  if (typeof pattern != 'string') throw new TypeError(`${method}: the pattern must be a string`);
  return pattern;
}

/** `getQuality(pattern)`: 0 to 1, how well a type 0 pattern covers the keys. */
export function quality(pattern) {
  const counts = keyCounts(patternString(pattern, 'getQuality'));
  // The reference's `mean4`: the mean rounded to four decimals, 0 for no values.
  const average = counts.length ? Number((counts.reduce((sum, c) => sum + c, 0) / counts.length).toFixed(4)) : 0;
  const above = (bound) => counts.filter((c) => c > bound).length;
  return Math.min(Math.sqrt(above(0) * above(4) * above(average)) / 75, 1);
}

/**
 * `getLength(pattern)`: the text length of a type 1/2 pattern (comma field 4 before the first
 * `|`), or the keystroke count of a type 0 pattern (field 0); 0 for anything but a string, and
 * for NaN.
 */
export function patternLength(pattern) {
  if (typeof pattern != 'string') return 0;
  const bar = pattern.indexOf('|');
  const length = Number(bar > 0 ? pattern.slice(0, bar).split(',')[4] : pattern.split(',')[0]);
  return Number.isNaN(length) ? 0 : length;
}

/** `checkMobileValidity(pattern)`: the per-key counts' sum over the keystroke count (field 0). */
export function mobileValidity(pattern) {
  const fields = patternString(pattern, 'checkMobileValidity');
  return keyCounts(fields).reduce((sum, c) => sum + c, 0) / Number(fields.split(',')[0]);
}

/**
 * `getTextId(str)`: 32-bit FNV-1a over the lower-cased text's UTF-16 code units, with the
 * reference's offset basis 0x721b5ad4; 0 for anything but a string.
 */
export function textId(text) {
  if (typeof text != 'string') return 0;
  text = text.toLowerCase();
  let hash = 0x721b5ad4;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * `checkEnvironment()` for a recorder whose `isMobile()` is `isMobile` (0 or 1): the browser
 * type, the first whose markers this browser has (keycadence_core::device::check_environment's
 * chain over the expressions of its BrowserMarkers), and on mobile whether motion sensors exist
 * and need the page to ask for them (iOS 13+).
 */
export function checkEnvironment(isMobile) {
  const w = window;
  const ua = navigator.userAgent;
  const chrome = w.chrome;
  const chromeApi = !!(chrome?.webstore || chrome?.runtime || chrome?.loadTimes);
  const opera = !!w.opr?.addons || !!w.opera || ua.includes(' OPR/');
  const motion = !!isMobile && w.DeviceMotionEvent !== undefined;
  return {
    browserType: (chromeApi || opera) && w.CSS ? 'blink'
      : opera ? 'opera'
      : typeof w.InstallTrigger != 'undefined' ? 'firefox'
      : document.documentMode ? 'internet explorer'
      : w.StyleMedia ? 'edge'
      : chromeApi && ua.includes('Edg') ? 'edge chromium'
      : chromeApi ? 'chrome'
      : /constructor/i.test(w.HTMLElement)
        || String(w.safari?.pushNotification) == '[object SafariRemoteNotification]'
        || (ua.includes('Safari') && !ua.includes('Chrome')) ? 'safari'
      : '',
    isMobile: !!isMobile,
    hasMotionSensors: motion,
    needsPermissionForMotionSensors: motion && typeof w.DeviceMotionEvent.requestPermission == 'function',
  };
}

// The options `getTypingPattern` reads, in the reference's order (crates/wasm/src/js_value.rs
// takes them by index).
const OPTIONS = ['type', 'text', 'textId', 'length', 'targetId', 'caseSensitive', 'extended'];

/**
 * `getTypingPattern`'s argument as the module takes it: an object's options read here, as
 * property accesses in the reference's order (getters and inherited properties count, and a
 * getter's exception is thrown here, before the module runs), into an array; anything else as
 * it is. For `null`, reading `options.type` throws the reference's `TypeError`.
 */
export const patternArgument = (options) =>
  typeof options == 'object' ? OPTIONS.map((name) => options[name]) : options;
