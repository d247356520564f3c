// Records what the page's recorder saw and replays it through the Rust core.
//
// `logEvents(context)` logs the events the recorder listens to, each with the time the
// recorder's event clock gives it. `vector(...)`
// turns the log into a test-vector file (the golden-vector JSON schema) and `replay(...)` runs
// the core's `replay` example over it.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Logs, from the moment a recorder starts listening, every event it listens to. Runs as an init
 * script: its listeners are added before the page's own, and logging starts when
 * `TypingDNA.ready` resolves (the shim installs the recorder's listeners just before, in the
 * same microtask checkpoint, so no event falls in between). The page must publish its
 * `TypingDNA` class as `window.TypingDNA`.
 */
export async function logEvents(context) {
  await context.addInitScript(() => {
    const log = [];
    let logging = false;
    let published;
    window.__keycadenceLog = log;
    Object.defineProperty(window, 'TypingDNA', {
      configurable: true,
      get: () => published,
      set: (value) => {
        published = value;
        value.ready.then(() => { logging = true; });
      },
    });
    const time = (e) => Math.round(performance.timeOrigin + e.timeStamp);
    const on = (target, type, entry) => target.addEventListener(type, (e) => {
      const op = logging && entry(e);
      if (op) log.push(op);
    });
    for (const type of ['keydown', 'keypress', 'keyup', 'input']) {
      on(document, type, (e) => {
        const op = {
          op: 'key', type, t: time(e), target: e.target.id ?? '',
          keyCode: e.keyCode, charCode: e.charCode ?? 0, shiftKey: !!e.shiftKey,
        };
        if (typeof e.target.value === 'string') op.value = e.target.value;
        if (typeof e.target.selectionStart === 'number') op.selectionStart = e.target.selectionStart;
        return op;
      });
    }
    for (const type of ['mousemove', 'mousedown', 'mouseup']) {
      on(document, type, (e) => ({ op: 'mouse', type, t: time(e), screenX: e.screenX, screenY: e.screenY, which: e.which }));
    }
    on(document, 'scroll', (e) => ({ op: 'scroll', t: time(e), scrollTop: document.body.scrollTop }));
    on(window, 'devicemotion', (e) => {
      const acc = e.accelerationIncludingGravity;
      // Events without acceleration data (Chromium fires one when there are no motion
      // sensors) are not samples for the recorder either.
      if (!acc) return null;
      const op = { op: 'motion', t: time(e), acc: [acc.x, acc.y, acc.z] };
      const rot = e.rotationRate;
      if (rot) op.rot = [rot.alpha, rot.beta, rot.gamma];
      return op;
    });
  });
}

/** The environment the page's recorder read, in the vectors' `env` form. */
export function pageEnvironment(page) {
  return page.evaluate(() => {
    const env = {
      elements: [...document.querySelectorAll('[id]')].map((e) => e.id),
      userAgent: navigator.userAgent,
      platform: navigator.platform,
      language: navigator.language,
      screenWidth: screen.width,
      screenHeight: screen.height,
      maxTouchPoints: navigator.maxTouchPoints,
      ontouchstart: 'ontouchstart' in window,
      deviceMotionEvent: window.DeviceMotionEvent !== undefined,
    };
    if (typeof window.orientation !== 'undefined') env.orientation = window.orientation;
    return env;
  });
}

/**
 * A vector: construction at `createdAt`, the logged events, then one `call` per entry of
 * `calls` ([method, args]) in order.
 */
export async function vector(page, name, calls) {
  const [env, events, createdAt] = await Promise.all([
    pageEnvironment(page),
    page.evaluate(() => window.__keycadenceLog),
    page.evaluate(() => window.TypingDNA.createdAt),
  ]);
  return {
    name,
    description: 'recorded in headless Chromium by tests/browser',
    env,
    ops: [
      { op: 'construct', t: createdAt },
      ...events,
      ...calls.map(([method, args]) => ({ op: 'call', method, args })),
    ],
  };
}

/**
 * Calls a method of the page's recorder now and logs the call with the events, so the replay
 * makes it at the same point (its result comes first in the replay's results).
 */
export function callLogged(page, method, args = []) {
  return page.evaluate(([method, args]) => {
    window.__keycadenceLog.push({ op: 'call', method, args });
    return new window.TypingDNA()[method](...args);
  }, [method, args]);
}

/** Results of the page's recorder for `calls`, called in order in the page. */
export function callInPage(page, calls) {
  return page.evaluate((calls) => {
    const tdna = new window.TypingDNA();
    return calls.map(([method, args]) => tdna[method](...args));
  }, calls);
}

/** The core's results for a vector, from `cargo run --example replay`. */
export async function replay(vectorObject) {
  const dir = await mkdtemp(join(tmpdir(), 'keycadence-vector-'));
  const file = join(dir, `${vectorObject.name}.json`);
  await writeFile(file, JSON.stringify(vectorObject, null, 1));
  const { stdout } = await promisify(execFile)(
    'cargo',
    ['run', '-q', '--release', '-p', 'keycadence-core', '--example', 'replay', '--', file],
    { cwd: ROOT, maxBuffer: 64 << 20 },
  );
  return { file, results: JSON.parse(stdout.trim().split('\n').at(-1)) };
}
