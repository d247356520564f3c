// The recorder's listeners. Each only writes its event's numbers (kind, time, key code, char
// code, Shift, target, ...) into a queue, a typed array; the wasm recorder consumes the queue
// when the page is idle, when a pattern or a statistic is asked for, and when the queue fills
// (the callbacks `started` and `full`). Nothing here needs the wasm module: a queue can listen
// from `new TypingDNA()` on, and what is typed before the module is ready waits in it, stamped
// with its own time.
//
// The layout is read by crates/wasm/src/queue.rs: records of STRIDE numbers, `[kind, time,
// ...]`, the kind being the event's index in EVENTS (MOTION_WITH_ROTATION for a devicemotion
// event with rotationRate), then
//   key events:  keyCode, charCode, Shift (1 or 0), target id, field value, selectionStart
//   mouse events: screenX, screenY, which
//   scroll:       document.body.scrollTop
//   devicemotion: accelerationIncludingGravity's x, y, z, rotationRate's alpha, beta, gamma
// Strings are indices into `strings` (target ids once per batch, field values each event), -1
// for none. A number a key event lacks is NaN; no DOM number property holds NaN.

/** The events a queue can listen to; `listen(events)` takes a bit mask in this order. */
const EVENTS = ['keydown', 'keypress', 'keyup', 'input', 'mousemove', 'mousedown', 'mouseup', 'scroll', 'devicemotion'];
const MOTION = 8;
const MOTION_WITH_ROTATION = 9;
const STRIDE = 8;
/** Records the queue holds before it asks to be consumed (`full`); it grows if nobody can. */
const CAPACITY = 512;
/**
 * The numbers of the module's call frame for a pattern (crates/wasm/src/frame.rs), and where the
 * argument's description starts in it: the argument and seven options, two numbers each.
 */
const FRAME_ARGUMENT = 7;
const FRAME_LENGTH = FRAME_ARGUMENT + 16;
const utf8 = new TextDecoder();

const number = (value) => (typeof value == 'number' ? value : NaN);

/**
 * What the recorder reads once, at construction: one bit each, in the order of the bits in
 * crates/wasm/src/environment.rs, the JavaScript expressions documented on the fields of
 * keycadence_core::Environment.
 */
export function capabilities() {
  const motion = window.DeviceMotionEvent;
  return (motion !== undefined)
    | (typeof motion?.requestPermission == 'function') << 1
    | (!!navigator.msPointerEnabled && navigator.msMaxTouchPoints > 0) << 2;
}

export class EventQueue {
  /**
   * `eventClock`: stamp each event with its own `timeStamp` (`performance.timeOrigin +
   * event.timeStamp`, rounded), not `Date.now()` when its handler runs (the reference's clock).
   */
  constructor(eventClock) {
    const performance = globalThis.performance;
    this.eventClock = !!(eventClock && performance);
    if (this.eventClock) {
      let origin = performance.timeOrigin;
      // Safari before 15 has high-resolution event timestamps but no `timeOrigin`.
      if (!(origin > 0 && origin < Infinity)) origin = Date.now() - performance.now();
      this.origin = origin;
    }
    /** When the recorder was constructed: the origin of the first seek time. */
    this.createdAt = this.now();
    /** The records, and how many numbers of it they fill. */
    this.records = new Float64Array(CAPACITY * STRIDE);
    this.length = 0;
    /** The strings the records refer to, and the index of each target id among them. */
    this.strings = [];
    this.ids = new Map();
    this.withField = false;
    /** The listener of each event listened to, by kind. */
    this.listeners = [];
    /** Called when the queue is full, to consume it; set once a recorder exists. */
    this.full = null;
    /**
     * Called when a record lands in the empty queue; set once a recorder exists, which then
     * consumes the queue when the page is next idle.
     */
    this.started = null;
    /**
     * `navigator.language` at its recorder's last reading of the page (none before its first
     * pattern): `writeFacts` keeps it here, so that the module reads the string only when it
     * changed.
     */
    this.language = undefined;
    /**
     * The argument of the recorder method under way (getTypingPattern's options as the shim
     * read them, addTarget's id), kept until the next such call: the shim puts it here and the
     * module has it described (`describe`, `units`), so no handle to it crosses into the module.
     */
    this.argument = undefined;
  }

  /** The time now on the queue's clock, in integer milliseconds since the epoch. */
  now() {
    return this.eventClock ? Math.round(this.origin + performance.now()) : Date.now();
  }

  /**
   * Listens to the events of the bit mask `events` (bits in EVENTS order: on `document`, and
   * `devicemotion` on `window`) and to no other; `withField` also records the target's value
   * and caret with each key event (the Android handlers read them).
   */
  listen(events, withField) {
    this.withField = withField;
    // Outside a page (server-side rendering) there is nothing to listen to.
    if (typeof document == 'undefined') return;
    EVENTS.forEach((type, kind) => {
      const target = kind == MOTION ? window : document;
      const listener = this.listeners[kind];
      if (events & (1 << kind)) {
        if (!listener) target.addEventListener(type, (this.listeners[kind] = (event) => this.record(kind, event)));
      } else if (listener) {
        target.removeEventListener(type, listener);
        this.listeners[kind] = null;
      }
    });
  }

  /**
   * Writes into the module's call frame (or `frame`, an array as long) what the reference reads
   * afresh for every pattern, each the JavaScript expression documented on its field of
   * keycadence_core::Environment: the flags (one bit each in the order of the bits in
   * crates/wasm/src/environment.rs, bit 6 when `navigator.language` is another than at the
   * recorder's last reading), `screen.width`, `screen.height`, `navigator.maxTouchPoints`; then
   * how many numbers the queue holds, its clock, `mouse` (1 for `getMouseDiagram`), and the
   * description of the argument from FRAME_ARGUMENT on (`describe`). In the frame, they cost
   * less than as arguments of the call, or a call out of the module to read them.
   */
  writeFacts(mouse, frame) {
    // Page code the reads below run (a getter the page put on `screen`) may ask for a pattern
    // itself, which puts its own argument on the queue: this call's is put back.
    const argument = this.argument;
    const w = window;
    // The module reads the language only when it changed; the queue keeps the last one read.
    const language = navigator.language;
    const flags = ('ontouchstart' in w) << 3
      // `window.DocumentTouch && document instanceof DocumentTouch`, without throwing for a
      // `DocumentTouch` that is not a constructor.
      | Object(w.DocumentTouch?.prototype).isPrototypeOf(document) << 4
      | (typeof w.orientation != 'undefined') << 5
      | (language !== this.language) << 6;
    this.language = language;
    // (`screen` and `navigator` always hold numbers there.) The queue's length is read after
    // the page's values, whose getters a page may replace: an event such a getter dispatches is
    // among the records the module consumes, not cleared with them unread.
    const facts = [flags, screen.width, screen.height, navigator.maxTouchPoints, this.length, this.now(), mouse];
    this.argument = argument;
    // The frame is taken last: page code may have grown the module's memory, which empties an
    // older view.
    frame ??= this.frame();
    frame.set(facts);
    this.describe(frame, FRAME_ARGUMENT);
  }

  /**
   * The module's memory, and the address of its call frame in it: FRAME_LENGTH numbers through
   * which a pattern call takes its facts (`writeFacts`) and gives its pattern (`pattern`). The
   * module sets them with the recorder, before any pattern call.
   */
  setFrame(memory, address) {
    this.memory = memory;
    this.frameAddress = address;
  }

  /** The call frame, as a view made anew once the module's memory grew (which empties the old). */
  frame() {
    if (!this.frameView?.length) this.frameView = new Float64Array(this.memory.buffer, this.frameAddress, FRAME_LENGTH);
    return this.frameView;
  }

  /**
   * Calls `method` (the module's pattern export) with the facts written into its frame, and
   * returns the pattern it left in its memory: the address and the length of its UTF-8 bytes in
   * the frame's first two numbers, or -1 for none (then `null`). The module keeps those bytes
   * until its next pattern.
   */
  pattern(method, mouse) {
    this.writeFacts(mouse);
    method();
    // (Indexed reads and the view's buffer: destructuring, or the memory's `buffer`, cost more.)
    const frame = this.frame();
    return frame[0] < 0 ? null : utf8.decode(new Uint8Array(frame.buffer, frame[0], frame[1]));
  }

  /**
   * Describes the argument of the method call under way (`argument`) into `out` from `start`
   * on, then for an array its items from 0 on, as crates/wasm/src/js_value.rs reads them: two
   * numbers each, its kind (0 undefined, 1 null, 2 boolean, 3 number, 4 string, 5 object,
   * 6 anything else: function, symbol, bigint) and a boolean's or number's value, or a
   * string's length (`units` copies its units). (The argument of `getTypingPattern` is the array
   * of its options' values, pkg/src/helpers.js's `patternArgument`.)
   */
  describe(out, start) {
    const value = this.argument;
    for (let at = start; at < out.length; at += 2) {
      const v = at == start ? value : Array.isArray(value) ? value[(at - start) / 2 - 1] : undefined;
      const type = typeof v;
      out[at] = v === undefined ? 0 : v === null ? 1 : type == 'boolean' ? 2 : type == 'number' ? 3
        : type == 'string' ? 4 : type == 'object' ? 5 : 6;
      out[at + 1] = type == 'string' ? v.length : type == 'boolean' || type == 'number' ? v : 0;
    }
  }

  /**
   * The UTF-16 code units of the string `describe` described, the argument itself for an
   * `index` of -1, else its item `index`, into `out` (a view of the module's memory).
   */
  units(index, out) {
    let value = this.argument;
    if (index >= 0) value = value[index];
    for (let i = 0; i < out.length; i++) out[i] = value.charCodeAt(i);
  }

  /** Writes one event into the queue. */
  record(kind, event) {
    let motion;
    if (kind == MOTION) {
      motion = event.accelerationIncludingGravity;
      // Chromium fires one event without acceleration data on devices without motion sensors:
      // no sample (the reference's handler throws a TypeError there, half-way through).
      if (motion == null) return;
    }
    if (this.length == 0) this.started?.();
    if (this.length == this.records.length) {
      this.full?.();
      if (this.length == this.records.length) {
        const grown = new Float64Array(this.length * 2);
        grown.set(this.records);
        this.records = grown;
      }
    }
    const records = this.records;
    const at = this.length;
    this.length = at + STRIDE;
    records[at + 1] = this.eventClock ? Math.round(this.origin + event.timeStamp) : Date.now();
    if (kind < 4) {
      const target = event.target;
      const id = target?.id;
      records[at + 2] = number(event.keyCode);
      records[at + 3] = number(event.charCode);
      records[at + 4] = event.shiftKey ? 1 : 0;
      records[at + 5] = this.intern(typeof id == 'string' ? id : '');
      const value = this.withField ? target?.value : undefined;
      records[at + 6] = typeof value == 'string' ? this.strings.push(value) - 1 : -1;
      records[at + 7] = this.withField ? number(target?.selectionStart) : NaN;
    } else if (kind < 7) {
      // (Numbers on every MouseEvent; NaN on an event that is not one.)
      records[at + 2] = event.screenX;
      records[at + 3] = event.screenY;
      records[at + 4] = event.which;
    } else if (kind == 7) {
      records[at + 2] = number(document.body?.scrollTop);
    } else {
      const rotation = event.rotationRate;
      records.set([motion.x, motion.y, motion.z].map(number), at + 2);
      if (rotation != null) {
        records.set([rotation.alpha, rotation.beta, rotation.gamma].map(number), at + 5);
        kind = MOTION_WITH_ROTATION;
      }
    }
    records[at] = kind;
  }

  /** The index of the string `text` in `strings`, adding it once per batch. */
  intern(text) {
    let index = this.ids.get(text);
    if (index === undefined) {
      index = this.strings.push(text) - 1;
      this.ids.set(text, index);
    }
    return index;
  }

  /** Copies the queued records into `out` (`length` numbers); returns how many strings they refer to. */
  copyTo(out) {
    out.set(this.records.subarray(0, out.length));
    return this.strings.length;
  }

  /** `strings[index]`. */
  string(index) {
    return this.strings[index];
  }

  /** Empties the queue once its records are consumed. */
  clear() {
    this.length = 0;
    this.strings = [];
    this.ids.clear();
  }
}
