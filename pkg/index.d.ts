// Type declarations for keycadence, a drop-in replacement for the TypingDNA JavaScript recorder
// v3.2 (same class, methods and pattern strings).

/** The options of `getTypingPattern` (as the TypingDNA recorder v3.2 reads them). */
export interface TypingPatternOptions {
  /** 0: any text (default); 1: same text; 2: same text, extended rows. */
  type?: 0 | 1 | 2;
  /** Type 1/2: the text that was typed (its length and id go into the header). */
  text?: string;
  /** Type 1/2: a custom text id (a number, or a string read with `parseInt`, else hashed). */
  textId?: number | string;
  /** Type 0: how many recent keystrokes (default 160); type 1/2 without text: how many rows. */
  length?: number;
  /** Only keystrokes typed in the element with this id. */
  targetId?: string;
  /** Type 1/2: match the text case-sensitively (default false with text, true without). */
  caseSensitive?: boolean;
  /** Type 1 only, deprecated: extended rows (use type 2). */
  extended?: boolean;
}

/** What `checkEnvironment()` returns. */
export interface EnvironmentCheck {
  browserType: '' | 'blink' | 'opera' | 'firefox' | 'internet explorer' | 'edge' | 'edge chromium' | 'chrome' | 'safari';
  isMobile: boolean;
  hasMotionSensors?: boolean;
  needsPermissionForMotionSensors?: boolean;
}

/** keycadence's own construction options (the reference takes none). */
export interface RecorderOptions {
  /**
   * Where timestamps come from. 'event' (default): each event's own timestamp
   * (`performance.timeOrigin + event.timeStamp`, rounded to ms), so a busy main thread does not
   * distort the times. 'date': `Date.now()` when the handler runs, as the reference does.
   */
  clock?: 'event' | 'date';
  /** Correct the reference's bugs Q1-Q3 (target cache, Ctrl+letter, stale substitutes). */
  fixQuirks?: boolean;
}

/**
 * The recorder. The first `new TypingDNA()` creates it and starts recording keys at once (keys
 * typed before the wasm module has loaded wait in a queue, with their own times; see
 * `TypingDNA.ready`); later calls return the same instance. Methods called before the module
 * loaded throw; await `TypingDNA.ready` first.
 */
export default class TypingDNA {
  constructor(options?: RecorderOptions);

  /** A typing pattern; `null` for type 1/2 when more than 7 % of the text was not typed. */
  getTypingPattern(options?: TypingPatternOptions): string | null;
  /** Deprecated: type 0 over the last `length` keystrokes. */
  get(length?: number): string;
  /** Deprecated: type 1 (`getTypingPattern({type: 1, text, textId})`). */
  getDiagram(str?: string | number, textId?: number | string): string | null;
  /** Deprecated: type 2. */
  getExtendedDiagram(str?: string | number, textId?: number | string): string | null;
  /** The mouse pattern ("type 9"); gestures are recorded after `startMouse()`. */
  getMouseDiagram(): string;
  /** Resumes recording; returns true. */
  start(): true;
  /** Pauses recording (the history is kept); returns false. */
  stop(): false;
  /** Clears the keystroke history (and with `true` the mouse gestures too). */
  reset(all?: boolean): void;
  /** Records only keystrokes in elements with the registered ids. Ids are strings. */
  addTarget(id: string): void;
  removeTarget(id: string): void;
  startMouse(): true;
  stopMouse(): false;
  /** Deprecated no-op. */
  startDiagram(): void;
  /** Deprecated no-op. */
  stopDiagram(): void;
  getQuality(pattern: string): number;
  getLength(pattern: string): number;
  getTextId(str: string): number;
  isMobile(): 0 | 1;
  checkEnvironment(): EnvironmentCheck;
  /** Stops listening for good (listeners cannot be added again). */
  removeEventListeners(): void;

  static getTypingPattern(options?: TypingPatternOptions): string | null;
  static get(length?: number): string;
  static getDiagram(str?: string | number, textId?: number | string): string | null;
  static getExtendedDiagram(str?: string | number, textId?: number | string): string | null;
  static getMouseDiagram(): string;
  static start(): true;
  static stop(): false;
  static reset(all?: boolean): void;
  static addTarget(id: string): void;
  static removeTarget(id: string): void;
  static startMouse(): true;
  static stopMouse(): false;
  /** Clears the mouse gestures (and with `true` the click and stop times too). */
  static resetMouse(all?: boolean): void;
  static checkEnvironment(): EnvironmentCheck;
  static removeEventListeners(): void;
  /** 1 on mobile browsers, 0 on desktop (needs the module loaded, not an instance). */
  static isMobile(): 0 | 1;
  /** 0 to 1: how well a type 0 pattern covers the keys (> 0.3 acceptable, > 0.7 good). */
  static getQuality(pattern: string): number;
  /** The text length of a type 1/2 pattern, or the keystroke count of a type 0 pattern. */
  static getLength(pattern: string): number;
  /** The text id of a string: FNV-1a of its lower-cased UTF-16 units (0 for non-strings). */
  static getTextId(str: string): number;
  static checkMobileValidity(pattern: string): number;

  /** When the recorder started, in ms since the epoch on its clock (the first seek's origin). */
  static readonly createdAt: number;
  /** The recorder's clock: 'event' (event timestamps) or 'date' (`Date.now()` in the handler). */
  static readonly clock: 'event' | 'date';
  static initialized: boolean;
  static instance: TypingDNA | undefined;
  static readonly version: 3.2;
  static readonly flags: 0;
  /** Resolves once the wasm module has loaded and a constructed recorder is listening. */
  static readonly ready: Promise<typeof TypingDNA>;
}

export { TypingDNA };
/** The same promise as `TypingDNA.ready`. */
export const ready: Promise<typeof TypingDNA>;
